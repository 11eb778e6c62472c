// The store on a real SQLite file: migrations per area (applied once, in order, each atomic),
// WAL, a newer schema refused, the
// default path from the XDG state directory, and the apply area's outputs.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, schemaVersions, type StoreArea } from './db.js';
import { defaultStorePath } from './paths.js';
import { applyArea, applyOutputs, recordApplyOutputs } from './apply-outputs.js';


const tmp = (): string => join(mkdtempSync(join(tmpdir(), 'runbook-store-')), 'sub', 'runbook.db');

describe('store', () => {
  it('creates the file (and its folder), uses WAL, applies each area once', () => {
    const path = tmp();
    const a: StoreArea = { name: 'a', migrations: ['CREATE TABLE a1 (x INTEGER)', 'ALTER TABLE a1 ADD COLUMN y TEXT'] };
    const s = openStore(path, [a, applyArea]);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersions(s.db)).toEqual({ a: 2, apply: 1 });
    recordApplyOutputs(s.db, 'dms.yml', { n1: { domain: 'n1.example' } }, new Date('2026-12-01T00:00:00Z'));
    expect(applyOutputs(s.db, 'n1')).toEqual([{ recordedAt: '2026-12-01T00:00:00.000Z', playbook: 'dms.yml', host: 'n1', outputs: { domain: 'n1.example' } }]);
    s.db.prepare('INSERT INTO a1 (x, y) VALUES (1, ?)').run('kept');
    s.close();
    // reopening with one more migration applies only that one; data stays
    const s2 = openStore(path, [{ name: 'a', migrations: [...a.migrations, 'CREATE TABLE a2 (z TEXT)'] }]);
    expect(schemaVersions(s2.db)).toEqual({ a: 3, apply: 1 });
    expect(s2.db.prepare('SELECT y FROM a1').get()).toEqual({ y: 'kept' });
    s2.close();
  });

  it('a folder that cannot be made is a clear error, not a hang (Node\'s recursive mkdir loops under /proc)', () => {
    expect(() => openStore('/proc/runbook-no-such-dir/sub/runbook.db', [])).toThrow(/cannot open the runbook store \/proc\/runbook-no-such-dir\/sub\/runbook.db: ENOENT.*RUNBOOK_STORE/);
  });

  it('a failing migration leaves nothing half-applied', () => {
    const path = tmp();
    const bad: StoreArea = { name: 'b', migrations: ['CREATE TABLE b1 (x INTEGER)', 'CREATE TABLE b2 (x INTEGER); CREATE TABLE b1 (dup INTEGER)'] };
    expect(() => openStore(path, [bad])).toThrow(/cannot be used.*b1 already exists/);
    const s = openStore(path, [{ name: 'b', migrations: ['CREATE TABLE b1 (x INTEGER)'] }]);
    expect(schemaVersions(s.db)).toEqual({ b: 1 });
    expect(s.db.prepare("SELECT name FROM sqlite_master WHERE name = 'b2'").get()).toBeUndefined();
    s.close();
  });

  it('a store written by a newer runbook is refused with what to do', () => {
    const path = tmp();
    openStore(path, [{ name: 'c', migrations: ['SELECT 1', 'SELECT 2'] }]).close();
    expect(() => openStore(path, [{ name: 'c', migrations: ['SELECT 1'] }])).toThrow(/'c' schema version 2, newer than this runbook knows \(1\): upgrade runbook or use another --store/);
  });

  it('default path: RUNBOOK_STORE, else $XDG_STATE_HOME/runbook, else ~/.local/state/runbook', () => {
    expect(defaultStorePath({ RUNBOOK_STORE: '/x/y.db', HOME: '/home/a' })).toBe('/x/y.db');
    expect(defaultStorePath({ XDG_STATE_HOME: '/st', HOME: '/home/a' })).toBe('/st/runbook/runbook.db');
    expect(defaultStorePath({ XDG_STATE_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.local/state/runbook/runbook.db');
  });
});

describe('store shared by processes', () => {
  const writer = join(dirname(fileURLToPath(import.meta.url)), '../../test/support/store-writer.ts');
  const register = join(dirname(fileURLToPath(import.meta.url)), '../../test/support/register-ts.js');

  /** start a writer process; resolves with its exit code and the last count it reported */
  function run(path: string, name: string, count: number, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; committed: number }> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, ['--import', register, writer, path, name, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let committed = 0;
      let buf = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        buf += c;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) committed = Number(l);
        if (killAfter !== undefined && committed >= killAfter) child.kill('SIGKILL');
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`writer ${name} did not finish within 90 s: ${stderr}`));
      }, 90_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0 && signal === null) reject(new Error(`writer ${name} failed (${String(code)}): ${stderr}`));
        else resolveRun({ code, signal, committed });
      });
    });
  }

  it('four processes writing at once (a cron job and operators) all finish; nothing is lost', async () => {
    const path = tmp();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((n) => run(path, n, 150)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const s = openStore(path, []);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(s.db.prepare('SELECT writer, COUNT(*) AS n FROM w GROUP BY writer ORDER BY writer').all()).toEqual(['a', 'b', 'c', 'd'].map((writer) => ({ writer, n: 150 })));
    s.close();
  }, 120_000);

  it('a writer killed with SIGKILL mid-way loses nothing it committed; the store stays sound', async () => {
    const path = tmp();
    const [killed, other] = await Promise.all([run(path, 'killed', 100_000, 120), run(path, 'other', 100)]);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.committed).toBeGreaterThanOrEqual(120);
    expect(other.code).toBe(0);
    const s = openStore(path, []);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = s.db.prepare("SELECT COUNT(*) AS n, MAX(n) AS top FROM w WHERE writer = 'killed'").get() as { n: number; top: number };
    // every acknowledged commit is there, and rows are gapless (each transaction whole or absent)
    expect(rows.n).toBeGreaterThanOrEqual(killed.committed);
    expect(rows.top).toBe(rows.n);
    expect(s.db.prepare("SELECT COUNT(*) AS n FROM w WHERE writer = 'other'").get()).toEqual({ n: 100 });
    s.close();
  }, 120_000);
});
