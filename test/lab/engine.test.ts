// The engine over real SSH: a fleet of lab hosts where one is down and one fails a task,
// driven through the real CLI entry point (`main`, as bin/runbook.js calls it). Checks the
// recap, the retry file, the exit code, and that `--limit @retry` re-runs exactly those hosts;
// also become with a sudo password that must not appear in any output.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startHost, startLab, stopHost, stopLab } from '../support/lab.js';
import { runCli, type CliRun } from '../support/cli.js';
import type { RunEvent, TaskResultEvent } from '../../src/report/events.js';

const NAME = 'eng';
let lab: LabInfo;
let dir: string;

function runbook(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { cwd: dir, env });
}

const PLAYBOOK = `
- name: fleet
  hosts: all
  gather_facts: true
  tasks:
    - name: who am i
      command: hostname
      register: who
      changed_when: false
    - name: healthy
      command: test ! -e /tmp/runbook-eng-broken
    - name: root via sudo
      command: id -u
      become: true
      register: uid
      changed_when: false
      failed_when: uid.stdout != "0"
`;

describe.skipIf(labSkipReason())('engine over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 5 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-eng-'));
    const hosts: Record<string, unknown> = {};
    for (const [i, h] of lab.hosts.entries()) {
      // the last host logs in as the user whose sudo needs a password
      const user = i === lab.hosts.length - 1 ? lab.users.passwd.name : lab.users.nopasswd.name;
      hosts[h.name] = { ansible_host: h.address, ansible_port: h.port, ansible_user: user };
    }
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile }, hosts } }),
    );
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('some hosts down, some failing: recap, retry file, exit code; --limit @retry re-runs exactly those', async () => {
    const [h1, h2, h3, h4, h5] = lab.hosts.map((h) => h.name) as [string, string, string, string, string];
    const password = lab.users.passwd.sudoPassword ?? '';
    expect(password).not.toBe('');
    await stopHost(lab, h2);
    // h4 is "broken": the healthy check fails there (every fleet host has its own /tmp)
    expect((await labExec(lab, h4, ['touch', '/tmp/runbook-eng-broken'])).code).toBe(0);

    const first = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile, '--forks', '3'], {
      RUNBOOK_BECOME_PASSWORD: password,
    });
    expect(first.err).toBe('');
    expect(first.code).toBe(2);
    const recap = first.recap!;
    expect(recap.hosts[h2]).toMatchObject({ unreachable: 1, failed: 0 });
    expect(recap.hosts[h4]).toMatchObject({ failed: 1 });
    for (const h of [h1, h3, h5]) expect(recap.hosts[h]).toMatchObject({ failed: 0, unreachable: 0, ok: 4 });
    const failure = recap.failures.find((f) => f.host === h4);
    expect(failure).toMatchObject({ task: 'healthy', exitCode: 1 });
    expect(failure!.where).toMatch(/site\.yml:10$/);
    expect(readFileSync(join(dir, 'site.retry'), 'utf8')).toBe(`${h2}\n${h4}\n`);
    expect(recap.retryFile).toBe(join(dir, 'site.retry'));
    // sudo with a password worked on h5, and the password is nowhere in the output
    const uid = first.events.find((e): e is TaskResultEvent => e.type === 'task_result' && e.host === h5 && e.task.name === 'root via sudo');
    expect(uid?.status).toBe('ok');
    expect(first.out).not.toContain(password);
    // facts came from the host itself
    const who = first.events.find((e): e is TaskResultEvent => e.type === 'task_result' && e.host === h1 && e.task.name === 'who am i');
    expect(who?.result?.stdout).toBe(h1);

    // repair both, then re-run only what failed
    await startHost(lab, h2);
    expect((await labExec(lab, h4, ['rm', '-f', '/tmp/runbook-eng-broken'])).code).toBe(0);
    const again = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile, '--limit', '@site.retry'], {
      RUNBOOK_BECOME_PASSWORD: password,
    });
    expect(again.events[0]).toMatchObject({ type: 'run_start', hosts: [h2, h4] });
    expect(Object.keys(again.recap!.hosts).sort()).toEqual([h2, h4].sort());
    expect(again.code).toBe(0);
    expect(existsSync(join(dir, 'site.retry'))).toBe(false);
  });

  it('plain output when not a terminal: failures repeated at the end with the exit code; exit 4 when only unreachable', async () => {
    const [, h2] = lab.hosts.map((h) => h.name) as [string, string];
    await stopHost(lab, h2);
    try {
      const r = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile, '--limit', `${h2},${lab.hosts[0]!.name}`]);
      expect(r.code).toBe(4);
      // eslint-disable-next-line no-control-regex
      expect(r.out).not.toMatch(/\u001b/);
      expect(r.out).toContain('PLAY RECAP');
      expect(r.out).toMatch(new RegExp(`✖ ${h2}  Gathering Facts`));
      expect(r.out).toContain('exit code 4 (some host unreachable, none failed)');
    } finally {
      await startHost(lab, h2);
    }
  });

  it('Ctrl-C in a real process: running remote commands get the grace period, then are stopped; recap, retry file, exit 130', async () => {
    const hosts = lab.hosts.slice(0, 2).map((h) => h.name);
    writeFileSync(
      join(dir, 'slow.yml'),
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: long
      command: "sleep {{ 300 + (inventory_hostname[-1] | int) }}"
    - name: never
      command: "true"
`,
    );
    const root = resolve(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(root, 'test/support/register-ts.js'),
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(join(root, 'src/cli/main.ts'))}); process.exitCode = await main(process.argv.slice(1));`,
        'apply', 'slow.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile, '--limit', hosts.join(','),
      ],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // wait until both hosts run the long command
    for (let i = 0; i < 300 && (out.match(/"type":"task_start"/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    // task_start comes before the connection: wait for the command itself on each host
    // fleet hosts share this machine's process table: each host's command is its own sleep
    const sleepOf = (h: string): string => `^sleep ${300 + Number(h.at(-1))}$`;
    for (const h of hosts) {
      let running = false;
      for (let i = 0; i < 100 && !running; i++) {
        running = (await labExec(lab, h, ['pgrep', '-f', sleepOf(h)])).code === 0;
        if (!running) await new Promise((r) => setTimeout(r, 100));
      }
      expect(running, `sleep running on ${h}\n${out}\n${err}`).toBe(true);
    }
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const took = Date.now() - t0;
    expect(code, err).toBe(130);
    // the default grace period is 5 s, then the commands are stopped
    expect(took).toBeGreaterThan(4000);
    expect(took).toBeLessThan(20000);
    expect(err).toContain('Press Ctrl-C again');
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as RunEvent);
    const recap = lines.at(-1);
    expect(recap).toMatchObject({ type: 'recap', interrupted: true, exitCode: 130 });
    expect(lines.some((e) => e.type === 'task_start' && e.task.name === 'never')).toBe(false);
    // the kill is sent before runbook exits; the remote process may take a moment to go away
    // (a command that was never stopped would still run for 300 s)
    for (const h of hosts) {
      let code: number | null = 0;
      for (let i = 0; i < 50 && code === 0; i++) {
        code = (await labExec(lab, h, ['pgrep', '-f', sleepOf(h)])).code;
        if (code === 0) await new Promise((r) => setTimeout(r, 100));
      }
      const left = code === 0 ? (await labExec(lab, h, ['ps', '-eo', 'pid,ppid,pgid,sid,etimes,args'])).stdout.split('\n').filter((l) => l.includes('sleep')).join('\n') : '';
      expect(code, `sleep stopped on ${h} (took ${took} ms)\n${left}\n${err}`).not.toBe(0);
    }
    expect(readFileSync(join(dir, 'slow.retry'), 'utf8')).toBe(`${hosts.join('\n')}\n`);
  });

  it('a task timeout stops the remote command and fails only that task on that host', async () => {
    const h = lab.hosts[0]!.name;
    writeFileSync(
      join(dir, 'timeout.yml'),
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: too slow
      command: sleep 6301
      timeout: 2
    - name: after
      command: "true"
`,
    );
    const r = await runbook(['apply', 'timeout.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile, '--limit', h, '--retry-file', join(dir, 'timeout.retry')]);
    expect(r.code).toBe(2);
    expect(r.recap?.failures[0]).toMatchObject({ host: h, task: 'too slow' });
    expect(r.recap?.failures[0]?.msg).toMatch(/timed out after 2s/);
    expect((await labExec(lab, h, ['pgrep', '-f', 'sleep 6301'])).code).not.toBe(0);
    expect(readFileSync(join(dir, 'timeout.retry'), 'utf8')).toBe(`${h}\n`);
  });
});
