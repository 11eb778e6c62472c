// Ansible Vault end to end, with the real ansible-vault and real SSH + sudo:
// - the become password of the user whose sudo asks for one lives in a vault-encrypted
//   group_vars file made by ansible-vault; an API token is an inline `!vault` value made by
//   `runbook vault encrypt_string`; a copy source is a vault-encrypted file;
// - the run succeeds (sudo with the vaulted password), and no sink holds the password, a vaulted
//   value, the vault password or their base64/JSON forms: plain (-vv --diff), --json, the live
//   tree, --log, the retry file, the failure summary;
// - a wrong, a missing password and a tampered vault stop before anything runs (exit 1, file:line);
// - files and strings made by runbook open in ansible-vault / Ansible, and the other way round.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { TextSink } from '../support/cli.js';
import { ensurePackages } from '../../src/lab/packages.js';

const NAME = 'va';
const TOKEN = 'Api-Tok3n-From-Group-Vault';
const INLINE = 'Inline-Vaulted-Value-42';
const FILE_SECRET = 'File-Source-Secret-Line';
const VAULT_PW = 'vault pass for the va lab';
const PROD_PW = 'prod-id-password';
let lab: LabInfo;
let dir: string;
let sudoPassword: string;

/** ansible-vault from Debian's ansible-core; installed here when missing, as the lab installs its own packages. */
async function ensureAnsibleVault(): Promise<void> {
  if (spawnSync('ansible-vault', ['--version']).status === 0) return;
  await ensurePackages(['ansible-core']);
  if (spawnSync('ansible-vault', ['--version']).status !== 0) throw new Error('ansible-vault is needed: ansible-core installed, but ansible-vault does not run');
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function runbook(args: string[], o: { tty?: boolean } = {}): Promise<Run> {
  const out = new TextSink();
  const err = new TextSink();
  if (o.tty === true) Object.assign(out, { isTTY: true, columns: 160, rows: 50 });
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(args, { stdout: out, stderr: err, stdin, env: { PATH: process.env.PATH ?? '', HOME: dir }, cwd: dir });
  return { code, out: out.text, err: err.text };
}

function ansible(args: string[]): string {
  return execFileSync(args[0] ?? '', args.slice(1), { cwd: dir, encoding: 'utf8', env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' } });
}

const PLAYBOOK = `
- name: vaulted secrets
  hosts: all
  gather_facts: false
  tasks:
    - name: root through sudo with the vaulted password
      command: id -u
      become: true
      register: uid
      changed_when: false
      failed_when: uid.stdout != "0"
    - name: a vaulted value, plain and through filters
      debug:
        msg: "token={{ api_token }} b64={{ api_token | b64encode }} json={{ {'t': inline_token} | to_json }} up={{ inline_token | upper }}"
    - name: the value on a command line and in its output
      command: echo {{ api_token }} {{ inline_token }}
      changed_when: false
      register: echoed
    - name: the registered output holds the values (masked only where shown)
      assert:
        that: echoed.stdout == api_token ~ ' ' ~ inline_token
    - name: the registered output, shown
      debug:
        var: echoed.stdout
    - name: a file with a vaulted value (shown by --diff)
      copy:
        content: "token: {{ inline_token }}\\n"
        dest: /tmp/va-token.txt
        mode: "0600"
    - name: a vault-encrypted copy source
      copy:
        src: secret.txt.vault
        dest: /tmp/va-file.txt
        mode: "0600"
    - name: a failure that prints the become password
      shell: "echo {{ ansible_become_password }} {{ api_token }} >&2; exit 3"
      when: inventory_hostname == groups['all'][1]
`;

describe.skipIf(labSkipReason())('Ansible Vault over real SSH and sudo', () => {
  beforeAll(async () => {
    await ensureAnsibleVault();
    lab = await startLab({ name: NAME, fleet: 2 });
    sudoPassword = lab.users.passwd.sudoPassword ?? '';
    dir = mkdtempSync(join(tmpdir(), 'runbook-va-'));
    writeFileSync(join(dir, 'vault-pass.txt'), `${VAULT_PW}\n`);
    writeFileSync(join(dir, 'prod-pass.txt'), `${PROD_PW}\n`);
    mkdirSync(join(dir, 'group_vars/all'), { recursive: true });
    // the become password in a vault-encrypted group_vars file, made by ansible-vault itself
    writeFileSync(join(dir, 'group_vars/all/vault.yml'), stringify({ vault_become_password: sudoPassword, api_token: TOKEN }));
    ansible(['ansible-vault', 'encrypt', '--vault-password-file', 'vault-pass.txt', 'group_vars/all/vault.yml']);
    writeFileSync(join(dir, 'group_vars/all/vars.yml'), 'ansible_become_password: "{{ vault_become_password }}"\n');
    // an inline !vault value in the inventory, made by runbook with a vault id
    const inline = await runbook(['vault', 'encrypt_string', '--vault-id', 'prod@prod-pass.txt', '--name', 'inline_token', INLINE]);
    expect(inline.code).toBe(0);
    const hosts: string[] = [];
    for (const h of lab.hosts) {
      hosts.push(`    ${h.name}:\n      ansible_host: ${h.address}\n      ansible_port: ${h.port}\n      ansible_user: ${lab.users.passwd.name}`);
    }
    writeFileSync(
      join(dir, 'hosts.yml'),
      `all:\n  vars:\n    ansible_ssh_private_key_file: ${lab.keyFile}\n${inline.out.replace(/^/gm, '    ')}\n  hosts:\n${hosts.join('\n')}\n`,
    );
    writeFileSync(join(dir, 'secret.txt.vault'), `${FILE_SECRET}\n`);
    expect((await runbook(['vault', 'encrypt', 'secret.txt.vault', '--vault-password-file', 'vault-pass.txt'])).code).toBe(0);
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });

  afterAll(async () => {
    await stopLab(NAME);
  });

  const vaultArgs = ['--vault-password-file', 'vault-pass.txt', '--vault-id', 'prod@prod-pass.txt'];
  const common = (): string[] => ['site.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile, ...vaultArgs];

  it('the run uses the vaulted become password, and no sink shows a secret', async () => {
    const [h1, h2] = lab.hosts.map((h) => h.name) as [string, string];
    const plain = await runbook(['apply', ...common(), '-vv', '--diff', '--log', 'plain.log', '--retry-file', 'site.retry']);
    const json = await runbook(['apply', ...common(), '-vv', '--diff', '--json', '--log', 'json.log']);
    const tree = await runbook(['apply', ...common(), '-v', '--diff'], { tty: true });
    for (const r of [plain, json, tree]) expect(r.code).toBe(2);

    // it really ran: sudo took the vaulted password on both hosts, the files hold the plaintexts
    const recap = JSON.parse(json.out.trimEnd().split('\n').at(-1) ?? '{}') as { hosts: Record<string, { ok: number; failed: number }> };
    expect(recap.hosts[h1]).toMatchObject({ failed: 0 });
    expect(recap.hosts[h2]).toMatchObject({ failed: 1 });
    for (const h of [h1, h2]) expect(json.out).toMatch(new RegExp(`"task_result","host":"${h}","task":\\{[^}]*"name":"root through sudo with the vaulted password"[^}]*\\},"status":"ok"`));
    for (const h of [h1, h2]) expect(json.out).toMatch(new RegExp(`"task_result","host":"${h}","task":\\{[^}]*"name":"the registered output holds the values \\(masked only where shown\\)"[^}]*\\},"status":"ok"`));
    for (const h of [h1, h2]) {
      expect((await labExec(lab, h, ['cat', '/tmp/va-token.txt'])).stdout).toBe(`token: ${INLINE}\n`);
      expect((await labExec(lab, h, ['cat', '/tmp/va-file.txt'])).stdout).toBe(`${FILE_SECRET}\n`);
    }
    // the outputs did carry the places where the secrets were: masked, not missing
    expect(plain.out).toContain('token=******** b64=******** json={"t": "********"} up=********');
    expect(json.out).toContain('echo ******** ********');
    // the live tree ran (a terminal), and showed the debug line masked
    expect(tree.out).toContain('token=******** b64=********');

    const sinks: Record<string, string> = {
      'plain stdout': plain.out,
      'plain stderr': plain.err,
      'json stdout': json.out,
      'json stderr': json.err,
      'tree stdout': tree.out,
      'tree stderr': tree.err,
      'plain.log': readFileSync(join(dir, 'plain.log'), 'utf8'),
      'json.log': readFileSync(join(dir, 'json.log'), 'utf8'),
      'site.retry': readFileSync(join(dir, 'site.retry'), 'utf8'),
    };
    expect(sinks['site.retry']).toBe(`${h2}\n`);
    expect(sinks['plain stdout']).toMatch(/exit code 3/);
    const forbidden = [sudoPassword, TOKEN, INLINE, FILE_SECRET, VAULT_PW, PROD_PW, Buffer.from(TOKEN).toString('base64'), INLINE.toUpperCase()];
    for (const [sink, text] of Object.entries(sinks)) {
      for (const secret of forbidden) expect(text.includes(secret), `${sink} shows a secret`).toBe(false);
    }
  });

  it('a wrong password, no password, a tampered vault: exit 1 with file:line, nothing runs', async () => {
    const wrongFile = join(dir, 'wrong.txt');
    writeFileSync(wrongFile, 'not the password\n');
    const wrong = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--vault-password-file', 'wrong.txt', '--vault-id', 'prod@prod-pass.txt']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/group_vars\/all\/vault\.yml:1:1: error: cannot decrypt this vault-encrypted file: no vault password given decrypts it: wrong password/);
    const none = await runbook(['apply', 'site.yml', '-i', 'hosts.yml']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/hosts\.yml:4:19: error: cannot decrypt the !vault value of `all\.vars\.inline_token`: no vault password was given to decrypt it \(vault id 'prod'\)/);
    // one hex digit of the inline value changed: the HMAC check fails, at its line
    const inventory = readFileSync(join(dir, 'hosts.yml'), 'utf8');
    const at = inventory.indexOf('$ANSIBLE_VAULT;1.2;AES256;prod') + 60;
    writeFileSync(join(dir, 'tampered.yml'), inventory.slice(0, at) + (inventory[at] === '3' ? '4' : '3') + inventory.slice(at + 1));
    const tampered = await runbook(['apply', 'site.yml', '-i', 'tampered.yml', ...vaultArgs]);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/tampered\.yml:4:19: error: cannot decrypt .*HMAC check failed/);
    for (const r of [wrong, none, tampered]) {
      expect(r.out).toBe('');
      for (const s of [sudoPassword, TOKEN, INLINE]) expect(r.err.includes(s)).toBe(false);
      expect(r.err).not.toMatch(/[0-9a-f]{40}/);
    }
  });

  it('round trip with Ansible: runbook-made files and strings open in ansible-vault and Ansible, and back', async () => {
    // a file encrypted by runbook (1.2, vault id) opens in ansible-vault
    writeFileSync(join(dir, 'rb.yml'), 'made_by: runbook\n');
    expect((await runbook(['vault', 'encrypt', 'rb.yml', '--vault-id', 'prod@prod-pass.txt'])).code).toBe(0);
    expect(ansible(['ansible-vault', 'view', '--vault-id', 'prod@prod-pass.txt', 'rb.yml'])).toBe('made_by: runbook\n');
    // the inline value runbook wrote into the inventory reads back in Ansible itself
    const debug = ansible(['ansible', 'all', '-i', 'hosts.yml', '--limit', lab.hosts[0]?.name ?? '', '-c', 'local', '-m', 'debug', '-a', 'var=inline_token', '--vault-id', 'prod@prod-pass.txt', '--vault-password-file', 'vault-pass.txt']);
    expect(debug).toContain(`"inline_token": "${INLINE}"`);
    // ansible-vault rekeys what runbook made; runbook opens the result
    writeFileSync(join(dir, 'new-pass.txt'), 'rekeyed\n');
    ansible(['ansible-vault', 'rekey', '--vault-id', 'prod@prod-pass.txt', '--new-vault-id', 'next@new-pass.txt', 'rb.yml']);
    expect((await runbook(['vault', 'view', 'rb.yml', '--vault-id', 'next@new-pass.txt'])).out).toBe('made_by: runbook\n');
    // and a file made by ansible-vault (the group_vars vault) is edited by runbook and still opens in ansible-vault
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\necho "edited_by: runbook" >> "$1"\n', { mode: 0o755 });
    const out = new TextSink();
    const err = new TextSink();
    const stdin = new PassThrough();
    stdin.end();
    const code = await main(['vault', 'edit', 'group_vars/all/vault.yml', '--vault-password-file', 'vault-pass.txt'], { stdout: out, stderr: err, stdin, env: { PATH: process.env.PATH ?? '', EDITOR: editor }, cwd: dir });
    expect(code).toBe(0);
    expect(ansible(['ansible-vault', 'view', '--vault-password-file', 'vault-pass.txt', 'group_vars/all/vault.yml'])).toContain('edited_by: runbook');
    expect(existsSync(join(dir, 'group_vars/all/vault.yml'))).toBe(true);
  });
});
