// `runbook certs -i INVENTORY`: every host's certbot certificates, their renewal health and what
// each host really serves, as a table, JSON, an HTML page and/or a Prometheus textfile, with
// exit codes of the monitoring-plugin convention; every report is kept in the store.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, askCredentials, connectionOverrides, loadInventories, runSettings, withDefaults } from '../run-flags.js';
import { VAULT_HELP, VAULT_OPTIONS, withVaultArgs } from './vault.js';
import { applyLimit } from '../../inventory/pattern.js';
import { UsageError, EnvironmentError } from '../../util/errors.js';
import { visibleLine } from '../../util/visible.js';
import type { CertsReport, Thresholds } from '../../certs/types.js';
import { DEFAULT_THRESHOLDS } from '../../certs/conditions.js';

/** Exit codes of the monitoring-plugin convention (Nagios, Icinga, Sensu). */
export const CERTS_EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

export const certsCommand: Command = {
  name: 'certs',
  help: `Usage: runbook certs -i INVENTORY [options]
       runbook certs --history [HOST]

Reads every certbot lineage on each host in one SSH command (renewal confs, certificates,
certbot's version, the renewal timer or cron job, certbot's logs), connects to each name on
the host's port 443 to compare the served certificate with the one on disk, asks the ACME
server for its renewal window (ARI, RFC 9773) where it offers one, and reports conditions
(Ready, RenewalDue, RenewalOverdue, Expired, ServedMismatch, ServedUntrusted, NoSchedule,
DuplicateSchedule, RenewalFailing, RenewalMissed, CertificateMissing, RenewalConfigInvalid, ...)
with what to do. Every report is recorded in the store; conditions that need time (renewal
failing for days, a due certificate that was not renewed) come from that record.

Options:
  -l, --limit PATTERN         only hosts matching PATTERN (or @FILE)
${CONNECTION_HELP}                              (certs reads 50 hosts at once unless -f or forks says otherwise)
${VAULT_HELP}
      --json                  the report as JSON on stdout (schema: schemas/certs.schema.json)
      --html FILE             also write a self-contained HTML page
      --prometheus FILE       also write a node_exporter textfile (x509-certificate-exporter names)
      --now TIME              the report's clock: an ISO date/time, or +Nd / -Nd from now
      --due-fraction F        renewal is due after this part of the lifetime (default 0.6667)
      --warning-days N        WARNING when fewer days are left (default: 2/9 of the lifetime)
      --critical-days N       CRITICAL when fewer days are left (default: 1/9 of the lifetime)
      --failing-days N        renewal failing this long is CRITICAL (default 3)
      --ca-bundle FILE        trust these CAs (PEM) instead of the system store, for served
                              chains and the ACME server (a private CA); repeatable
      --resolve NAME:PORT:ADDR  resolve NAME to ADDR for ACME requests (as curl --resolve)
      --port N                TLS port to check (default 443)
      --offline               no TLS handshakes and no ARI requests
      --store FILE            the store (default RUNBOOK_STORE or ~/.local/state/runbook/runbook.db)
      --no-store              neither read nor write the store
      --history               show the record instead: each certificate over time, renewal
                              attempts and reachability (all hosts, or the HOST given)
  -h, --help                  show this help

Exit codes (monitoring-plugin convention; the worst wins: CRITICAL > WARNING > UNKNOWN > OK):
  0  OK        every certificate is fine (RenewalDue alone is fine: renewal is on its way)
  1  WARNING   something needs attention (overdue, mismatch, schedule, failing renewals)
  2  CRITICAL  expired, expiring within the critical days, a missing PEM, an untrusted chain
  3  UNKNOWN   a host could not be read, or the command itself could not run (bad option)

Examples:
  runbook certs -i inventory.yml
  runbook certs -i inventory.yml --limit 'node*' --html /var/www/certs.html
  runbook certs -i inventory.yml --prometheus /var/lib/prometheus/node-exporter/runbook-certs.prom
  runbook certs --history node1
`,
  options: {
    limit: { type: 'string', short: 'l', multiple: true },
    ...CONNECTION_OPTIONS,
    ...VAULT_OPTIONS,
    json: { type: 'boolean' },
    html: { type: 'string' },
    prometheus: { type: 'string' },
    now: { type: 'string' },
    'due-fraction': { type: 'string' },
    'warning-days': { type: 'string' },
    'critical-days': { type: 'string' },
    'failing-days': { type: 'string' },
    'ca-bundle': { type: 'string', multiple: true },
    resolve: { type: 'string', multiple: true },
    port: { type: 'string' },
    offline: { type: 'boolean' },
    store: { type: 'string' },
    'no-store': { type: 'boolean' },
    history: { type: 'boolean' },
  },
  run: async (args, io) => {
    try {
      // vaulted inventory variables (ansible_become_password, ...) open as in apply
      return await withVaultArgs(args, io, (secrets) => runCerts(args, io, secrets.values));
    } catch (e) {
      // a monitoring system reads exit 1 as WARNING: a command that could not run is UNKNOWN
      if (e instanceof UsageError || e instanceof EnvironmentError || (e instanceof Error && e.name === 'ValidationError')) {
        io.stderr.write(`${e.message.endsWith('\n') ? e.message : `${e.message}\n`}`);
        return CERTS_EXIT.unknown;
      }
      throw e;
    }
  },
};

function strings(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function num(v: unknown, flag: string, o: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
    throw new UsageError(`runbook certs: ${flag} must be a number${o.min !== undefined ? ` >= ${o.min}` : ''}${o.max !== undefined ? ` <= ${o.max}` : ''}, got '${typeof v === 'string' ? v : JSON.stringify(v)}'`);
  }
  return n;
}

/** --now: ISO date/time, or +Nd/-Nd (also h) relative to the real clock */
export function parseNow(v: string | undefined, real: Date = new Date()): Date {
  if (v === undefined) return real;
  const rel = /^([+-])(\d+(?:\.\d+)?)([dh])$/.exec(v.trim());
  if (rel) {
    const ms = Number(rel[2]) * (rel[3] === 'd' ? 86_400_000 : 3_600_000);
    return new Date(real.getTime() + (rel[1] === '-' ? -ms : ms));
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`runbook certs: --now must be an ISO date/time (2027-01-31, 2027-01-31T12:00:00Z) or +Nd/-Nd, got '${v}'`);
  return new Date(t);
}

function readBundle(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`runbook certs: --ca-bundle ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0]);
  if (pems.length === 0) throw new UsageError(`runbook certs: --ca-bundle ${file}: no PEM certificate in it`);
  return pems;
}

/** The system trust store (Debian's bundle), so served chains verify as curl and browsers on the host would. */
function systemBundle(): string[] | undefined {
  for (const f of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']) {
    try {
      const pems = [...readFileSync(f, 'utf8').matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0]);
      if (pems.length > 0) return pems;
    } catch {
      // next candidate; node's bundled roots otherwise
    }
  }
  return undefined;
}

/** Write a file whole or not at all (a scraper never reads half a textfile). */
function writeAtomic(file: string, text: string): void {
  const tmp = resolve(dirname(file), `.${process.pid}.runbook-certs.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  } catch (e) {
    throw new EnvironmentError(`runbook certs: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export async function runCerts(args: ParsedArgs, io: CommandIo, vaultSecrets: readonly string[] = []): Promise<number> {
  const v = args.values;
  const storeOff = v['no-store'] === true;
  const { defaultStorePath } = await import('../../store/paths.js');
  const storePath = typeof v.store === 'string' ? resolve(io.cwd, v.store) : defaultStorePath(io.env);

  if (v.history) {
    if (storeOff) throw new UsageError('runbook certs: --history reads the store: drop --no-store');
    if (args.positionals.length > 1) throw new UsageError(`runbook certs --history: one HOST at most, got ${args.positionals.join(' ')}`);
    return showHistory(storePath, args.positionals[0], v.json === true, io);
  }
  if (args.positionals.length > 0) throw new UsageError(`runbook certs: unexpected argument '${args.positionals[0] ?? ''}' (a host pattern goes in --limit)`);
  // inventories, connection and privilege flags, runbook.cfg/ansible.cfg: exactly as apply reads them
  const settings = runSettings(args, io, 'certs');
  // a report only reads: 50 hosts at once unless -f or the configuration says otherwise
  const forks = settings.config.settings.get('forks')?.source === 'default' ? 50 : settings.forks;
  const port = num(v.port, '--port', { min: 1, max: 65535, integer: true }) ?? 443;
  const now = parseNow(typeof v.now === 'string' ? v.now : undefined);
  const thresholds: Thresholds = {
    dueFraction: num(v['due-fraction'], '--due-fraction', { min: 0.05, max: 1 }) ?? DEFAULT_THRESHOLDS.dueFraction,
    failingDays: num(v['failing-days'], '--failing-days', { min: 0 }) ?? DEFAULT_THRESHOLDS.failingDays,
  };
  const wd = num(v['warning-days'], '--warning-days', { min: 0 });
  const cd = num(v['critical-days'], '--critical-days', { min: 0 });
  if (wd !== undefined) thresholds.warningDays = wd;
  if (cd !== undefined) thresholds.criticalDays = cd;
  const bundles = strings(v['ca-bundle']).flatMap((f) => readBundle(resolve(io.cwd, f)));
  const { parseResolve, AriClient } = await import('../../certs/probe.js');
  let resolveMap: Map<string, string>;
  try {
    resolveMap = parseResolve(strings(v.resolve));
  } catch (e) {
    throw new UsageError(`runbook certs: ${(e as Error).message}`);
  }
  const htmlFile = typeof v.html === 'string' ? resolve(io.cwd, v.html) : undefined;
  const promFile = typeof v.prometheus === 'string' ? resolve(io.cwd, v.prometheus) : undefined;

  const inventory = withDefaults(await loadInventories(settings.inventories, io.cwd), settings.defaults);
  const names = await applyLimit(inventory, [...inventory.hosts.keys()], strings(v.limit), (p) => import('node:fs/promises').then((fs) => fs.readFile(resolve(io.cwd, p), 'utf8')));
  if (names.length === 0) throw new UsageError(`runbook certs: no host to read${strings(v.limit).length ? ` (--limit ${strings(v.limit).join(' ')} matches none)` : ''}`);

  const creds = await askCredentials(v, io);
  const overrides = connectionOverrides(v, io, settings, creds);
  const [{ createTransport, resolveConnection }, { collectCerts }, { openStore }, { certsArea, historyLookup, recordReport }] = await Promise.all([
    import('../../transport/factory.js'),
    import('../../certs/collect.js'),
    import('../../store/db.js'),
    import('../../certs/history.js'),
  ]);
  // every connection setting is input: resolve them all before the first host is contacted
  const targets = names.map((name) => {
    const host = inventory.hosts.get(name);
    const own = host?.vars ?? {};
    // -u / remote_user: the login user where the inventory names none
    const vars = settings.remoteUser !== undefined && own.ansible_user === undefined && own.ansible_ssh_user === undefined ? { ...own, ansible_user: settings.remoteUser } : own;
    const spec = resolveConnection({ name, vars }, overrides);
    const configDir = typeof vars.certbot_config_dir === 'string' ? vars.certbot_config_dir : undefined;
    const secrets = [...vaultSecrets, ...(spec.become.password ? [spec.become.password] : []), ...(creds.sshPassword ? [creds.sshPassword] : [])];
    return {
      host: name,
      ...(spec.connection === 'local' ? { address: '127.0.0.1' } : spec.jump.length === 0 ? { address: spec.address } : {}),
      ...(configDir ? { configDir } : {}),
      transport: () => createTransport(spec, { onWarning: (msg: string) => io.stderr.write(`${visibleLine(name)}: ${visibleLine(msg)}\n`) }),
      ...(spec.user === 'root' ? {} : { become: { ...(spec.become.user ? { user: spec.become.user } : {}), ...(spec.become.password ? { password: spec.become.password } : {}) } }),
      secrets,
    };
  });

  // A report is a burst of short-lived garbage from every host at once (handshakes, outputs,
  // parses): V8 answers by growing its young generation to 3 x 16 MiB, the largest part of
  // runbook's memory above its code (bench:certs at 200 hosts: max RSS 121 -> 89 MiB offline).
  // Kept at its starting size, scavenges stay small and objects that live on reach the old
  // generation, where they are collected with the native memory they hold. V8 reads this flag
  // when it would grow the space, so setting it now takes effect (the size flags do not).
  setFlagsFromString('--semi-space-growth-factor=1');
  const store = storeOff ? undefined : openStore(storePath, [certsArea]);
  const progress = io.stderr.isTTY === true && !v.json;
  let report: CertsReport;
  const offline = v.offline === true;
  const ari = offline ? undefined : new AriClient({ ...(bundles.length > 0 ? { ca: bundles } : {}), resolve: resolveMap });
  try {
    const ca = bundles.length > 0 ? bundles : systemBundle();
    report = await collectCerts(targets, {
      now,
      thresholds,
      forks,
      port,
      ...(ca ? { ca } : {}),
      noNetwork: offline,
      ...(ari ? { ari } : {}),
      ...(store ? { history: historyLookup(store.db, now) } : {}),
      onHost: progress
        ? (done, total, h) => io.stderr.write(`\r\u001b[2K[${done}/${total}] hosts answered; last: ${visibleLine(h.host).slice(0, 40)}${done === total ? '\r\u001b[2K' : ''}`)
        : undefined,
    });
    if (store) recordReport(store.db, report);
  } finally {
    ari?.close();
    store?.close();
  }

  if (htmlFile) {
    const { renderHtml } = await import('../../certs/html.js');
    writeAtomic(htmlFile, renderHtml(report));
  }
  if (promFile) {
    const { renderPrometheus } = await import('../../certs/prometheus.js');
    writeAtomic(promFile, renderPrometheus(report));
  }
  if (v.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const { renderTable } = await import('../../certs/table.js');
    const { COLOR, NO_COLOR } = await import('../../report/style.js');
    const colour = io.stdout.isTTY === true && !(io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '');
    io.stdout.write(renderTable(report, { style: colour ? COLOR : NO_COLOR }));
  }
  return report.exitCode;
}

async function showHistory(storePath: string, host: string | undefined, json: boolean, io: CommandIo): Promise<number> {
  const [{ openStore }, { certsArea, certHistory, recentAttempts, hostObservations }, { applyArea, applyOutputs }] = await Promise.all([
    import('../../store/db.js'),
    import('../../certs/history.js'),
    import('../../store/apply-outputs.js'),
  ]);
  const store = openStore(storePath, [certsArea, applyArea]);
  try {
    const certs = certHistory(store.db, host);
    const attempts = recentAttempts(store.db, host, 50);
    const seen = hostObservations(store.db, host, 20);
    const outputs = applyOutputs(store.db, host, 20);
    if (json) {
      io.stdout.write(`${JSON.stringify({ store: storePath, certificates: certs, attempts, observations: seen, applyOutputs: outputs })}\n`);
      return CERTS_EXIT.ok;
    }
    const out: string[] = [];
    if (certs.length === 0 && seen.length === 0 && outputs.length === 0) {
      io.stdout.write(`no record${host ? ` of ${visibleLine(host)}` : ''} in ${storePath}: run runbook certs -i INVENTORY first\n`);
      return CERTS_EXIT.ok;
    }
    out.push(`Certificates over time (${storePath}):`);
    let last = '';
    for (const c of certs) {
      const key = `${c.host} ${c.lineage}`;
      if (key !== last) out.push(`  ${visibleLine(c.host)} ${visibleLine(c.lineage)}`);
      last = key;
      out.push(
        `    serial ${c.serial}  issued ${c.notBefore.slice(0, 10)}  expires ${c.notAfter.slice(0, 10)}  seen ${c.firstSeen.slice(0, 16)} .. ${c.lastSeen.slice(0, 16)}${c.replacedBy ? `  replaced by ${c.replacedBy}` : '  (current)'}`,
      );
    }
    if (attempts.length > 0) {
      out.push('', 'Renewal attempts (from certbot logs):');
      for (const a of attempts) out.push(`  ${a.at.slice(0, 19)}  ${visibleLine(a.host)} ${visibleLine(a.lineage)}  ${a.outcome}${a.dryRun ? ' (dry run)' : ''}${a.error ? `: ${visibleLine(a.error)}` : ''}`);
    }
    if (outputs.length > 0) {
      out.push('', 'Recorded by runbook apply (outputs):');
      for (const o of outputs) {
        const expiry = typeof o.outputs.expiry === 'string' ? ` expires ${o.outputs.expiry}` : '';
        const domain = typeof o.outputs.domain === 'string' ? ` ${o.outputs.domain}` : '';
        out.push(`  ${o.recordedAt.slice(0, 19)}  ${visibleLine(o.host)}${visibleLine(domain)}${visibleLine(expiry)}  (${visibleLine(o.playbook)})`);
      }
    }
    if (seen.length > 0) {
      out.push('', 'Reports:');
      for (const s of seen) out.push(`  ${s.at.slice(0, 19)}  ${visibleLine(s.host)}  ${s.reachable ? s.severity : `unreachable: ${visibleLine(s.error ?? '')}`}`);
    }
    io.stdout.write(`${out.join('\n')}\n`);
    return CERTS_EXIT.ok;
  } finally {
    store.close();
  }
}
