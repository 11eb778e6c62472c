import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { clearPrivateKeyCache, loadPrivateKey, privateKeyStats } from './private-keys.js';

const { utils } = ssh2;
const dir = mkdtempSync(join(tmpdir(), 'runbook-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearPrivateKeyCache());

function keyFile(name: string, passphrase?: string): string {
  const pair = passphrase === undefined ? utils.generateKeyPairSync('ed25519') : utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 4 });
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
    writeFileSync(file, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
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
});
