// certbot's own log files (/var/log/letsencrypt/letsencrypt.log, .1, .2 ...: one file per
// certbot run, kept up to 1000 by default) and the journal of certbot.service, reduced to the
// renewal attempts they record: when, what was run, and per lineage whether it renewed, was not
// due, failed (with certbot's error) or had a broken renewal conf.
//
// Lines look like `2026-12-03 07:55:00,123:DEBUG:certbot._internal.main:Arguments: ['-q', 'renew']`
// in the host's local time; notifications are logged as `Notifying user: ...`.

export type LineageOutcome = 'renewed' | 'not-due' | 'failed' | 'broken';

export interface RenewalAttempt {
  /** the log file (or 'journal') */
  source: string;
  /** ISO time the run started (UTC) */
  at: string;
  /** certbot's verb: renew, certonly, run, ... */
  verb: string;
  dryRun: boolean;
  /** per lineage name */
  lineages: Record<string, { outcome: LineageOutcome; error?: string }>;
  /** success: everything it tried worked; failure: something failed; nothing-due: nothing tried */
  outcome: 'success' | 'failure' | 'nothing-due' | 'unknown';
}

const LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:,(\d{1,3}))?:([A-Z]+):([^:]+):(.*)$/;
const VERBS = ['renew', 'certonly', 'run', 'certificates', 'revoke', 'delete', 'register', 'install', 'reconfigure', 'update_account', 'unregister', 'enhance', 'show_account'];

/** `+0100` → minutes east of UTC */
export function tzOffsetMinutes(tz: string | undefined): number {
  const m = /^([+-])(\d\d):?(\d\d)$/.exec((tz ?? '').trim());
  if (!m) return 0;
  const mins = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -mins : mins;
}

function toIso(date: string, time: string, ms: string | undefined, offsetMin: number): string | undefined {
  const t = Date.parse(`${date}T${time}.${(ms ?? '0').padEnd(3, '0')}Z`);
  if (Number.isNaN(t)) return undefined;
  return new Date(t - offsetMin * 60_000).toISOString();
}

function lineageFromPath(p: string): string | undefined {
  const m = /\/(?:live|renewal)\/([^/]+?)(?:\/fullchain\.pem|\.conf)?$/.exec(p.trim());
  return m?.[1];
}

/**
 * One certbot log file (the lines the host script kept) → the attempts it records. certbot
 * appends every run to letsencrypt.log until the file reaches 1 MiB, then rotates it: a file
 * holds many runs, each starting with its `certbot version:` line.
 */
export function parseCertbotLog(source: string, lines: readonly string[], tz?: string): RenewalAttempt[] {
  const runs: string[][] = [];
  for (const line of lines) {
    if (/:certbot version: /.test(line) || runs.length === 0) runs.push([]);
    runs[runs.length - 1]?.push(line);
  }
  return runs.map((r) => parseRun(source, r, tz)).filter((a): a is RenewalAttempt => a !== undefined);
}

function parseRun(source: string, lines: readonly string[], tz?: string): RenewalAttempt | undefined {
  const offset = tzOffsetMinutes(tz);
  let at: string | undefined;
  let verb: string | undefined;
  let dryRun = false;
  let renewing = false;
  let current: string | undefined;
  let summary: RenewalAttempt['outcome'] | undefined;
  const lineages: RenewalAttempt['lineages'] = {};
  for (const line of lines) {
    const m = LINE.exec(line);
    const msg = (m ? (m[6] ?? '') : line).replace(/^Notifying user: /, '').trim();
    if (m && at === undefined) at = toIso(m[1] ?? '', m[2] ?? '', m[3], offset);
    const args = /^Arguments: \[(.*)\]$/.exec(msg);
    if (args) {
      // the verb itself is not among the logged arguments when given first (`certbot renew ...`)
      const words = [...(args[1] ?? '').matchAll(/'([^']*)'/g)].map((w) => w[1] ?? '');
      verb = words.find((w) => VERBS.includes(w));
      dryRun = words.includes('--dry-run');
      continue;
    }
    const proc = /Processing (\S+\.conf)/.exec(msg);
    if (proc) {
      renewing = true;
      current = lineageFromPath(proc[1] ?? '');
      continue;
    }
    if (/not yet due for renewal/.test(msg)) {
      if (current) lineages[current] = { outcome: 'not-due' };
      continue;
    }
    const failed = /Failed to renew certificate (\S+) with error: (.*)$/.exec(msg);
    if (failed?.[1]) {
      lineages[failed[1]] = { outcome: 'failed', error: (failed[2] ?? '').slice(0, 300) };
      continue;
    }
    const broken = /Renewal configuration file (\S+?\.conf)(?: \(cert: \S+\))? (?:is broken|produced an unexpected error|lacks renewalparams|does not specify an authenticator)/.exec(msg);
    if (broken?.[1]) {
      const name = lineageFromPath(broken[1]);
      if (name) lineages[name] = { outcome: 'broken', error: msg.slice(0, 300) };
      continue;
    }
    const item = /(\S+) \((success|failure|skipped|parsefail)\)\s*$/.exec(msg);
    if (item?.[1]) {
      const name = lineageFromPath(item[1]);
      if (name && item[2] === 'success') lineages[name] = { outcome: 'renewed' };
      else if (name && item[2] === 'failure' && lineages[name]?.outcome !== 'failed') lineages[name] = { outcome: 'failed' };
      continue;
    }
    if (/all (?:simulated )?renewals succeeded/i.test(msg)) summary = 'success';
    else if (/All (?:simulated )?renewals failed|The following (?:simulated )?renewals failed|\d+ renew failure\(s\)/.test(msg)) summary = 'failure';
    else if (/No (?:simulated )?renewals were attempted/.test(msg)) summary ??= 'nothing-due';
  }
  if (at === undefined) return undefined;
  const values = Object.values(lineages);
  let outcome: RenewalAttempt['outcome'] = summary ?? 'unknown';
  if (values.some((v) => v.outcome === 'failed' || v.outcome === 'broken')) outcome = 'failure';
  else if (summary === undefined && values.some((v) => v.outcome === 'renewed')) outcome = 'success';
  else if (summary === undefined && values.length > 0 && values.every((v) => v.outcome === 'not-due')) outcome = 'nothing-due';
  return { source, at, verb: verb ?? (renewing ? 'renew' : 'run'), dryRun, lineages, outcome };
}

/**
 * `journalctl -u certbot.service -o short-iso-precise` lines (microseconds, so two runs in one second keep their order): each "Starting"/"Finished"/"Failed" triple is
 * one run of the timer's service; the journal keeps runs whose log files were rotated away.
 */
export function parseCertbotJournal(lines: readonly string[]): RenewalAttempt[] {
  const out: RenewalAttempt[] = [];
  let start: string | undefined;
  // systemd logs a failed run twice ("Main process exited", "Failed with result"): count it once
  let open = false;
  for (const line of lines) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)?)\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    const t = Date.parse((m[1] ?? '').replace(/\.(\d{3})\d*/, '.$1').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    if (Number.isNaN(t)) continue;
    const at = new Date(t).toISOString();
    const msg = m[2] ?? '';
    if (/Starting .*[Cc]ertbot/.test(msg)) {
      start = at;
      open = true;
    } else if (open && /Failed with result|Failed to start .*[Cc]ertbot|Main process exited, code=exited, status=[1-9]/.test(msg)) {
      out.push({ source: 'journal', at: start ?? at, verb: 'renew', dryRun: false, lineages: {}, outcome: 'failure' });
      open = false;
    } else if (open && /Finished|Deactivated successfully|Succeeded/.test(msg)) {
      out.push({ source: 'journal', at: start ?? at, verb: 'renew', dryRun: false, lineages: {}, outcome: 'unknown' });
      open = false;
    }
  }
  return out;
}
