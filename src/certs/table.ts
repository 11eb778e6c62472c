// The terminal view of a certs report: one row per certificate (or per host that has none),
// most urgent first, then one line per problem saying what to do, then a one-line summary.
// A row is one line whatever the fleet size, so hundreds of hosts stay readable and greppable.
import { NO_COLOR, type Style } from '../report/style.js';
import { visibleLine } from '../util/visible.js';
import { severityRank } from './conditions.js';
import type { CertsReport, Condition, HostReport, LineageReport, Severity } from './types.js';

export interface Row {
  severity: Severity;
  host: string;
  cert: string;
  days: string;
  expires: string;
  schedule: string;
  served: string;
  state: string;
  daysLeft: number;
  problems: Condition[];
}

const LABEL: Record<Severity, string> = { critical: 'CRIT', warning: 'WARN', unknown: 'UNKN', info: 'OK', ok: 'OK' };

function scheduleText(h: HostReport): string {
  const eff = h.schedulers.filter((s) => s.effective);
  if (eff.length === 0) return 'none';
  return eff.map((s) => (s.kind === 'systemd-timer' ? 'timer' : s.kind === 'cron-periodic' ? 'cron.daily' : s.source.startsWith('crontab:') ? 'crontab' : 'cron')).join('+');
}

function servedText(l: LineageReport): string {
  if (l.served.length === 0) return '-';
  if (l.served.some((s) => s.status === 'mismatch')) return 'OLD';
  if (l.served.some((s) => s.status === 'match' && s.verified === false)) return 'untrusted';
  if (l.served.every((s) => s.status === 'no-answer')) return 'no :443';
  if (l.served.every((s) => s.status === 'skipped')) return '-';
  return 'ok';
}

/** Rows, most urgent first (severity, then fewest days left, then host and name). */
export function rows(report: CertsReport): Row[] {
  const out: Row[] = [];
  for (const h of report.hosts) {
    const hostProblems = h.conditions.filter((c) => c.severity !== 'ok');
    if (h.lineages.length === 0) {
      const first = h.conditions[0];
      out.push({
        severity: h.severity,
        host: h.host,
        cert: '-',
        days: '',
        expires: '',
        schedule: h.reachable ? scheduleText(h) : '',
        served: '',
        state: h.reachable ? (first?.type ?? 'no certificates') : 'Unreachable',
        daysLeft: Number.POSITIVE_INFINITY,
        problems: hostProblems.filter((c) => c.severity !== 'info'),
      });
      continue;
    }
    for (const l of h.lineages) {
      const bad = l.conditions.filter((c) => c.type !== 'Ready' && c.severity !== 'ok' && c.severity !== 'info');
      const shown = bad.length > 0 ? bad : l.conditions.filter((c) => c.type !== 'Ready' && c.severity === 'info');
      out.push({
        severity: h.severity === 'unknown' ? 'unknown' : l.severity,
        host: h.host,
        cert: l.name,
        days: l.daysLeft !== undefined ? l.daysLeft.toFixed(0) : '?',
        expires: l.cert ? l.cert.notAfter.slice(0, 10) : '?',
        schedule: scheduleText(h),
        served: servedText(l),
        state: shown.length > 0 ? shown.map((c) => c.type).join(',') : 'Ready',
        daysLeft: l.daysLeft ?? Number.NEGATIVE_INFINITY,
        problems: [...bad, ...hostProblems.filter((c) => c.severity === 'warning' || c.severity === 'critical' || c.severity === 'unknown')],
      });
    }
  }
  return out.sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.daysLeft - b.daysLeft || a.host.localeCompare(b.host) || a.cert.localeCompare(b.cert),
  );
}

export function renderTable(report: CertsReport, o: { style?: Style; width?: number } = {}): string {
  const st = o.style ?? NO_COLOR;
  const rs = rows(report);
  const head = ['STATE', 'HOST', 'CERTIFICATE', 'DAYS', 'EXPIRES', 'SCHEDULE', 'SERVED', 'CONDITIONS'];
  const cells = rs.map((r) => [LABEL[r.severity], visibleLine(r.host), visibleLine(r.cert), r.days, r.expires, r.schedule, r.served, r.state]);
  const widths = head.map((h, i) => Math.min(i === 1 || i === 2 ? 40 : 60, Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length))));
  const fit = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const colour = (sev: Severity, s: string): string => (sev === 'critical' ? st.red(s) : sev === 'warning' ? st.yellow(s) : sev === 'unknown' ? st.cyan(s) : st.green(s));
  const lines: string[] = [st.bold(head.map((h, i) => fit(h, widths[i] ?? h.length)).join('  ').trimEnd())];
  rs.forEach((r, n) => {
    const c = cells[n] ?? [];
    const text = c.map((v, i) => fit(v, widths[i] ?? v.length)).join('  ').trimEnd();
    lines.push(colour(r.severity, text.slice(0, 4)) + text.slice(4));
  });
  const problems = rs.filter((r) => r.problems.length > 0);
  if (problems.length > 0) {
    lines.push('', st.bold('What to do:'));
    const seen = new Set<string>();
    for (const r of problems) {
      for (const p of r.problems) {
        const where = r.cert === '-' ? r.host : `${r.host} ${r.cert}`;
        const key = `${where}\0${p.type}\0${p.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        lines.push(`  ${colour(p.severity, LABEL[p.severity])} ${visibleLine(where)}: ${p.type} (${p.reason}): ${visibleLine(p.message)}`);
      }
    }
  }
  const s = report.summary;
  const counts = (['critical', 'warning', 'unknown', 'info', 'ok'] as const)
    .filter((k) => k !== 'info' && k !== 'ok' && s.bySeverity[k] > 0)
    .map((k) => `${s.bySeverity[k]} ${LABEL[k]}`);
  lines.push(
    '',
    `${s.hosts} host${s.hosts === 1 ? '' : 's'} (${s.reachable} reachable, ${s.unreachable} unreachable), ${s.lineages} certificate${s.lineages === 1 ? '' : 's'}` +
      `${counts.length > 0 ? `: ${counts.join(', ')}` : ''}; clock ${report.now}. ${colour(sevOfStatus(report.status), report.status)} (exit ${report.exitCode})`,
  );
  return `${lines.join('\n')}\n`;
}

function sevOfStatus(s: CertsReport['status']): Severity {
  return s === 'CRITICAL' ? 'critical' : s === 'WARNING' ? 'warning' : s === 'UNKNOWN' ? 'unknown' : 'ok';
}
