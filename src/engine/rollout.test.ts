// Rollouts on the in-memory fleet (issue 18): the failure budget across batches, fail_fast,
// unreachable hosts counted apart, throttle, order, approval between batches (approve, refuse,
// timeout, non-interactive, Ctrl-C) and the pause module.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { BatchSummary } from './approval.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { orderHosts } from './order.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom, retryRecorder } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

const EIGHT = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

async function run(yaml: string, setup: { hosts?: string[]; fleet?: FleetOptions; run?: Partial<RunOptions> } = {}) {
  const { playbook, dir } = await playbookFrom(yaml);
  const fleet = memoryFleet(setup.fleet);
  const inv = memoryInventory({ web: setup.hosts ?? EIGHT });
  const mem = createMemoryReporter();
  const retry = retryRecorder(join(dir, 'site.retry'));
  const recap = await runPlaybook(
    playbook,
    inv,
    { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), retry: retry.retry, forks: 10, ...setup.run },
    mem,
  );
  return { recap, events: mem.events, fleet, retried: retry.hosts };
}

/** hosts that ran `cmd`, in the order they started it */
const ran = (calls: Array<{ host: string; command: string }>, cmd: string): string[] => calls.filter((c) => c.command === cmd).map((c) => c.host);
const batchesOf = (events: RunEvent[]): string[][] => events.flatMap((e) => (e.type === 'batch_start' ? [e.hosts] : []));
const playEnd = (events: RunEvent[]) => events.find((e): e is Extract<RunEvent, { type: 'play_end' }> => e.type === 'play_end');
const failOn = (hosts: string[], cmd = 'step1'): FleetOptions => ({ reply: (h, c) => (c === cmd && hosts.includes(h) ? { exitCode: 1, stderr: 'boom' } : undefined) });

const ROLLOUT = (keywords: string) => `
- hosts: web
  gather_facts: false
  serial: 2
${keywords
  .split('\n')
  .filter(Boolean)
  .map((l) => `  ${l}`)
  .join('\n')}
  tasks:
    - name: step one
      sh: step1
    - name: step two
      sh: step2
`;

describe('failure budget across batches', () => {
  it('max_fail_total 2 tolerates two failed hosts in different batches; the third stops the rollout before the next batch', async () => {
    const { events, recap, fleet } = await run(ROLLOUT('max_fail_total: 2'), { fleet: failOn(['b', 'd', 'f']) });
    // batches [a,b] [c,d] [e,f] ran; [g,h] never started
    expect(batchesOf(events)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
    expect(ran(fleet.calls, 'step1')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // the tolerated failures did not stop their batch: a, c, e went on to step two
    expect(ran(fleet.calls, 'step2')).toEqual(['a', 'c']);
    expect(playEnd(events)?.stopped).toMatch(/failure budget exceeded: 3 hosts failed across the rollout, max_fail_total is 2 \(b, d, f\)/);
    expect(recap.notStarted).toEqual(['g', 'h']);
    expect(recap.exitCode).toBe(2);
    const end = events.filter((e) => e.type === 'batch_end').at(-1);
    expect(end).toMatchObject({ batch: 3, batches: 4, hosts: { e: 'stopped', f: 'failed' } });
  });

  it('within the budget every batch runs', async () => {
    const { events, recap } = await run(ROLLOUT('max_fail_total: 2'), { fleet: failOn(['b', 'h']) });
    expect(batchesOf(events)).toHaveLength(4);
    expect(playEnd(events)?.stopped).toBeUndefined();
    expect(recap.notStarted).toEqual([]);
  });

  it('--max-fail (RunOptions.rollout) wins over the keyword', async () => {
    const { events, recap } = await run(ROLLOUT('max_fail_total: 5'), { fleet: failOn(['c']), run: { rollout: { maxFailTotal: 0 } } });
    expect(batchesOf(events)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(recap.notStarted).toEqual(['e', 'f', 'g', 'h']);
  });

  it('fail_fast: the first failed host stops its batch (no host starts another task) and the rollout', async () => {
    const { events, recap, fleet } = await run(ROLLOUT('fail_fast: true').replace('serial: 2', 'serial: 4'), { fleet: failOn(['c']) });
    expect(ran(fleet.calls, 'step1')).toEqual(['a', 'b', 'c', 'd']);
    expect(ran(fleet.calls, 'step2')).toEqual([]);
    expect(playEnd(events)?.stopped).toBe('fail_fast: c failed in batch 1');
    expect(recap.notStarted).toEqual(['e', 'f', 'g', 'h']);
    expect(events.find((e) => e.type === 'batch_end')).toMatchObject({ hosts: { a: 'stopped', b: 'stopped', c: 'failed', d: 'stopped' } });
  });

  it('--fail-fast under the free strategy: hosts still running finish their task but start no other', async () => {
    const yaml = ROLLOUT('strategy: free').replace('serial: 2', 'serial: 4');
    const { fleet, recap } = await run(yaml, { fleet: { reply: (h, c) => (c === 'step1' && h === 'a' ? { exitCode: 1 } : c === 'step1' ? { delayMs: 40 } : undefined) }, run: { rollout: { failFast: true } } });
    expect(ran(fleet.calls, 'step2')).toEqual([]);
    expect(recap.notStarted).toEqual(['e', 'f', 'g', 'h']);
  });

  it('unreachable hosts are counted apart: they do not use the failure budget unless count_unreachable', async () => {
    const apart = await run(ROLLOUT('max_fail_total: 0'), { fleet: { unreachable: ['c', 'e'] } });
    expect(batchesOf(apart.events)).toHaveLength(4);
    expect(apart.recap.notStarted).toEqual([]);
    expect(apart.recap.exitCode).toBe(4);

    const counted = await run(ROLLOUT('max_fail_total: 1\ncount_unreachable: true'), { fleet: { unreachable: ['c', 'e'], ...failOn([]) } });
    expect(batchesOf(counted.events)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
    expect(playEnd(counted.events)?.stopped).toMatch(/2 hosts failed or unreachable across the rollout, max_fail_total is 1 \(c, e\)/);

    // their own budget
    const own = await run(ROLLOUT('max_unreachable_total: 1'), { fleet: { unreachable: ['a', 'c', 'e'] } });
    expect(batchesOf(own.events)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(playEnd(own.events)?.stopped).toMatch(/unreachable budget exceeded: 2 hosts unreachable across the rollout, max_unreachable_total is 1/);
  });

  it('counts across plays: a host failed in play 1 still counts in play 2', async () => {
    const yaml = `
- hosts: web
  gather_facts: false
  tasks:
    - sh: step1
- hosts: web
  gather_facts: false
  serial: 2
  max_fail_total: 1
  tasks:
    - sh: step2
`;
    const { events, fleet } = await run(yaml, { fleet: { reply: (h, c) => ((c === 'step1' && h === 'a') || (c === 'step2' && h === 'e') ? { exitCode: 1 } : undefined) } });
    // play 2's batches: [b,c] [d,e] [f,g] [h]; e is the second failure of the run
    expect(ran(fleet.calls, 'step2')).toEqual(['b', 'c', 'd', 'e']);
    const last = events.filter((e) => e.type === 'play_end').at(-1);
    expect(last?.type === 'play_end' ? last.stopped : undefined).toMatch(/2 hosts failed.*\(a, e\)/);
  });
});

describe('throttle and order', () => {
  const slow: FleetOptions = { reply: (_h, c) => (c.startsWith('slow') ? { delayMs: 30 } : undefined) };

  it('throttle on a task: at most N hosts run it at once, other tasks use every fork', async () => {
    const throttled = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - sh: slow1
      throttle: 2
`,
      { fleet: slow },
    );
    expect(throttled.fleet.maxConcurrent).toBe(2);
    expect(ran(throttled.fleet.calls, 'slow1')).toHaveLength(8);
    const free = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: slow1
`, { fleet: slow });
    expect(free.fleet.maxConcurrent).toBe(8);
  });

  it('throttle on a block applies to each of its tasks; a task inside can set its own', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  strategy: free
  tasks:
    - block:
        - sh: slow1
        - sh: slow2
          throttle: 1
      throttle: 3
`,
      { fleet: slow },
    );
    expect(recap.exitCode).toBe(0);
    // slow1 at most 3 at once, slow2 one at a time: never more than 3 + 1 commands running
    expect(fleet.maxConcurrent).toBeLessThanOrEqual(4);
    const intervals = (cmd: string) => fleet.calls.filter((c) => c.command === cmd).map((c) => [c.seq, c.endSeq ?? Infinity] as const);
    const peak = (iv: ReadonlyArray<readonly [number, number]>) => Math.max(...iv.map(([s]) => iv.filter(([s2, e2]) => s2 <= s && e2 > s).length));
    expect(peak(intervals('slow1'))).toBeLessThanOrEqual(3);
    expect(peak(intervals('slow2'))).toBe(1);
    expect(peak(intervals('slow1'))).toBeGreaterThan(1);
  });

  it('order: sorted, reverse_sorted, reverse_inventory decide which hosts form each batch', async () => {
    const hosts = ['n3', 'n1', 'n4', 'n2'];
    const yaml = (order: string) => `
- hosts: web
  gather_facts: false
  serial: 2
  order: ${order}
  tasks:
    - sh: step1
`;
    expect(batchesOf((await run(yaml('inventory'), { hosts })).events)).toEqual([['n3', 'n1'], ['n4', 'n2']]);
    expect(batchesOf((await run(yaml('sorted'), { hosts })).events)).toEqual([['n1', 'n2'], ['n3', 'n4']]);
    expect(batchesOf((await run(yaml('reverse_sorted'), { hosts })).events)).toEqual([['n4', 'n3'], ['n2', 'n1']]);
    const rev = await run(yaml('reverse_inventory'), { hosts });
    expect(batchesOf(rev.events)).toEqual([['n2', 'n4'], ['n1', 'n3']]);
    expect(ran(rev.fleet.calls, 'step1')).toEqual(['n2', 'n4', 'n1', 'n3']);
  });

  it('order: shuffle draws a permutation (a seeded draw is repeatable)', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => `h${i}`);
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const a = orderHosts(ten, 'shuffle', rnd);
    seed = 7;
    expect(orderHosts(ten, 'shuffle', rnd)).toEqual(a);
    expect([...a].sort()).toEqual(ten);
    expect(a).not.toEqual(ten);
    // in a run: every host once, and not always inventory order
    const orders = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await run(`
- hosts: web
  gather_facts: false
  order: shuffle
  serial: 1
  tasks:
    - sh: step1
`, { hosts: ten });
      const got = ran(r.fleet.calls, 'step1');
      expect([...got].sort()).toEqual(ten);
      orders.add(got.join(','));
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('a bad order is refused when the playbook is loaded, at its line', async () => {
    await expect(playbookFrom(`
- hosts: web
  order: random
  tasks:
    - sh: x
`)).rejects.toThrow(/3: .*order/);
  });
});

describe('approval between batches', () => {
  const CANARY = `
- hosts: web
  gather_facts: false
  serial: [1, "100%"]
  approve_batches: first
  tasks:
    - name: step one
      sh: step1
`;
  const interactive = (approve: RunOptions['approve'], extra: Partial<NonNullable<RunOptions['approval']>> = {}): Partial<RunOptions> => ({
    ...(approve ? { approve } : {}),
    approval: { interactive: true, ...extra },
  });

  it('approve: the operator sees the canary outcome and the rollout goes on', async () => {
    const seen: BatchSummary[] = [];
    const { events, recap, fleet } = await run(CANARY, {
      hosts: ['a', 'b', 'c'],
      fleet: { reply: (h, c) => (c === 'step1' && h === 'a' ? { stdout: 'changed' } : undefined) },
      run: interactive((s) => (seen.push(s), Promise.resolve('continue'))),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ play: 'web', batch: 1, batches: 2, next: ['b', 'c'], failures: [] });
    expect(seen[0]?.hosts).toEqual([{ host: 'a', state: 'ok', stats: { ok: 1, changed: 1, failed: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 } }]);
    expect(ran(fleet.calls, 'step1')).toEqual(['a', 'b', 'c']);
    expect(events.find((e) => e.type === 'approval')).toMatchObject({ batch: 1, decision: 'continue', by: 'operator' });
    expect(recap.exitCode).toBe(0);
  });

  it('refuse: no later batch starts; the run ends as an interruption (exit 130, the retry file lists the hosts not done)', async () => {
    const seen: BatchSummary[] = [];
    const { events, recap, fleet, retried } = await run(CANARY.replace('[1, "100%"]', '[2, "100%"]'), {
      hosts: ['a', 'b', 'c', 'd'],
      fleet: failOn(['a']),
      run: { ...interactive((s) => (seen.push(s), Promise.resolve('stop'))), rollout: { maxFailTotal: 1 } },
    });
    // the summary shows the canary's failure
    expect(seen[0]?.failures).toEqual([expect.objectContaining({ host: 'a', task: 'step one' })]);
    expect(seen[0]?.hosts[0]).toMatchObject({ host: 'a', state: 'failed' });
    expect(seen[0]?.hosts[1]).toMatchObject({ host: 'b', state: 'ok' });
    expect(ran(fleet.calls, 'step1')).toEqual(['a', 'b']);
    expect(playEnd(events)?.stopped).toBe('approval refused by the operator after batch 1');
    expect(recap.notStarted).toEqual(['c', 'd']);
    expect(recap.exitCode).toBe(130);
    expect(retried()).toEqual(['a', 'c', 'd']);
  });

  it('timeout: no answer in time continues (default) or stops (onTimeout: stop); the prompt is withdrawn', async () => {
    let withdrawn = 0;
    const never: RunOptions['approve'] = (_s, signal) => new Promise((_r) => signal.addEventListener('abort', () => withdrawn++));
    const goes = await run(CANARY, { hosts: ['a', 'b'], run: interactive(never, { timeoutMs: 40 }) });
    expect(ran(goes.fleet.calls, 'step1')).toEqual(['a', 'b']);
    expect(goes.events.find((e) => e.type === 'approval')).toMatchObject({ decision: 'continue', by: 'timeout' });
    const waited = goes.events.find((e) => e.type === 'approval');
    expect(waited?.type === 'approval' && waited.waitedMs).toBeGreaterThanOrEqual(35);
    const stops = await run(CANARY, { hosts: ['a', 'b'], run: interactive(never, { timeoutMs: 40, onTimeout: 'stop' }) });
    expect(ran(stops.fleet.calls, 'step1')).toEqual(['a']);
    expect(playEnd(stops.events)?.stopped).toBe('approval timed out after batch 1');
    expect(withdrawn).toBe(2);
  });

  it('non-interactive: never waits (approve is not called); stops unless told to continue', async () => {
    let asked = 0;
    const approve: RunOptions['approve'] = () => (asked++, Promise.resolve('continue'));
    const stops = await run(CANARY, { hosts: ['a', 'b'], run: { approve, approval: { interactive: false } } });
    expect(ran(stops.fleet.calls, 'step1')).toEqual(['a']);
    expect(playEnd(stops.events)?.stopped).toBe('approval not given: the run is not interactive after batch 1');
    const goes = await run(CANARY, { hosts: ['a', 'b'], run: { approve, approval: { interactive: false, nonInteractive: 'continue' } } });
    expect(ran(goes.fleet.calls, 'step1')).toEqual(['a', 'b']);
    expect(goes.events.find((e) => e.type === 'approval')).toMatchObject({ decision: 'continue', by: 'non-interactive', waitedMs: 0 });
    expect(asked).toBe(0);
  });

  it('--approve all asks after every batch but the last; none never asks', async () => {
    const asked: number[] = [];
    const approve: RunOptions['approve'] = (s) => (asked.push(s.batch), Promise.resolve('continue'));
    await run(ROLLOUT(''), { run: { approve, approval: { interactive: true, batches: 'all' } } });
    expect(asked).toEqual([1, 2, 3]);
    asked.length = 0;
    await run(CANARY, { hosts: ['a', 'b'], run: { approve, approval: { interactive: true, batches: 'none' } } });
    expect(asked).toEqual([]);
  });

  it('Ctrl-C while waiting stops the rollout', async () => {
    const ctl = new AbortController();
    const approve: RunOptions['approve'] = () => (setTimeout(() => ctl.abort(), 10), new Promise(() => undefined));
    const { fleet, recap } = await run(CANARY, { hosts: ['a', 'b'], run: { approve, approval: { interactive: true }, signal: ctl.signal } });
    expect(ran(fleet.calls, 'step1')).toEqual(['a']);
    expect(recap.interrupted).toBe(true);
  });
});

describe('pause module', () => {
  const results = (events: RunEvent[], name: string) => events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.task.name === name && e.item === undefined);

  it('a prompt is asked once per batch; the answer is registered on every host (user_input, start, stop, delta)', async () => {
    const prompts: Array<{ text: string; echo: boolean }> = [];
    const { events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  tasks:
    - name: ask
      pause:
        prompt: Release tag
        echo: false
      register: answer
    - name: use
      debug:
        msg: "tag={{ answer.user_input }} delta={{ answer.delta }}"
`,
      {
        hosts: ['a', 'b', 'c'],
        run: { interact: { interactive: true, prompt: (text, echo) => (prompts.push({ text, echo }), Promise.resolve('v1.2')), say: () => undefined } },
      },
    );
    expect(recap.exitCode).toBe(0);
    expect(prompts).toEqual([{ text: '[pause]\nRelease tag:\n', echo: false }, { text: '[pause]\nRelease tag:\n', echo: false }]);
    expect(results(events, 'use').map((e) => e.msg)).toEqual(['tag=v1.2 delta=0', 'tag=v1.2 delta=0', 'tag=v1.2 delta=0']);
    const r = results(events, 'ask')[0]?.result;
    expect(r).toMatchObject({ user_input: 'v1.2', echo: false, delta: 0 });
    expect(r?.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('without a terminal a prompt is skipped with a warning; a timed pause still waits', async () => {
    const t0 = Date.now();
    const { events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: ask
      pause:
        prompt: Continue?
      register: answer
    - name: wait
      pause:
        seconds: 0.3
      register: waited
`,
      { hosts: ['a', 'b'], run: { interact: { interactive: false, prompt: () => Promise.reject(new Error('must not be called')), say: () => undefined } } },
    );
    expect(recap.exitCode).toBe(0);
    expect(events.filter((e) => e.type === 'warning').map((e) => e.type === 'warning' && e.msg)).toEqual(['Not waiting for response to prompt as stdin is not interactive']);
    expect(results(events, 'ask')[0]?.result).toMatchObject({ user_input: '' });
    expect(results(events, 'wait')[0]?.result).toMatchObject({ stdout: 'Paused for 0 seconds', user_input: '' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    // once for the batch, not once per host
    expect(results(events, 'wait')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'task_start' && e.task.name === 'wait')).toHaveLength(1);
  });

  it('minutes and seconds together are refused at load time', async () => {
    await expect(playbookFrom(`
- hosts: web
  tasks:
    - pause: { minutes: 1, seconds: 2 }
`)).rejects.toThrow(/pause/);
  });
});
