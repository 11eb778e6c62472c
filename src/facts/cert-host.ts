// Everything `runbook certs` reads on a host, in ONE round trip (run with become: the archive
// and renewal confs are root's). A single shell script prints labelled sections; a pure parser
// turns them into CertHostFacts. Nothing here is certbot's text UI (`certbot certificates`):
// the renewal confs and PEM files are read as certbot reads them, and the certificates are
// parsed on the controller (node:crypto), so a host needs no openssl and no Python run.
//
// Private keys are never read: only whether the key file exists.
//
// The init system is detected by what runs, not by which binaries exist: a Debian container has
// /usr/bin/systemctl and a certbot.timer unit file, but without systemd as PID 1 the timer never
// fires, and Debian's /etc/cron.d/certbot is written to run only when /run/systemd/system is absent.
import { raw, sh } from '../transport/command.js';
import type { ShellCommand } from '../transport/command.js';
import type { Fact } from './types.js';
import { parseCertbotJournal, parseCertbotLog, type RenewalAttempt } from './cert-log.js';
import { parseRenewalConf, type RenewalConf } from './cert-renewal-conf.js';

export const DEFAULT_CERTBOT_DIR = '/etc/letsencrypt';
export const DEFAULT_CERTBOT_LOG_DIR = '/var/log/letsencrypt';
/** certbot log files read per host (newest first): one per certbot run */
export const LOG_FILES_READ = 12;

export interface LineageFiles {
  /** conf key (cert, privkey, chain, fullchain) → path and whether it exists */
  [key: string]: { path: string; exists: boolean };
}

export interface RawLineage {
  name: string;
  conf: RenewalConf;
  /** path of the certificate read (from the conf's `cert =`, else live/NAME/cert.pem) */
  certPath: string;
  /** the PEM text, undefined when the file is missing or unreadable */
  certPem?: string;
  /** where the live symlink points (archive/NAME/certN.pem) */
  certTarget?: string;
  files: LineageFiles;
  /** archive/NAME/certN.pem versions with their mtime (ISO): how many times it was issued */
  archive: Array<{ version: number; mtime: string }>;
}

export interface CronEntry {
  /** the file, or 'crontab:USER' */
  file: string;
  line: number;
  text: string;
  /** Debian's packaged /etc/cron.d/certbot runs only when systemd is not the init */
  onlyWithoutSystemd: boolean;
}

export interface CertHostFacts {
  /** seconds since the epoch on the host (clock skew shows here) */
  hostTime?: number;
  /** `date +%z` of the host: certbot logs in local time */
  tz?: string;
  init: { systemdRunning: boolean; pid1?: string };
  certbot: { installed: boolean; path?: string; version?: string; source?: 'deb' | 'snap' | 'other' };
  configDir: string;
  configDirExists: boolean;
  lineages: RawLineage[];
  /** live/NAME directories without a renewal conf: never renewed by `certbot renew` */
  orphans: string[];
  timers: Array<{ unit: string; unitFileState?: string; activeState?: string; nextElapse?: string; lastTrigger?: string; present: boolean }>;
  cronDaemonRunning: boolean;
  cron: CronEntry[];
  /** scripts in /etc/cron.{hourly,daily,weekly,monthly} that mention certbot */
  periodic: string[];
  attempts: RenewalAttempt[];
}

/** The host script; `dir` is certbot's --config-dir (default /etc/letsencrypt). */
export function certHostCommand(dir: string = DEFAULT_CERTBOT_DIR, logDir: string = DEFAULT_CERTBOT_LOG_DIR): ShellCommand {
  return sh`D=${dir}; L=${logDir}; N=${String(LOG_FILES_READ)}
${raw(SCRIPT)}`;
}

// Every section tolerates a missing tool or file; lines of file contents are prefixed with '|'
// so no content can forge a section marker.
const SCRIPT_LINES = [
  "echo '@@time'; date +%s; date +%z",
  "echo '@@init'; [ -d /run/systemd/system ] && echo systemd-running; cat /proc/1/comm 2>/dev/null",
  "echo '@@certbot'; command -v certbot 2>/dev/null",
  "v=$(dpkg-query -W -f='${Status} ${Version}' certbot 2>/dev/null); case $v in 'install ok installed '*) echo \"deb ${v##* }\";; *) if [ -x /snap/bin/certbot ] && command -v snap >/dev/null 2>&1; then snap list certbot 2>/dev/null | awk 'NR==2{print \"snap \" $2}'; elif command -v certbot >/dev/null 2>&1; then echo \"other $(certbot --version 2>&1 | awk '{print $2; exit}')\"; fi;; esac",
  'echo \'@@dir\'; [ -d "$D" ] && echo exists',
  'for f in "$D"/renewal/*.conf; do [ -e "$f" ] || continue; n=${f##*/}; n=${n%.conf}; ' +
    'echo "@@conf $n"; sed "s/^/|/" "$f" 2>&1 | head -c 65536; echo; ' +
    'c=$(sed -n "s/^[[:space:]]*cert[[:space:]]*=[[:space:]]*//p" "$f" 2>/dev/null | head -n 1); [ -n "$c" ] || c="$D/live/$n/cert.pem"; ' +
    'echo "@@files $n"; for k in cert privkey chain fullchain; do p=$(sed -n "s/^[[:space:]]*$k[[:space:]]*=[[:space:]]*//p" "$f" 2>/dev/null | head -n 1); [ -n "$p" ] || p="$D/live/$n/$k.pem"; if [ -e "$p" ]; then echo "$k present $p"; else echo "$k missing $p"; fi; done; ' +
    'echo "@@pem $n $c"; if [ -r "$c" ] && [ -f "$c" ]; then sed "s/^/|/" "$c" | head -c 65536; echo; echo "@@target $n"; readlink -f "$c"; fi; ' +
    'echo "@@archive $n"; for a in "$D"/archive/"$n"/cert*.pem; do [ -e "$a" ] && stat -c "%Y %n" "$a" 2>/dev/null; done; ' +
    'done',
  'echo \'@@orphans\'; for d in "$D"/live/*/; do [ -d "$d" ] || continue; n=${d%/}; n=${n##*/}; [ -e "$D/renewal/$n.conf" ] || echo "$n"; done',
  "echo '@@timers'; for u in certbot.timer snap.certbot.renew.timer; do " +
    'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo "unit $u"; systemctl show "$u" -p LoadState -p UnitFileState -p ActiveState -p NextElapseUSecRealtime -p LastTriggerUSec 2>/dev/null; ' +
    'else for p in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do if [ -e "$p/$u" ]; then echo "unit $u"; echo "LoadState=loaded"; [ -e "/etc/systemd/system/timers.target.wants/$u" ] && echo "UnitFileState=enabled" || echo "UnitFileState=disabled"; echo "ActiveState=inactive"; break; fi; done; fi; done',
  "echo '@@crond'; if command -v pgrep >/dev/null 2>&1; then pgrep -x 'cron|crond|cronie|busybox-crond' >/dev/null 2>&1 && echo running; else for p in /proc/[0-9]*/comm; do case $(cat \"$p\" 2>/dev/null) in cron|crond) echo running; break;; esac; done; fi",
  "echo '@@cron'; for f in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* /var/spool/cron/*; do [ -f \"$f\" ] && grep -n -i -e certbot -e letsencrypt \"$f\" 2>/dev/null | sed \"s|^|$f:|\"; done",
  "echo '@@periodic'; for f in /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/*; do [ -f \"$f\" ] && grep -q -i certbot \"$f\" 2>/dev/null && echo \"$f\"; done",
  // every run appends to letsencrypt.log until it is rotated at 1 MiB: keep the newest runs' lines
  'echo \'@@logs\'; for f in $(ls -1t "$L"/letsencrypt.log* 2>/dev/null | head -n "$N"); do echo "@@log $f"; ' +
    "grep -E -e 'certbot version:' -e 'Arguments:' -e 'Processing ' -e 'not yet due' -e 'due for renewal' -e 'Failed to renew' -e 'Renewal configuration file' -e 'renewals (succeeded|failed|were attempted)' -e 'following .*renewals' -e 'renew failure' -e '\\((success|failure|parsefail)\\)' \"$f\" 2>/dev/null | tail -n 400 | cut -c1-500 | sed 's/^/|/'; done",
  "echo '@@journal'; if [ -d /run/systemd/system ] && command -v journalctl >/dev/null 2>&1; then journalctl -u certbot.service -u snap.certbot.renew.service -n 60 --no-pager -o short-iso-precise 2>/dev/null | sed 's/^/|/'; fi",
  "echo '@@end'",
];
const SCRIPT = SCRIPT_LINES.join('\n');

interface Section {
  tag: string;
  arg: string;
  lines: string[];
}

function sections(stdout: string): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@@([a-z]+)(?: (.*))?$/.exec(line);
    if (m?.[1]) {
      cur = { tag: m[1], arg: m[2] ?? '', lines: [] };
      out.push(cur);
    } else if (cur) cur.lines.push(line);
  }
  return out;
}

/** the '|'-prefixed content lines of a section, prefix removed */
function content(s: Section): string[] {
  return s.lines.filter((l) => l.startsWith('|')).map((l) => l.slice(1));
}

function plain(s: Section | undefined): string[] {
  return (s?.lines ?? []).map((l) => l.trim()).filter((l) => l !== '');
}

/** Parse the output of certHostCommand. */
export function parseCertHost(stdout: string, configDir: string = DEFAULT_CERTBOT_DIR): CertHostFacts {
  const all = sections(stdout);
  const one = (tag: string): Section | undefined => all.find((s) => s.tag === tag);
  const [timeLine, tz] = plain(one('time'));
  const hostTime = timeLine !== undefined && /^\d+$/.test(timeLine) ? Number(timeLine) : undefined;

  const init = plain(one('init'));
  const certbotLines = plain(one('certbot'));
  const path = certbotLines.find((l) => l.startsWith('/'));
  const ver = certbotLines.find((l) => /^(deb|snap|other) /.test(l));
  const [source, version] = ver ? (ver.split(' ', 2) as ['deb' | 'snap' | 'other', string]) : [undefined, undefined];
  const certbot: CertHostFacts['certbot'] = { installed: path !== undefined || source !== undefined };
  if (path) certbot.path = path;
  if (source) certbot.source = source;
  if (version && version !== '') certbot.version = version.replace(/^\d+:/, '');

  const lineages: RawLineage[] = [];
  const byName = new Map<string, RawLineage>();
  for (const s of all) {
    if (s.tag === 'conf') {
      const l: RawLineage = { name: s.arg, conf: parseRenewalConf(content(s).join('\n')), certPath: '', files: {}, archive: [] };
      lineages.push(l);
      byName.set(s.arg, l);
      continue;
    }
    const [name = '', rest = ''] = splitFirst(s.arg);
    const l = byName.get(name);
    if (!l) continue;
    if (s.tag === 'files') {
      for (const line of plain(s)) {
        const m = /^(\w+) (present|missing) (.*)$/.exec(line);
        if (m?.[1]) l.files[m[1]] = { path: m[3] ?? '', exists: m[2] === 'present' };
      }
    } else if (s.tag === 'pem') {
      l.certPath = rest;
      const text = content(s).join('\n');
      if (text.includes('-----BEGIN')) l.certPem = text;
    } else if (s.tag === 'target') {
      const t = plain(s)[0];
      if (t) l.certTarget = t;
    } else if (s.tag === 'archive') {
      for (const line of plain(s)) {
        const m = /^(\d+) .*\/cert(\d+)\.pem$/.exec(line);
        if (m) l.archive.push({ version: Number(m[2]), mtime: new Date(Number(m[1]) * 1000).toISOString() });
      }
      l.archive.sort((a, b) => a.version - b.version);
    }
  }

  const timers: CertHostFacts['timers'] = [];
  let timer: CertHostFacts['timers'][number] | undefined;
  for (const line of plain(one('timers'))) {
    const unit = /^unit (\S+)$/.exec(line);
    if (unit?.[1]) {
      timer = { unit: unit[1], present: false };
      timers.push(timer);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (!kv || !timer) continue;
    const v = kv[2] ?? '';
    if (kv[1] === 'LoadState') timer.present = v === 'loaded';
    else if (kv[1] === 'UnitFileState' && v) timer.unitFileState = v;
    else if (kv[1] === 'ActiveState' && v) timer.activeState = v;
    else if (kv[1] === 'NextElapseUSecRealtime' && v && v !== 'n/a') timer.nextElapse = v;
    else if (kv[1] === 'LastTriggerUSec' && v && v !== 'n/a') timer.lastTrigger = v;
  }

  const cron: CronEntry[] = [];
  for (const line of plain(one('cron'))) {
    const m = /^(.+?):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    const text = (m[3] ?? '').trim();
    // comments and variable lines (MAILTO=..., PATH=...) schedule nothing
    if (text.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text)) continue;
    if (!/certbot|letsencrypt/i.test(text)) continue;
    const file = m[1]?.startsWith('/var/spool/cron') ? `crontab:${m[1].split('/').pop() ?? ''}` : (m[1] ?? '');
    cron.push({ file, line: Number(m[2]), text, onlyWithoutSystemd: /!\s*-d\s+\/run\/systemd\/system/.test(text.replace(/\\!/g, '!')) });
  }

  const attempts: RenewalAttempt[] = [];
  for (const s of all) {
    if (s.tag !== 'log') continue;
    attempts.push(...parseCertbotLog(s.arg, content(s), tz));
  }
  attempts.push(...parseCertbotJournal(content(one('journal') ?? { tag: '', arg: '', lines: [] })));
  attempts.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

  const facts: CertHostFacts = {
    init: { systemdRunning: init.includes('systemd-running'), ...(init.find((l) => l !== 'systemd-running') ? { pid1: init.find((l) => l !== 'systemd-running') } : {}) },
    certbot,
    configDir,
    configDirExists: plain(one('dir')).includes('exists'),
    lineages,
    orphans: plain(one('orphans')),
    timers,
    cronDaemonRunning: plain(one('crond')).includes('running'),
    cron,
    periodic: plain(one('periodic')),
    attempts,
  };
  if (hostTime !== undefined) facts.hostTime = hostTime;
  if (tz) facts.tz = tz;
  return facts;
}

function splitFirst(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** true when the output is complete (the script reached its end) */
export function certHostComplete(stdout: string): boolean {
  return /(^|\n)@@end\s*$/.test(stdout);
}

export function certHostFact(dir: string = DEFAULT_CERTBOT_DIR): Fact<CertHostFacts> {
  return { name: 'certbot', command: certHostCommand(dir), parse: (stdout) => parseCertHost(stdout, dir) };
}
