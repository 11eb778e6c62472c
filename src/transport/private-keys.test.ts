import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyType } from '../../test/support/ssh-keys.js';
import { clearPrivateKeyCache, loadPrivateKey, privateKeyStats } from './private-keys.js';

const { utils } = ssh2;
const dir = mkdtempSync(join(tmpdir(), 'runbook-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearPrivateKeyCache());

function keyFile(name: string, passphrase?: string, type: KeyType = 'ed25519'): string {
  const pair = generateKeyPair(type, passphrase);
  const file = join(dir, name);
  writeFileSync(file, pair.private, { mode: 0o600 });
  return file;
}

describe('private keys (loadPrivateKey)', () => {
  it('parses a file once for any number of hosts, and gives ssh2 a parsed key it takes as is', async () => {
    const file = keyFile('plain');
    const before = privateKeyStats.parses;
    const keys = await Promise.all(Array.from({ length: 20 }, () => loadPrivateKey(file, undefined)));
    const more = await loadPrivateKey(file, undefined);
    expect(privateKeyStats.parses - before).toBe(1);
    const key = keys[0];
    if (typeof key === 'string' || key === undefined) throw new Error(`not parsed: ${String(key)}`);
    expect(keys.every((k) => k === key) && more === key).toBe(true);
    expect(key.isPrivateKey()).toBe(true);
    // what ssh2's client does with the `key` of a publickey auth: a parsed key comes back unchanged
    expect(utils.parseKey(key)).toBe(key);
  });

  it('parses again when the file is another version (rewritten, replaced)', async () => {
    const file = keyFile('changing');
    const first = await loadPrivateKey(file, undefined);
    writeFileSync(file, generateKeyPair().private, { mode: 0o600 });
    const second = await loadPrivateKey(file, undefined);
    expect(typeof first).not.toBe('string');
    expect(typeof second).not.toBe('string');
    expect(second).not.toBe(first);
    expect((second as ssh2.ParsedKey).getPublicSSH().equals((first as ssh2.ParsedKey).getPublicSSH())).toBe(false);
  });

  it('says the same as before for a missing, encrypted, wrongly unlocked or foreign file, and a right passphrase after a wrong one works', async () => {
    const missing = join(dir, 'nope');
    expect(await loadPrivateKey(missing, undefined)).toBe(`cannot read ${missing}: ENOENT`);
    const enc = keyFile('enc', 'right-pass');
    expect(await loadPrivateKey(enc, undefined)).toBe(`${enc} is encrypted: give its passphrase (RUNBOOK_SSH_KEY_PASSPHRASE or the passphrase prompt)`);
    expect(await loadPrivateKey(enc, 'wrong-pass')).toBe(`${enc}: wrong passphrase`);
    const ok = await loadPrivateKey(enc, 'right-pass');
    expect(typeof ok).not.toBe('string');
    // and the wrong one still fails after the right one was cached
    expect(await loadPrivateKey(enc, 'wrong-pass')).toBe(`${enc}: wrong passphrase`);
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'not a key\n');
    expect(await loadPrivateKey(junk, undefined)).toMatch(new RegExp(`^${junk} is not a private key ssh2 can read \\(`));
    // a directory cannot be read: said so, and tried again next time (not a property of the file's version)
    expect(await loadPrivateKey(dir, undefined)).toBe(`cannot read ${dir}: EISDIR`);
  });

  it('reads a file again after its mode changed (ctime): a key made unreadable is reported as such', async () => {
    const file = keyFile('mode');
    expect(typeof (await loadPrivateKey(file, undefined))).not.toBe('string');
    const before = privateKeyStats.parses;
    await new Promise((r) => setTimeout(r, 20));
    chmodSync(file, 0o400);
    expect(typeof (await loadPrivateKey(file, undefined))).not.toBe('string');
    expect(privateKeyStats.parses - before).toBe(1);
  });

  it('signs as ssh2 would with the PEM, from a key decoded once (each type, each hash ssh2 asks for, encrypted files too)', async () => {
    const data = Buffer.from('session id and userauth request');
    // [type, passphrase, hash ssh2 passes (undefined: the key's own default), that default as node names it]
    const cases: ['ed25519' | 'ecdsa' | 'rsa', string | undefined, string | undefined, string | null][] = [
      ['ed25519', undefined, undefined, null],
      ['ed25519', 'pw', undefined, null],
      ['ecdsa', undefined, undefined, 'sha384'],
      ['rsa', undefined, 'sha256', 'sha256'],
      ['rsa', 'pw', 'sha512', 'sha512'],
      ['rsa', undefined, undefined, 'sha1'],
    ];
    for (const [type, pass, algo, hash] of cases) {
      const file = keyFile(`sign-${type}-${algo ?? 'default'}-${pass ?? 'plain'}`, pass, type);
      const key = await loadPrivateKey(file, pass);
      if (typeof key === 'string') throw new Error(key);
      // the key's own sign method, not ssh2's (which decodes the PEM text at every call)
      expect(Object.prototype.hasOwnProperty.call(key, 'sign')).toBe(true);
      const sig = key.sign(data, algo);
      expect(sig).toBeInstanceOf(Buffer);
      const pub = createPublicKey(key.getPrivatePEM());
      expect(verify(hash, data, pub, sig)).toBe(true);
      // ssh2's own verification of what it signed, as the server would check it
      expect(key.verify(data, sig, algo)).toBe(true);
      // deterministic signatures are byte for byte ssh2's own
      if (type !== 'ecdsa') {
        const fresh = utils.parseKey(readFileSync(file), pass);
        if (fresh instanceof Error) throw fresh;
        expect(fresh.sign(data, algo).equals(sig)).toBe(true);
      }
    }
  });

  it('gives ssh2 a signing error as ssh2 does (returned, not thrown)', async () => {
    const key = await loadPrivateKey(keyFile('bad-algo'), undefined);
    if (typeof key === 'string') throw new Error(key);
    const keyRsa = await loadPrivateKey(keyFile('bad-algo-rsa', undefined, 'rsa'), undefined);
    if (typeof keyRsa === 'string') throw new Error(keyRsa);
    expect(keyRsa.sign(Buffer.from('x'), 'no-such-hash')).toBeInstanceOf(Error);
    expect(key.sign(Buffer.from('x'))).toBeInstanceOf(Buffer);
  });
});
