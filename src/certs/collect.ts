// `runbook certs` for a set of hosts: ONE remote command per host (the cert-host fact, run with
// become), then from the controller one TLS handshake per name and one ARI lookup per
// certificate, then conditions. Hosts are read `forks` at a time; a host that cannot be reached
// is reported as unreachable, never as a bad certificate.
import { X509Certificate } from 'node:crypto';
import { certHostCommand, certHostComplete, parseCertHost, DEFAULT_CERTBOT_DIR, type CertHostFacts, type RawLineage } from '../facts/cert-host.js';
import type { Transport } from '../transport/types.js';
import { UnreachableError } from '../transport/errors.js';
import { maskSecrets } from '../transport/command.js';
import { attemptsFor, certbotCapabilities, exitCodeOf, hostConditions, lineageConditions, severityOf, statusWord, timing, worst } from './conditions.js';
import { parseCertificate } from './x509.js';
import type { AriClient} from './probe.js';
import { probeTls } from './probe.js';
import type { AriInfo, CertsReport, HostReport, LineageReport, Scheduler, ServedCheck, Severity, Thresholds } from './types.js';

export interface CertsTarget {
  host: string;
  /** where TLS handshakes go (the inventory's ansible_host), undefined = not probed */
  address?: string;
  /** certbot --config-dir on this host (inventory var certbot_config_dir) */
  configDir?: string;
  transport: () => Transport;
  /** sudo for the read (the connection's become settings) */
  become?: { user?: string; password?: string };
  secrets?: string[];
}

/** What the record knows (the store), asked after the hosts answered. */
export interface HistoryLookup {
  dueSeenSince(host: string, lineage: string, serial: string): string | undefined;
  failingSince(host: string, lineage: string): string | undefined;
}

export interface CollectOptions {
  now: Date;
  thresholds: Thresholds;
  forks: number;
  /** TLS port probed (443) */
  port?: number;
  /** CA bundle for served chains (PEM strings); undefined = the system store */
  ca?: string[];
  /** no TLS handshakes, no ARI (--offline) */
  noNetwork?: boolean;
  ari?: AriClient;
  history?: HistoryLookup;
  /** called as each host is done (progress line) */
  onHost?: (done: number, total: number, host: HostReport) => void;
  /** how long the host script may run */
  timeoutMs?: number;
}

/** Run `fn` over items with at most `limit` at once, keeping the input order in the result. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

const STAGING = /staging|\(STAGING\)|Fake LE|Pebble|test-cert|acme-staging/i;

export async function collectCerts(targets: readonly CertsTarget[], o: CollectOptions): Promise<CertsReport> {
  let done = 0;
  const hosts = await mapLimit(targets, o.forks, async (t) => {
    const h = await collectHost(t, o);
    done++;
    o.onHost?.(done, targets.length, h);
    return h;
  });
  return buildReport(hosts, o.now, o.thresholds);
}

export function buildReport(hosts: HostReport[], now: Date, thresholds: Thresholds): CertsReport {
  const bySeverity: Record<Severity, number> = { ok: 0, info: 0, warning: 0, critical: 0, unknown: 0 };
  let overall: Severity = 'ok';
  let lineages = 0;
  for (const h of hosts) {
    overall = worst(overall, h.severity);
    for (const l of h.lineages) {
      bySeverity[l.severity]++;
      lineages++;
    }
    if (!h.reachable) bySeverity.unknown++;
  }
  return {
    schema: 'runbook-certs/1',
    generatedAt: new Date().toISOString(),
    now: now.toISOString(),
    thresholds,
    summary: { hosts: hosts.length, reachable: hosts.filter((h) => h.reachable).length, unreachable: hosts.filter((h) => !h.reachable).length, lineages, bySeverity },
    exitCode: exitCodeOf(overall),
    status: statusWord(overall),
    hosts,
  };
}

async function collectHost(t: CertsTarget, o: CollectOptions): Promise<HostReport> {
  const t0 = Date.now();
  const base = { host: t.host, ...(t.address ? { address: t.address } : {}), schedulers: [], lineages: [], orphans: [] };
  let facts: CertHostFacts;
  let transport: Transport | undefined;
  try {
    transport = t.transport();
    await transport.connect();
    const r = await transport.exec(certHostCommand(t.configDir ?? DEFAULT_CERTBOT_DIR), {
      become: { ...(t.become ?? {}) },
      timeoutMs: o.timeoutMs ?? 60_000,
      ...(t.secrets ? { secrets: t.secrets } : {}),
    });
    if (!certHostComplete(r.stdout)) {
      const why = r.timedOut ? 'timed out' : `exit code ${String(r.exitCode)}`;
      const err = maskSecrets(r.stderr.trim().split('\n').slice(-3).join(' '), t.secrets ?? []).slice(0, 300);
      return finishHost({ ...base, reachable: true, durationMs: Date.now() - t0, error: `reading certbot's files failed (${why})${err ? `: ${err}` : ''}` });
    }
    facts = parseCertHost(r.stdout, t.configDir ?? DEFAULT_CERTBOT_DIR);
  } catch (e) {
    const msg = e instanceof UnreachableError ? e.message : e instanceof Error ? e.message : String(e);
    return finishHost({ ...base, reachable: !(e instanceof UnreachableError), durationMs: Date.now() - t0, error: maskSecrets(msg, t.secrets ?? []) });
  } finally {
    await transport?.close().catch(() => undefined);
  }
  const schedulers = schedulersOf(facts);
  // the journal tells runs, not lineages (certbot's log files do): a host-level record
  const scheduledRuns = facts.attempts
    .filter((a) => a.source === 'journal')
    .map((a) => ({ at: a.at, outcome: a.outcome === 'failure' ? ('failure' as const) : ('finished' as const) }))
    // the journal is in order: reversed first, so runs logged within the same millisecond keep it
    .reverse()
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, 10);
  const caps = certbotCapabilities(facts.certbot.version);
  const lineages = await Promise.all(facts.lineages.map((l) => lineageReport(t, l, facts, schedulers, o)));
  const host: Omit<HostReport, 'conditions' | 'severity'> = {
    ...base,
    reachable: true,
    durationMs: Date.now() - t0,
    init: facts.init.systemdRunning ? 'systemd' : 'other',
    ...(facts.init.pid1 ? { pid1: facts.init.pid1 } : {}),
    ...(facts.hostTime !== undefined ? { clockSkewSeconds: Math.round(facts.hostTime - Date.now() / 1000) } : {}),
    certbot: { installed: facts.certbot.installed, ...(facts.certbot.version ? { version: facts.certbot.version } : {}), ...(facts.certbot.source ? { source: facts.certbot.source } : {}), ...caps },
    schedulers,
    ...(scheduledRuns.length > 0 ? { scheduledRuns } : {}),
    lineages,
    orphans: facts.orphans,
  };
  return finishHost(host);
}

function finishHost(h: Omit<HostReport, 'conditions' | 'severity'>): HostReport {
  const conditions = hostConditions(h);
  let severity = severityOf(conditions);
  for (const l of h.lineages) severity = worst(severity, l.severity);
  return { ...h, conditions, severity };
}

/** Which renewal schedulers exist on the host, and which of them really run. */
export function schedulersOf(f: CertHostFacts): Scheduler[] {
  const out: Scheduler[] = [];
  for (const t of f.timers) {
    if (!t.present) continue;
    const enabled = t.unitFileState === 'enabled' || t.unitFileState === 'static';
    const active = t.activeState === 'active';
    const effective = f.init.systemdRunning && active;
    out.push({
      kind: 'systemd-timer',
      source: t.unit,
      detail: `${t.unitFileState ?? '?'}, ${t.activeState ?? '?'}${t.nextElapse ? `, next ${t.nextElapse}` : ''}${t.lastTrigger ? `, last ${t.lastTrigger}` : ''}`,
      effective,
      ...(effective
        ? {}
        : { note: !f.init.systemdRunning ? `systemd is not PID 1 (PID 1 is ${f.init.pid1 ?? '?'}): timers never fire` : enabled ? 'enabled but not active: systemctl start ' + t.unit : 'disabled: systemctl enable --now ' + t.unit }),
    });
  }
  for (const c of f.cron) {
    const guarded = c.onlyWithoutSystemd && f.init.systemdRunning;
    const effective = f.cronDaemonRunning && !guarded;
    out.push({
      kind: 'cron',
      source: `${c.file}:${c.line}`,
      detail: c.text.slice(0, 160),
      effective,
      ...(effective ? {} : { note: guarded ? 'skips itself when systemd runs (the timer does the job)' : 'no cron daemon runs' }),
    });
  }
  for (const p of f.periodic) {
    out.push({ kind: 'cron-periodic', source: p, detail: 'run-parts script', effective: f.cronDaemonRunning, ...(f.cronDaemonRunning ? {} : { note: 'no cron daemon runs' }) });
  }
  return out;
}

async function lineageReport(t: CertsTarget, raw: RawLineage, f: CertHostFacts, schedulers: Scheduler[], o: CollectOptions): Promise<LineageReport> {
  const p = raw.conf.params;
  const confPath = `${f.configDir}/renewal/${raw.name}.conf`;
  let cert: LineageReport['cert'];
  let pemError: string | undefined;
  if (raw.certPem) {
    try {
      cert = parseCertificate(new X509Certificate(raw.certPem));
    } catch (e) {
      pemError = `not a valid PEM certificate (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  const server = p.server;
  const staging = (server !== undefined && STAGING.test(server)) || (cert !== undefined && STAGING.test(cert.issuer));
  const hooks: LineageReport['hooks'] = {};
  if (p.pre_hook) hooks.pre = p.pre_hook;
  if (p.post_hook) hooks.post = p.post_hook;
  if (p.renew_hook ?? p.deploy_hook) hooks.deploy = p.renew_hook ?? p.deploy_hook;

  let ari: AriInfo = { status: 'skipped', message: o.noNetwork ? 'offline' : 'no ACME server in the renewal conf' };
  let served: ServedCheck[] = [];
  if (cert && !o.noNetwork) {
    const c = cert;
    const port = o.port ?? 443;
    const names = c.names.length > 0 ? c.names : c.subjectCN ? [c.subjectCN] : [];
    const [ariInfo, probes] = await Promise.all([
      server && o.ari ? o.ari.renewalInfo(server, c.ariCertId) : Promise.resolve(ari),
      Promise.all(
        names.map(async (name): Promise<ServedCheck> => {
          if (!t.address) return { name, endpoint: `:${port}`, status: 'skipped', error: 'no address to connect to' };
          if (name.startsWith('*.')) return { name, endpoint: `${t.address}:${port}`, status: 'skipped', error: 'wildcard name' };
          const endpoint = `${t.address}:${port}`;
          const r = await probeTls(t.address, port, name, o.ca ? { ca: o.ca } : {});
          if (!r.cert) return { name, endpoint, status: 'no-answer', ...(r.error ? { error: r.error } : {}) };
          return {
            name,
            endpoint,
            status: r.cert.serial === c.serial ? 'match' : 'mismatch',
            servedSerial: r.cert.serial,
            servedNotAfter: r.cert.notAfter,
            servedIssuer: r.cert.issuerCN ?? r.cert.issuer,
            ...(r.verified !== undefined ? { verified: r.verified } : {}),
            ...(r.verifyError ? { verifyError: r.verifyError } : {}),
          };
        }),
      ),
    ]);
    ari = ariInfo;
    served = probes;
  }
  const attempts = attemptsFor(raw.name, f.attempts);
  const base: Omit<LineageReport, 'conditions' | 'severity'> = {
    name: raw.name,
    confPath,
    certPath: raw.certPath || raw.files.cert?.path || `${f.configDir}/live/${raw.name}/cert.pem`,
    ...(server ? { server } : {}),
    ...(p.authenticator ? { authenticator: p.authenticator } : {}),
    ...(p.installer && p.installer !== 'None' ? { installer: p.installer } : {}),
    ...(p.key_type ? { keyTypeConf: p.key_type } : {}),
    hooks,
    ...(cert ? { cert } : {}),
    staging,
    versions: raw.archive.length,
    attempts: attempts.slice(0, 10),
    served,
    ari,
  };
  if (cert) {
    const tm = timing(cert.notBefore, cert.notAfter, o.now, o.thresholds, ari);
    base.daysLeft = tm.daysLeft;
    base.lifetimeDays = tm.lifetimeDays;
    base.dueAt = tm.dueAt;
  }
  const missingFiles = Object.entries(raw.files)
    .filter(([, v]) => !v.exists)
    .map(([key, v]) => ({ key, path: v.path }));
  const failingSince = o.history?.failingSince(t.host, raw.name) ?? firstOfFailureRun(attempts);
  const dueSeenSince = cert ? o.history?.dueSeenSince(t.host, raw.name, cert.serial) : undefined;
  const conditions = lineageConditions(base, {
    now: o.now,
    thresholds: o.thresholds,
    schedulers,
    confErrors: raw.conf.errors,
    missingFiles,
    ...(pemError ? { pemError } : {}),
    ...(failingSince ? { failingSince } : {}),
    ...(dueSeenSince ? { dueSeenSince } : {}),
  });
  return { ...base, conditions, severity: severityOf(conditions) };
}

/** Start of the newest run of consecutive failed real renewals, from the logs alone. */
function firstOfFailureRun(attempts: LineageReport['attempts']): string | undefined {
  let since: string | undefined;
  for (const a of attempts) {
    if (a.dryRun || a.outcome === 'not-due') continue;
    if (a.outcome === 'renewed') break;
    since = a.at;
  }
  return since;
}
