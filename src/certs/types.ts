// The report of `runbook certs`: plain data (what --json prints, schemas/certs.schema.json),
// from which the table, the HTML page, the Prometheus textfile and the store are made.
import type { CertInfo } from './x509.js';

/** ok < info < unknown < warning < critical for sorting; exit codes follow the monitoring-plugin convention */
export type Severity = 'ok' | 'info' | 'warning' | 'critical' | 'unknown';

export interface Condition {
  /** Ready, RenewalDue, RenewalOverdue, Expired, ServedMismatch, NoSchedule, ... */
  type: string;
  status: 'True' | 'False';
  severity: Severity;
  /** CamelCase machine-readable cause */
  reason: string;
  /** what is wrong and what to do */
  message: string;
}

export interface ServedCheck {
  /** the SNI name */
  name: string;
  /** address:port the handshake went to */
  endpoint: string;
  status: 'match' | 'mismatch' | 'no-answer' | 'skipped';
  servedSerial?: string;
  servedNotAfter?: string;
  servedIssuer?: string;
  /** the chain verifies against the system store or --ca-bundle, and the name matches */
  verified?: boolean;
  verifyError?: string;
  error?: string;
}

export interface AriInfo {
  status: 'offered' | 'not-offered' | 'error' | 'skipped';
  /** the ACME directory asked */
  directory?: string;
  windowStart?: string;
  windowEnd?: string;
  explanationUrl?: string;
  /** seconds the server asks to wait before asking again */
  retryAfter?: number;
  message?: string;
}

export interface AttemptSummary {
  at: string;
  outcome: 'renewed' | 'not-due' | 'failed' | 'broken';
  dryRun: boolean;
  error?: string;
  source: string;
}

export interface LineageReport {
  name: string;
  confPath: string;
  certPath: string;
  server?: string;
  authenticator?: string;
  installer?: string;
  keyTypeConf?: string;
  hooks: { pre?: string; post?: string; deploy?: string };
  cert?: CertInfo;
  daysLeft?: number;
  lifetimeDays?: number;
  /** when renewal is due (2/3 of the lifetime, or the ARI window start if earlier) */
  dueAt?: string;
  /** a staging or test CA issued it */
  staging: boolean;
  /** versions in archive/: 1 = never renewed */
  versions: number;
  attempts: AttemptSummary[];
  served: ServedCheck[];
  ari: AriInfo;
  conditions: Condition[];
  severity: Severity;
}

export interface Scheduler {
  kind: 'systemd-timer' | 'cron' | 'cron-periodic';
  /** unit name, cron file (and line) or script */
  source: string;
  detail: string;
  /** really runs on this host (the init or cron daemon that would run it is there) */
  effective: boolean;
  /** why it does not run, when it does not */
  note?: string;
}

export interface HostReport {
  host: string;
  address?: string;
  reachable: boolean;
  error?: string;
  durationMs: number;
  init?: 'systemd' | 'other';
  pid1?: string;
  clockSkewSeconds?: number;
  certbot?: { installed: boolean; version?: string; source?: string; ari: boolean; profiles: boolean };
  schedulers: Scheduler[];
  /** runs of the renewal service the journal recorded (certbot.service), newest first; systemd hosts */
  scheduledRuns?: ScheduledRun[];
  lineages: LineageReport[];
  orphans: string[];
  conditions: Condition[];
  severity: Severity;
}

/** One run of certbot.service / snap.certbot.renew.service as the journal tells it. */
export interface ScheduledRun {
  at: string;
  /** the unit's result: failure, or finished (which certificates it renewed is in certbot's log) */
  outcome: 'failure' | 'finished';
}

export interface Thresholds {
  /** fraction of the lifetime after which renewal is due (Let's Encrypt: 2/3) */
  dueFraction: number;
  /** overdue (WARNING) when fewer days are left; default: lifetime * 2/9 (20 of 90 days) */
  warningDays?: number;
  /** CRITICAL when fewer days are left; default: lifetime / 9 (10 of 90 days) */
  criticalDays?: number;
  /** renewal failing for this many days is CRITICAL (default 3) */
  failingDays: number;
}

export interface CertsSummary {
  hosts: number;
  reachable: number;
  unreachable: number;
  lineages: number;
  bySeverity: Record<Severity, number>;
}

export interface CertsReport {
  schema: 'runbook-certs/1';
  generatedAt: string;
  /** the report's clock (--now moves it) */
  now: string;
  thresholds: Thresholds;
  summary: CertsSummary;
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN */
  exitCode: 0 | 1 | 2 | 3;
  status: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  hosts: HostReport[];
}
