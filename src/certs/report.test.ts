// Conditions, exit codes, the record (store) and the renderers, on reports built from data:
// the thresholds follow the lifetime, every condition says what to do, the worst severity
// decides the exit code, time-based conditions come from the store, and the outputs (table,
// JSON schema, Prometheus, HTML) carry what matters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildReport, schedulersOf } from './collect.js';
import { DEFAULT_THRESHOLDS, exitCodeOf, hostConditions, lineageConditions, severityOf, timing, worst, type LineageContext } from './conditions.js';
import { certHistory, certsArea, historyLookup, recordReport } from './history.js';
import { renderHtml } from './html.js';
import { renderPrometheus } from './prometheus.js';
import { renderTable, rows } from './table.js';
import type { HostReport, LineageReport, Scheduler } from './types.js';
import { openStore } from '../store/db.js';
import { parseCertHost } from '../facts/cert-host.js';

const DAY = 86_400_000;
const NOW = new Date('2027-01-01T00:00:00Z');
const cron: Scheduler = { kind: 'cron', source: '/etc/cron.d/certbot:17', detail: 'certbot -q renew', effective: true };

function lineage(name: string, daysAgoIssued: number, lifetimeDays: number, extra: Partial<LineageReport> = {}): Omit<LineageReport, 'conditions' | 'severity'> {
  const nb = new Date(NOW.getTime() - daysAgoIssued * DAY).toISOString();
  const na = new Date(NOW.getTime() + (lifetimeDays - daysAgoIssued) * DAY).toISOString();
  return {
    name,
    confPath: `/etc/letsencrypt/renewal/${name}.conf`,
    certPath: `/etc/letsencrypt/live/${name}/cert.pem`,
    hooks: {},
    cert: { serial: 'AA01', subject: `CN=${name}`, subjectCN: name, issuer: 'CN=R11, O=Let\'s Encrypt, C=US', issuerCN: 'R11', names: [name], notBefore: nb, notAfter: na, keyType: 'ECDSA P-256', fingerprint256: 'AA' },
    staging: false,
    versions: 1,
    attempts: [],
    served: [],
    ari: { status: 'not-offered', message: 'ARI not offered' },
    ...extra,
  };
}

function ctx(extra: Partial<LineageContext> = {}): LineageContext {
  return { now: NOW, thresholds: DEFAULT_THRESHOLDS, schedulers: [cron], confErrors: [], missingFiles: [], ...extra };
}

function kinds(l: Omit<LineageReport, 'conditions' | 'severity'>, c: LineageContext = ctx()): string[] {
  return lineageConditions(l, c).map((x) => `${x.type}:${x.status === 'False' ? 'False' : x.severity}`);
}

function full(l: Omit<LineageReport, 'conditions' | 'severity'>, c: LineageContext = ctx()): LineageReport {
  const conditions = lineageConditions(l, c);
  const tm = l.cert ? timing(l.cert.notBefore, l.cert.notAfter, c.now, c.thresholds, l.ari) : undefined;
  return { ...l, ...(tm ? { daysLeft: tm.daysLeft, lifetimeDays: tm.lifetimeDays, dueAt: tm.dueAt } : {}), conditions, severity: severityOf(conditions) };
}

function hostOf(name: string, lineages: LineageReport[], extra: Partial<HostReport> = {}): HostReport {
  const h = { host: name, address: '10.0.0.1', reachable: true, durationMs: 10, certbot: { installed: true, version: '2.1.0', ari: false, profiles: false }, schedulers: [cron], lineages, orphans: [], ...extra };
  const conditions = hostConditions(h);
  let severity = severityOf(conditions);
  for (const l of lineages) severity = worst(severity, l.severity);
  return { ...h, conditions, severity };
}

describe('conditions', () => {
  it('a 90-day certificate: ready, then due at 60 days, overdue under 20 days left, critical under 10, expired', () => {
    expect(kinds(lineage('a', 10, 90))).toEqual(['Ready:ok']);
    expect(kinds(lineage('a', 61, 90))).toEqual(['Ready:ok', 'RenewalDue:info']);
    expect(kinds(lineage('a', 72, 90))).toEqual(['Ready:False', 'RenewalOverdue:warning']);
    expect(kinds(lineage('a', 82, 90))).toEqual(['Ready:False', 'RenewalOverdue:critical']);
    expect(kinds(lineage('a', 91, 90))).toEqual(['Ready:False', 'Expired:critical']);
  });

  it('a 45-day certificate scales: due at 30 days, critical with 5 days left', () => {
    expect(timing(lineage('a', 0, 45).cert?.notBefore ?? '', lineage('a', 0, 45).cert?.notAfter ?? '', NOW, DEFAULT_THRESHOLDS).dueAt).toBe(new Date(NOW.getTime() + 30 * DAY).toISOString());
    expect(kinds(lineage('a', 41, 45))).toEqual(['Ready:False', 'RenewalOverdue:critical']);
    expect(kinds(lineage('a', 35, 45))).toEqual(['Ready:False', 'RenewalOverdue:warning']);
  });

  it('thresholds are overridable: due fraction, warning and critical days', () => {
    const t = { ...DEFAULT_THRESHOLDS, dueFraction: 0.5, warningDays: 40, criticalDays: 35 };
    expect(kinds(lineage('a', 46, 90), ctx({ thresholds: t }))).toEqual(['Ready:ok', 'RenewalDue:info']);
    expect(kinds(lineage('a', 51, 90), ctx({ thresholds: t }))).toEqual(['Ready:False', 'RenewalOverdue:warning']);
    expect(kinds(lineage('a', 56, 90), ctx({ thresholds: t }))).toEqual(['Ready:False', 'RenewalOverdue:critical']);
  });

  it('schedule: none running is NoSchedule (and says why), two are DuplicateSchedule', () => {
    const idle: Scheduler = { kind: 'systemd-timer', source: 'certbot.timer', detail: 'enabled, inactive', effective: false, note: 'systemd is not PID 1' };
    const none = lineageConditions(lineage('a', 10, 90), ctx({ schedulers: [idle] }));
    expect(none.find((c) => c.type === 'NoSchedule')?.message).toMatch(/certbot\.timer \(systemd is not PID 1\).*Enable certbot\.timer/);
    const two = lineageConditions(lineage('a', 10, 90), ctx({ schedulers: [cron, { ...cron, source: 'crontab:root:4' }] }));
    expect(two.find((c) => c.type === 'DuplicateSchedule')?.message).toMatch(/2 times: \/etc\/cron\.d\/certbot:17, crontab:root:4/);
  });

  it('renewal failing: warning first, critical after the failing days; dry runs do not count', () => {
    const failed = lineage('a', 61, 90, { attempts: [{ at: '2026-12-31T12:00:00.000Z', outcome: 'failed', dryRun: false, error: 'Could not bind TCP port 80', source: 'letsencrypt.log' }] });
    expect(lineageConditions(failed, ctx()).find((c) => c.type === 'RenewalFailing')).toMatchObject({ severity: 'warning', reason: 'LastRenewalFailed', message: expect.stringMatching(/Could not bind TCP port 80.*certbot renew --cert-name a/) as unknown });
    expect(lineageConditions(failed, ctx({ failingSince: '2026-12-27T00:00:00.000Z' })).find((c) => c.type === 'RenewalFailing')).toMatchObject({ severity: 'critical', reason: 'FailingForDays' });
    const dry = lineage('a', 61, 90, { attempts: [{ at: '2026-12-31T12:00:00.000Z', outcome: 'failed', dryRun: true, source: 'x' }] });
    expect(kinds(dry)).not.toContain('RenewalFailing:warning');
    const fixed = lineage('a', 1, 90, { attempts: [{ at: '2026-12-31T13:00:00.000Z', outcome: 'renewed', dryRun: false, source: 'x' }, { at: '2026-12-31T12:00:00.000Z', outcome: 'failed', dryRun: false, source: 'x' }] });
    expect(kinds(fixed)).toEqual(['Ready:ok']);
  });

  it('served: an old certificate is a mismatch (critical once it expired), a bad chain is untrusted, silence matters only with an installer', () => {
    const mism = lineage('a', 10, 90, { served: [{ name: 'a', endpoint: '10.0.0.1:443', status: 'mismatch', servedSerial: 'BB', servedNotAfter: '2027-02-01T00:00:00Z' }] });
    expect(lineageConditions(mism, ctx()).find((c) => c.type === 'ServedMismatch')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/serves serial BB .* the disk has AA01: reload/) as unknown });
    const expired = lineage('a', 10, 90, { served: [{ name: 'a', endpoint: 'x', status: 'mismatch', servedSerial: 'BB', servedNotAfter: '2026-12-01T00:00:00Z' }] });
    expect(kinds(expired)).toContain('ServedMismatch:critical');
    expect(kinds(lineage('a', 10, 90, { served: [{ name: 'a', endpoint: 'x', status: 'match', verified: false, verifyError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }] }))).toContain('ServedUntrusted:critical');
    expect(kinds(lineage('a', 10, 90, { served: [{ name: 'a', endpoint: 'x', status: 'no-answer', error: 'connection refused' }] }))).toEqual(['Ready:ok', 'NotServed:info']);
    expect(kinds(lineage('a', 10, 90, { installer: 'apache', served: [{ name: 'a', endpoint: 'x', status: 'no-answer', error: 'connection refused' }] }))).toContain('NotServed:warning');
  });

  it('missing PEM, invalid PEM, broken conf: reported on the lineage', () => {
    const { cert: _cert, ...noCert } = lineage('gone', 10, 90);
    expect(kinds(noCert, ctx({ missingFiles: [{ key: 'cert', path: '/etc/letsencrypt/live/gone/cert.pem' }] }))).toEqual(['Ready:False', 'CertificateMissing:critical']);
    expect(lineageConditions(noCert, ctx({ pemError: 'not a valid PEM certificate' }))[1]).toMatchObject({ reason: 'PemInvalid' });
    const broken = lineageConditions(lineage('b', 10, 90), ctx({ confErrors: [{ line: 3, message: 'junk' }] }));
    expect(broken.find((c) => c.type === 'RenewalConfigInvalid')?.message).toMatch(/^\/etc\/letsencrypt\/renewal\/b\.conf:3: junk; certbot skips/);
  });

  it('missed renewal from the record: due a day ago and still the same certificate', () => {
    expect(kinds(lineage('a', 61, 90), ctx({ dueSeenSince: '2026-12-30T00:00:00.000Z' }))).toContain('RenewalMissed:warning');
    expect(kinds(lineage('a', 61, 90), ctx({ dueSeenSince: '2026-12-31T12:00:00.000Z' }))).not.toContain('RenewalMissed:warning');
  });

  it('hosts: unreachable is UNKNOWN and nothing else; no certbot and no certificates are plain facts', () => {
    expect(hostConditions({ host: 'h', reachable: false, error: 'connect ECONNREFUSED', durationMs: 1, schedulers: [], lineages: [], orphans: [] }).map((c) => `${c.type}:${c.severity}`)).toEqual(['Unreachable:unknown']);
    expect(hostConditions({ host: 'h', reachable: true, durationMs: 1, certbot: { installed: false, ari: false, profiles: false }, schedulers: [], lineages: [], orphans: [] }).map((c) => c.severity)).toEqual(['info']);
    expect(hostConditions({ host: 'h', reachable: true, durationMs: 1, certbot: { installed: true, ari: false, profiles: false }, schedulers: [], lineages: [], orphans: [] })[0]?.type).toBe('NoCertificates');
  });

  it('exit codes: CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(exitCodeOf(worst('unknown', 'warning'))).toBe(1);
    expect(exitCodeOf(worst('critical', 'unknown'))).toBe(2);
    expect(exitCodeOf(worst('info', 'unknown'))).toBe(3);
    expect(exitCodeOf(worst('ok', 'info'))).toBe(0);
  });

  it('schedulers from facts: the guarded Debian cron entry yields to a running systemd timer', () => {
    const facts = parseCertHost(readFileSync(join(import.meta.dirname, '../facts/fixtures/cert-host/debian12-systemd.txt'), 'utf8'));
    expect(schedulersOf(facts).map((s) => [s.source, s.effective])).toEqual([
      ['certbot.timer', true],
      ['/etc/cron.d/certbot:17', false],
    ]);
  });
});

function fleet(): ReturnType<typeof buildReport> {
  const hosts = [
    hostOf('ok1', [full(lineage('ok1.example', 10, 90))]),
    hostOf('soon', [full(lineage('soon.example', 85, 90))]),
    hostOf('down', [], { reachable: false, error: 'connection refused', schedulers: [] }),
    hostOf('bare', [], { certbot: { installed: false, ari: false, profiles: false }, schedulers: [] }),
    hostOf('due"q', [full(lineage('due.example', 73, 90))]),
  ];
  return buildReport(hosts, NOW, DEFAULT_THRESHOLDS);
}

describe('outputs', () => {
  it('table: most urgent first, one row per certificate, what to do, the summary and exit', () => {
    const r = fleet();
    expect(r.exitCode).toBe(2);
    expect(rows(r).map((x) => `${x.severity} ${x.host}`)).toEqual(['critical soon', 'warning due"q', 'unknown down', 'info bare', 'ok ok1']);
    const text = renderTable(r);
    expect(text.split('\n')[0]).toMatch(/^STATE\s+HOST\s+CERTIFICATE\s+DAYS\s+EXPIRES\s+SCHEDULE\s+SERVED\s+CONDITIONS$/);
    expect(text).toMatch(/CRIT\s+soon\s+soon\.example\s+5\s+2027-01-06/);
    expect(text).toMatch(/UNKN down: Unreachable \(HostUnreachable\): connection refused/);
    expect(text).toMatch(/5 hosts \(4 reachable, 1 unreachable\), 3 certificates: 1 CRIT, 1 WARN, 1 UNKN; clock 2027-01-01T00:00:00.000Z\. CRITICAL \(exit 2\)\n$/);
    expect(text).not.toContain('\u001b');
  });

  it('JSON matches the published schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/certs.schema.json'), 'utf8')) as object);
    const data = JSON.parse(JSON.stringify(fleet())) as unknown;
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(data as object), extra: 1 })).toBe(false);
  });

  it('Prometheus: x509-certificate-exporter names with absolute timestamps, escaped labels, one HELP/TYPE per family', () => {
    const text = renderPrometheus(fleet());
    expect(text).toMatch(/^x509_cert_not_after\{host="soon",filepath="\/etc\/letsencrypt\/live\/soon\.example\/cert\.pem",serial_number="AA01",issuer_CN="R11",subject_CN="soon\.example",lineage="soon\.example"\} (\d+)$/m);
    expect(Number(/^x509_cert_not_after\{host="soon".*\} (\d+)$/m.exec(text)?.[1])).toBe((NOW.getTime() + 5 * DAY) / 1000);
    expect(text).toMatch(/^x509_cert_expired\{host="soon",.*\} 0$/m);
    expect(text).toMatch(/^runbook_certs_host_up\{host="down"\} 0$/m);
    expect(text).toContain('host="due\\"q"');
    expect(text.match(/^# TYPE x509_cert_not_after gauge$/gm)).toHaveLength(1);
    expect(text).toMatch(/^runbook_certs_status 2$/m);
  });

  it('HTML: self-contained, escaped, a dot per certificate on the timeline', () => {
    const page = renderHtml(fleet());
    expect(page).not.toMatch(/<script|<link|<img|@import|url\(/);
    expect(page).toContain('due&quot;q');
    expect(page.match(/<circle /g)).toHaveLength(3);
    expect(page).toMatch(/class="status CRITICAL"/);
  });
});

describe('record', () => {
  it('keeps every certificate of a lineage (issued, replaced), and answers the time-based questions', () => {
    const s = openStore(':memory:', [certsArea]);
    const day1 = new Date('2027-01-01T00:00:00Z');
    const l1 = full(lineage('a', 61, 90, { attempts: [{ at: '2026-12-31T00:00:00.000Z', outcome: 'failed', dryRun: false, error: 'x', source: 'log' }] }));
    recordReport(s.db, buildReport([hostOf('n', [l1])], day1, DEFAULT_THRESHOLDS));
    // a day later: the same certificate, still due; another failure
    const day2 = new Date('2027-01-02T00:00:00Z');
    const l2 = full({ ...l1, attempts: [{ at: '2027-01-01T12:00:00.000Z', outcome: 'failed', dryRun: false, error: 'y', source: 'log' }] });
    recordReport(s.db, buildReport([hostOf('n', [l2])], day2, DEFAULT_THRESHOLDS));
    const h = historyLookup(s.db, new Date('2027-01-02T01:00:00Z'));
    expect(h.dueSeenSince('n', 'a', 'AA01')).toBe('2027-01-01T00:00:00.000Z');
    expect(h.failingSince('n', 'a')).toBe('2026-12-31T00:00:00.000Z');
    // renewed: a new serial, and the failure run is over
    const l3 = full(lineage('a', 0, 90, { cert: { ...(l1.cert ?? ({} as never)), serial: 'BB02' }, attempts: [{ at: '2027-01-02T06:00:00.000Z', outcome: 'renewed', dryRun: false, source: 'log' }] }));
    recordReport(s.db, buildReport([hostOf('n', [l3])], new Date('2027-01-02T07:00:00Z'), DEFAULT_THRESHOLDS));
    expect(historyLookup(s.db, new Date('2027-01-02T08:00:00Z')).failingSince('n', 'a')).toBeUndefined();
    expect(certHistory(s.db, 'n').map((c) => [c.serial, c.replacedBy])).toEqual([
      ['AA01', 'BB02'],
      ['BB02', undefined],
    ]);
    s.close();
  });
});
