import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyCache, decryptVault, encryptVault, formatVaultText, isVaultText, parseVaultText, VaultFormatError } from './format.js';

// made by ansible-vault 2.14 (see test/fixtures/vault/README.md)
const FIX = join(import.meta.dirname, '../../test/fixtures/vault');
const read = (f: string): string => readFileSync(join(FIX, f), 'utf8');
const PW = Buffer.from('correct horse battery');
const PROD = Buffer.from('s3cond-id-pass');

function inline(file: string, key: string): string {
  // the block scalar of `key: !vault |` with its indentation removed
  const text = read(file);
  const start = text.indexOf(`${key}: !vault |\n`);
  const lines = text.slice(start).split('\n').slice(1);
  const out: string[] = [];
  for (const l of lines) {
    if (!l.startsWith('          ')) break;
    out.push(l.trim());
  }
  return out.join('\n') + '\n';
}

describe('Ansible Vault format', () => {
  it('opens 1.1 and 1.2 files made by ansible-vault', () => {
    const v11 = parseVaultText(read('vars-1.1.yml'));
    expect(v11.version).toBe('1.1');
    expect(v11.vaultId).toBeUndefined();
    const r11 = decryptVault(v11, PW);
    expect(r11.ok && r11.plaintext.toString()).toBe(read('vars.plain.yml'));
    const v12 = parseVaultText(read('vars-1.2-prod.yml'));
    expect(v12.version).toBe('1.2');
    expect(v12.vaultId).toBe('prod');
    const r12 = decryptVault(v12, PROD);
    expect(r12.ok && r12.plaintext.toString()).toBe(read('vars.plain.yml'));
  });

  it('opens encrypt_string values and binary files', () => {
    const db = decryptVault(parseVaultText(inline('strings.yml', 'db_password')), PW);
    expect(db.ok && db.plaintext.toString()).toBe('hunter22-secret');
    const prod = decryptVault(parseVaultText(inline('strings.yml', 'prod_token')), PROD);
    expect(prod.ok && prod.plaintext.toString()).toBe('prod-token-98765');
    const bin = decryptVault(parseVaultText(read('binary.bin.vault')), PW);
    expect(bin.ok && bin.plaintext.equals(readFileSync(join(FIX, 'binary.plain.bin')))).toBe(true);
  });

  it('writes the same bytes as ansible-vault for the same salt', () => {
    // the salt is random per encryption; taken from the fixture, every other byte must follow
    for (const [file, pw, id] of [
      ['vars-1.1.yml', PW, undefined],
      ['vars-1.2-prod.yml', PROD, 'prod'],
      ['binary.bin.vault', PW, undefined],
    ] as const) {
      const original = read(file);
      const env = parseVaultText(original);
      const r = decryptVault(env, pw);
      if (!r.ok) throw new Error('fixture does not open');
      expect(encryptVault(r.plaintext, pw, { salt: env.salt, ...(id ? { vaultId: id } : {}) })).toBe(original);
    }
  });

  it('round-trips with a fresh salt, and the default id writes 1.1', () => {
    const text = encryptVault(Buffer.from('x'.repeat(100)), PW, { vaultId: 'default' });
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').slice(1, -2)) expect(line).toHaveLength(80);
    const r = decryptVault(parseVaultText(text), PW);
    expect(r.ok && r.plaintext.toString()).toBe('x'.repeat(100));
    // 16 bytes of plaintext get a whole block of padding, as PKCS#7 says
    const block = decryptVault(parseVaultText(encryptVault(Buffer.alloc(16, 7), PW)), PW);
    expect(block.ok && block.plaintext.equals(Buffer.alloc(16, 7))).toBe(true);
    const empty = decryptVault(parseVaultText(encryptVault(Buffer.alloc(0), PW)), PW);
    expect(empty.ok && empty.plaintext.length).toBe(0);
  });

  it('a wrong password and a changed ciphertext fail the HMAC check', () => {
    const env = parseVaultText(read('vars-1.1.yml'));
    expect(decryptVault(env, Buffer.from('wrong'))).toEqual({ ok: false, reason: 'wrong-password' });
    const flipped = Buffer.from(env.ciphertext);
    flipped[3] = (flipped[3] ?? 0) ^ 1;
    expect(decryptVault({ ...env, ciphertext: flipped }, PW)).toEqual({ ok: false, reason: 'wrong-password' });
    // the same through the text: change one hex digit of the body
    const text = read('vars-1.1.yml');
    const i = text.indexOf('\n') + 200;
    const tampered = text.slice(0, i) + (text[i] === '3' ? '4' : '3') + text.slice(i + 1);
    let outcome;
    try {
      outcome = decryptVault(parseVaultText(tampered), PW).ok;
    } catch (e) {
      outcome = e instanceof VaultFormatError;
    }
    expect(outcome).not.toBe(true);
  });

  it('names what is wrong with a malformed envelope', () => {
    const text = read('vars-1.1.yml');
    expect(() => parseVaultText(text.slice(0, 120))).toThrow(/truncated|three parts|hexadecimal/);
    expect(() => parseVaultText('$ANSIBLE_VAULT;1.1;AES256\n')).toThrow(/no encrypted data/);
    expect(() => parseVaultText('$ANSIBLE_VAULT;1.1\nabcd\n')).toThrow(/header line is incomplete/);
    expect(() => parseVaultText('$ANSIBLE_VAULT;1.0;AES\nabcd\n')).toThrow(/version 1.0/);
    expect(() => parseVaultText('$ANSIBLE_VAULT;1.1;AES128\nabcd\n')).toThrow(/cipher AES128/);
    expect(() => parseVaultText(text.replace(/\n3/, '\nzz'))).toThrow(/not hexadecimal/);
    expect(isVaultText(text)).toBe(true);
    expect(isVaultText('key: value')).toBe(false);
    expect(formatVaultText(parseVaultText(text))).toBe(text);
  });

  it('derives once per (password, salt)', () => {
    const cache = new KeyCache();
    const env = parseVaultText(read('vars-1.1.yml'));
    for (let i = 0; i < 50; i++) expect(decryptVault(env, PW, cache).ok).toBe(true);
    expect(decryptVault(env, Buffer.from('other'), cache).ok).toBe(false);
    expect(cache.derivations).toBe(2);
  });
});
