// The Ansible Vault envelope, byte for byte as ansible-vault reads and writes it:
//
//   $ANSIBLE_VAULT;1.1;AES256             (1.2 adds ";LABEL", the vault id)
//   hex(hex(salt) \n hex(hmac) \n hex(ciphertext)), cut into lines of 80 characters
//
// and the AES256 cipher inside it: PBKDF2-HMAC-SHA256 (10000 iterations, 32-byte random salt)
// derives 80 bytes = AES key, HMAC key, CTR counter block; the PKCS#7-padded plaintext is
// encrypted with AES-256-CTR and the ciphertext authenticated with HMAC-SHA256 (encrypt-then-MAC).
// Node's own crypto (OpenSSL) does all three primitives: no dependency to vet, and the same
// constant-time HMAC comparison (timingSafeEqual) Ansible uses.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
export const VAULT_CIPHER = 'AES256';
export const DEFAULT_VAULT_ID = 'default';
const LINE = 80;
const SALT_BYTES = 32;
const ITERATIONS = 10000;

/** The vault text is not a well-formed envelope (truncated, not hex, unknown cipher...). */
export class VaultFormatError extends Error {}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** the label of a 1.2 envelope; Ansible does not authenticate it, it only picks a password first */
  vaultId?: string;
  salt: Buffer;
  /** the HMAC-SHA256 digest (32 bytes; written as 64 lowercase hex characters) */
  hmac: Buffer;
  ciphertext: Buffer;
}

/** True when `text` is vault data (what Ansible's is_encrypted checks: the header at the start). */
export function isVaultText(text: string | Buffer): boolean {
  const head = typeof text === 'string' ? text.slice(0, VAULT_HEADER.length) : text.subarray(0, VAULT_HEADER.length).toString('latin1');
  return head === VAULT_HEADER;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function unhex(text: string, what: string): Buffer {
  if (!HEX.test(text)) throw new VaultFormatError(`the ${what} is not hexadecimal${text.length % 2 === 1 ? ' (odd length: truncated?)' : ''}`);
  return Buffer.from(text, 'hex');
}

/** Split an envelope into its parts; throws VaultFormatError with a reason a person can act on. */
export function parseVaultText(text: string): VaultEnvelope {
  // lines may carry the indentation of a YAML block scalar or \r\n endings; Ansible strips them
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const header = (lines[0] ?? '').split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER) throw new VaultFormatError(`it does not start with ${VAULT_HEADER}`);
  const version = header[1];
  const cipher = header[2];
  if (version === undefined || cipher === undefined || version === '' || cipher === '') {
    throw new VaultFormatError(`the header line is incomplete: expected ${VAULT_HEADER};1.1;AES256 or ${VAULT_HEADER};1.2;AES256;LABEL`);
  }
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format version ${version} is not supported (1.1 and 1.2 are)`);
  if (cipher !== VAULT_CIPHER) throw new VaultFormatError(`cipher ${cipher} is not supported (only ${VAULT_CIPHER}, the one Ansible writes)`);
  const vaultId = header[3] !== undefined && header[3] !== '' ? header[3] : undefined;
  const body = lines.slice(1).join('');
  if (body === '') throw new VaultFormatError('there is no encrypted data after the header (truncated?)');
  const inner = unhex(body, 'encrypted body').toString('latin1').split('\n');
  if (inner.length !== 3) throw new VaultFormatError('the encrypted body does not have its three parts (salt, HMAC, data): truncated or corrupted');
  const [saltHex = '', hmacHex = '', dataHex = ''] = inner;
  const salt = unhex(saltHex, 'salt');
  const hmac = unhex(hmacHex, 'HMAC');
  const ciphertext = unhex(dataHex, 'ciphertext');
  if (hmac.length !== 32) throw new VaultFormatError('the HMAC is not 32 bytes: truncated or corrupted');
  if (salt.length === 0 || ciphertext.length === 0) throw new VaultFormatError('the salt or the data is empty: truncated or corrupted');
  return { version, cipher, ...(vaultId !== undefined ? { vaultId } : {}), salt, hmac, ciphertext };
}

/** The envelope as ansible-vault writes it: header, 80-character lines, a final newline. */
export function formatVaultText(envelope: Pick<VaultEnvelope, 'salt' | 'hmac' | 'ciphertext'>, vaultId?: string): string {
  const labelled = vaultId !== undefined && vaultId !== '' && vaultId !== DEFAULT_VAULT_ID;
  const header = labelled ? `${VAULT_HEADER};1.2;${VAULT_CIPHER};${vaultId}` : `${VAULT_HEADER};1.1;${VAULT_CIPHER}`;
  const inner = `${envelope.salt.toString('hex')}\n${envelope.hmac.toString('hex')}\n${envelope.ciphertext.toString('hex')}`;
  const body = Buffer.from(inner, 'latin1').toString('hex');
  const out = [header];
  for (let i = 0; i < body.length; i += LINE) out.push(body.slice(i, i + LINE));
  out.push('');
  return out.join('\n');
}

export interface DerivedKeys {
  cipherKey: Buffer;
  hmacKey: Buffer;
  iv: Buffer;
}

/** PBKDF2 by design costs milliseconds: callers go through a KeyCache, not this, per value. */
export function deriveKeys(password: Buffer, salt: Buffer): DerivedKeys {
  const k = pbkdf2Sync(password, salt, ITERATIONS, 80, 'sha256');
  return { cipherKey: k.subarray(0, 32), hmacKey: k.subarray(32, 64), iv: k.subarray(64, 80) };
}

/**
 * Derived keys per (password, salt). A vaulted value copied into many host_vars files, or read
 * again for every host, costs one derivation. Keyed by a digest of the password so the cache
 * never holds the password itself as a map key.
 */
export class KeyCache {
  private readonly byKey = new Map<string, DerivedKeys>();
  derivations = 0;
  get(password: Buffer, salt: Buffer): DerivedKeys {
    const key = `${createHmac('sha256', salt).update(password).digest('hex')}:${salt.toString('hex')}`;
    let keys = this.byKey.get(key);
    if (keys === undefined) {
      keys = deriveKeys(password, salt);
      this.derivations++;
      this.byKey.set(key, keys);
    }
    return keys;
  }
}

function pad(data: Buffer): Buffer {
  const n = 16 - (data.length % 16);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function unpad(data: Buffer): Buffer | undefined {
  const n = data[data.length - 1];
  if (n === undefined || n < 1 || n > 16 || n > data.length) return undefined;
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) return undefined;
  return data.subarray(0, data.length - n);
}

/** Encrypt to an envelope text; `salt` is for tests that reproduce ansible-vault's bytes. */
export function encryptVault(plaintext: Buffer, password: Buffer, options: { vaultId?: string; salt?: Buffer; cache?: KeyCache } = {}): string {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const keys = options.cache ? options.cache.get(password, salt) : deriveKeys(password, salt);
  const c = createCipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const ciphertext = Buffer.concat([c.update(pad(plaintext)), c.final()]);
  const hmac = createHmac('sha256', keys.hmacKey).update(ciphertext).digest();
  return formatVaultText({ salt, hmac, ciphertext }, options.vaultId);
}

export type DecryptOutcome = { ok: true; plaintext: Buffer } | { ok: false; reason: 'wrong-password' | 'bad-padding' };

/**
 * Decrypt with one password. A failed HMAC check means a wrong password or a changed
 * ciphertext; the two cannot be told apart (that is the point of the MAC).
 */
export function decryptVault(envelope: VaultEnvelope, password: Buffer, cache?: KeyCache): DecryptOutcome {
  const keys = cache ? cache.get(password, envelope.salt) : deriveKeys(password, envelope.salt);
  const expected = createHmac('sha256', keys.hmacKey).update(envelope.ciphertext).digest();
  if (!timingSafeEqual(expected, envelope.hmac)) return { ok: false, reason: 'wrong-password' };
  const d = createDecipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const padded = Buffer.concat([d.update(envelope.ciphertext), d.final()]);
  const plaintext = unpad(padded);
  if (plaintext === undefined) return { ok: false, reason: 'bad-padding' };
  return { ok: true, plaintext };
}
