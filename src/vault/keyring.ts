// The vault passwords of one command (from --vault-id, --vault-password-file, --ask-vault-pass
// and the ANSIBLE_VAULT_* variables), how a vault text picks one, and the secrets revealed.
import { DEFAULT_VAULT_ID, KeyCache, VaultFormatError, decryptVault, encryptVault, isVaultText, parseVaultText } from './format.js';
import { MIN_VAULT_LEAF_LENGTH, SecretRegistry } from './secrets.js';

export interface VaultPassword {
  /** the vault id (label); `default` for --vault-password-file and --ask-vault-pass */
  id: string;
  password: Buffer;
  /** where it came from, for messages: `--vault-password-file pw.txt`, `prompt` */
  source: string;
}

export type VaultErrorKind = 'no-password' | 'no-match' | 'format' | 'not-vault';

/** A vault text that cannot be opened; the message names no plaintext and no ciphertext. */
export class VaultError extends Error {
  constructor(
    readonly kind: VaultErrorKind,
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

export const PASSWORD_FIX =
  'give the password with --vault-password-file FILE, --vault-id [LABEL@]FILE|prompt, --ask-vault-pass, or set ANSIBLE_VAULT_PASSWORD_FILE';

export interface KeyringOptions {
  /** ANSIBLE_VAULT_ID_MATCH: try only the password whose label the vault names */
  idMatch?: boolean;
}

export class Keyring {
  readonly cache = new KeyCache();
  readonly secrets = new SecretRegistry();

  constructor(
    readonly passwords: readonly VaultPassword[],
    private readonly options: KeyringOptions = {},
  ) {
    // a vault password is itself a secret (a script may echo it, a task may template it)
    for (const p of passwords) this.secrets.add(p.password.toString('utf8'));
  }

  /**
   * Decrypt a vault text (Ansible's order: the password labelled like the vault first, then,
   * unless ANSIBLE_VAULT_ID_MATCH is set, every other one). The plaintext is NOT registered as
   * a secret here: the caller knows whether it is one value, a vars file or a file's content.
   */
  decrypt(text: string): { plaintext: Buffer; vaultId: string } {
    if (!isVaultText(text)) throw new VaultError('not-vault', 'the input is not vault-encrypted data', 'pass a file made by `runbook vault encrypt` or ansible-vault');
    let envelope;
    try {
      envelope = parseVaultText(text);
    } catch (e) {
      if (e instanceof VaultFormatError) throw new VaultError('format', `the vault is corrupted: ${e.message}`, 'restore the file from version control, or encrypt it again');
      throw e;
    }
    const label = envelope.vaultId ?? DEFAULT_VAULT_ID;
    const labelled = envelope.vaultId !== undefined ? ` (vault id '${envelope.vaultId}')` : '';
    if (this.passwords.length === 0) throw new VaultError('no-password', `no vault password was given to decrypt it${labelled}`, PASSWORD_FIX);
    const matching = envelope.vaultId !== undefined ? this.passwords.filter((p) => p.id === envelope.vaultId) : [];
    const candidates = this.options.idMatch === true && envelope.vaultId !== undefined ? matching : [...matching, ...this.passwords.filter((p) => !matching.includes(p))];
    if (candidates.length === 0) {
      throw new VaultError(
        'no-match',
        `vault id '${label}' was not given (given: ${this.describe()}) and ANSIBLE_VAULT_ID_MATCH allows no other`,
        `add --vault-id ${label}@FILE (or @prompt)`,
      );
    }
    for (const p of candidates) {
      const r = decryptVault(envelope, p.password, this.cache);
      if (r.ok) return { plaintext: r.plaintext, vaultId: p.id };
    }
    const notGiven = envelope.vaultId !== undefined && matching.length === 0 ? `; vault id '${envelope.vaultId}' was not given` : '';
    throw new VaultError(
      'no-match',
      `no vault password given decrypts it${labelled}: wrong password, or the vault text was changed (HMAC check failed); tried ${this.describe(candidates)}${notGiven}`,
      envelope.vaultId !== undefined && matching.length === 0 ? `add --vault-id ${envelope.vaultId}@FILE (or @prompt) with the right password` : 'check the password (file) for this vault',
    );
  }

  /**
   * A controller file's text, decrypted when it is a vault (a copy or template source): its
   * content and each of its lines become secrets. Anything else is returned as it is.
   */
  openFile(text: string, name: string): string {
    if (!isVaultText(text)) return text;
    let plaintext: Buffer;
    try {
      plaintext = this.decrypt(text).plaintext;
    } catch (e) {
      if (e instanceof VaultError) throw new VaultError(e.kind, `cannot decrypt the vault-encrypted file ${name}: ${e.message}`, e.fix);
      throw e;
    }
    const content = plaintext.toString('utf8');
    if (content.length >= MIN_VAULT_LEAF_LENGTH) this.secrets.add(content);
    return content;
  }

  /** Encrypt with the password of `vaultId` (or the only one); the envelope names the id unless it is `default`. */
  encrypt(plaintext: Buffer, vaultId?: string): string {
    const p = this.encryptPassword(vaultId);
    return encryptVault(plaintext, p.password, { vaultId: p.id, cache: this.cache });
  }

  /** Ansible's rule: --encrypt-vault-id picks; one password is used as is; several need a choice. */
  encryptPassword(vaultId?: string): VaultPassword {
    if (this.passwords.length === 0) throw new VaultError('no-password', 'no vault password was given to encrypt with', PASSWORD_FIX);
    if (vaultId !== undefined) {
      const p = this.passwords.find((x) => x.id === vaultId);
      if (p === undefined) throw new VaultError('no-match', `--encrypt-vault-id ${vaultId} names no vault id given (given: ${this.describe()})`, `add --vault-id ${vaultId}@FILE (or @prompt)`);
      return p;
    }
    const first = this.passwords[0];
    if (this.passwords.length > 1 || first === undefined) {
      throw new VaultError('no-match', `several vault ids were given (${this.describe()}); which one encrypts is ambiguous`, 'choose one with --encrypt-vault-id LABEL');
    }
    return first;
  }

  private describe(list: readonly VaultPassword[] = this.passwords): string {
    return list.map((p) => `'${p.id}' from ${p.source}`).join(', ');
  }
}
