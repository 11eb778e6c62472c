import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCommand } from './validate.js';
import type { CommandIo } from '../command.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = join(root, 'test/fixtures/playbooks');

function fakeIo(): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: root }, stdout: () => o, stderr: () => e };
}

async function run(positionals: string[], values: Record<string, string | boolean | string[]> = {}) {
  const f = fakeIo();
  const code = await validateCommand.run({ positionals, values }, f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

describe('runbook validate', () => {
  it('exits 0 for a valid playbook and says so', async () => {
    const r = await run([join(fixtures, 'valid/ansible-way.yml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ansible-way\.yml: valid \(1 play, \d+ tasks\)/);
  });

  it("relative playbook and inventory paths are the CLI's working directory's, not the process's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-validate-cwd-'));
    writeFileSync(join(dir, 'site.yml'), '- hosts: web\n  gather_facts: false\n  tasks:\n    - ping:\n');
    writeFileSync(join(dir, 'hosts.yml'), 'web:\n  hosts:\n    a:\n');
    const f = fakeIo();
    const code = await validateCommand.run({ positionals: ['site.yml'], values: { inventory: ['hosts.yml'] } }, { ...f.io, cwd: dir });
    expect(f.stderr()).toBe('');
    expect(code).toBe(0);
    expect(f.stdout()).toContain('site.yml: valid (1 play, 1 task)');
  });

  it('exits 1 with file:line:col, a code frame and the fix for an invalid one', async () => {
    const r = await run([join(fixtures, 'broken/octal-mode-644.yml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/octal-mode-644\.yml:6:15: error: `copy\.mode` is the decimal number 644/);
    expect(r.stderr).toMatch(/> 6 \|\s+mode: 644\n\s+\|\s+\^/);
    expect(r.stderr).toMatch(/fix: write it with a leading zero \(`mode: 0644`/);
  });

  it('checks several playbooks and fails when one is invalid', async () => {
    const r = await run([join(fixtures, 'valid/ansible-way.yml'), join(fixtures, 'hostile/billion-laughs.yml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ansible-way\.yml: valid/);
    expect(r.stderr).toMatch(/billion-laughs\.yml:\d+:\d+: error: .*alias bomb/);
  });

  it('--json reports diagnostics on stdout', async () => {
    const r = await run([join(fixtures, 'broken/unknown-module.yml')], { json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { valid: boolean; playbooks: Array<{ ok: boolean; errors: Array<{ code: string; location: { line: number; col: number } }> }> };
    expect(report.valid).toBe(false);
    expect(report.playbooks[0]?.errors[0]).toMatchObject({ code: 'unknown-module', location: { line: 4, col: 7 } });
  });

  it('with -i, a hosts pattern that matches no inventory host is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-validate-'));
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  children:\n    web:\n      hosts:\n        web1:\n        web2:\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: web\n  tasks:\n    - debug: msg=hi\n- hosts: db\n  tasks:\n    - debug: msg=hi\n');
    const r = await run([join(dir, 'site.yml')], { inventory: [join(dir, 'inventory.yml')] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/site\.yml:4:3: error: hosts pattern `db` matches no host in the inventory/);
    expect(r.stderr).not.toMatch(/site\.yml:1:/);
  });

  it('an inventory that does not load fails validation cleanly', async () => {
    const r = await run([join(fixtures, 'valid/ansible-way.yml')], { inventory: [join(tmpdir(), 'no-such-inventory.yml')] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inventory not found/);
  });

  it('escapes control characters of the file name in its one-line summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-validate-'));
    const good = join(dir, 'ok\u001b[2J\rsite.yml');
    const bad = join(dir, 'bad\u001b]0;pwned\u0007.yml');
    writeFileSync(good, '- hosts: all\n  tasks:\n    - debug: msg=hi\n');
    writeFileSync(bad, '- hosts: all\n  tasks:\n    - nosuchmodule: {}\n');
    const r = await run([good, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ok\\x1b[2J\\x0dsite.yml: valid (1 play, 1 task)');
    expect(r.stderr).toContain('bad\\x1b]0;pwned\\x07.yml: invalid (1 error');
    // eslint-disable-next-line no-control-regex
    expect(r.stdout + r.stderr).not.toMatch(/[\u001b\u0007\r]/);
  });

  it('needs at least one playbook', async () => {
    await expect(run([])).rejects.toThrow(/at least one playbook/);
  });
});
