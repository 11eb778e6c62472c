// Fleet behaviour at scale over real SSH (issue 7): 50 lab hosts where some are down and some
// fail, serial rollouts with max_fail_percentage, and a host that dies in the middle of a task.
// Driven through the real CLI entry point (`main`, as bin/runbook.js calls it), reading the
// NDJSON events of `--json`.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, plugHost, startHost, startLab, stopHost, stopLab, unplugHost } from '../support/lab.js';
import { runCli, type CliRun } from '../support/cli.js';
import type { HostStats, RecapEvent, RunEvent } from '../../src/report/events.js';

const NAME = 'fleet50';
let lab: LabInfo;
let dir: string;

type Run = CliRun & { recap: RecapEvent };

async function runbook(args: string[]): Promise<Run> {
  const r = await runCli([...args, '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
  if (r.recap === undefined) throw new Error(`no recap as the last event (exit ${r.code})\n${r.err}\n${r.out.slice(-2000)}`);
  return { ...r, recap: r.recap };
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
    // the operator learns why: a stopped host refuses, an unplugged one never answers
    const connectMsg = (h: string): string | undefined => {
      const e = first.events.find((x) => x.type === 'host_connect' && x.host === h && x.status === 'unreachable');
      return e?.type === 'host_connect' ? e.msg : undefined;
    };
    for (const h of stopped) expect(connectMsg(h), h).toMatch(/refused/i);
    for (const h of unplugged) expect(connectMsg(h), h).toMatch(/timed out|timeout/i);
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

  it('serial 5 with max_fail_percentage 20: a batch over the threshold stops the rollout before the next batch; the recap names the hosts never started', async () => {
    const twenty = names.slice(0, 20);
    const batchOf = (i: number) => twenty.slice(i * 5, i * 5 + 5);
    // one of five in batch 1 is exactly 20%: not over the threshold, the rollout goes on;
    // two of five in batch 2 are 40%
    const failing = [twenty[1]!, twenty[5]!, twenty[6]!];
    writeInventory('twenty.yml', twenty, failing);
    writeFileSync(
      join(dir, 'rollout.yml'),
      `
- name: rollout
  hosts: all
  gather_facts: false
  serial: 5
  max_fail_percentage: 20
  tasks:
    - name: step one
      ${MAYBE_FAIL}
    - name: step two
      command: hostname
      changed_when: false
`,
    );
    const r = await runbook(['apply', 'rollout.yml', '-i', 'twenty.yml', '--forks', '50']);
    expect(r.err).toBe('');
    expect(r.code).toBe(2);
    const batches = r.events.filter((e) => e.type === 'batch_start');
    expect(batches).toEqual([
      { type: 'batch_start', play: 'rollout', batch: 1, batches: 4, hosts: batchOf(0) },
      { type: 'batch_start', play: 'rollout', batch: 2, batches: 4, hosts: batchOf(1) },
    ]);
    // batch 1 completed before batch 2 started: every host of it ended, the good ones did both steps
    const start2 = r.events.findIndex((e) => e.type === 'batch_start' && e.batch === 2);
    for (const h of batchOf(0)) {
      const end = r.events.findIndex((e) => e.type === 'host_end' && e.host === h);
      expect(end, h).toBeGreaterThan(-1);
      expect(end, h).toBeLessThan(start2);
      expect(r.events.slice(start2).some((e) => 'host' in e && e.host === h), h).toBe(false);
      if (h === twenty[1]) expect(r.recap.hosts[h], h).toEqual(stats({ failed: 1 }));
      else {
        expect(resultOf(r.events, h, 'step two')?.status, h).toBe('ok');
        expect(r.recap.hosts[h], h).toEqual(stats({ ok: 2, changed: 1 }));
      }
    }
    // batch 2: over the threshold after step one, so no host of it starts step two (as Ansible's linear strategy)
    for (const h of batchOf(1)) {
      expect(resultOf(r.events, h, 'step one')?.status, h).toBe(failing.includes(h) ? 'failed' : 'changed');
      expect(r.events.some((e) => e.type === 'task_start' && e.host === h && e.task.name === 'step two'), h).toBe(false);
    }
    const end = r.events.find((e) => e.type === 'play_end');
    expect(end).toMatchObject({ type: 'play_end', play: 'rollout' });
    expect(end?.type === 'play_end' && end.stopped).toMatch(/max_fail_percentage 20% exceeded in batch 2: 2 of 5/);
    // batches 3 and 4 never started: named in the recap, and nothing at all happened on them
    const never = [...batchOf(2), ...batchOf(3)];
    expect(r.recap.notStarted).toEqual(never);
    expect(Object.keys(r.recap.hosts).sort()).toEqual([...batchOf(0), ...batchOf(1)].sort());
    for (const e of r.events) if ('host' in e && e.host !== undefined) expect(never, `${e.type} on ${e.host}`).not.toContain(e.host);
    expect(r.recap.failures.map((f) => f.host).sort()).toEqual([...failing].sort());
    // the retry file names the failed and unreachable hosts (the recap's notStarted the rest)
    expect(readFileSync(join(dir, 'rollout.retry'), 'utf8')).toBe(twenty.filter((h) => failing.includes(h)).join('\n') + '\n');
  });

  it('serial as a percentage and as a list: batch sizes, order, and each batch done before the next starts', async () => {
    const twenty = names.slice(0, 20);
    writeInventory('twenty.yml', twenty);
    const play = (name: string, serial: string) => `
- name: ${name}
  hosts: all
  gather_facts: false
  serial: ${serial}
  tasks:
    - name: ${name} task
      command: hostname
      register: who
      changed_when: false
`;
    writeFileSync(join(dir, 'serial.yml'), play('percent', '"30%"') + play('list', '[1, 5, "50%"]'));
    const r = await runbook(['apply', 'serial.yml', '-i', 'twenty.yml', '--forks', '50']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const sizes = (p: string) => r.events.filter((e) => e.type === 'batch_start' && e.play === p).map((e) => (e.type === 'batch_start' ? e.hosts.length : 0));
    // 30% of 20 = 6 per batch, the rest in the last; the list's last entry repeats (50% = 10) until all are in
    expect(sizes('percent')).toEqual([6, 6, 6, 2]);
    expect(sizes('list')).toEqual([1, 5, 10, 4]);
    for (const p of ['percent', 'list']) {
      const starts = r.events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'batch_start' && e.play === p);
      // batches partition the hosts in inventory order
      expect(starts.flatMap(({ e }) => (e.type === 'batch_start' ? e.hosts : []))).toEqual(twenty);
      for (const [k, { e, i }] of starts.entries()) {
        if (e.type !== 'batch_start') continue;
        expect(e.batches).toBe(starts.length);
        const next = starts[k + 1]?.i ?? r.events.length;
        for (const h of e.hosts) {
          // the host's task ran inside its own batch, and really on that host
          const at = r.events.findIndex((x, j) => j > i && j < next && x.type === 'task_result' && x.host === h && x.task.name === `${p} task`);
          expect(at, `${p}: ${h} in batch ${e.batch}`).toBeGreaterThan(-1);
          expect((r.events[at] as Extract<RunEvent, { type: 'task_result' }>).result?.stdout).toBe(h);
        }
      }
    }
    for (const h of twenty) expect(r.recap.hosts[h], h).toEqual(stats({ ok: 2 }));
  });

  it('a host that dies in the middle of a task is unreachable; the other 49 finish; exit 4', async () => {
    const victim = names[24]!;
    const others = names.filter((n) => n !== victim);
    writeInventory('hosts.yml', names);
    writeFileSync(
      join(dir, 'midtask.yml'),
      `
- name: midtask
  hosts: all
  gather_facts: false
  tasks:
    - name: long
      # a duration per host (h025: 6.025 s): fleet hosts share the PID namespace, so pgrep
      # must be able to tell the victim's command from the others'
      command: "sleep 6.{{ inventory_hostname[1:] }}"
    - name: after
      command: hostname
      changed_when: false
`,
    );
    const running = runbook(['apply', 'midtask.yml', '-i', 'hosts.yml', '--forks', '50']);
    try {
      // wait until the command really runs on the victim, then the host goes down (sshd and all)
      let seen = false;
      for (let i = 0; i < 100 && !seen; i++) {
        seen = (await labExec(lab, victim, ['pgrep', '-x', '-f', `sleep 6.${victim.slice(1)}`])).code === 0;
        if (!seen) await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen, 'sleep running on the victim').toBe(true);
      await stopHost(lab, victim);
      const r = await running;
      expect(r.err).toBe('');
      // 50 hosts at once (--forks 50): one round of the 6 s command, not several
      expect(r.recap.durationMs).toBeLessThan(25_000);
      expect(r.code).toBe(4);
      expect(r.recap.exitCode).toBe(4);
      expect(resultOf(r.events, victim, 'long')?.status).toBe('unreachable');
      expect(r.events.some((e) => e.type === 'task_start' && e.host === victim && e.task.name === 'after')).toBe(false);
      expect(r.events.find((e) => e.type === 'host_end' && e.host === victim)).toMatchObject({ state: 'unreachable' });
      expect(r.recap.hosts[victim]).toEqual(stats({ unreachable: 1 }));
      for (const h of others) {
        expect(r.recap.hosts[h], h).toEqual(stats({ ok: 2, changed: 1 }));
        expect(resultOf(r.events, h, 'after')?.result?.stdout, h).toBe(h);
      }
      expect(readFileSync(join(dir, 'midtask.retry'), 'utf8')).toBe(`${victim}\n`);
    } finally {
      await running.catch(() => undefined);
      await startHost(lab, victim);
    }
  });

  it('any_errors_fatal: one host failing stops every host before the next task', async () => {
    const ten = names.slice(30, 40);
    const culprit = ten[3]!;
    writeInventory('ten.yml', ten, [culprit]);
    writeFileSync(
      join(dir, 'fatal.yml'),
      `
- name: fatal
  hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: check
      ${MAYBE_FAIL}
    - name: change
      command: hostname
- name: later play
  hosts: all
  gather_facts: false
  tasks:
    - name: never
      command: "true"
`,
    );
    const r = await runbook(['apply', 'fatal.yml', '-i', 'ten.yml', '--forks', '50']);
    expect(r.err).toBe('');
    expect(r.code).toBe(2);
    expect(r.recap.hosts[culprit]).toEqual(stats({ failed: 1 }));
    for (const h of ten) {
      expect(resultOf(r.events, h, 'check')?.status, h).toBe(h === culprit ? 'failed' : 'changed');
      expect(r.events.some((e) => e.type === 'task_start' && e.host === h && (e.task.name === 'change' || e.task.name === 'never')), h).toBe(false);
    }
    expect(r.events.some((e) => e.type === 'play_start' && e.play === 'later play')).toBe(false);
    expect(r.recap.failures.map((f) => f.host)).toEqual([culprit]);
  });
});
