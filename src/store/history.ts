// The store's 'history' area (issue 18): every run of `runbook apply` and ad-hoc `runbook run`,
// who ran it, when, the playbook and its digest, the options, each host's result per task (with
// a bounded excerpt of its output) and the recap. Written while the run goes, from the events
// the engine emits (already masked: no secret reaches the store), so a controller killed at any
// moment leaves a record of everything up to the last commit (WAL: a commit is durable once it
// returns, a half-written transaction is rolled back on the next open).
//
// Cheap: task results and host ends are queued and committed together every FLUSH_MS in one
// transaction (a fleet's hosts end together: one commit, not one per host); the rest of what
// `--resume` relies on (a play or batch started, a batch ended, the recap) is committed at once,
// with everything queued before it. Queued rows are committed in the order of their events, so
// a host's end is never in the file without its results. A controller killed before the timer
// loses at most FLUSH_MS of host ends: those hosts read back as `running`, and `--resume` runs
// them again (a host that had finished may run twice, one that had not is never skipped: a
// host counts as done only once its end is committed).
//
// `--resume` reads it back (resumePoint): the plays and batches the interrupted run started, the
// hosts it finished, the hosts it lost; the engine then skips what is done (RunOptions.resume).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { RecapEvent, Reporter, RunEvent } from '../engine/events.js';
import type { ResumePoint } from '../engine/types.js';
import type { Playbook, Step } from '../playbook/types.js';
import { openStore, type Db, type Store, type StoreArea } from './db.js';

export const historyArea: StoreArea = {
  name: 'history',
  migrations: [
    `CREATE TABLE history_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      user TEXT NOT NULL,
      controller TEXT NOT NULL,
      pid INTEGER NOT NULL,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      status TEXT NOT NULL,
      playbook TEXT NOT NULL,
      digest TEXT NOT NULL,
      files TEXT NOT NULL,
      options TEXT NOT NULL,
      resume_of INTEGER,
      exit_code INTEGER,
      stopped TEXT,
      recap TEXT
    );
    CREATE TABLE history_plays (
      run_id INTEGER NOT NULL REFERENCES history_runs(id) ON DELETE CASCADE,
      play INTEGER NOT NULL,
      name TEXT NOT NULL,
      hosts TEXT NOT NULL,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      stopped TEXT,
      PRIMARY KEY (run_id, play)
    );
    CREATE TABLE history_batches (
      run_id INTEGER NOT NULL REFERENCES history_runs(id) ON DELETE CASCADE,
      play INTEGER NOT NULL,
      batch INTEGER NOT NULL,
      batches INTEGER NOT NULL,
      hosts TEXT NOT NULL,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      states TEXT,
      stopped TEXT,
      approval TEXT,
      PRIMARY KEY (run_id, play, batch)
    );
    CREATE TABLE history_hosts (
      run_id INTEGER NOT NULL REFERENCES history_runs(id) ON DELETE CASCADE,
      play INTEGER NOT NULL,
      host TEXT NOT NULL,
      batch INTEGER NOT NULL,
      state TEXT NOT NULL,
      ended_at TEXT,
      PRIMARY KEY (run_id, play, host)
    );
    CREATE INDEX history_hosts_host ON history_hosts (host, run_id);
    CREATE TABLE history_results (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES history_runs(id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      play INTEGER NOT NULL,
      host TEXT NOT NULL,
      task_id TEXT NOT NULL,
      task TEXT NOT NULL,
      module TEXT NOT NULL,
      location TEXT NOT NULL,
      status TEXT NOT NULL,
      changed INTEGER NOT NULL,
      msg TEXT,
      output TEXT,
      duration_ms INTEGER NOT NULL,
      at TEXT NOT NULL
    );
    CREATE INDEX history_results_run ON history_results (run_id, host, seq);`,
  ],
};

/** task results wait at most this long before their commit */
export const FLUSH_MS = 200;
/** output kept per host and task: the last OUTPUT_LIMIT characters */
export const OUTPUT_LIMIT = 4096;

export interface RunMeta {
  kind: 'apply' | 'run';
  /** the playbook path(s) as given, or the ad-hoc `PATTERN -m MODULE` */
  playbook: string;
  digest: string;
  files: string[];
  /** what a resume needs to run the same again (masked where it holds secrets) */
  options: Record<string, unknown>;
  resumeOf?: number;
  user?: string;
}

/** sha256 over the playbook and every file it loaded (imports, roles' task files, vars_files), in a stable order. */
export function playbookDigest(playbook: Playbook, read: (path: string) => Buffer | string = (p) => readFileSync(p)): { digest: string; files: string[] } {
  const files = new Set<string>([playbook.file]);
  const walk = (steps: readonly Step[]): void => {
    for (const s of steps) {
      files.add(s.location.file);
      if (s.kind === 'block') {
        walk(s.block);
        walk(s.rescue);
        walk(s.always);
      }
    }
  };
  for (const p of playbook.plays) {
    files.add(p.location.file);
    for (const v of p.varsFiles) files.add(v.file);
    walk(p.preTasks);
    walk(p.tasks);
    walk(p.postTasks);
    walk(p.handlers);
  }
  const sorted = [...files].sort();
  const h = createHash('sha256');
  for (const f of sorted) {
    let content: Buffer | string;
    try {
      content = read(f);
    } catch {
      content = '\0missing';
    }
    h.update(`${f}\0${createHash('sha256').update(content).digest('hex')}\n`);
  }
  return { digest: h.digest('hex'), files: sorted };
}

export interface RunRecorder {
  readonly id: number;
  /** feed it the run's events (combine it with the screen's reporter) */
  readonly reporter: Reporter;
}

type Statement = () => void;

/** Start recording a run: its row is committed now (status `running`); events fill the rest. */
export function startRunRecord(db: Db, meta: RunMeta, given?: () => Date): RunRecorder {
  // the real clock unless a test gives one
  const clock = given === undefined;
  const now = given ?? ((): Date => new Date());
  const user = meta.user ?? safeUser();
  const info = db
    .prepare('INSERT INTO history_runs (kind, user, controller, pid, started_at, status, playbook, digest, files, options, resume_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(meta.kind, user, hostname(), process.pid, now().toISOString(), 'running', meta.playbook, meta.digest, JSON.stringify(meta.files), JSON.stringify(meta.options), meta.resumeOf ?? null);
  const id = Number(info.lastInsertRowid);
  const st = {
    play: db.prepare('INSERT OR REPLACE INTO history_plays (run_id, play, name, hosts, started_at) VALUES (?, ?, ?, ?, ?)'),
    playEnd: db.prepare('UPDATE history_plays SET ended_at = ?, stopped = ? WHERE run_id = ? AND play = ?'),
    batch: db.prepare('INSERT OR REPLACE INTO history_batches (run_id, play, batch, batches, hosts, started_at) VALUES (?, ?, ?, ?, ?, ?)'),
    batchEnd: db.prepare('UPDATE history_batches SET ended_at = ?, states = ?, stopped = ? WHERE run_id = ? AND play = ? AND batch = ?'),
    approval: db.prepare('UPDATE history_batches SET approval = ? WHERE run_id = ? AND play = ? AND batch = ?'),
    host: db.prepare("INSERT OR REPLACE INTO history_hosts (run_id, play, host, batch, state) VALUES (?, ?, ?, ?, 'running')"),
    hostEnd: db.prepare('UPDATE history_hosts SET state = ?, ended_at = ? WHERE run_id = ? AND play = ? AND host = ?'),
    result: db.prepare(
      'INSERT INTO history_results (run_id, seq, play, host, task_id, task, module, location, status, changed, msg, output, duration_ms, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    end: db.prepare('UPDATE history_runs SET ended_at = ?, status = ?, exit_code = ?, stopped = ?, recap = ? WHERE id = ?'),
  };
  const queue: Statement[] = [];
  let timer: NodeJS.Timeout | undefined;
  let seq = 0;
  let play = 0;
  let stopped: string | undefined;
  const output = new Map<string, string>();
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue.splice(0);
    db.transaction(() => {
      for (const s of batch) s();
    })();
  };
  const later = (s: Statement): void => {
    queue.push(s);
    if (!timer) {
      timer = setTimeout(flush, FLUSH_MS);
      timer.unref();
    }
  };
  // what --resume reads is committed with everything queued before it, in order
  const now_ = (s: Statement): void => {
    queue.push(s);
    flush();
  };
  // one ISO string per millisecond, not per event (a fleet's events come many to a millisecond)
  let lastMs = NaN;
  let lastIso = '';
  const at = (): string => {
    if (!clock) return now().toISOString();
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };

  const onEvent = (e: RunEvent): void => {
    switch (e.type) {
      case 'play_start':
        play = e.index;
        now_(() => st.play.run(id, e.index, e.play, JSON.stringify(e.hosts), at()));
        break;
      case 'batch_start': {
        const p = play;
        now_(() => {
          st.batch.run(id, p, e.batch, e.batches, JSON.stringify(e.hosts), at());
          for (const h of e.hosts) st.host.run(id, p, h, e.batch);
        });
        break;
      }
      case 'output': {
        const key = `${e.host}\0${e.task.id}`;
        const text = (output.get(key) ?? '') + e.chunk;
        output.set(key, text.length > OUTPUT_LIMIT * 2 ? text.slice(-OUTPUT_LIMIT) : text);
        break;
      }
      case 'task_result': {
        // a loop's own result stands for its items
        if (e.item !== undefined) break;
        const key = `${e.host}\0${e.task.id}`;
        let out = output.get(key) ?? '';
        output.delete(key);
        if (out === '' && e.stderr) out = e.stderr;
        if (out.length > OUTPUT_LIMIT) out = `…${out.slice(-OUTPUT_LIMIT)}`;
        const n = seq++;
        const p = play;
        const when = at();
        later(() =>
          st.result.run(id, n, p, e.host, e.task.id, e.task.name, e.task.module, e.task.where, e.status, e.status === 'changed' ? 1 : 0, e.msg ?? null, out || null, Math.round(e.durationMs), when),
        );
        break;
      }
      case 'host_end': {
        const p = play;
        const when = at();
        later(() => st.hostEnd.run(e.state, when, id, p, e.host));
        break;
      }
      case 'batch_end': {
        const p = play;
        now_(() => st.batchEnd.run(at(), JSON.stringify(e.hosts), e.stopped ?? null, id, p, e.batch));
        break;
      }
      case 'approval': {
        const p = play;
        now_(() => st.approval.run(JSON.stringify({ decision: e.decision, by: e.by, waitedMs: e.waitedMs }), id, p, e.batch));
        break;
      }
      case 'play_end':
        if (e.stopped) stopped = e.stopped;
        now_(() => st.playEnd.run(at(), e.stopped ?? null, id, e.index));
        break;
      case 'recap':
        now_(() => st.end.run(at(), statusOf(e, stopped), e.exitCode, stopped ?? null, JSON.stringify(e), id));
        break;
      default:
        break;
    }
  };
  return {
    id,
    reporter: {
      onEvent,
      close: () => flush(),
    },
  };
}

function statusOf(recap: RecapEvent, stopped: string | undefined): string {
  if (recap.interrupted) return 'interrupted';
  if (stopped) return 'stopped';
  switch (recap.exitCode) {
    case 0:
      return 'ok';
    case 2:
      return 'failed';
    case 4:
      return 'unreachable';
    case 8:
      return 'deferred';
    default:
      return 'failed';
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Retention: keep the last `runs` runs and/or the runs of the last `days` days. Returns how many were removed. */
export function pruneHistory(db: Db, keep: { runs?: number; days?: number }, now: Date = new Date()): number {
  let removed = 0;
  db.transaction(() => {
    if (keep.runs !== undefined) {
      removed += db.prepare('DELETE FROM history_runs WHERE id NOT IN (SELECT id FROM history_runs ORDER BY id DESC LIMIT ?)').run(keep.runs).changes;
    }
    if (keep.days !== undefined) {
      const cutoff = new Date(now.getTime() - keep.days * 86_400_000).toISOString();
      removed += db.prepare('DELETE FROM history_runs WHERE started_at < ?').run(cutoff).changes;
    }
  })();
  return removed;
}

// ------------------------------------------------------------------------------------ reading

export interface RunRow {
  id: number;
  kind: string;
  user: string;
  controller: string;
  pid: number;
  startedAt: string;
  endedAt?: string;
  /** running (this process or another is still at it), died (its controller is gone), ok, failed, ... */
  status: string;
  playbook: string;
  digest: string;
  files: string[];
  options: Record<string, unknown>;
  resumeOf?: number;
  /** the run that resumed this one, if any */
  resumedBy?: number;
  exitCode?: number;
  stopped?: string;
  /** hosts by their last state in the run: ok, failed, unreachable, stopped, running, deferred */
  hosts: Record<string, string>;
}

interface RawRun {
  id: number;
  kind: string;
  user: string;
  controller: string;
  pid: number;
  started_at: string;
  ended_at: string | null;
  status: string;
  playbook: string;
  digest: string;
  files: string;
  options: string;
  resume_of: number | null;
  exit_code: number | null;
  stopped: string | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function toRun(db: Db, r: RawRun): RunRow {
  const hosts: Record<string, string> = {};
  const rows = db.prepare('SELECT host, state FROM history_hosts WHERE run_id = ? ORDER BY play, batch').all(r.id) as Array<{ host: string; state: string }>;
  // a host's last play decides (a host failed in play 1 is not in play 2)
  for (const h of rows) hosts[h.host] = h.state;
  // a run still marked running whose controller is gone died (SIGKILL, power cut)
  const died = r.status === 'running' && r.controller === hostname() && r.pid !== process.pid && !alive(r.pid);
  const resumedBy = db.prepare('SELECT id FROM history_runs WHERE resume_of = ? ORDER BY id LIMIT 1').get(r.id) as { id: number } | undefined;
  return {
    id: r.id,
    kind: r.kind,
    user: r.user,
    controller: r.controller,
    pid: r.pid,
    startedAt: r.started_at,
    ...(r.ended_at ? { endedAt: r.ended_at } : {}),
    status: died ? 'died' : r.status,
    playbook: r.playbook,
    digest: r.digest,
    files: JSON.parse(r.files) as string[],
    options: JSON.parse(r.options) as Record<string, unknown>,
    ...(r.resume_of !== null ? { resumeOf: r.resume_of } : {}),
    ...(resumedBy ? { resumedBy: resumedBy.id } : {}),
    ...(r.exit_code !== null ? { exitCode: r.exit_code } : {}),
    ...(r.stopped !== null ? { stopped: r.stopped } : {}),
    hosts,
  };
}

export function getRun(db: Db, id: number): RunRow | undefined {
  const r = db.prepare('SELECT * FROM history_runs WHERE id = ?').get(id) as RawRun | undefined;
  return r ? toRun(db, r) : undefined;
}

/** Runs, newest first; `host`: only runs that included it; `failed`: only runs where some host failed, was unreachable or was not done. */
export function listRuns(db: Db, filter: { host?: string; failed?: boolean; limit?: number } = {}): RunRow[] {
  const limit = filter.limit ?? 50;
  const raws = (
    filter.host !== undefined
      ? db.prepare('SELECT r.* FROM history_runs r WHERE EXISTS (SELECT 1 FROM history_hosts h WHERE h.run_id = r.id AND h.host = ?) ORDER BY r.id DESC').all(filter.host)
      : db.prepare('SELECT * FROM history_runs ORDER BY id DESC').all()
  ) as RawRun[];
  const out: RunRow[] = [];
  for (const r of raws) {
    const run = toRun(db, r);
    if (filter.failed && !Object.values(run.hosts).some((s) => s !== 'ok' && s !== 'deferred')) continue;
    out.push(run);
    if (out.length >= limit) break;
  }
  return out;
}

export interface ResultRow {
  seq: number;
  play: number;
  host: string;
  taskId: string;
  task: string;
  module: string;
  location: string;
  status: string;
  changed: boolean;
  msg?: string;
  output?: string;
  durationMs: number;
  at: string;
}

export interface BatchRow {
  play: number;
  batch: number;
  batches: number;
  hosts: string[];
  startedAt: string;
  endedAt?: string;
  states?: Record<string, string>;
  stopped?: string;
  approval?: { decision: string; by: string; waitedMs: number };
}

export interface RunDetail {
  run: RunRow;
  plays: Array<{ play: number; name: string; hosts: string[]; startedAt: string; endedAt?: string; stopped?: string }>;
  batches: BatchRow[];
  results: ResultRow[];
  recap?: RecapEvent;
}

/** One run in full; `host` keeps that host's results only, `failed` only failed/unreachable results. */
export function runDetail(db: Db, id: number, filter: { host?: string; failed?: boolean } = {}): RunDetail | undefined {
  const run = getRun(db, id);
  if (!run) return undefined;
  const plays = (db.prepare('SELECT * FROM history_plays WHERE run_id = ? ORDER BY play').all(id) as Array<{ play: number; name: string; hosts: string; started_at: string; ended_at: string | null; stopped: string | null }>).map((p) => ({
    play: p.play,
    name: p.name,
    hosts: JSON.parse(p.hosts) as string[],
    startedAt: p.started_at,
    ...(p.ended_at ? { endedAt: p.ended_at } : {}),
    ...(p.stopped ? { stopped: p.stopped } : {}),
  }));
  const batches = (
    db.prepare('SELECT * FROM history_batches WHERE run_id = ? ORDER BY play, batch').all(id) as Array<{
      play: number;
      batch: number;
      batches: number;
      hosts: string;
      started_at: string;
      ended_at: string | null;
      states: string | null;
      stopped: string | null;
      approval: string | null;
    }>
  ).map(
    (b): BatchRow => ({
      play: b.play,
      batch: b.batch,
      batches: b.batches,
      hosts: JSON.parse(b.hosts) as string[],
      startedAt: b.started_at,
      ...(b.ended_at ? { endedAt: b.ended_at } : {}),
      ...(b.states ? { states: JSON.parse(b.states) as Record<string, string> } : {}),
      ...(b.stopped ? { stopped: b.stopped } : {}),
      ...(b.approval ? { approval: JSON.parse(b.approval) as BatchRow['approval'] & object } : {}),
    }),
  );
  let sql = 'SELECT * FROM history_results WHERE run_id = ?';
  const args: unknown[] = [id];
  if (filter.host !== undefined) {
    sql += ' AND host = ?';
    args.push(filter.host);
  }
  if (filter.failed) sql += " AND status IN ('failed', 'unreachable')";
  sql += ' ORDER BY seq';
  const results = (
    db.prepare(sql).all(...args) as Array<{
      seq: number;
      play: number;
      host: string;
      task_id: string;
      task: string;
      module: string;
      location: string;
      status: string;
      changed: number;
      msg: string | null;
      output: string | null;
      duration_ms: number;
      at: string;
    }>
  ).map(
    (r): ResultRow => ({
      seq: r.seq,
      play: r.play,
      host: r.host,
      taskId: r.task_id,
      task: r.task,
      module: r.module,
      location: r.location,
      status: r.status,
      changed: r.changed === 1,
      ...(r.msg !== null ? { msg: r.msg } : {}),
      ...(r.output !== null ? { output: r.output } : {}),
      durationMs: r.duration_ms,
      at: r.at,
    }),
  );
  const recapRow = db.prepare('SELECT recap FROM history_runs WHERE id = ?').get(id) as { recap: string | null } | undefined;
  return { run, plays, batches, results, ...(recapRow?.recap ? { recap: JSON.parse(recapRow.recap) as RecapEvent } : {}) };
}

/** The last run of `kind` (the newest one). */
export function latestRun(db: Db, kind: string): RunRow | undefined {
  const r = db.prepare('SELECT * FROM history_runs WHERE kind = ? ORDER BY id DESC LIMIT 1').get(kind) as RawRun | undefined;
  return r ? toRun(db, r) : undefined;
}

/** The chain of a resumed rollout: the first run and each run that resumed the one before, oldest first. */
export function resumeChain(db: Db, id: number): RunRow[] {
  let first = getRun(db, id);
  while (first?.resumeOf !== undefined) first = getRun(db, first.resumeOf);
  const chain: RunRow[] = [];
  for (let r = first; r; r = r.resumedBy !== undefined ? getRun(db, r.resumedBy) : undefined) chain.push(r);
  return chain;
}

/**
 * What the rollout of `chain` already did, for the engine (RunOptions.resume): per play, the host
 * order the first run took (so batches are cut the same) and the hosts done in any run of the
 * chain; the hosts that failed or were unreachable. A host is done with a play when its end was
 * recorded (ok, failed, unreachable, deferred); under a play with handlers only once its batch
 * ended too (handlers run at the batch's end: a host whose batch did not end starts again, and
 * its handlers with it).
 */
export function resumePoint(db: Db, chain: readonly RunRow[], handlers: (play: number) => boolean): ResumePoint {
  const plays: ResumePoint['plays'] = {};
  const failed = new Set<string>();
  const unreachable = new Set<string>();
  for (const run of chain) {
    const ended = new Set(
      (db.prepare('SELECT play, batch FROM history_batches WHERE run_id = ? AND ended_at IS NOT NULL').all(run.id) as Array<{ play: number; batch: number }>).map((b) => `${b.play}/${b.batch}`),
    );
    for (const p of db.prepare('SELECT play, hosts FROM history_plays WHERE run_id = ?').all(run.id) as Array<{ play: number; hosts: string }>) {
      plays[p.play] ??= { hosts: JSON.parse(p.hosts) as string[], done: [] };
    }
    for (const h of db.prepare('SELECT play, host, batch, state FROM history_hosts WHERE run_id = ?').all(run.id) as Array<{ play: number; host: string; batch: number; state: string }>) {
      if (!['ok', 'failed', 'unreachable', 'deferred'].includes(h.state)) continue;
      if (handlers(h.play) && !ended.has(`${h.play}/${h.batch}`) && h.state === 'ok') continue;
      const entry = plays[h.play];
      if (entry && !entry.done.includes(h.host)) entry.done.push(h.host);
      if (h.state === 'failed') failed.add(h.host);
      if (h.state === 'unreachable') unreachable.add(h.host);
    }
  }
  return { plays, failed: [...failed], unreachable: [...unreachable] };
}

/** Whether the chain's rollout is finished: its last run ended on its own (not interrupted, not stopped short, not died). */
export function chainFinished(chain: readonly RunRow[]): boolean {
  const last = chain.at(-1);
  return last !== undefined && ['ok', 'failed', 'unreachable', 'deferred'].includes(last.status);
}

// ------------------------------------------------------------------------- the CLI's one call

export interface HistorySession {
  id: number;
  reporter: Reporter;
  store: Store;
}

/**
 * Open the store at `path`, apply the retention, and start recording a run (apply or ad-hoc
 * `runbook run`). A store that cannot be used never stops the run: the reason comes back as a
 * warning and nothing is recorded.
 */
export function recordRun(path: string, meta: RunMeta, keep: { runs?: number; days?: number } = {}): HistorySession | { warning: string } {
  let store: Store | undefined;
  try {
    store = openStore(path, [historyArea]);
    pruneHistory(store.db, keep);
    const rec = startRunRecord(store.db, meta);
    const s = store;
    const reporter: Reporter = {
      onEvent: (e) => {
        try {
          rec.reporter.onEvent?.(e);
        } catch {
          // a full disk must not stop a rollout half-way; the record just ends here
        }
      },
      close: () => {
        try {
          void rec.reporter.close?.();
        } catch {
          // as above
        }
        s.close();
      },
    };
    return { id: rec.id, reporter, store };
  } catch (e) {
    store?.close();
    return { warning: `runbook: this run is not recorded in the history: ${e instanceof Error ? e.message : String(e)}` };
  }
}
