// runbook's embedded store: one SQLite file (better-sqlite3, synchronous and in-process: no
// server, no callbacks, transactions that are plain function calls) shared by every feature that
// keeps a record over time (`runbook certs` history, apply outputs, later apply run history).
//
// Each feature owns an *area*: a name plus an ordered list of migrations. Opening the store
// applies the missing migrations of the areas asked for, each in its own transaction, and records
// them in `schema_migrations`, so a feature adds tables without touching the others' code.
//
// WAL journal: readers never block the writer, a crash loses nothing already committed, and two
// runs at once (a cron job and an operator) wait on each other's write lock (busy_timeout)
// instead of failing.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EnvironmentError } from '../util/errors.js';

export type Db = Database.Database;

export interface StoreArea {
  /** unique name, e.g. 'certs', 'apply' */
  name: string;
  /** SQL per version, oldest first; never edit a released entry, append a new one */
  migrations: readonly string[];
}

export interface Store {
  readonly path: string;
  readonly db: Db;
  close(): void;
}

/** Open (creating when needed) the store at `path` and bring `areas` up to date. */
export function openStore(path: string, areas: readonly StoreArea[]): Store {
  let db: Db;
  try {
    if (path !== ':memory:') makeFolders(dirname(path));
    db = new Database(path, { timeout: 15_000 });
  } catch (e) {
    throw new EnvironmentError(`cannot open the runbook store ${path}: ${e instanceof Error ? e.message : String(e)} (set another path with --store or RUNBOOK_STORE)`);
  }
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is safe in WAL mode: a power cut may lose the last transactions, never corrupt the file
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      area TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at TEXT NOT NULL,
      PRIMARY KEY (area, version)
    )`);
    for (const area of areas) migrate(db, area);
  } catch (e) {
    db.close();
    if (e instanceof EnvironmentError) throw e;
    throw new EnvironmentError(`the runbook store ${path} cannot be used: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { path, db, close: () => db.close() };
}

/**
 * The store's folder and the missing ones above it, one level at a time. Node 20's recursive
 * mkdir never returns for a folder under /proc (ENOENT again and again): a store path there hung
 * the command instead of failing with a message.
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      // another runbook made it meanwhile
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Apply the migrations of `area` the store has not seen yet; each one atomically. */
export function migrate(db: Db, area: StoreArea): void {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE area = ?').get(area.name) as { v: number | null } | undefined;
  const current = row?.v ?? 0;
  if (current > area.migrations.length) {
    throw new EnvironmentError(
      `the runbook store has '${area.name}' schema version ${current}, newer than this runbook knows (${area.migrations.length}): upgrade runbook or use another --store`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (area, version, applied_at) VALUES (?, ?, ?)');
  for (let v = current + 1; v <= area.migrations.length; v++) {
    const sql = area.migrations[v - 1] ?? '';
    // IMMEDIATE: a second process migrating at the same time waits, then sees the version and skips
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE area = ? AND version = ?').get(area.name, v);
      if (again) return;
      db.exec(sql);
      record.run(area.name, v, new Date().toISOString());
    }).immediate();
  }
}

/** The schema version of each area in the store. */
export function schemaVersions(db: Db): Record<string, number> {
  const rows = db.prepare('SELECT area, MAX(version) AS v FROM schema_migrations GROUP BY area').all() as Array<{ area: string; v: number }>;
  return Object.fromEntries(rows.map((r) => [r.area, r.v]));
}
