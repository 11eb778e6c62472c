// A module's `defer` (acme_rate_limit beyond the weekly certificate budget): the deferred hosts
// end their plays without failing, sit out later plays, are listed in the recap with their date
// and in the retry file, and the run exits 8 ("partly deferred") unless something failed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { TaskResultEvent } from './events.js';
import { EXIT } from '../util/errors.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom, retryRecorder } from './testing/memory.js';
import { testModules } from './testing/modules.js';

const PLAY = `
- name: preflight
  hosts: web
  gather_facts: false
  max_fail_percentage: 50
  tasks:
    - name: budget
      defer: { hosts: DEFERRED, from: "2026-12-10T08:00:00.000Z" }
      run_once: true
    - name: still in play 1
      sh: check
- name: rollout
  hosts: web
  gather_facts: false
  serial: 1
  max_fail_percentage: 50
  tasks:
    - name: change
      sh: change
    - name: broken
      fail: { msg: broken }
      when: inventory_hostname == 'FAIL_ON'
`;

async function run(deferred: string[], failOn = 'none') {
  const yaml = PLAY.replace('DEFERRED', JSON.stringify(deferred)).replace('FAIL_ON', failOn);
  const { playbook, dir } = await playbookFrom(yaml);
  const fleet = memoryFleet();
  const mem = createMemoryReporter();
  const retry = retryRecorder(join(dir, 'site.retry'));
  const recap = await runPlaybook(
    playbook,
    memoryInventory({ web: ['a', 'b', 'c'] }),
    { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), retry: retry.retry, forks: 10 },
    mem,
  );
  const ran = (task: string): string[] =>
    mem.events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.task.name === task).map((e) => e.host).sort();
  return { recap, ran, events: mem.events, retried: retry.hosts() };
}

describe('deferred hosts', () => {
  it('end their plays, sit out later ones, are in the recap and the retry file; exit 8', async () => {
    const r = await run(['b', 'c']);
    expect(r.ran('still in play 1')).toEqual(['a']);
    expect(r.ran('change')).toEqual(['a']);
    expect(r.recap.exitCode).toBe(EXIT.partlyDeferred);
    expect(r.recap.deferred).toEqual([
      { host: 'b', from: '2026-12-10T08:00:00.000Z', reason: 'budget used up: fits from 2026-12-10T08:00:00.000Z' },
      { host: 'c', from: '2026-12-10T08:00:00.000Z', reason: 'budget used up: fits from 2026-12-10T08:00:00.000Z' },
    ]);
    // not failed, not skipped: no failure listed, the stats of a host that stopped early
    expect(r.recap.failures).toEqual([]);
    expect(r.recap.hosts.b).toMatchObject({ failed: 0, unreachable: 0, skipped: 0 });
    expect(r.retried).toEqual(['b', 'c']);
    expect(r.events.filter((e) => e.type === 'host_deferred').map((e) => (e as { host: string }).host)).toEqual(['b', 'c']);
    // max_fail_percentage 50 in play 1: two of three deferred would stop the run if they counted as failed
    expect(r.recap.notStarted).toEqual([]);
  });

  it('a failure elsewhere still exits 2; the retry file has the failed and the deferred hosts', async () => {
    const r = await run(['c'], 'a');
    expect(r.recap.exitCode).toBe(EXIT.hostFailed);
    expect(r.retried).toEqual(['a', 'c']);
  });

  it('nobody deferred: exit 0, no deferred list', async () => {
    const r = await run([]);
    expect(r.recap.exitCode).toBe(EXIT.ok);
    expect(r.recap.deferred).toBeUndefined();
  });
});
