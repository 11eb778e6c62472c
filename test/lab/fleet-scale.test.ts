// Fleet behaviour at scale over real SSH (issue 7): 50 lab hosts where some are down and some
// fail, serial rollouts with max_fail_percentage, and a host that dies in the middle of a task.
// Driven through the real CLI entry point (`main`, as bin/runbook.js calls it), reading the
// NDJSON events of `--json`.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, plugHost, startHost, startLab, stopHost, stopLab, unplugHost } from '../support/lab.js';
import { main } from '../../src/cli/main.js';
import type { HostStats, RecapEvent, RunEvent } from '../../src/report/events.js';

const NAME = 'fleet50';
let lab: LabInfo;
let dir: string;

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

interface Run {
  code: number;
  out: string;
  err: string;
  events: RunEvent[];
  recap: RecapEvent;
}

async function runbook(args: string[]): Promise<Run> {
  const out = new Sink();
  const err = new Sink();
  const code = await main([...args, '--json', '--known-hosts', lab.knownHostsFile], {
    stdout: out,
    stderr: err,
    stdin: new PassThrough(),
    env: { PATH: process.env.PATH ?? '' },
    cwd: dir,
  });
  const events = out.text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
  const last = events.at(-1);
  if (last?.type !== 'recap') throw new Error(`no recap as the last event (exit ${code})\n${err.text}\n${out.text.slice(-2000)}`);
  return { code, out: out.text, err: err.text, events, recap: last };
}

/** An inventory of the given lab hosts; `fail` hosts get `fail_here: true`. */
function writeInventory(file: string, hosts: readonly string[], fail: readonly string[] = []): void {
  const entries: Record<string, unknown> = {};
  for (const name of hosts) {
    const h = lab.hosts.find((x) => x.name === name)!;
    entries[name] = { ansible_host: h.address, ansible_port: h.port, ...(fail.includes(name) ? { fail_here: true } : {}) };
  }
  writeFileSync(
    join(dir, file),
    stringify({
      all: {
        // a short connect timeout: unplugged hosts drop packets, so only the timeout tells
        vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, ansible_timeout: 3 },
        hosts: entries,
      },
    }),
  );
}

const tasksOf = (events: RunEvent[], type: 'task_start' | 'task_result', host: string): RunEvent[] =>
  events.filter((e) => e.type === type && e.host === host);

const resultOf = (events: RunEvent[], host: string, task: string) =>
  events.find((e) => e.type === 'task_result' && e.host === host && e.task.name === task) as Extract<RunEvent, { type: 'task_result' }> | undefined;

const stats = (s: Partial<HostStats>): HostStats => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...s });

// fails with exit code 3 where the host var says so
const MAYBE_FAIL = `shell: "exit {{ 3 if fail_here | default(false) else 0 }}"`;

describe.skipIf(labSkipReason())('fleet behaviour at scale over real SSH', () => {
  let names: string[];

  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 50 });
    names = lab.hosts.map((h) => h.name);
    expect(names).toHaveLength(50);
    dir = mkdtempSync(join(tmpdir(), 'runbook-fleet-scale-'));
  });

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('50 hosts, 5 down and 5 failing: the other 40 finish; recap, retry file, exit code; --limit @retry re-runs exactly the 10', async () => {
    const pick = (idx: number[]) => idx.map((i) => names[i]!);
    const stopped = pick([3, 13, 23]);
    const unplugged = pick([33, 43]);
    const down = [...stopped, ...unplugged];
    const failing = pick([7, 17, 27, 37, 47]);
    const healthy = names.filter((n) => !down.includes(n) && !failing.includes(n));
    expect(healthy).toHaveLength(40);

    writeInventory('hosts.yml', names, failing);
    writeFileSync(
      join(dir, 'site.yml'),
      `
- name: fleet
  hosts: all
  gather_facts: true
  tasks:
    - name: workdir
      file:
        path: /tmp/fleet-scale
        state: directory
    - name: who am i
      command: hostname
      register: who
      changed_when: false
    - name: maybe fail
      ${MAYBE_FAIL}
    - name: stamp
      copy:
        content: "{{ inventory_hostname }} {{ who.stdout }}\\n"
        dest: /tmp/fleet-scale/stamp
`,
    );
    for (const h of stopped) await stopHost(lab, h);
    for (const h of unplugged) await unplugHost(lab, h);

    const t0 = Date.now();
    const first = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--forks', '50']);
    const took = Date.now() - t0;
    expect(first.err).toBe('');
    expect(first.code).toBe(2);
    expect(first.recap.exitCode).toBe(2);
    expect(first.events[0]).toMatchObject({ type: 'run_start', hosts: names });
    const recap = first.recap;
    expect(Object.keys(recap.hosts).sort()).toEqual([...names].sort());
    expect(recap.notStarted).toEqual([]);
    // facts, workdir, who am i, maybe fail, stamp: 5 ok of which 3 changed
    for (const h of healthy) expect(recap.hosts[h], h).toEqual(stats({ ok: 5, changed: 3 }));
    // facts, workdir, who am i; then the failure
    for (const h of failing) expect(recap.hosts[h], h).toEqual(stats({ ok: 3, changed: 1, failed: 1 }));
    for (const h of down) expect(recap.hosts[h], h).toEqual(stats({ unreachable: 1 }));

    // the failures are listed again at the end, once per host: the task and the command's
    // exit code for the failing ones, the connection for the down ones
    expect(recap.failures.map((f) => f.host).sort()).toEqual([...failing, ...down].sort());
    for (const h of failing) expect(recap.failures.find((f) => f.host === h), h).toMatchObject({ task: 'maybe fail', exitCode: 3 });
    for (const h of down) expect(recap.failures.find((f) => f.host === h), h).toMatchObject({ task: 'Gathering Facts' });
    // a failed or unreachable host runs nothing after that
    for (const h of failing) expect(resultOf(first.events, h, 'stamp'), h).toBeUndefined();
    for (const h of down) {
      expect(tasksOf(first.events, 'task_result', h).map((e) => (e.type === 'task_result' ? e.status : ''))).toEqual(['unreachable']);
      expect(first.events.find((e) => e.type === 'host_connect' && e.host === h)).toMatchObject({ status: 'unreachable' });
    }
    // the 40 finished every task, really on their own host
    for (const h of healthy) {
      expect(resultOf(first.events, h, 'stamp')?.status, h).toBe('changed');
      expect(resultOf(first.events, h, 'who am i')?.result?.stdout, h).toBe(h);
    }
    for (const h of [healthy[0]!, healthy[39]!]) {
      expect((await labExec(lab, h, ['cat', '/tmp/fleet-scale/stamp'])).stdout).toBe(`${h} ${h}\n`);
    }

    // the retry file: exactly the 10, in inventory order
    expect(recap.retryFile).toBe(join(dir, 'site.retry'));
    const retry = readFileSync(join(dir, 'site.retry'), 'utf8');
    expect(retry).toBe(names.filter((n) => down.includes(n) || failing.includes(n)).join('\n') + '\n');
    // 50 hosts at once: the unplugged hosts' connect timeouts dominate, not the 45 others
    expect(took).toBeLessThan(60_000);

    // repair: hosts back up, the failure condition removed; re-run only what the retry file names
    for (const h of stopped) await startHost(lab, h);
    for (const h of unplugged) await plugHost(lab, h);
    writeInventory('hosts.yml', names);
    const again = await runbook(['apply', 'site.yml', '-i', 'hosts.yml', '--forks', '50', '--limit', '@site.retry']);
    const ten = names.filter((n) => down.includes(n) || failing.includes(n));
    expect(again.err).toBe('');
    expect(again.events[0]).toMatchObject({ type: 'run_start', hosts: ten });
    expect(Object.keys(again.recap.hosts).sort()).toEqual([...ten].sort());
    for (const e of again.events) if ('host' in e && e.host !== undefined) expect(ten, `${e.type} on ${e.host}`).toContain(e.host);
    for (const h of ten) {
      expect(again.recap.hosts[h], h).toMatchObject({ ok: 5, failed: 0, unreachable: 0 });
      expect(resultOf(again.events, h, 'stamp')?.status, h).toMatch(/^(ok|changed)$/);
    }
    // the failing hosts kept their workdir from the first run; the restarted ones have a fresh /tmp
    for (const h of failing) expect(resultOf(again.events, h, 'workdir')?.status, h).toBe('ok');
    expect(again.recap.failures).toEqual([]);
    expect(again.code).toBe(0);
    expect(existsSync(join(dir, 'site.retry'))).toBe(false);
  });
});
