// What a host knows about its certificates, read in ONE round trip: certbot's renewal configs
// (one per lineage), each lineage's certificate (expiry, issuer, names) via openssl, the renewal
// schedules installed, what listens on port 80, and (for the Apache plugin) how Apache serves
// each lineage. The probe never changes the host; the parser is pure so it is tested as data.
import { raw, sh, type ShellCommand } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export const DEFAULT_CONFIG_DIR = '/etc/letsencrypt';

export interface Lineage {
  /** certbot's certificate name (the renewal file's base name) */
  name: string;
  renewalFile: string;
  /** names on the certificate (SAN), lowercased, in certificate order */
  domains: string[];
  server?: string;
  authenticator?: string;
  installer?: string;
  preHook?: string;
  postHook?: string;
  webrootPath?: string;
  cert: string;
  fullchain: string;
  privkey: string;
  chain: string;
  /** undefined when the certificate file could not be read */
  notAfter?: Date;
  issuer?: string;
  /** notBefore of every certificate the lineage ever held (archive/NAME/cert*.pem): the weekly budget counts those of the last 7 days */
  issued?: Date[];
  /** the renewal file's text, to rewrite hooks without reissuing */
  config: string;
}

export interface PortHolder {
  process: string;
  pid: number;
  /** systemd unit (from /proc/PID/cgroup) without `.service`, when systemd manages it */
  unit?: string;
}

export interface ApacheSite {
  file: string;
  /** live/NAME directories of the certificates this file serves */
  certNames: string[];
  hsts: boolean;
  stapling: boolean;
  /** names redirected to https by certbot's RewriteCond %{SERVER_NAME} =NAME */
  redirects: string[];
}

export interface CertbotHostState {
  /** path of the certbot executable, undefined when not installed */
  certbot?: string;
  lineages: Lineage[];
  /** every renewal schedule found, as `kind path` (see describeSchedules) */
  schedules: Schedule[];
  systemdRunning: boolean;
  cronRunning: boolean;
  port80: PortHolder[];
  /** init scripts present (/etc/init.d), to map a port-80 process to a service */
  initScripts: string[];
  apache: { installed: boolean; running: boolean; sites: ApacheSite[] };
}

export interface Schedule {
  kind: 'systemd-timer' | 'cron';
  /** unit name for timers, file path for cron */
  where: string;
}

/**
 * The probe: a POSIX shell script printing `@@section` markers. Run as root (the files under
 * /etc/letsencrypt are root-only).
 */
export function certbotProbe(configDir = DEFAULT_CONFIG_DIR): ShellCommand {
  return sh`LE=${configDir}; ${raw(PROBE_BODY)}`;
}

/** The certbot probe as a fact. */
export function certbotFact(configDir = DEFAULT_CONFIG_DIR): Fact<CertbotHostState> {
  return { name: 'certbot', command: certbotProbe(configDir), parse: (stdout) => parseCertbotState(stdout) };
}

const PROBE_BODY = String.raw`echo "@@certbot $(command -v certbot 2>/dev/null)"
for f in "$LE"/renewal/*.conf; do
  [ -f "$f" ] || continue
  n=$(basename "$f" .conf)
  echo "@@lineage $n $f"
  cat "$f"
  echo "@@x509 $n"
  c=$(sed -n 's/^cert *= *//p' "$f" | head -n1)
  [ -n "$c" ] || c="$LE/live/$n/cert.pem"
  openssl x509 -in "$c" -noout -enddate -issuer -ext subjectAltName 2>&1
  echo "@@issued $n"
  for a in "$LE"/archive/"$n"/cert*.pem; do [ -f "$a" ] && openssl x509 -in "$a" -noout -startdate 2>/dev/null; done
done
echo "@@schedules"
[ -d /run/systemd/system ] && echo "systemd-running"
for u in certbot.timer snap.certbot.renew.timer; do
  for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    [ -e "$d/$u" ] && { echo "timer $u"; break; }
  done
done
for f in /etc/crontab /etc/cron.d/* /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/* /var/spool/cron/crontabs/*; do
  [ -f "$f" ] && grep -qs certbot "$f" && echo "cron $f"
done
for p in cron crond; do pgrep -x "$p" >/dev/null 2>&1 && echo "cron-running"; done
echo "@@port80"
ss -ltnpH 'sport = :80' 2>/dev/null | grep -o 'users:(.*' | grep -o '"[^"]*",pid=[0-9]*' | sort -u | while IFS= read -r u; do
  pid=$(echo "$u" | sed 's/.*pid=//')
  unit=
  # the cgroup names the systemd unit only when systemd manages this host
  [ -d /run/systemd/system ] && unit=$(grep -o '[^/]*\.service' /proc/$pid/cgroup 2>/dev/null | head -n1)
  echo "$u unit=$unit"
done
echo "@@initd"
ls /etc/init.d 2>/dev/null
echo "@@apache"
command -v apache2ctl >/dev/null 2>&1 && echo installed
pgrep -x apache2 >/dev/null 2>&1 && echo running
for f in /etc/apache2/sites-enabled/*; do
  [ -f "$f" ] || continue
  echo "site $f"
  grep -hiE 'SSLCertificateFile|Strict-Transport-Security|SSLUseStapling +on|RewriteCond +%\{SERVER_NAME\}' "$f" 2>/dev/null
done
echo "@@end"`;

/** The lines of every section called `name` (sections.ts protocol). */
function section(text: string, name: string): string[] {
  return parseSections(text)
    .filter((x) => x.name === name)
    .flatMap((x) => x.lines);
}

/** Read `key = value` pairs of a certbot renewal config (configobj format). */
export function parseRenewalConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && m[1] && m[2] !== undefined && !(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `Feb 20 07:00:00 2027 GMT` (openssl's notAfter) → Date. */
export function parseOpensslDate(text: string): Date | undefined {
  const m = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s+GMT$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS[m[1] ?? ''];
  if (month === undefined) return undefined;
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
}

/** Parse `openssl x509 -noout -enddate -issuer -ext subjectAltName` output. */
export function parseX509(lines: string[]): { notAfter?: Date; issuer?: string; domains: string[] } {
  let notAfter: Date | undefined;
  let issuer: string | undefined;
  const domains: string[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('notAfter=')) notAfter = parseOpensslDate(t.slice('notAfter='.length));
    else if (t.startsWith('issuer=')) issuer = t.slice('issuer='.length).trim();
    else if (/^DNS:/.test(t)) {
      for (const part of t.split(',')) {
        const d = /^\s*DNS:(.+)$/.exec(part);
        if (d?.[1]) domains.push(d[1].trim().toLowerCase());
      }
    }
  }
  return { notAfter, issuer, domains };
}

export function parseCertbotState(stdout: string): CertbotHostState {
  const all = parseSections(stdout);
  const certbot = all.find((x) => x.name === 'certbot')?.args.trim() || undefined;

  const lineages: Lineage[] = [];
  all.forEach((head, i) => {
    const m = /^(\S+) (.+)$/.exec(head.args);
    if (head.name !== 'lineage' || !m?.[1] || !m[2]) return;
    const name = m[1];
    const file = m[2];
    const following = all[i + 1];
    const x509 = following?.name === 'x509' && following.args === name ? following.lines : [];
    const issuedSection = all[i + 2]?.name === 'issued' && all[i + 2]?.args === name ? (all[i + 2]?.lines ?? []) : [];
    const issued = issuedSection.flatMap((l) => {
      const t = l.trim();
      const d = t.startsWith('notBefore=') ? parseOpensslDate(t.slice('notBefore='.length)) : undefined;
      return d ? [d] : [];
    });
    const config = head.lines.join('\n');
    const kv = parseRenewalConf(config);
    const cert = parseX509(x509);
    const live = `${file.replace(/\/renewal\/[^/]+$/, '')}/live/${name}`;
    lineages.push({
      name,
      renewalFile: file,
      domains: cert.domains,
      server: kv.server,
      authenticator: kv.authenticator,
      installer: kv.installer && kv.installer !== 'None' ? kv.installer : undefined,
      preHook: kv.pre_hook,
      postHook: kv.post_hook,
      webrootPath: kv.webroot_path?.replace(/,\s*$/, ''),
      cert: kv.cert ?? `${live}/cert.pem`,
      fullchain: kv.fullchain ?? `${live}/fullchain.pem`,
      privkey: kv.privkey ?? `${live}/privkey.pem`,
      chain: kv.chain ?? `${live}/chain.pem`,
      notAfter: cert.notAfter,
      issuer: cert.issuer,
      issued,
      config,
    });
  });

  const sched = section(stdout, 'schedules');
  const schedules: Schedule[] = [];
  for (const l of sched) {
    const t = /^timer (\S+)$/.exec(l);
    if (t?.[1]) schedules.push({ kind: 'systemd-timer', where: t[1] });
    const c = /^cron (\S+)$/.exec(l);
    if (c?.[1]) schedules.push({ kind: 'cron', where: c[1] });
  }

  const port80: PortHolder[] = [];
  for (const l of section(stdout, 'port80')) {
    const m = /^"([^"]*)",pid=(\d+) unit=(\S*)$/.exec(l.trim());
    if (m?.[1] && m[2]) port80.push({ process: m[1], pid: Number(m[2]), unit: m[3] ? m[3].replace(/\.service$/, '') : undefined });
  }

  const apacheLines = section(stdout, 'apache');
  const sites: ApacheSite[] = [];
  let cur: ApacheSite | undefined;
  for (const l of apacheLines) {
    const s = /^site (.+)$/.exec(l);
    if (s?.[1]) {
      cur = { file: s[1], certNames: [], hsts: false, stapling: false, redirects: [] };
      sites.push(cur);
      continue;
    }
    if (!cur) continue;
    const cf = /SSLCertificateFile\s+\S*\/live\/([^/\s]+)\//i.exec(l);
    if (cf?.[1]) cur.certNames.push(cf[1]);
    if (/Strict-Transport-Security/i.test(l)) cur.hsts = true;
    if (/SSLUseStapling\s+on/i.test(l)) cur.stapling = true;
    const rc = /RewriteCond\s+%\{SERVER_NAME\}\s+=(\S+)/i.exec(l);
    if (rc?.[1]) cur.redirects.push(rc[1].toLowerCase());
  }

  return {
    certbot,
    lineages,
    schedules,
    systemdRunning: sched.includes('systemd-running'),
    cronRunning: sched.includes('cron-running'),
    port80,
    initScripts: section(stdout, 'initd').map((l) => l.trim()).filter(Boolean),
    apache: { installed: apacheLines.includes('installed'), running: apacheLines.includes('running'), sites },
  };
}

/**
 * The renewal schedule that will actually fire: certbot's systemd timer when systemd runs,
 * else a cron entry. Debian's certbot package ships both (its cron entry steps aside when
 * systemd runs), so the choice depends on the service manager.
 */
export function activeSchedule(state: Pick<CertbotHostState, 'schedules' | 'systemdRunning'>): Schedule | undefined {
  const timers = state.schedules.filter((s) => s.kind === 'systemd-timer');
  const crons = state.schedules.filter((s) => s.kind === 'cron');
  if (state.systemdRunning && timers[0]) return timers[0];
  return crons[0];
}

export function describeSchedule(s: Schedule | undefined): string {
  if (!s) return 'none';
  return s.kind === 'systemd-timer' ? `systemd timer ${s.where}` : `cron ${s.where}`;
}
