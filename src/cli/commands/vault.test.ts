// `runbook vault` in-process, on fixtures made by ansible-vault (test/fixtures/vault). The other
// direction, files made here opened by ansible-vault itself, is test/lab/vault.test.ts.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { parseYaml } from '../../playbook/yaml.js';
import { Keyring } from '../../vault/keyring.js';
import { withKeyring } from '../../vault/scope.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures/vault');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function vault(dir: string, args: string[], o: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const stdin = new PassThrough();
  stdin.end(o.stdin ?? '');
  const code = await main(['vault', ...args], { stdout: out, stderr: err, stdin, env: { PATH: process.env.PATH ?? '', ...o.env }, cwd: dir });
  return { code, out: out.text, err: err.text };
}

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-vault-cli-'));
  for (const f of ['password.txt', 'prod-password.txt', 'vars-1.1.yml', 'vars-1.2-prod.yml', 'vars.plain.yml', 'strings.yml']) copyFileSync(join(FIX, f), join(dir, f));
  return dir;
}

const PLAIN = readFileSync(join(FIX, 'vars.plain.yml'), 'utf8');

describe('runbook vault', () => {
  it('views ansible-vault files with --vault-password-file and --vault-id', async () => {
    const dir = workdir();
    expect(await vault(dir, ['view', 'vars-1.1.yml', '--vault-password-file', 'password.txt'])).toEqual({ code: 0, out: PLAIN, err: '' });
    expect((await vault(dir, ['view', 'vars-1.2-prod.yml', '--vault-id', 'prod@prod-password.txt'])).out).toBe(PLAIN);
    // from the environment, as Ansible users set it
    expect((await vault(dir, ['view', 'vars-1.1.yml'], { env: { ANSIBLE_VAULT_PASSWORD_FILE: 'password.txt' } })).out).toBe(PLAIN);
    expect((await vault(dir, ['view', 'vars-1.2-prod.yml'], { env: { ANSIBLE_VAULT_IDENTITY_LIST: 'dev@password.txt,prod@prod-password.txt' } })).out).toBe(PLAIN);
  });

  it('a wrong password, no password, or a file that is not a vault: exit 1, a clear message, no plaintext', async () => {
    const dir = workdir();
    const wrong = await vault(dir, ['view', 'vars-1.2-prod.yml', '--vault-password-file', 'password.txt']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/vars-1\.2-prod\.yml: cannot decrypt: .*vault id 'prod'.*HMAC.*tried 'default' from password\.txt/);
    expect(wrong.err).toMatch(/fix: add --vault-id prod@FILE/);
    expect(wrong.out + wrong.err).not.toMatch(/Sudo-Pa55|tok-XYZ/);
    const none = await vault(dir, ['view', 'vars-1.1.yml']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no vault password given; use --vault-password-file/);
    const plain = await vault(dir, ['decrypt', 'vars.plain.yml', '--vault-password-file', 'password.txt']);
    expect(plain).toMatchObject({ code: 1 });
    expect(plain.err).toMatch(/vars\.plain\.yml is not vault-encrypted/);
    expect(readFileSync(join(dir, 'vars.plain.yml'), 'utf8')).toBe(PLAIN);
  });

  it('encrypt and decrypt in place (0600), refusing to encrypt twice', async () => {
    const dir = workdir();
    expect((await vault(dir, ['encrypt', 'vars.plain.yml', '--vault-id', 'ops@password.txt'])).code).toBe(0);
    const text = readFileSync(join(dir, 'vars.plain.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;ops');
    expect(statSync(join(dir, 'vars.plain.yml')).mode & 0o777).toBe(0o600);
    const twice = await vault(dir, ['encrypt', 'vars.plain.yml', '--vault-password-file', 'password.txt']);
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/already vault-encrypted/);
    expect((await vault(dir, ['decrypt', 'vars.plain.yml', '--vault-password-file', 'password.txt'])).code).toBe(0);
    expect(readFileSync(join(dir, 'vars.plain.yml'), 'utf8')).toBe(PLAIN);
    // stdin to stdout
    const piped = await vault(dir, ['encrypt', '--vault-password-file', 'password.txt'], { stdin: 'abc' });
    expect(piped.out.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect((await vault(dir, ['decrypt', '--vault-password-file', 'password.txt', '--output', '-'], { stdin: piped.out })).out).toBe('abc');
  });

  it('several vault ids: encrypting needs --encrypt-vault-id', async () => {
    const dir = workdir();
    const args = ['encrypt', 'vars.plain.yml', '--vault-id', 'a@password.txt', '--vault-id', 'b@prod-password.txt'];
    const r = await vault(dir, args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--encrypt-vault-id/);
    expect((await vault(dir, [...args, '--encrypt-vault-id', 'b'])).code).toBe(0);
    expect(readFileSync(join(dir, 'vars.plain.yml'), 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;b\n/);
  });

  it('encrypt_string prints what ansible-vault prints, and it reads back as the value', async () => {
    const dir = workdir();
    const r = await vault(dir, ['encrypt_string', '--vault-id', 'prod@prod-password.txt', '--name', 'api_key', 'k3y-Value']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('api_key: !vault |');
    expect(lines[1]).toBe('          $ANSIBLE_VAULT;1.2;AES256;prod');
    for (const l of lines.slice(2, -1)) expect(l).toMatch(/^ {10}[0-9a-f]{80}$/);
    expect(r.out.endsWith('\n')).toBe(false);
    const ring = new Keyring([{ id: 'prod', password: Buffer.from('s3cond-id-pass'), source: 't' }]);
    const parsed = withKeyring(ring, () => parseYaml(r.out + '\n', 'x.yml'));
    expect(parsed.ok && parsed.yaml.value).toEqual({ api_key: 'k3y-Value' });
    // several strings: names in order, a delimiter comment per string on stderr, never the string
    const two = await vault(dir, ['encrypt_string', '--vault-password-file', 'password.txt', '-n', 'a', 'first-one', 'second-one']);
    expect(two.err).toContain('# The encrypted version of variable ("a", the string #1 from the command line).');
    expect(two.err).not.toMatch(/first-one|second-one/);
    const both = withKeyring(new Keyring([{ id: 'default', password: Buffer.from('correct horse battery'), source: 't' }]), () =>
      parseYaml(`${two.out.split('\n!vault |')[0] ?? ''}\nb: !vault |${two.out.split('\n!vault |')[1] ?? ''}\n`, 'x.yml'),
    );
    expect(both.ok && both.yaml.value).toEqual({ a: 'first-one', b: 'second-one' });
    // from stdin
    const stdin = await vault(dir, ['encrypt_string', '--vault-password-file', 'password.txt', '--stdin-name', 'pw'], { stdin: 'from-stdin' });
    expect(stdin.out.startsWith('pw: !vault |\n')).toBe(true);
  });

  it('rekey to a new vault id', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'new.txt'), 'brand new\n');
    expect((await vault(dir, ['rekey', 'vars-1.1.yml', '--vault-password-file', 'password.txt', '--new-vault-id', 'next@new.txt'])).code).toBe(0);
    expect(readFileSync(join(dir, 'vars-1.1.yml'), 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;next\n/);
    expect((await vault(dir, ['view', 'vars-1.1.yml', '--vault-password-file', 'password.txt'])).code).toBe(1);
    expect((await vault(dir, ['view', 'vars-1.1.yml', '--vault-id', 'next@new.txt'])).out).toBe(PLAIN);
  });

  it('edit runs $EDITOR on the plaintext and encrypts again with the same vault id', async () => {
    const dir = workdir();
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf "added: line\\n" >> "$1"\n');
    chmodSync(editor, 0o755);
    expect((await vault(dir, ['edit', 'vars-1.2-prod.yml', '--vault-id', 'prod@prod-password.txt'], { env: { EDITOR: editor } })).code).toBe(0);
    const after = readFileSync(join(dir, 'vars-1.2-prod.yml'), 'utf8');
    expect(after).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
    expect((await vault(dir, ['view', 'vars-1.2-prod.yml', '--vault-id', 'prod@prod-password.txt'])).out).toBe(`${PLAIN}added: line\n`);
    // an editor that changes nothing leaves the file's bytes alone; one that fails changes nothing
    expect((await vault(dir, ['edit', 'vars-1.2-prod.yml', '--vault-id', 'prod@prod-password.txt'], { env: { EDITOR: 'true' } })).code).toBe(0);
    expect(readFileSync(join(dir, 'vars-1.2-prod.yml'), 'utf8')).toBe(after);
    const failing = await vault(dir, ['edit', 'vars-1.2-prod.yml', '--vault-id', 'prod@prod-password.txt'], { env: { EDITOR: `sh -c 'echo x >> "$1"; exit 3' sh` } });
    expect(failing.code).toBe(1);
    expect(failing.err).toMatch(/exited with 3; nothing was changed/);
    expect(readFileSync(join(dir, 'vars-1.2-prod.yml'), 'utf8')).toBe(after);
  });

  it('passwords from scripts, client scripts and files, with clear errors', async () => {
    const dir = workdir();
    const script = join(dir, 'pass.sh');
    writeFileSync(script, '#!/bin/sh\necho "correct horse battery"\n');
    chmodSync(script, 0o755);
    expect((await vault(dir, ['view', 'vars-1.1.yml', '--vault-password-file', 'pass.sh'])).out).toBe(PLAIN);
    // a *-client script is asked for the label
    const client = join(dir, 'keys-client.sh');
    writeFileSync(client, '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = prod ] && echo s3cond-id-pass && exit 0\nexit 2\n');
    chmodSync(client, 0o755);
    expect((await vault(dir, ['view', 'vars-1.2-prod.yml', '--vault-id', 'prod@keys-client.sh'])).out).toBe(PLAIN);
    const unknown = await vault(dir, ['view', 'vars-1.2-prod.yml', '--vault-id', 'other@keys-client.sh']);
    expect(unknown.err).toMatch(/keys-client\.sh has no password for vault id 'other' \(exit 2\)/);
    writeFileSync(join(dir, 'empty.txt'), '\n');
    expect((await vault(dir, ['view', 'vars-1.1.yml', '--vault-password-file', 'empty.txt'])).err).toMatch(/empty\.txt is empty/);
    expect((await vault(dir, ['view', 'vars-1.1.yml', '--vault-password-file', 'missing.txt'])).err).toMatch(/missing\.txt was not found/);
    const prompt = await vault(dir, ['view', 'vars-1.1.yml', '--ask-vault-pass']);
    expect(prompt.code).toBe(1);
    expect(prompt.err).toMatch(/a prompt needs a terminal/);
  });
});
