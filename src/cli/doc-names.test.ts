import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TextSink } from '../../test/support/cli.js';
import { main } from './main.js';

async function doc(name: string): Promise<{ code: number; out: string; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await main(['doc', name], { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: process.cwd() });
  return { code, out: out.text, err: err.text };
}

// the first call loads every module's documentation through vitest's TypeScript transform: seconds
// when the machine is loaded (it timed out at the 5 s default under a load average above 100)
describe('runbook doc names only what exists in Ansible', { timeout: 60_000 }, () => {
  it('ufw is community.general.ufw, firewalld ansible.posix.firewalld; no ansible.builtin.ufw', async () => {
    const ufw = await doc('ufw');
    expect(ufw.out).toContain('Module names: `ufw`, `community.general.ufw`');
    expect(ufw.out).not.toContain('ansible.builtin.ufw');
    expect((await doc('firewalld')).out).toContain('Module names: `firewalld`, `ansible.posix.firewalld`\n');
    expect((await doc('certbot')).out).not.toMatch(/ansible\.(builtin|legacy)\.certbot/);
    expect((await doc('copy')).out).toContain('`ansible.builtin.copy`');
  });

  it('a name Ansible does not have points to the one it has', async () => {
    const r = await doc('ansible.builtin.ufw');
    expect(r.code).toBe(1);
    expect(r.err).toContain('community.general.ufw');
  });
});
