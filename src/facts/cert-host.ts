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
//
// The script runs on every host at once (200 at a time share a small controller's cores in the
// lab, and a node is often a small board), so it starts as few processes as it can: files are
// read by the shell's own `read` (a conf and a PEM are a few dozen lines), each lineage's keys
// are picked out in that same pass, the current archive version is found with `[ -ef ]`
// instead of readlink, all archive mtimes come from one stat, every cron file is searched by
// one grep, every certbot log by one awk, and what a host cannot have is not asked for
// (dpkg-query only where dpkg lists a certbot package, systemctl and journalctl only where
// systemd runs). A host without certbot files runs one process besides the shell (date);
// the earlier script ran about 55 (pgrep alone scanned every process of the machine).
// Its sections are that script's, but for three (all archive mtimes in one section, the
// run-parts scripts inside the cron section, both timers in one systemctl answer): the parser
// reads both forms.
const SCRIPT = `echo '@@time'; date '+%s%n%z'
echo '@@init'; [ -d /run/systemd/system ] && echo systemd-running; { read -r p1 </proc/1/comm && echo "$p1"; } 2>/dev/null
echo '@@certbot'; command -v certbot 2>/dev/null
if [ -e /var/lib/dpkg/info/certbot.list ]; then v=$(dpkg-query -W -f='\${Status} \${Version}' certbot 2>/dev/null); else v=; fi
case $v in 'install ok installed '*) echo "deb \${v##* }";; *) if [ -x /snap/bin/certbot ] && command -v snap >/dev/null 2>&1; then snap list certbot 2>/dev/null | awk 'NR==2{print "snap " $2}'; elif command -v certbot >/dev/null 2>&1; then echo "other $(certbot --version 2>&1 | awk '{print $2; exit}')"; fi;; esac
echo '@@dir'; [ -d "$D" ] && echo exists
# print FILE with '|' before each line, at most 64 KiB; the keys cert privkey chain fullchain
# (first "KEY = VALUE" line of each) are kept in k_cert ... for the renewal confs
rd() { k_cert=; k_privkey=; k_chain=; k_fullchain=; t=0
  while IFS= read -r l || [ -n "$l" ]; do
    t=$((t + \${#l} + 2)); [ "$t" -gt 65536 ] && break
    printf '|%s\\n' "$l"
    case $l in *=*) k=\${l%%=*}; k=\${k#"\${k%%[![:space:]]*}"}; k=\${k%"\${k##*[![:space:]]}"}; v=\${l#*=}; v=\${v#"\${v%%[![:space:]]*}"}
      case $k in cert) [ -n "$k_cert" ] || k_cert=$v;; privkey) [ -n "$k_privkey" ] || k_privkey=$v;; chain) [ -n "$k_chain" ] || k_chain=$v;; fullchain) [ -n "$k_fullchain" ] || k_fullchain=$v;; esac;; esac
  done <"$1"; }
for f in "$D"/renewal/*.conf; do [ -e "$f" ] || continue; n=\${f##*/}; n=\${n%.conf}
  echo "@@conf $n"; if [ -r "$f" ] && [ -f "$f" ]; then rd "$f"; else k_cert=; k_privkey=; k_chain=; k_fullchain=; echo "$f: not a readable file"; fi; echo
  echo "@@files $n"
  for k in cert privkey chain fullchain; do
    case $k in cert) p=$k_cert;; privkey) p=$k_privkey;; chain) p=$k_chain;; *) p=$k_fullchain;; esac
    [ -n "$p" ] || p="$D/live/$n/$k.pem"; [ $k = cert ] && c=$p
    if [ -e "$p" ]; then echo "$k present $p"; else echo "$k missing $p"; fi
  done
  echo "@@pem $n $c"
  if [ -r "$c" ] && [ -f "$c" ]; then rd "$c"; echo; echo "@@target $n"
    tg=; for a in "$D"/archive/"$n"/cert*.pem; do [ "$a" -ef "$c" ] && { tg=$a; break; }; done
    if [ -n "$tg" ]; then echo "$tg"; elif [ -L "$c" ]; then readlink -f "$c"; else echo "$c"; fi
  fi
done
echo '@@archives'; set -- "$D"/archive/*/cert*.pem; [ -e "$1" ] && stat -c '%Y %n' -- "$@" 2>/dev/null
echo '@@orphans'; for d in "$D"/live/*/; do [ -d "$d" ] || continue; n=\${d%/}; n=\${n##*/}; [ -e "$D/renewal/$n.conf" ] || echo "$n"; done
echo '@@timers'
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl show certbot.timer snap.certbot.renew.timer -p Id -p LoadState -p UnitFileState -p ActiveState -p NextElapseUSecRealtime -p LastTriggerUSec 2>/dev/null
else for u in certbot.timer snap.certbot.renew.timer; do for p in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do if [ -e "$p/$u" ]; then echo "unit $u"; echo "LoadState=loaded"; [ -e "/etc/systemd/system/timers.target.wants/$u" ] && echo "UnitFileState=enabled" || echo "UnitFileState=disabled"; echo "ActiveState=inactive"; break; fi; done; done; fi
# the cron daemon: its pid file first, else every process's name (no pgrep: one process less,
# and pgrep reads every process's stat, which on a busy machine costs more than this loop)
echo '@@crond'; c=; { read -r p <"/run/crond.pid" && read -r c <"/proc/$p/comm"; } 2>/dev/null
case $c in cron|crond|cronie|busybox-crond) echo running;; *) for p in /proc/[0-9]*/comm; do c=; { read -r c <"$p"; } 2>/dev/null; case $c in cron|crond|cronie|busybox-crond) echo running; break;; esac; done;; esac
# crontabs and run-parts scripts in one grep (FILE:LINE:TEXT); the parser tells them apart by directory
echo '@@cron'; set --; for f in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* /var/spool/cron/* /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/*; do [ -f "$f" ] && set -- "$@" "$f"; done
[ $# -gt 0 ] && grep -H -n -I -i -e certbot -e letsencrypt -- "$@" 2>/dev/null
# certbot's log and its rotations (letsencrypt.log.1 is the newest backup), the newest $N: the lines
# that tell runs and outcomes, the last 400 of each file, each cut at 500 characters
echo '@@logs'; set --; i=0; while [ $i -lt "$N" ]; do f=$L/letsencrypt.log; [ $i -gt 0 ] && f=$f.$i; [ -f "$f" ] && [ -r "$f" ] && set -- "$@" "$f"; i=$((i + 1)); done
if [ $# -gt 0 ]; then awk 'function out(  i, s) { if (F == "") return; print "@@log " F; s = n > 400 ? n - 400 : 0; for (i = s; i < n; i++) print "|" b[i % 400] }
  FNR == 1 { out(); F = FILENAME; n = 0 }
  /certbot version:|Arguments:|Processing |not yet due|due for renewal|Failed to renew|Renewal configuration file|renewals (succeeded|failed|were attempted)|following .*renewals|renew failure|\\((success|failure|parsefail)\\)/ { b[n % 400] = substr($0, 1, 500); n++ }
  END { out() }' "$@" 2>/dev/null; fi
echo '@@journal'; if [ -d /run/systemd/system ] && command -v journalctl >/dev/null 2>&1; then
  j=$(journalctl -u certbot.service -u snap.certbot.renew.service -n 60 --no-pager -o short-iso-precise 2>/dev/null); set -f; o=$IFS; IFS='
'; for l in $j; do printf '|%s\\n' "$l"; done; IFS=$o; set +f; fi
echo '@@end'`;

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
    }
  }
  // one stat for every lineage's archive: `MTIME DIR/archive/NAME/certN.pem`, NAME tells whose
  for (const line of plain(one('archives'))) {
    const m = /^(\d+) .*\/archive\/([^/]+)\/cert(\d+)\.pem$/.exec(line);
    const l = m?.[2] !== undefined ? byName.get(m[2]) : undefined;
    if (m && l) l.archive.push({ version: Number(m[3]), mtime: new Date(Number(m[1]) * 1000).toISOString() });
  }
  for (const l of lineages) l.archive.sort((a, b) => a.version - b.version);

  const timers = parseTimers(one('timers')?.lines ?? []);

  const cron: CronEntry[] = [];
  const periodic = plain(one('periodic'));
  for (const line of plain(one('cron'))) {
    const m = /^(.+?):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    const text = (m[3] ?? '').trim();
    // run-parts scripts come in the same grep: one that mentions certbot (anywhere) is a schedule
    if (PERIODIC_DIR.test(m[1] ?? '')) {
      if (/certbot/i.test(text) && !periodic.includes(m[1] ?? '')) periodic.push(m[1] ?? '');
      continue;
    }
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
    periodic,
    attempts,
  };
  if (hostTime !== undefined) facts.hostTime = hostTime;
  if (tz) facts.tz = tz;
  return facts;
}

const PERIODIC_DIR = /^\/etc\/cron\.(hourly|daily|weekly|monthly)\//;

/**
 * The timers section, in either form: `unit NAME` followed by its KEY=VALUE lines (no systemd:
 * the script looks for the unit files), or `systemctl show` of both units at once: one block of
 * KEY=VALUE lines per unit (its Id among them, in systemd's order), blocks split by an empty line.
 */
function parseTimers(lines: readonly string[]): CertHostFacts['timers'] {
  const timers: CertHostFacts['timers'] = [];
  let timer: CertHostFacts['timers'][number] | undefined;
  // a systemctl block's keys until its Id is seen
  let pending: Array<[string, string]> = [];
  const set = (t: CertHostFacts['timers'][number], k: string, v: string): void => {
    if (k === 'LoadState') t.present = v === 'loaded';
    else if (k === 'UnitFileState' && v) t.unitFileState = v;
    else if (k === 'ActiveState' && v) t.activeState = v;
    else if (k === 'NextElapseUSecRealtime' && v && v !== 'n/a') t.nextElapse = v;
    else if (k === 'LastTriggerUSec' && v && v !== 'n/a') t.lastTrigger = v;
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      // end of a systemctl block
      timer = undefined;
      pending = [];
      continue;
    }
    const unit = /^unit (\S+)$/.exec(line);
    if (unit?.[1]) {
      timer = { unit: unit[1], present: false };
      timers.push(timer);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (!kv?.[1]) continue;
    const [k, v] = [kv[1], kv[2] ?? ''];
    if (k === 'Id' && v) {
      timer = { unit: v, present: false };
      timers.push(timer);
      for (const [pk, pv] of pending) set(timer, pk, pv);
      pending = [];
    } else if (timer) set(timer, k, v);
    else pending.push([k, v]);
  }
  return timers;
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
