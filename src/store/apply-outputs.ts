// The store's 'apply' area: what `runbook apply` reports as each host's `outputs` (the shipped
// playbooks' domain, certificate paths, expiry, renewal schedule), one row per host and run, so
// `runbook certs --history` right after a rollout already shows each node's new certificate.
// Issue 18 (apply run history) appends its own migrations to this area.
import { openStore, type Db, type StoreArea } from './db.js';

export const applyArea: StoreArea = {
  name: 'apply',
  migrations: [
    `CREATE TABLE apply_outputs (
      id INTEGER PRIMARY KEY,
      recorded_at TEXT NOT NULL,
      playbook TEXT NOT NULL,
      host TEXT NOT NULL,
      outputs TEXT NOT NULL
    );
    CREATE INDEX apply_outputs_host ON apply_outputs (host, recorded_at);`,
  ],
};

export interface ApplyOutputRow {
  recordedAt: string;
  playbook: string;
  host: string;
  outputs: Record<string, unknown>;
}

export function recordApplyOutputs(db: Db, playbook: string, outputs: Record<string, Record<string, unknown>>, at: Date = new Date()): number {
  const insert = db.prepare('INSERT INTO apply_outputs (recorded_at, playbook, host, outputs) VALUES (?, ?, ?, ?)');
  const hosts = Object.entries(outputs);
  db.transaction(() => {
    for (const [host, out] of hosts) insert.run(at.toISOString(), playbook, host, JSON.stringify(out));
  })();
  return hosts.length;
}

/** The most recent outputs per host (optionally one host), newest first. */
export function applyOutputs(db: Db, host?: string, limit = 50): ApplyOutputRow[] {
  const rows = (
    host === undefined
      ? db.prepare('SELECT recorded_at, playbook, host, outputs FROM apply_outputs ORDER BY recorded_at DESC, id DESC LIMIT ?').all(limit)
      : db.prepare('SELECT recorded_at, playbook, host, outputs FROM apply_outputs WHERE host = ? ORDER BY recorded_at DESC, id DESC LIMIT ?').all(host, limit)
  ) as Array<{ recorded_at: string; playbook: string; host: string; outputs: string }>;
  return rows.map((r) => ({ recordedAt: r.recorded_at, playbook: r.playbook, host: r.host, outputs: JSON.parse(r.outputs) as Record<string, unknown> }));
}

/**
 * Record one run's outputs in the store at `path`. A store that cannot be written never fails
 * the run that already happened: the reason comes back as a warning to print.
 */
export function recordApplyRun(path: string, playbook: string, outputs: Record<string, Record<string, unknown>>): string | undefined {
  try {
    const store = openStore(path, [applyArea]);
    try {
      recordApplyOutputs(store.db, playbook, outputs);
    } finally {
      store.close();
    }
    return undefined;
  } catch (e) {
    return `runbook: the outputs were not recorded in the store: ${e instanceof Error ? e.message : String(e)}`;
  }
}
