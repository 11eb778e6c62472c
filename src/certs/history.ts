// The store's 'certs' area: every report is recorded (runs, per-host reachability, one
// observation per lineage, each distinct certificate with when it was first and last seen, and
// the renewal attempts read from certbot's logs, kept after certbot rotates its logs away).
// Conditions that need time are computed from this record: a renewal failing for N days, a
// certificate that was already due at an earlier run and is still the one on disk.
import type { Db, StoreArea } from '../store/db.js';
import type { HistoryLookup } from './collect.js';
import type { CertsReport } from './types.js';

export const certsArea: StoreArea = {
  name: 'certs',
  migrations: [
    `CREATE TABLE cert_runs (
      id INTEGER PRIMARY KEY,
      generated_at TEXT NOT NULL,
      report_now TEXT NOT NULL,
      hosts INTEGER NOT NULL,
      exit_code INTEGER NOT NULL
    );
    CREATE TABLE cert_host_observations (
      run_id INTEGER NOT NULL REFERENCES cert_runs(id) ON DELETE CASCADE,
      host TEXT NOT NULL,
      observed_at TEXT NOT NULL,
      reachable INTEGER NOT NULL,
      severity TEXT NOT NULL,
      error TEXT
    );
    CREATE INDEX cert_host_observations_host ON cert_host_observations (host, observed_at);
    CREATE TABLE cert_observations (
      run_id INTEGER NOT NULL REFERENCES cert_runs(id) ON DELETE CASCADE,
      host TEXT NOT NULL,
      lineage TEXT NOT NULL,
      observed_at TEXT NOT NULL,
      serial TEXT,
      not_after TEXT,
      due_at TEXT,
      severity TEXT NOT NULL,
      conditions TEXT NOT NULL
    );
    CREATE INDEX cert_observations_lineage ON cert_observations (host, lineage, observed_at);
    CREATE TABLE cert_versions (
      host TEXT NOT NULL,
      lineage TEXT NOT NULL,
      serial TEXT NOT NULL,
      names TEXT NOT NULL,
      issuer TEXT NOT NULL,
      not_before TEXT NOT NULL,
      not_after TEXT NOT NULL,
      first_seen TEXT NOT NULL,
      last_seen TEXT NOT NULL,
      PRIMARY KEY (host, lineage, serial)
    );
    CREATE TABLE renewal_attempts (
      host TEXT NOT NULL,
      lineage TEXT NOT NULL,
      at TEXT NOT NULL,
      outcome TEXT NOT NULL,
      dry_run INTEGER NOT NULL,
      error TEXT,
      source TEXT NOT NULL,
      PRIMARY KEY (host, lineage, at, dry_run)
    );`,
  ],
};

/** Write one report; returns the run id. One transaction: a crash keeps all of it or none. */
export function recordReport(db: Db, report: CertsReport): number {
  const insRun = db.prepare('INSERT INTO cert_runs (generated_at, report_now, hosts, exit_code) VALUES (?, ?, ?, ?)');
  const insHost = db.prepare('INSERT INTO cert_host_observations (run_id, host, observed_at, reachable, severity, error) VALUES (?, ?, ?, ?, ?, ?)');
  const insObs = db.prepare('INSERT INTO cert_observations (run_id, host, lineage, observed_at, serial, not_after, due_at, severity, conditions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const upVersion = db.prepare(`INSERT INTO cert_versions (host, lineage, serial, names, issuer, not_before, not_after, first_seen, last_seen)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (host, lineage, serial) DO UPDATE SET
      first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`);
  const insAttempt = db.prepare('INSERT OR IGNORE INTO renewal_attempts (host, lineage, at, outcome, dry_run, error, source) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const now = report.now;
  return db.transaction(() => {
    const run = insRun.run(report.generatedAt, now, report.hosts.length, report.exitCode);
    const runId = Number(run.lastInsertRowid);
    for (const h of report.hosts) {
      insHost.run(runId, h.host, now, h.reachable ? 1 : 0, h.severity, h.error ?? null);
      for (const l of h.lineages) {
        const conds = l.conditions.filter((c) => c.type !== 'Ready' || c.status === 'False').map((c) => c.type);
        insObs.run(runId, h.host, l.name, now, l.cert?.serial ?? null, l.cert?.notAfter ?? null, l.dueAt ?? null, l.severity, JSON.stringify(conds));
        if (l.cert) upVersion.run(h.host, l.name, l.cert.serial, l.cert.names.join(','), l.cert.issuerCN ?? l.cert.issuer, l.cert.notBefore, l.cert.notAfter, now, now);
        for (const a of l.attempts) insAttempt.run(h.host, l.name, a.at, a.outcome, a.dryRun ? 1 : 0, a.error ?? null, a.source);
      }
    }
    return runId;
  })();
}

/** The record's answers for time-based conditions, as of the report's clock. */
export function historyLookup(db: Db, now: Date): HistoryLookup {
  const nowIso = now.toISOString();
  const dueSeen = db.prepare(
    'SELECT MIN(observed_at) AS t FROM cert_observations WHERE host = ? AND lineage = ? AND serial = ? AND due_at IS NOT NULL AND due_at <= observed_at AND observed_at < ?',
  );
  const attempts = db.prepare("SELECT at, outcome FROM renewal_attempts WHERE host = ? AND lineage = ? AND dry_run = 0 AND outcome != 'not-due' AND at <= ? ORDER BY at DESC LIMIT 200");
  return {
    dueSeenSince: (host, lineage, serial) => (dueSeen.get(host, lineage, serial, nowIso) as { t: string | null } | undefined)?.t ?? undefined,
    failingSince: (host, lineage) => {
      let since: string | undefined;
      for (const a of attempts.all(host, lineage, nowIso) as Array<{ at: string; outcome: string }>) {
        if (a.outcome === 'renewed') break;
        since = a.at;
      }
      return since;
    },
  };
}

export interface HistoryRow {
  host: string;
  lineage: string;
  serial: string;
  names: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  firstSeen: string;
  lastSeen: string;
  /** the certificate that replaced it (next serial of the lineage), if any */
  replacedBy?: string;
}

/** Each lineage's certificates over time (issued, replaced), optionally for one host. */
export function certHistory(db: Db, host?: string): HistoryRow[] {
  const rows = (
    host === undefined
      ? db.prepare('SELECT * FROM cert_versions ORDER BY host, lineage, not_before').all()
      : db.prepare('SELECT * FROM cert_versions WHERE host = ? ORDER BY host, lineage, not_before').all(host)
  ) as Array<Record<string, string>>;
  const out: HistoryRow[] = rows.map((r) => ({
    host: r.host ?? '',
    lineage: r.lineage ?? '',
    serial: r.serial ?? '',
    names: r.names ?? '',
    issuer: r.issuer ?? '',
    notBefore: r.not_before ?? '',
    notAfter: r.not_after ?? '',
    firstSeen: r.first_seen ?? '',
    lastSeen: r.last_seen ?? '',
  }));
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i];
    const b = out[i + 1];
    if (a && b && a.host === b.host && a.lineage === b.lineage) a.replacedBy = b.serial;
  }
  return out;
}

/** Recent renewal attempts and condition changes per lineage, for --history. */
export function recentAttempts(db: Db, host: string | undefined, limit = 200): Array<{ host: string; lineage: string; at: string; outcome: string; dryRun: boolean; error?: string }> {
  const rows = (
    host === undefined
      ? db.prepare('SELECT * FROM renewal_attempts ORDER BY at DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM renewal_attempts WHERE host = ? ORDER BY at DESC LIMIT ?').all(host, limit)
  ) as Array<{ host: string; lineage: string; at: string; outcome: string; dry_run: number; error: string | null }>;
  return rows.map((r) => ({ host: r.host, lineage: r.lineage, at: r.at, outcome: r.outcome, dryRun: r.dry_run === 1, ...(r.error ? { error: r.error } : {}) }));
}

export function hostObservations(db: Db, host: string | undefined, limit = 50): Array<{ host: string; at: string; reachable: boolean; severity: string; error?: string }> {
  const rows = (
    host === undefined
      ? db.prepare('SELECT * FROM cert_host_observations ORDER BY observed_at DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM cert_host_observations WHERE host = ? ORDER BY observed_at DESC LIMIT ?').all(host, limit)
  ) as Array<{ host: string; observed_at: string; reachable: number; severity: string; error: string | null }>;
  return rows.map((r) => ({ host: r.host, at: r.observed_at, reachable: r.reachable === 1, severity: r.severity, ...(r.error ? { error: r.error } : {}) }));
}
