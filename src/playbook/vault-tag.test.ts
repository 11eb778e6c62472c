// `!vault` values and whole vault-encrypted files, through the one YAML loader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptVault } from '../vault/format.js';
import { Keyring, type VaultPassword } from '../vault/keyring.js';
import { withKeyring } from '../vault/scope.js';
import { formatDiagnostics } from './format.js';
import { parseYaml, readYamlFile } from './yaml.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/vault');
const read = (f: string): string => readFileSync(join(FIX, f), 'utf8');
const pw = (id: string, password: string): VaultPassword => ({ id, password: Buffer.from(password), source: `${id}.txt` });
const DEFAULT = pw('default', 'correct horse battery');
const PROD = pw('prod', 's3cond-id-pass');

function errorsOf(r: ReturnType<typeof parseYaml>): Array<{ code: string; line: number; col: number; message: string }> {
  return r.ok ? [] : r.errors.map((e) => ({ code: e.code, line: e.location.line, col: e.location.col, message: e.message }));
}

describe('!vault values', () => {
  it('decrypts inline values of both formats and registers them as secrets', () => {
    const ring = new Keyring([DEFAULT, PROD]);
    const r = withKeyring(ring, () => parseYaml(read('strings.yml'), 'strings.yml'));
    expect(r.ok && r.yaml.value).toEqual({ db_password: 'hunter22-secret', prod_token: 'prod-token-98765', plain_value: 'not secret' });
    expect(ring.secrets.values).toContain('hunter22-secret');
    expect(ring.secrets.values).toContain('prod-token-98765');
    expect(ring.secrets.values).not.toContain('not secret');
    // the password itself is a secret too
    expect(ring.secrets.values).toContain('correct horse battery');
  });

  it('without a password: an error at the tag, naming the key and the vault id, no ciphertext', () => {
    const source = read('strings.yml');
    const r = parseYaml(source, 'strings.yml');
    const errs = errorsOf(r);
    expect(errs.map((e) => [e.code, e.line, e.col])).toEqual([
      ['vault-no-password', 2, 14],
      ['vault-no-password', 9, 13],
    ]);
    expect(errs[1]?.message).toMatch(/`prod_token`.*vault id 'prod'/);
    const text = formatDiagnostics(r.ok ? [] : r.errors, new Map([['strings.yml', source]]));
    expect(text).toContain('--vault-password-file');
    expect(text).not.toMatch(/[0-9a-f]{40}/);
  });

  it('a wrong password names the file position and the ids tried, never a plaintext', () => {
    const ring = new Keyring([pw('default', 'not it')]);
    const errs = errorsOf(withKeyring(ring, () => parseYaml(read('strings.yml'), 'strings.yml')));
    expect(errs[0]).toMatchObject({ code: 'vault-no-match', line: 2, col: 14 });
    expect(errs[0]?.message).toMatch(/wrong password.*HMAC.*tried 'default' from default\.txt/);
    expect(errs[1]?.message).toMatch(/vault id 'prod' was not given/);
    expect(JSON.stringify(errs)).not.toMatch(/hunter22|prod-token/);
  });

  it('tries the other passwords when the label is unknown, unless ANSIBLE_VAULT_ID_MATCH', () => {
    const relabelled = read('strings.yml').replace(';1.2;AES256;prod', ';1.2;AES256;staging');
    const any = withKeyring(new Keyring([DEFAULT, PROD]), () => parseYaml(relabelled, 'x.yml'));
    expect(any.ok && (any.yaml.value as Record<string, unknown>).prod_token).toBe('prod-token-98765');
    const strict = errorsOf(withKeyring(new Keyring([DEFAULT, PROD], { idMatch: true }), () => parseYaml(relabelled, 'x.yml')));
    expect(strict[0]?.message).toMatch(/vault id 'staging' was not given/);
  });

  it('a changed ciphertext is an error, not a wrong value', () => {
    const source = read('strings.yml');
    const i = source.indexOf('6161396532');
    const tampered = source.slice(0, i) + '6262' + source.slice(i + 4);
    const errs = errorsOf(withKeyring(new Keyring([DEFAULT, PROD]), () => parseYaml(tampered, 'x.yml')));
    expect(errs[0]).toMatchObject({ code: 'vault-no-match', line: 2 });
    const truncated = source.replace(/\n {10}3764\n/, '\n');
    expect(errorsOf(withKeyring(new Keyring([DEFAULT, PROD]), () => parseYaml(truncated, 'x.yml')))[0]?.code).toMatch(/^vault-(format|no-match)$/);
  });

  it('!vault on a mapping is an error', () => {
    expect(errorsOf(parseYaml('a: !vault\n  b: 1\n', 'x.yml'))[0]?.code).toBe('vault-not-string');
  });
});

describe('vault-encrypted files', () => {
  it('reads 1.1 and 1.2 files and registers every value', async () => {
    const ring = new Keyring([DEFAULT, PROD]);
    const expected = parseYaml(read('vars.plain.yml'), 'p.yml');
    for (const f of ['vars-1.1.yml', 'vars-1.2-prod.yml']) {
      const r = await withKeyring(ring, () => readYamlFile(join(FIX, f)));
      expect(r.ok && r.yaml.value).toEqual(expected.ok && expected.yaml.value);
      expect(r.ok && r.yaml.source.startsWith('$ANSIBLE_VAULT')).toBe(true);
    }
    for (const s of ['Sudo-Pa55-Vaulted', 'tok-XYZ-123-abc', 'c2VjcmV0LXRzaWcta2V5', 'lab-key']) expect(ring.secrets.values).toContain(s);
  });

  it('errors in a decrypted file show no code frame and no value', () => {
    const ring = new Keyring([DEFAULT]);
    const bad = encryptVault(Buffer.from('token: Very-Secret-1\ntoken: Very-Secret-2\n  broken: [\n'), DEFAULT.password);
    const r = withKeyring(ring, () => parseYaml(bad, 'secrets.yml'));
    expect(r.ok).toBe(false);
    const text = formatDiagnostics(r.ok ? [] : r.errors, new Map([['secrets.yml', bad]]));
    expect(text).toContain('secrets.yml:');
    expect(text).toContain('(in the decrypted content)');
    expect(text).not.toContain('Very-Secret');
    expect(text).not.toContain(' | ');
  });

  it('without a password: one error at line 1', () => {
    const r = parseYaml(read('vars-1.2-prod.yml'), 'v.yml');
    expect(errorsOf(r)).toEqual([expect.objectContaining({ code: 'vault-no-password', line: 1, col: 1 })]);
    expect(errorsOf(r)[0]?.message).toMatch(/vault id 'prod'/);
  });
});
