import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { batchSizes } from './batches.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom, retryRecorder } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

interface Setup {
  groups?: Record<string, string[]>;
  hostVars?: Record<string, Record<string, unknown>>;
  fleet?: FleetOptions;
  run?: Partial<RunOptions>;
  files?: Record<string, string>;
  gather?: () => Promise<typeof FAKE_FACTS>;
}

async function run(yaml: string, setup: Setup = {}) {
  const { playbook, dir } = await playbookFrom(yaml, setup.files);
  const fleet = memoryFleet(setup.fleet);
  const inv = memoryInventory(setup.groups ?? { web: ['a', 'b', 'c'] }, setup.hostVars);
  const mem = createMemoryReporter();
  const retry = retryRecorder(join(dir, 'site.retry'));
  let gathered = 0;
  const recap = await runPlaybook(
    playbook,
    inv,
    {
      transportFactory: fleet.factory,
      gatherFacts: setup.gather ?? (() => (gathered++, Promise.resolve({ ...FAKE_FACTS }))),
      getModule: (n) => testModules.get(n),
      retry: retry.retry,
      forks: 10,
      ...setup.run,
    },
    mem,
  );
  return { recap, events: mem.events, fleet, dir, gathered: () => gathered, retried: retry.hosts };
}

const results = (events: RunEvent[], host?: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && (host === undefined || e.host === host));
const statusOf = (events: RunEvent[], host: string, task: string) => results(events, host).find((e) => e.task.name === task)?.status;
const cmds = (calls: Array<{ host: string; command: string }>, host: string) => calls.filter((c) => c.host === host).map((c) => c.command);

describe('strategies', () => {
  const two = `
- hosts: web
  gather_facts: false
  STRATEGY
  tasks:
    - name: one
      sh: step1
    - name: two
      sh: step2
`;
  const slowA: FleetOptions = { reply: (host, cmd) => (host === 'a' && cmd === 'step1' ? { delayMs: 80 } : undefined) };

  it('linear: every host finishes a task before any host starts the next', async () => {
    const { fleet, recap } = await run(two.replace('STRATEGY', 'strategy: linear'), { fleet: slowA });
    const step1 = fleet.calls.filter((c) => c.command === 'step1');
    const step2 = fleet.calls.filter((c) => c.command === 'step2');
    expect(step1).toHaveLength(3);
    expect(step2).toHaveLength(3);
    const lastEnd = Math.max(...step1.map((c) => c.endSeq ?? Infinity));
    for (const c of step2) expect(c.seq).toBeGreaterThan(lastEnd);
    expect(recap.exitCode).toBe(0);
  });

  it('free: a fast host runs ahead of a slow one', async () => {
    const { fleet } = await run(two.replace('STRATEGY', 'strategy: free'), { fleet: slowA });
    const aStep1 = fleet.calls.find((c) => c.host === 'a' && c.command === 'step1');
    const bStep2 = fleet.calls.find((c) => c.host === 'b' && c.command === 'step2');
    expect(bStep2!.seq).toBeLessThan(aStep1!.endSeq!);
  });

  it('forks limits the hosts worked on at once', async () => {
    const { fleet } = await run(two.replace('STRATEGY', ''), {
      groups: { web: ['a', 'b', 'c', 'd', 'e', 'f'] },
      fleet: { reply: () => ({ delayMs: 15 }) },
      run: { forks: 2 },
    });
    expect(fleet.calls).toHaveLength(12);
    expect(fleet.maxConcurrent).toBe(2);
  });

  it('a failing host never stops the others, and is left out of later tasks and plays', async () => {
    const { events, fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: one
      sh: step1
    - name: two
      sh: step2
- hosts: web
  gather_facts: false
  tasks:
    - name: three
      sh: step3
`,
      { fleet: { reply: (h, c) => (h === 'b' && c === 'step1' ? { exitCode: 3, stderr: 'boom' } : undefined) } },
    );
    expect(cmds(fleet.calls, 'b')).toEqual(['step1']);
    expect(cmds(fleet.calls, 'a')).toEqual(['step1', 'step2', 'step3']);
    expect(statusOf(events, 'b', 'one')).toBe('failed');
    expect(recap.hosts.b).toMatchObject({ failed: 1, ok: 0 });
    expect(recap.hosts.a).toMatchObject({ ok: 3, changed: 3, failed: 0 });
    expect(recap.failures).toEqual([expect.objectContaining({ host: 'b', task: 'one', exitCode: 3, stderr: 'boom' })]);
    expect(recap.failures[0]!.where).toMatch(/site\.yml:5$/);
    expect(recap.exitCode).toBe(2);
  });

  it('a failure carries the exit code of the command that failed, never the 0 of one that worked', async () => {
    const { recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: worked, judged failed
      sh: ok
      failed_when: true
`,
      { groups: { web: ['a', 'b'] }, fleet: { reply: (h) => (h === 'b' ? { exitCode: 5 } : undefined) } },
    );
    const a = recap.failures.find((f) => f.host === 'a');
    expect(a).toBeDefined();
    expect(a?.exitCode).toBeUndefined();
    expect(recap.failures.find((f) => f.host === 'b')).toMatchObject({ exitCode: 5 });
  });
});

describe('serial batches and thresholds', () => {
  it('sizes batches from numbers, percentages and lists (last size repeats)', () => {
    expect(batchSizes([], 5)).toEqual([5]);
    expect(batchSizes([2], 5)).toEqual([2, 2, 1]);
    expect(batchSizes(['40%'], 5)).toEqual([2, 2, 1]);
    expect(batchSizes([1, '50%'], 7)).toEqual([1, 3, 3]);
    expect(batchSizes(['10%'], 3)).toEqual([1, 1, 1]);
  });

  it('runs batch after batch, each host once', async () => {
    const { events, fleet } = await run(
      `
- hosts: web
  gather_facts: false
  serial: [1, 2]
  tasks:
    - sh: go
`,
      { groups: { web: ['a', 'b', 'c', 'd', 'e'] } },
    );
    const batches = events.filter((e) => e.type === 'batch_start');
    expect(batches.map((b) => (b.type === 'batch_start' ? b.hosts : []))).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(fleet.calls.map((c) => c.host).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('ansible_play_hosts_all names every host of the play, ansible_play_batch only the batch (as Ansible)', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  tasks:
    - debug:
        msg: "{{ ansible_play_hosts_all | length }}/{{ ansible_play_batch | length }}"
`,
      { groups: { web: ['a', 'b', 'c', 'd', 'e'] } },
    );
    const msgs = results(events).filter((e) => e.task.module === 'debug').map((e) => `${e.host}:${e.msg}`);
    expect(msgs.sort()).toEqual(['a:5/2', 'b:5/2', 'c:5/2', 'd:5/2', 'e:5/1']);
  });

  it('the magic variables follow the run from task to task: ansible_play_hosts loses a host that failed', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: before
      debug:
        msg: "{{ ansible_play_hosts | join(',') }}"
    - sh: go
    - name: after
      debug:
        msg: "{{ ansible_play_hosts | join(',') }}"
`,
      { groups: { web: ['a', 'b', 'c'] }, fleet: { reply: (h) => (h === 'b' ? { exitCode: 1 } : undefined) } },
    );
    const msgs = results(events)
      .filter((e) => e.task.module === 'debug')
      .map((e) => `${e.task.name}@${e.host}:${e.msg}`);
    expect(msgs.sort()).toEqual(['after@a:a,c', 'after@c:a,c', 'before@a:a,b,c', 'before@b:a,b,c', 'before@c:a,b,c']);
  });

  it('max_fail_percentage stops the rollout before the next batch; the recap lists hosts never started', async () => {
    const { events, recap, fleet } = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  max_fail_percentage: 40
  tasks:
    - sh: go
`,
      { groups: { web: ['a', 'b', 'c', 'd', 'e'] }, fleet: { reply: (h) => (h === 'b' ? { exitCode: 1 } : undefined) } },
    );
    expect(fleet.calls.map((c) => c.host)).toEqual(['a', 'b']);
    expect(recap.notStarted).toEqual(['c', 'd', 'e']);
    const end = events.find((e) => e.type === 'play_end');
    expect(end?.type === 'play_end' ? end.stopped : undefined).toMatch(/^max_fail_percentage 40% exceeded in batch 1/);
    expect(Object.keys(recap.hosts)).toEqual(['a', 'b']);
    expect(recap.exitCode).toBe(2);
  });

  it('max_fail_percentage counts unreachable hosts, and a share equal to the limit goes on', async () => {
    const stop = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  max_fail_percentage: 49
  tasks:
    - sh: go
`,
      { groups: { web: ['a', 'b', 'c', 'd'] }, fleet: { unreachable: ['a'] } },
    );
    expect(stop.recap.notStarted).toEqual(['c', 'd']);
    expect(stop.recap.exitCode).toBe(4);
    const goOn = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  max_fail_percentage: 50
  tasks:
    - sh: go
`,
      { groups: { web: ['a', 'b', 'c', 'd'] }, fleet: { unreachable: ['a'] } },
    );
    expect(goOn.recap.notStarted).toEqual([]);
    expect(goOn.fleet.calls.map((c) => c.host)).toEqual(['b', 'c', 'd']);
  });

  it('max_fail_percentage inside a batch: no host starts the next task once the share is exceeded', async () => {
    const { recap, fleet, events } = await run(
      `
- hosts: web
  gather_facts: false
  max_fail_percentage: 25
  tasks:
    - name: one
      sh: step1
    - name: two
      sh: step2
`,
      { groups: { web: ['a', 'b', 'c', 'd'] }, fleet: { reply: (h, c) => (['a', 'b'].includes(h) && c === 'step1' ? { exitCode: 1 } : undefined) } },
    );
    expect(fleet.calls.filter((c) => c.command === 'step2')).toEqual([]);
    expect(events.find((e) => e.type === 'play_end')).toMatchObject({ stopped: expect.stringMatching(/2 of 4 hosts failed/) as unknown });
    expect(recap.exitCode).toBe(2);
  });

  it('a templated hosts: pattern is rendered with -e', async () => {
    const { fleet } = await run(
      `
- hosts: "{{ target | default('all') }}"
  gather_facts: false
  tasks:
    - sh: go
`,
      { groups: { web: ['a', 'b'], db: ['c'] }, run: { extraVars: { target: 'db' } } },
    );
    expect(fleet.calls.map((c) => c.host)).toEqual(['c']);
  });

  it('any_errors_fatal: one failure stops every host before the next task and the next batches', async () => {
    const { recap, fleet } = await run(
      `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  serial: 3
  tasks:
    - name: one
      sh: step1
    - name: two
      sh: step2
`,
      { groups: { web: ['a', 'b', 'c', 'd'] }, fleet: { reply: (h, c) => (h === 'b' && c === 'step1' ? { exitCode: 1 } : undefined) } },
    );
    expect(fleet.calls.filter((c) => c.command === 'step2')).toEqual([]);
    expect(recap.notStarted).toEqual(['d']);
    expect(recap.exitCode).toBe(2);
  });

  it('run_once runs on the first host only and every host sees the registered result', async () => {
    const { fleet, events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: migrate
      run_once: true
      register: mig
    - debug:
        msg: "rc={{ mig.rc }}"
`);
    expect(fleet.calls.filter((c) => c.command === 'migrate').map((c) => c.host)).toEqual(['a']);
    const msgs = results(events).filter((e) => e.task.module === 'debug').map((e) => `${e.host}:${e.msg}`);
    expect(msgs.sort()).toEqual(['a:rc=0', 'b:rc=0', 'c:rc=0']);
  });
});

describe('handlers', () => {
  const play = `
- hosts: web
  gather_facts: false
  tasks:
    - name: config
      sh: write-config
      notify: [restart app, reload things]
    - name: later
      sh: later
  handlers:
    - name: reload things
      sh: reload
    - name: restart app
      sh: restart
    - name: by topic
      sh: topic
      listen: reload things
`;

  it('run once at the end, in definition order, only on hosts that notified', async () => {
    const { fleet, recap } = await run(play, {
      fleet: { reply: (h, c) => (h === 'c' && c === 'write-config' ? { exitCode: 0 } : undefined) },
      groups: { web: ['a', 'b'] },
    });
    expect(cmds(fleet.calls, 'a')).toEqual(['write-config', 'later', 'reload', 'restart', 'topic']);
    expect(recap.pendingHandlers).toEqual({});
  });

  it('a handler is not run on a host that did not notify it', async () => {
    const { fleet } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - sh: maybe
      notify: restart
      changed_when: inventory_hostname == 'a'
  handlers:
    - name: restart
      sh: restart
`,
    );
    expect(fleet.calls.filter((c) => c.command === 'restart').map((c) => c.host)).toEqual(['a']);
  });

  it('a handler may notify a later one; with serial, handlers run at the end of each batch', async () => {
    const { fleet } = await run(
      `
- hosts: web
  gather_facts: false
  serial: 1
  tasks:
    - sh: change
      notify: first
  handlers:
    - name: first
      sh: h1
      notify: second
    - name: second
      sh: h2
`,
      { groups: { web: ['a', 'b'] } },
    );
    expect(fleet.calls.map((c) => `${c.host}:${c.command}`)).toEqual(['a:change', 'a:h1', 'a:h2', 'b:change', 'b:h1', 'b:h2']);
  });

  it('a rescued failure does not trip any_errors_fatal', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - block:
        - sh: try
      rescue:
        - sh: fix
    - sh: after
`,
      { groups: { web: ['a', 'b'] }, fleet: { reply: (h, c) => (h === 'a' && c === 'try' ? { exitCode: 1 } : undefined) } },
    );
    expect(cmds(fleet.calls, 'b')).toEqual(['try', 'after']);
    expect(cmds(fleet.calls, 'a')).toEqual(['try', 'fix', 'after']);
    expect(recap.exitCode).toBe(0);
  });

  it('a handler notified before a later failure is reported pending, and --force-handlers runs it', async () => {
    const failLater: FleetOptions = { reply: (h, c) => (h === 'b' && c === 'later' ? { exitCode: 1 } : undefined) };
    const plain = await run(play, { fleet: failLater, groups: { web: ['a', 'b'] } });
    expect(cmds(plain.fleet.calls, 'b')).toEqual(['write-config', 'later']);
    expect(plain.recap.pendingHandlers).toEqual({ b: ['reload things', 'restart app', 'by topic'] });
    const forced = await run(play, { fleet: failLater, groups: { web: ['a', 'b'] }, run: { forceHandlers: true } });
    expect(cmds(forced.fleet.calls, 'b')).toEqual(['write-config', 'later', 'reload', 'restart', 'topic']);
    expect(forced.recap.pendingHandlers).toEqual({});
  });
});

describe('task keywords', () => {
  it('block/rescue/always: a rescued failure counts as rescued, not failed', async () => {
    const { fleet, recap, events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - name: try
          sh: try
        - name: not reached
          sh: never
      rescue:
        - name: fix
          sh: fix
      always:
        - name: cleanup
          sh: cleanup
    - name: after
      sh: after
`,
      { groups: { web: ['a'] }, fleet: { reply: (_h, c) => (c === 'try' ? { exitCode: 1 } : undefined) } },
    );
    expect(cmds(fleet.calls, 'a')).toEqual(['try', 'fix', 'cleanup', 'after']);
    expect(recap.hosts.a).toMatchObject({ failed: 0, rescued: 1 });
    expect(statusOf(events, 'a', 'try')).toBe('failed');
    expect(recap.exitCode).toBe(0);
  });

  it('block without rescue: always still runs, then the host fails', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - sh: try
      always:
        - sh: cleanup
    - sh: after
`,
      { groups: { web: ['a'] }, fleet: { reply: (_h, c) => (c === 'try' ? { exitCode: 1 } : undefined) } },
    );
    expect(cmds(fleet.calls, 'a')).toEqual(['try', 'cleanup']);
    expect(recap.hosts.a).toMatchObject({ failed: 1 });
  });

  it('loop with loop_control (loop_var, label, index_var), when per item, results registered', async () => {
    const { fleet, events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: each
      sh: "install {{ pkg.name }} {{ i }}"
      loop:
        - { name: nginx, enabled: true }
        - { name: apache, enabled: false }
        - { name: curl, enabled: true }
      loop_control:
        loop_var: pkg
        label: "{{ pkg.name }}"
        index_var: i
      when: pkg.enabled
      register: out
    - debug:
        msg: "{{ out.results | length }} {{ out.results[1].skipped }} {{ out.changed }}"
`,
      { groups: { web: ['a'] } },
    );
    expect(cmds(fleet.calls, 'a')).toEqual(['install nginx 0', 'install curl 2']);
    const items = events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item !== undefined);
    expect(items.map((e) => `${e.item}:${e.status}`)).toEqual(['nginx:changed', 'apache:skipped', 'curl:changed']);
    expect(results(events).find((e) => e.task.module === 'debug')?.msg).toBe('3 True True');
  });

  it('retries/until: retried until the condition holds; attempts registered', async () => {
    let n = 0;
    const { events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - sh: check
      register: r
      until: r.rc == 0
      retries: 5
      delay: 0
    - debug:
        msg: "{{ r.attempts }}"
`,
      { groups: { web: ['a'] }, fleet: { reply: () => ({ exitCode: ++n < 3 ? 1 : 0 }) } },
    );
    expect(n).toBe(3);
    expect(results(events).find((e) => e.task.module === 'debug')?.msg).toBe('3');
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(2);
    expect(recap.exitCode).toBe(0);
  });

  it('retries exhausted: the task fails', async () => {
    const { recap, fleet } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - sh: check
      register: r
      until: r.rc == 0
      retries: 2
      delay: 0
`,
      { groups: { web: ['a'] }, fleet: { reply: () => ({ exitCode: 1 }) } },
    );
    expect(fleet.calls).toHaveLength(3);
    expect(recap.hosts.a).toMatchObject({ failed: 1 });
  });

  it('when, changed_when, failed_when, ignore_errors', async () => {
    const { events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  vars:
    enabled: false
  tasks:
    - name: skipped
      sh: x
      when: enabled
      register: s
    - name: unchanged
      sh: y
      changed_when: false
    - name: grep no match is fine
      sh: grep
      register: g
      failed_when: g.rc > 1
    - name: ignored
      fail:
        msg: nope
      ignore_errors: true
    - name: reported
      debug:
        msg: "{{ s.skipped }} {{ g.rc }} {{ g.failed_when_result }}"
`,
      { groups: { web: ['a'] }, fleet: { reply: (_h, c) => (c === 'grep' ? { exitCode: 1 } : undefined) } },
    );
    expect(statusOf(events, 'a', 'skipped')).toBe('skipped');
    expect(statusOf(events, 'a', 'unchanged')).toBe('ok');
    expect(statusOf(events, 'a', 'grep no match is fine')).toBe('changed');
    expect(results(events, 'a').find((e) => e.task.name === 'ignored')).toMatchObject({ status: 'failed', ignored: true });
    expect(results(events, 'a').find((e) => e.task.name === 'reported')?.msg).toBe('True 1 False');
    expect(recap.hosts.a).toEqual({ ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 1 });
    expect(recap.exitCode).toBe(0);
  });

  it('set_fact and register persist across plays; -e wins over everything', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  vars:
    color: play
  tasks:
    - set_fact:
        color: fact
        size: big
- hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ color }} {{ size }}"
`,
      { groups: { web: ['a'] }, run: { extraVars: { color: 'extra' } } },
    );
    expect(results(events).find((e) => e.task.module === 'debug')?.msg).toBe('extra big');
  });

  it('inventory < play vars < task vars < set_fact', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  vars:
    a: play
    b: play
    c: play
  tasks:
    - debug:
        msg: "{{ a }} {{ b }} {{ c }} {{ d }}"
      vars:
        b: task
        c: task
    - set_fact:
        c: fact
    - debug:
        msg: "{{ c }}"
      vars:
        c: task
`,
      { groups: { web: ['a'] }, hostVars: { a: { a: 'inv', d: 'inv' } } },
    );
    const msgs = results(events).filter((e) => e.task.module === 'debug').map((e) => e.msg);
    expect(msgs).toEqual(['play task task inv', 'fact']);
  });

  it('a template error fails that task on that host, naming file:line', async () => {
    const { recap, events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: uses a var
      sh: "echo {{ only_on_a }}"
`,
      { groups: { web: ['a', 'b'] }, hostVars: { a: { only_on_a: 'x' } } },
    );
    expect(statusOf(events, 'a', 'uses a var')).toBe('changed');
    expect(recap.failures).toHaveLength(1);
    expect(recap.failures[0]!.host).toBe('b');
    expect(recap.failures[0]!.msg).toMatch(/site\.yml:5: .*only_on_a/);
  });

  it('environment, become and timeout reach the command; the become password never reaches events', async () => {
    const { fleet, events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  become: true
  tasks:
    - sh: env-task
      environment:
        LANG: C
        WHO: "{{ inventory_hostname }}"
    - name: too slow
      sh: sleep-long
      timeout: 1
`,
      {
        groups: { web: ['a'] },
        run: { becomePassword: 's3cret-pw' },
        fleet: { reply: (_h, c) => (c === 'env-task' ? { stdout: 'pw is s3cret-pw' } : c === 'sleep-long' ? { delayMs: 5000 } : undefined) },
      },
    );
    expect(fleet.calls[0]).toMatchObject({ become: 'root', env: { LANG: 'C', WHO: 'a' } });
    expect(fleet.calls[1]!.aborted).toBe(true);
    expect(recap.failures[0]!.msg).toMatch(/timed out after 1s/);
    expect(JSON.stringify(events)).not.toContain('s3cret-pw');
  });

  it('check mode reaches modules; check_mode: false on a task overrides it', async () => {
    const { fleet, events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: dry
      sh: change-things
    - name: always real
      sh: read-only
      check_mode: false
`,
      { groups: { web: ['a'] }, run: { check: true } },
    );
    expect(cmds(fleet.calls, 'a')).toEqual(['read-only']);
    expect(results(events).find((e) => e.task.name === 'dry')?.msg).toBe('would run: change-things');
    expect(events[0]).toMatchObject({ type: 'run_start', check: true });
  });
});

describe('tags and start-at-task', () => {
  const tagged = `
- hosts: web
  gather_facts: false
  tasks:
    - { name: t-untagged, sh: untagged }
    - { name: t-web, sh: web, tags: [web] }
    - { name: t-db, sh: db, tags: db }
    - { name: t-always, sh: always, tags: [always] }
    - { name: t-never, sh: never, tags: [never, debug] }
    - block:
        - { name: t-in-block, sh: inblock }
      tags: [web]
`;
  const ran = async (run_: Partial<RunOptions>) => cmds((await run(tagged, { groups: { web: ['a'] }, run: run_ })).fleet.calls, 'a');

  it('selects by --tags and --skip-tags, with always and never', async () => {
    expect(await ran({})).toEqual(['untagged', 'web', 'db', 'always', 'inblock']);
    expect(await ran({ tags: ['web'] })).toEqual(['web', 'always', 'inblock']);
    expect(await ran({ tags: ['debug'] })).toEqual(['always', 'never']);
    expect(await ran({ skipTags: ['web', 'always'] })).toEqual(['untagged', 'db']);
    expect(await ran({ tags: ['untagged'] })).toEqual(['untagged', 'always']);
  });

  it('--start-at-task skips everything before the named task', async () => {
    expect(await ran({ startAtTask: 't-db' })).toEqual(['db', 'always', 'inblock']);
    await expect(ran({ startAtTask: 'no such task' })).rejects.toThrow(/no task has this name/);
  });
});

describe('facts', () => {
  it('gathered once per host per play, refreshed before a facts-using module after a change', async () => {
    let calls = 0;
    const { events } = await run(
      `
- hosts: web
  tasks:
    - probe: {}
    - debug:
        msg: "{{ ansible_distribution }} {{ ansible_facts.os_family }}"
    - sh: upgrade
    - probe: {}
      register: p
    - debug:
        msg: "{{ p.hostname }}"
`,
      { groups: { web: ['a'] }, gather: () => Promise.resolve({ ...FAKE_FACTS, hostname: `h${++calls}` }) },
    );
    expect(calls).toBe(2);
    expect(results(events)[0]!.task.name).toBe('Gathering Facts');
    const msgs = results(events).filter((e) => e.task.module === 'debug').map((e) => e.msg);
    expect(msgs).toEqual(['Debian Debian', 'h2']);
  });

  it('controller-only modules need no connection', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - debug: { msg: hi }
`,
      { groups: { web: ['a'] }, fleet: { unreachable: ['a'] } },
    );
    expect(fleet.connects).toEqual([]);
    expect(recap.exitCode).toBe(0);
  });
});

describe('unreachable hosts, exit codes and the retry file', () => {
  const yaml = `
- hosts: web
  gather_facts: false
  tasks:
    - sh: one
    - sh: two
`;
  it('unreachable hosts are removed from the play, counted unreachable not failed; exit 4', async () => {
    const { recap, events, fleet, dir, retried } = await run(yaml, { fleet: { unreachable: ['b'] } });
    expect(recap.hosts.b).toMatchObject({ unreachable: 1, failed: 0 });
    expect(cmds(fleet.calls, 'a')).toEqual(['one', 'two']);
    expect(events.filter((e) => e.type === 'host_connect' && e.status === 'unreachable')).toHaveLength(1);
    expect(recap.exitCode).toBe(4);
    expect(retried()).toEqual(['b']);
    expect(recap.retryFile).toBe(join(dir, 'site.retry'));
  });

  it('a connection lost mid-run makes the host unreachable', async () => {
    const { recap } = await run(yaml, { fleet: { reply: (h, c) => (h === 'a' && c === 'two' ? { lost: true } : undefined) } });
    expect(recap.hosts.a).toMatchObject({ ok: 1, unreachable: 1, failed: 0 });
  });

  it('failed and unreachable hosts go to the retry file; failed wins the exit code', async () => {
    const { recap, retried } = await run(yaml, {
      groups: { web: ['a', 'b', 'c', 'd'] },
      fleet: { unreachable: ['d'], reply: (h) => (h === 'b' ? { exitCode: 1 } : undefined) },
    });
    expect(recap.exitCode).toBe(2);
    expect(retried()).toEqual(['b', 'd']);
  });

  it('all ok: exit 0, no host to retry (the CLI then removes a stale retry file)', async () => {
    const { recap, retried } = await run(yaml, { groups: { web: ['a'] } });
    expect(recap.exitCode).toBe(0);
    expect(retried()).toEqual([]);
    expect(recap.retryFile).toBeUndefined();
  });

  it('--limit that matches no host is a usage error, before any connection', async () => {
    await expect(run(yaml, { run: { limit: ['nope*'] } })).rejects.toThrow(/--limit nope\*: matches no host/);
  });

  it('task locations are shown relative to displayRoot', async () => {
    const { playbook, dir } = await playbookFrom(yaml);
    const fleet = memoryFleet({ reply: () => ({ exitCode: 1 }) });
    const recap = await runPlaybook(playbook, memoryInventory({ web: ['a'] }), { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), displayRoot: dir }, {});
    expect(recap.failures[0]!.where).toBe('site.yml:5');
  });

  it('--limit narrows the hosts, also from a retry file', async () => {
    const { dir, retried } = await run(yaml, { fleet: { unreachable: ['b'] } });
    await writeFile(join(dir, 'site.retry'), `${(retried() ?? []).join('\n')}\n`);
    const again = await run(yaml, { run: { limit: [`@${join(dir, 'site.retry')}`] } });
    expect(again.fleet.calls.map((c) => c.host)).toEqual(['b', 'b']);
    const pattern = await run(yaml, { run: { limit: ['a:c'] } });
    expect([...new Set(pattern.fleet.calls.map((c) => c.host))]).toEqual(['a', 'c']);
  });
});

describe('no_log', () => {
  it('censors the result and output in events; the registered value stays usable', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: secret
      sh: print-token
      register: tok
      no_log: true
    - debug:
        msg: "{{ tok.stdout | length }}"
`,
      { groups: { web: ['a'] }, fleet: { reply: (_h, c) => (c === 'print-token' ? { stdout: 'TOKEN-12345' } : undefined) } },
      );
    const text = JSON.stringify(events.filter((e) => e.type !== 'task_result' || e.task.module !== 'debug'));
    expect(text).not.toContain('TOKEN-12345');
    expect(results(events).find((e) => e.task.name === 'secret')?.msg).toMatch(/no_log/);
    expect(results(events).find((e) => e.task.module === 'debug')?.msg).toBe('11');
  });
});

describe('Ctrl-C', () => {
  it('first interrupt: no new task starts, running commands get the grace period, then are aborted; exit 130 with a recap', async () => {
    const stop = new AbortController();
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: long
    - sh: next
`);
    const fleet = memoryFleet({ reply: (_h, c) => (c === 'long' ? { delayMs: 10_000 } : undefined) });
    const mem = createMemoryReporter();
    const retry = retryRecorder();
    setTimeout(() => stop.abort(), 50);
    const t0 = Date.now();
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a', 'b'] }),
      { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), signal: stop.signal, graceMs: 100, retry: retry.retry },
      mem,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(recap.exitCode).toBe(130);
    expect(recap.interrupted).toBe(true);
    expect(fleet.calls.map((c) => c.command)).toEqual(['long', 'long']);
    expect(fleet.calls.every((c) => c.aborted)).toBe(true);
    expect(mem.events.at(-1)?.type).toBe('recap');
    // the retry file lists every host that did not finish
    expect(retry.hosts()).toEqual(['a', 'b']);
  });

  it('a host still connecting is stopped too, reported as interrupted, not unreachable', async () => {
    const stop = new AbortController();
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: one
`);
    const fleet = memoryFleet({ connectDelayMs: 10_000 });
    setTimeout(() => stop.abort(), 20);
    const t0 = Date.now();
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a'] }),
      { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), signal: stop.signal, graceMs: 50 },
      {},
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(recap.hosts.a).toMatchObject({ unreachable: 0, failed: 1 });
    expect(recap.failures[0]!.msg).toMatch(/interrupted/);
    expect(recap.exitCode).toBe(130);
  });

  it('a command that ends within the grace period finishes normally', async () => {
    const stop = new AbortController();
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: short
    - sh: next
`);
    const fleet = memoryFleet({ reply: (_h, c) => (c === 'short' ? { delayMs: 100 } : undefined) });
    setTimeout(() => stop.abort(), 20);
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a'] }),
      { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), signal: stop.signal, graceMs: 2000 },
      {},
    );
    expect(fleet.calls.map((c) => [c.command, c.aborted ?? false])).toEqual([['short', false]]);
    expect(recap.hosts.a).toMatchObject({ changed: 1, failed: 0 });
    expect(recap.exitCode).toBe(130);
  });
});

describe('templated arguments are checked again once rendered', () => {
  const yaml = `
- hosts: web
  gather_facts: false
  tasks:
    - name: set attributes
      attrs:
        mode: "{{ m }}"
        port: "{{ p }}"
      register: got
    - name: after
      sh: after
`;
  it('a value the schema forbids is a task error naming host, task and argument; other hosts go on', async () => {
    const { recap, events, fleet } = await run(yaml, {
      groups: { web: ['a', 'b'] },
      hostVars: { a: { m: 'abc', p: '22' }, b: { m: '0644', p: '8080' } },
    });
    const bad = results(events, 'a').find((e) => e.task.name === 'set attributes');
    expect(bad?.status).toBe('failed');
    expect(bad?.msg).toMatch(/site\.yml:5: task "set attributes" on a: argument `mode` rendered to 'abc': `attrs\.mode` /);
    expect(recap.failures).toEqual([expect.objectContaining({ host: 'a', task: 'set attributes', msg: bad?.msg })]);
    expect(recap.hosts.a).toMatchObject({ failed: 1 });
    // the module never ran with the bad value (it would have thrown an internal error)
    expect(JSON.stringify(events)).not.toContain('internal:');
    // a template renders text: `port: "{{ p }}"` reaches the module as the integer its schema asks for
    const good = results(events, 'b').find((e) => e.task.name === 'set attributes');
    expect(good?.status).toBe('ok');
    expect(good?.result).toMatchObject({ mode: '0644', port: 8080, portType: 'number' });
    expect(cmds(fleet.calls, 'b')).toEqual(['after']);
    expect(cmds(fleet.calls, 'a')).toEqual([]);
  });

  it('literal arguments are not checked again (the loader did), and default(omit) leaves one out', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: literal
      attrs: { mode: "0600" }
    - name: omitted
      attrs:
        mode: "{{ nothing | default(omit) }}"
`,
      { groups: { web: ['a'] } },
    );
    expect(results(events, 'a').map((e) => [e.task.name, e.status])).toEqual([
      ['literal', 'ok'],
      ['omitted', 'ok'],
    ]);
  });
});
