// Conditions in the style of cert-manager: each certificate gets a list of typed conditions with
// a reason and a message that says what to do, and a severity that decides the exit code.
// Pure: everything it needs (the clock included) comes in as arguments.
import type { AriInfo, AttemptSummary, Condition, HostReport, LineageReport, Scheduler, Severity, ServedCheck, Thresholds } from './types.js';

export const DAY_MS = 86_400_000;

export const DEFAULT_THRESHOLDS: Thresholds = { dueFraction: 2 / 3, failingDays: 3 };

const RANK: Record<Severity, number> = { ok: 0, info: 1, unknown: 2, warning: 3, critical: 4 };

/** the worse of two severities (CRITICAL > WARNING > UNKNOWN > OK, nagios-plugins' max_state_alt) */
export function worst(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function exitCodeOf(s: Severity): 0 | 1 | 2 | 3 {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : s === 'unknown' ? 3 : 0;
}

export function statusWord(s: Severity): 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN' {
  return s === 'critical' ? 'CRITICAL' : s === 'warning' ? 'WARNING' : s === 'unknown' ? 'UNKNOWN' : 'OK';
}

function cond(type: string, severity: Severity, reason: string, message: string, status: 'True' | 'False' = 'True'): Condition {
  return { type, status, severity, reason, message };
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

export interface Timing {
  lifetimeDays: number;
  daysLeft: number;
  dueAt: string;
  overdueAt: string;
  criticalAt: string;
}

/** When a certificate is due, overdue and critical, from its lifetime, the ARI window and overrides. */
export function timing(notBefore: string, notAfter: string, now: Date, t: Thresholds, ari?: AriInfo): Timing {
  const nb = Date.parse(notBefore);
  const na = Date.parse(notAfter);
  const life = Math.max(na - nb, 1);
  let due = nb + life * t.dueFraction;
  // RFC 9773: renew inside the suggested window; its start is when renewal becomes due
  if (ari?.status === 'offered' && ari.windowStart) due = Math.min(due, Date.parse(ari.windowStart));
  const warnMs = t.warningDays !== undefined ? t.warningDays * DAY_MS : (life * 2) / 9;
  const critMs = t.criticalDays !== undefined ? t.criticalDays * DAY_MS : life / 9;
  let overdue = Math.max(due, na - warnMs);
  if (ari?.status === 'offered' && ari.windowEnd) overdue = Math.min(overdue, Date.parse(ari.windowEnd));
  return {
    lifetimeDays: Math.round((life / DAY_MS) * 10) / 10,
    daysLeft: Math.floor(((na - now.getTime()) / DAY_MS) * 10) / 10,
    dueAt: new Date(due).toISOString(),
    overdueAt: new Date(overdue).toISOString(),
    criticalAt: new Date(na - critMs).toISOString(),
  };
}

export interface LineageContext {
  now: Date;
  thresholds: Thresholds;
  schedulers: Scheduler[];
  /** the conf could not be parsed (line, message) */
  confErrors: Array<{ line: number; message: string }>;
  /** conf keys whose file is missing (cert, privkey, fullchain, chain) */
  missingFiles: Array<{ key: string; path: string }>;
  /** the PEM was there but did not parse */
  pemError?: string;
  /** from the store: the first observation at which this very certificate was already due */
  dueSeenSince?: string;
  /** from the store and logs: start of the current run of failed renewals */
  failingSince?: string;
}

/** The conditions of one lineage (the lineage's cert/served/ari/attempts are already filled in). */
export function lineageConditions(l: Omit<LineageReport, 'conditions' | 'severity'>, ctx: LineageContext): Condition[] {
  const out: Condition[] = [];
  const now = ctx.now;
  const renewCmd = `certbot renew --cert-name ${l.name}`;

  if (ctx.confErrors.length > 0) {
    const e = ctx.confErrors[0];
    out.push(
      cond(
        'RenewalConfigInvalid',
        'warning',
        'BrokenRenewalConf',
        `${l.confPath}:${e?.line ?? 1}: ${e?.message ?? 'unreadable'}; certbot skips this lineage on every renewal. Restore the file from a backup or re-issue with certbot certonly --cert-name ${l.name}`,
      ),
    );
  }
  const missingCert = ctx.missingFiles.find((f) => f.key === 'cert');
  const others = ctx.missingFiles.filter((f) => f.key !== 'cert');
  const alsoMissing = others.length > 0 ? ` (also missing: ${others.map((f) => f.key).join(', ')})` : '';
  if (missingCert || (!l.cert && !ctx.pemError)) {
    out.push(
      cond(
        'CertificateMissing',
        'critical',
        'PemMissing',
        `${missingCert?.path ?? l.certPath} does not exist or is not readable${alsoMissing}; a server pointing at it cannot (re)start. Re-issue with certbot certonly --cert-name ${l.name}, or remove the lineage with certbot delete --cert-name ${l.name}`,
      ),
    );
  } else {
    if (ctx.pemError) out.push(cond('CertificateMissing', 'critical', 'PemInvalid', `${l.certPath}: ${ctx.pemError}. Re-issue with certbot certonly --cert-name ${l.name}`));
    for (const f of others) {
      out.push(cond('CertificateMissing', 'critical', f.key === 'privkey' ? 'KeyMissing' : 'ChainMissing', `${f.path} (${f.key}) does not exist; renewals and servers using it fail. Re-issue with certbot certonly --cert-name ${l.name}`));
    }
  }

  if (l.cert) {
    const tm = timing(l.cert.notBefore, l.cert.notAfter, now, ctx.thresholds, l.ari);
    const t = now.getTime();
    const left = `${tm.daysLeft} days left of ${tm.lifetimeDays}`;
    if (t >= Date.parse(l.cert.notAfter)) {
      out.push(cond('Expired', 'critical', 'Expired', `expired on ${l.cert.notAfter}; clients reject it. Renew now: ${renewCmd}, then reload the server`));
    } else if (t < Date.parse(l.cert.notBefore)) {
      out.push(cond('NotYetValid', 'warning', 'NotYetValid', `valid only from ${l.cert.notBefore}: check the host's clock`));
    } else if (t >= Date.parse(tm.overdueAt)) {
      const crit = t >= Date.parse(tm.criticalAt);
      const seen = ctx.dueSeenSince ? ` (already due when seen on ${day(ctx.dueSeenSince)})` : '';
      out.push(
        cond(
          'RenewalOverdue',
          crit ? 'critical' : 'warning',
          crit ? 'ExpiresSoon' : 'PastRenewalWindow',
          `${left}; renewal was due on ${day(tm.dueAt)}${seen} and has not happened. Run ${renewCmd} and read the failure below or in /var/log/letsencrypt/letsencrypt.log`,
        ),
      );
    } else if (t >= Date.parse(tm.dueAt)) {
      out.push(cond('RenewalDue', 'info', l.ari.status === 'offered' ? 'InAriWindow' : 'InRenewalWindow', `${left}; due since ${day(tm.dueAt)}: the next scheduled certbot renew should replace it`));
    }
    if (ctx.dueSeenSince && t - Date.parse(ctx.dueSeenSince) >= DAY_MS && t < Date.parse(tm.overdueAt) && t < Date.parse(l.cert.notAfter)) {
      out.push(
        cond(
          'RenewalMissed',
          'warning',
          'NotRenewedWhenDue',
          `this certificate was already due on ${day(ctx.dueSeenSince)} and is still the one on disk: the schedule did not renew it. Check the schedule and run ${renewCmd}`,
        ),
      );
    }
    if (l.staging) out.push(cond('StagingCertificate', 'info', 'TestIssuer', `issued by a test or staging CA (${l.cert.issuerCN ?? l.cert.issuer}); browsers do not trust it`));
  }

  // renewal schedule (host-wide, but every lineage depends on it)
  const effective = ctx.schedulers.filter((s) => s.effective);
  if (effective.length === 0) {
    const idle = ctx.schedulers.map((s) => `${s.source} (${s.note ?? 'not running'})`).join(', ');
    out.push(
      cond(
        'NoSchedule',
        'warning',
        ctx.schedulers.length > 0 ? 'SchedulerNotRunning' : 'NoScheduler',
        `nothing runs certbot renew on this host${idle ? `: ${idle}` : ''}. Enable certbot.timer (systemd) or add /etc/cron.d/certbot: 0 */12 * * * root certbot -q renew`,
      ),
    );
  } else if (effective.length > 1) {
    out.push(
      cond(
        'DuplicateSchedule',
        'warning',
        'SeveralSchedulers',
        `certbot renew is scheduled ${effective.length} times: ${effective.map((s) => s.source).join(', ')}. Keep one (certbot.timer on systemd, /etc/cron.d/certbot otherwise); concurrent runs fight over the lock and double the load on the CA`,
      ),
    );
  }

  // last renewal attempts (real ones: a failed --dry-run is a warning sign, not a failed renewal)
  const real = l.attempts.filter((a) => !a.dryRun && (a.outcome === 'failed' || a.outcome === 'broken' || a.outcome === 'renewed'));
  const last = real[0];
  if (last && last.outcome !== 'renewed') {
    const since = ctx.failingSince ?? last.at;
    const days = (now.getTime() - Date.parse(since)) / DAY_MS;
    const crit = days >= ctx.thresholds.failingDays;
    out.push(
      cond(
        'RenewalFailing',
        crit ? 'critical' : 'warning',
        crit ? 'FailingForDays' : 'LastRenewalFailed',
        `renewal failing since ${since}${days >= 1 ? ` (${Math.floor(days)} days)` : ''}: ${last.error ?? 'see the log'} (${last.source}). Fix the cause, then run ${renewCmd}`,
      ),
    );
  }

  // what the node serves
  if (l.cert) out.push(...servedConditions(l.served, l.cert.serial, now, l.installer));

  const bad = out.filter((c) => c.severity === 'warning' || c.severity === 'critical');
  out.unshift(
    bad.length === 0
      ? cond('Ready', 'ok', 'Ready', l.cert ? `valid until ${l.cert.notAfter}` : 'ready', 'True')
      : cond('Ready', 'ok', bad[0]?.reason ?? 'NotReady', `not ready: ${[...new Set(bad.map((c) => c.type))].join(', ')}`, 'False'),
  );
  return out;
}

function servedConditions(served: ServedCheck[], diskSerial: string, now: Date, installer: string | undefined): Condition[] {
  const out: Condition[] = [];
  const mism = served.filter((s) => s.status === 'mismatch');
  if (mism.length > 0) {
    const s = mism[0];
    const expired = s?.servedNotAfter !== undefined && Date.parse(s.servedNotAfter) <= now.getTime();
    out.push(
      cond(
        'ServedMismatch',
        expired ? 'critical' : 'warning',
        expired ? 'ServingExpiredCertificate' : 'ServingOldCertificate',
        `${mism.map((m) => m.name).join(', ')} on ${s?.endpoint ?? ':443'} serves serial ${s?.servedSerial ?? '?'} (until ${s?.servedNotAfter ?? '?'}), the disk has ${diskSerial}: reload the web server (service apache2 reload) or fix the certificate path it uses`,
      ),
    );
  }
  const untrusted = served.filter((s) => s.status === 'match' && s.verified === false);
  if (untrusted.length > 0) {
    out.push(
      cond(
        'ServedUntrusted',
        'critical',
        'ChainDoesNotVerify',
        `${untrusted.map((u) => u.name).join(', ')}: the served chain does not verify (${untrusted[0]?.verifyError ?? 'unknown error'}); serve fullchain.pem, not cert.pem, or pass --ca-bundle for a private CA`,
      ),
    );
  }
  const silent = served.filter((s) => s.status === 'no-answer');
  if (silent.length > 0 && silent.length === served.length) {
    const expectServed = installer !== undefined && installer !== '' && installer !== 'None' && installer !== 'null';
    out.push(
      cond(
        'NotServed',
        expectServed ? 'warning' : 'info',
        expectServed ? 'NoAnswerOn443' : 'NotServedOn443',
        expectServed
          ? `installed into ${installer} but nothing answers on ${silent[0]?.endpoint ?? ':443'} (${silent[0]?.error ?? ''}): start the server or open the port`
          : `nothing answers on ${silent[0]?.endpoint ?? ':443'} (${silent[0]?.error ?? 'no answer'}); fine for a certificate used by another service`,
      ),
    );
  }
  return out;
}

export function severityOf(conditions: readonly Condition[]): Severity {
  let s: Severity = 'ok';
  for (const c of conditions) if (c.type !== 'Ready') s = worst(s, c.severity);
  return s;
}

/** Conditions of the host itself (not of one certificate). */
export function hostConditions(h: Omit<HostReport, 'conditions' | 'severity'>): Condition[] {
  if (!h.reachable) {
    return [cond('Unreachable', 'unknown', 'HostUnreachable', `${h.error ?? 'no answer'}: nothing is known about its certificates. Check the host, then run runbook certs --limit ${h.host}`)];
  }
  const out: Condition[] = [];
  if (h.error) out.push(cond('ReadFailed', 'unknown', 'ReadFailed', h.error));
  if (!h.certbot?.installed) out.push(cond('NoCertbot', 'info', 'CertbotNotInstalled', 'certbot is not installed on this host'));
  else if (h.lineages.length === 0) out.push(cond('NoCertificates', 'info', 'NoLineages', 'certbot is installed but manages no certificate (no renewal confs)'));
  if (h.orphans.length > 0) {
    out.push(cond('OrphanLineage', 'warning', 'LiveWithoutRenewalConf', `${h.orphans.join(', ')}: live/ directories without a renewal conf, never renewed by certbot renew. Re-issue them or remove them`));
  }
  if (h.clockSkewSeconds !== undefined && Math.abs(h.clockSkewSeconds) > 300) {
    out.push(cond('ClockSkew', 'warning', 'ClockSkew', `the host's clock is ${h.clockSkewSeconds} s off the controller's; ACME validation and expiry checks on the host go wrong. Enable NTP`));
  }
  const lastRun = h.scheduledRuns?.[0];
  if (lastRun?.outcome === 'failure') {
    const unit = h.schedulers.find((s) => s.kind === 'systemd-timer')?.source.replace(/\.timer$/, '.service') ?? 'certbot.service';
    out.push(cond('ScheduledRunFailed', 'warning', 'RenewalServiceFailed', `the last scheduled renewal run (${lastRun.at}) failed: see journalctl -u ${unit}, fix the cause, then systemctl start ${unit}`));
  }
  if (h.certbot?.installed && !h.certbot.ari && h.lineages.some((l) => l.ari.status === 'offered')) {
    out.push(cond('AriIgnored', 'info', 'CertbotTooOld', `certbot ${h.certbot.version ?? '?'} ignores the CA's renewal window (ARI needs certbot >= 4.1); it renews at a fixed 30 days left`));
  }
  return out;
}

/** certbot's own ARI (>= 4.1) and profile (>= 4.0) support, from its version. */
export function certbotCapabilities(version: string | undefined): { ari: boolean; profiles: boolean } {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return { ari: false, profiles: false };
  const v = Number(m[1]) * 1000 + Number(m[2]);
  return { ari: v >= 4001, profiles: v >= 4000 };
}

/** Attempts of the logs that concern one lineage, newest first. */
export function attemptsFor(name: string, attempts: ReadonlyArray<{ at: string; dryRun: boolean; source: string; lineages: Record<string, { outcome: AttemptSummary['outcome']; error?: string }> }>): AttemptSummary[] {
  const out: AttemptSummary[] = [];
  for (const a of attempts) {
    const r = a.lineages[name];
    if (!r) continue;
    out.push({ at: a.at, outcome: r.outcome, dryRun: a.dryRun, source: a.source, ...(r.error !== undefined ? { error: r.error } : {}) });
  }
  return out;
}
