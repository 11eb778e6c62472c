// Run history and --resume with a real controller process killed with SIGKILL (issue 18). The
// hosts are 20 inventory hosts on `connection: local` (real commands on this machine, each host
// its own counter file), so the controller is a real `runbook apply` process, killed mid-batch,
// then resumed: every host done exactly once across the two runs (the counter files prove it),
// no batch redone, the record complete. Then the controller killed at many moments of a run:
// the store is never corrupt and nothing committed is lost.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { controller, resumeAfterBatch3 } from '../support/rollout.js';
import { openStore } from '../../src/store/db.js';
import { historyArea, listRuns, runDetail } from '../../src/store/history.js';

const APPLY = ['site.yml', '-i', 'hosts.yml', '-f', '20'];
const HOSTS = Array.from({ length: 20 }, (_, i) => `rl${String(i + 1).padStart(2, '0')}`);

function setup(tasks: string, serial: number): { dir: string; store: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-rl-'));
  mkdirSync(join(dir, 'counters'));
  writeFileSync(join(dir, 'hosts.yml'), `all:\n  vars:\n    ansible_connection: local\n  hosts:\n${HOSTS.map((h) => `    ${h}: {}`).join('\n')}\n`);
  writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  serial: ${serial}\n  tasks:\n${tasks}`);
  const store = join(dir, 'store.db');
  return { dir, store, env: { RUNBOOK_STORE: store, HOME: dir } };
}

const counter = (dir: string, host: string): string[] => {
  const f = join(dir, 'counters', host);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];
};

describe('run history and --resume after SIGKILL', () => {
  it('20 hosts, serial 5: the controller killed during batch 3, then --resume: every host done exactly once, no batch redone, the record complete', async () => {
    const { dir, store, env } = setup(
      `    - name: work\n      shell: sleep 1\n    - name: done\n      shell: echo {{ inventory_hostname }} >> ${'{{'} playbook_dir }}/counters/{{ inventory_hostname }}\n`,
      5,
    );
    // SIGKILL half-way through batch 3's `sleep 1`
    const first = await controller(dir, APPLY, env, (line) => (line.includes('"type":"batch_start"') && line.includes('"batch":3') ? 500 : false));
    expect(first.killed).toBe(true);
    const b1 = HOSTS.slice(0, 10);
    const rest = HOSTS.slice(10);
    for (const h of b1) expect(counter(dir, h), h).toEqual([h]);
    for (const h of rest) expect(counter(dir, h), h).toEqual([]);

    // a changed playbook is refused
    const original = readFileSync(join(dir, 'site.yml'), 'utf8');
    writeFileSync(join(dir, 'site.yml'), `${original}# changed\n`);
    const refused = await runCli(['apply', '--resume'], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/playbook changed since run 1 started.*--force/);
    writeFileSync(join(dir, 'site.yml'), original);

    // the record of the killed run: still "running" in the file, its controller gone: died;
    // resumed from another directory, only batches 3 and 4 run
    await resumeAfterBatch3(store, 1, HOSTS, env);
    for (const h of HOSTS) expect(counter(dir, h), h).toEqual([h]);

    // the record: two runs, the second resumes the first; together every host ok, `done` once each
    const s = openStore(store, [historyArea]);
    const runs = listRuns(s.db);
    expect(runs.map((r) => [r.id, r.status, r.resumeOf])).toEqual([
      [2, 'ok', 1],
      [1, 'died', undefined],
    ]);
    const all = [runDetail(s.db, 1, {}), runDetail(s.db, 2, {})];
    const doneOn = all.flatMap((d) => d?.results.filter((r) => r.task === 'done' && r.status === 'changed').map((r) => r.host) ?? []);
    expect(doneOn.sort()).toEqual(HOSTS);
    const states = { ...runs[1]?.hosts, ...Object.fromEntries(Object.entries(runs[0]?.hosts ?? {})) };
    expect(Object.keys(states).sort()).toEqual(HOSTS);
    for (const h of HOSTS) expect(states[h], h).toBe('ok');
    s.close();

    // nothing left to resume
    const again = await runCli(['apply', '--resume'], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/run 2 finished \(ok\): nothing to resume/);
    // runbook history lists both; RUN --failed names nobody now; --json parses
    const list = await runCli(['history'], { cwd: dir, env });
    expect(list.out).toMatch(/^2 .* ok .*site\.yml \(resumes 1\)$/m);
    expect(list.out).toMatch(/^1 .* died /m);
    const show = await runCli(['history', '1', '--failed'], { cwd: dir, env });
    expect(show.out).toMatch(/resumed {2}by run 2/);
    expect(show.out).toContain('rl11');
    const json = await runCli(['history', '2', '--json', '--all'], { cwd: dir, env });
    expect((JSON.parse(json.out) as { results: unknown[] }).results).toHaveLength(20);
  });

  it('killed at 10 moments of runs: the store is never corrupt, and every host end recorded has all its task results', async () => {
    const { dir, store, env } = setup(`    - shell: "true"\n    - shell: echo one\n    - shell: echo two\n`, 4);
    const seen = new Map<number, number>();
    for (let k = 0; k < 10; k++) {
      // from just after the run starts to late in it: a different point each time
      const after = 3 + k * 10;
      let n = 0;
      await controller(dir, APPLY, env, () => (++n === after ? true : false));
      const s = openStore(store, [historyArea]);
      try {
        expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(s.db.pragma('foreign_key_check')).toEqual([]);
        // what earlier rounds committed is all still there
        for (const [id, rows] of seen) expect((s.db.prepare('SELECT COUNT(*) AS n FROM history_results WHERE run_id = ?').get(id) as { n: number }).n, `run ${id}`).toBe(rows);
        for (const run of listRuns(s.db, { limit: 100 })) {
          const d = runDetail(s.db, run.id, {});
          for (const [host, state] of Object.entries(run.hosts)) {
            // host_end is committed after the host's results: a host recorded ok has its 3 results
            if (state === 'ok') expect(d?.results.filter((r) => r.host === host), `run ${run.id} ${host}`).toHaveLength(3);
          }
          seen.set(run.id, d?.results.length ?? 0);
        }
      } finally {
        s.close();
      }
    }
    expect(seen.size).toBe(10);
    // the kills landed at different points: some runs had recorded hosts done, some not yet
    const s = openStore(store, [historyArea]);
    const okHosts = listRuns(s.db, { limit: 100 }).map((r) => Object.values(r.hosts).filter((x) => x === 'ok').length);
    s.close();
    expect(new Set(okHosts).size).toBeGreaterThan(2);
    expect(readdirSync(dir)).toContain('store.db');
  });
});
