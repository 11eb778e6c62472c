// The history area on a real SQLite file: a run recorded from events (results and host ends
// batched, batch ends at once), the filters, retention, and what --resume reads back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { RunEvent } from '../engine/events.js';
import { openStore } from './db.js';
import { chainFinished, FLUSH_MS, getRun, historyArea, listRuns, pruneHistory, resumeChain, resumePoint, runDetail, startRunRecord } from './history.js';

const task = { id: 'p0.tasks.0', name: 'work', module: 'shell', where: 'site.yml:5' };
const meta = { kind: 'apply' as const, playbook: 'site.yml', digest: 'abc', files: ['/x/site.yml'], options: {} };

function feed(events: RunEvent[], rec: { reporter: { onEvent?: (e: RunEvent) => void } }): void {
  for (const e of events) rec.reporter.onEvent?.(e);
}

describe('history area', () => {
  it('records a run as it goes; results and host ends are committed together, in order, by the timer; filters and resume point', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const path = join(mkdtempSync(join(tmpdir(), 'runbook-hist-')), 'h.db');
    const s = openStore(path, [historyArea]);
    // what another process (`--resume` after a SIGKILL) reads: only what was committed
    const other = openStore(path, [historyArea]);
    onTestFinished(() => other.close());
    const rec = startRunRecord(s.db, meta);
    feed(
      [
        { type: 'play_start', play: 'p', index: 0, hosts: ['b', 'a', 'c', 'd'] },
        { type: 'batch_start', play: 'p', batch: 1, batches: 2, hosts: ['b', 'a'] },
        { type: 'output', host: 'a', task, stream: 'stdout', chunk: 'x'.repeat(10_000) },
        { type: 'task_result', host: 'a', task, status: 'failed', msg: 'boom', durationMs: 5 },
        { type: 'task_result', host: 'b', task, status: 'changed', durationMs: 5 },
      ],
      rec,
    );
    // queued, not yet committed
    expect(runDetail(s.db, rec.id)?.results).toHaveLength(0);
    feed([{ type: 'host_end', host: 'a', state: 'failed' }], rec);
    // a's end is queued too: killed now, the record says a was still running, so --resume runs a
    // again (a host that finished may run twice; one that did not is never skipped)
    expect(runDetail(other.db, rec.id)?.results).toHaveLength(0);
    expect(getRun(other.db, rec.id)?.hosts).toEqual({ b: 'running', a: 'running' });
    expect(resumePoint(other.db, resumeChain(other.db, rec.id), () => false).plays[0]?.done).toEqual([]);
    vi.advanceTimersByTime(FLUSH_MS - 1);
    expect(getRun(other.db, rec.id)?.hosts).toEqual({ b: 'running', a: 'running' });
    // the timer commits the results and the end together, in their order
    vi.advanceTimersByTime(1);
    const d = runDetail(other.db, rec.id);
    expect(d?.results.map((r) => [r.host, r.status])).toEqual([
      ['a', 'failed'],
      ['b', 'changed'],
    ]);
    // a bounded excerpt: the end of the output
    expect(d?.results[0]?.output?.length).toBeLessThanOrEqual(4097);
    expect(d?.results[0]?.output?.length).toBeGreaterThanOrEqual(4096);
    expect(getRun(s.db, rec.id)?.hosts).toEqual({ b: 'running', a: 'failed' });
    expect(listRuns(s.db, { failed: true }).map((r) => r.id)).toEqual([rec.id]);
    expect(listRuns(s.db, { host: 'zz' })).toEqual([]);
    // the controller dies here: b was not done, batch 1 did not end
    const chain = resumeChain(s.db, rec.id);
    expect(chainFinished(chain)).toBe(false);
    expect(resumePoint(s.db, chain, () => false)).toEqual({ plays: { 0: { hosts: ['b', 'a', 'c', 'd'], done: ['a'] } }, failed: ['a'], unreachable: [] });
    // b ends ok: done without handlers; with handlers only once its batch ended
    feed([{ type: 'host_end', host: 'b', state: 'ok' }], rec);
    expect(resumePoint(s.db, chain, () => false).plays[0]?.done).toEqual(['a']);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(resumePoint(s.db, chain, () => false).plays[0]?.done).toEqual(['a', 'b']);
    expect(resumePoint(s.db, chain, () => true).plays[0]?.done).toEqual(['a']);
    feed([{ type: 'batch_end', play: 'p', batch: 1, batches: 2, hosts: { a: 'failed', b: 'ok' } }], rec);
    expect(resumePoint(s.db, chain, () => true).plays[0]?.done).toEqual(['a', 'b']);
    // a batch's end commits at once, with the host ends queued before it
    feed([{ type: 'batch_start', play: 'p', batch: 2, batches: 2, hosts: ['c', 'd'] }, { type: 'host_end', host: 'c', state: 'ok' }], rec);
    expect(getRun(other.db, rec.id)?.hosts).toMatchObject({ c: 'running', d: 'running' });
    feed([{ type: 'host_end', host: 'd', state: 'unreachable' }, { type: 'batch_end', play: 'p', batch: 2, batches: 2, hosts: { c: 'ok', d: 'unreachable' } }], rec);
    expect(getRun(other.db, rec.id)?.hosts).toMatchObject({ c: 'ok', d: 'unreachable' });
    expect(resumePoint(other.db, chain, () => true)).toEqual({ plays: { 0: { hosts: ['b', 'a', 'c', 'd'], done: ['a', 'b', 'c', 'd'] } }, failed: ['a'], unreachable: ['d'] });
    // a resumed run joins the chain; its recap finishes the rollout
    const second = startRunRecord(s.db, { ...meta, resumeOf: rec.id });
    feed([{ type: 'recap', hosts: {}, notStarted: [], pendingHandlers: {}, failures: [], interrupted: false, durationMs: 1, exitCode: 0 }], second);
    expect(resumeChain(s.db, rec.id).map((r) => r.id)).toEqual([rec.id, second.id]);
    expect(chainFinished(resumeChain(s.db, second.id))).toBe(true);
    expect(getRun(s.db, second.id)?.status).toBe('ok');
    s.close();
  });

  it('retention keeps the last N runs and the last D days, removing their rows too', () => {
    const s = openStore(join(mkdtempSync(join(tmpdir(), 'runbook-hist-')), 'h.db'), [historyArea]);
    const old = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      const r = startRunRecord(s.db, meta, () => (i < 2 ? old : new Date()));
      feed([{ type: 'play_start', play: 'p', index: 0, hosts: ['a'] }, { type: 'batch_start', play: 'p', batch: 1, batches: 1, hosts: ['a'] }], r);
    }
    expect(pruneHistory(s.db, { days: 30 })).toBe(2);
    expect(pruneHistory(s.db, { runs: 2 })).toBe(1);
    expect(listRuns(s.db).map((r) => r.id)).toEqual([5, 4]);
    expect((s.db.prepare('SELECT COUNT(*) AS n FROM history_hosts').get() as { n: number }).n).toBe(2);
    s.close();
  });
});
