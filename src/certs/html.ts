// One self-contained HTML page of a certs report: inline CSS and an inline SVG timeline, no
// script, no font, no image, no link to load, so it opens anywhere (an e-mail attachment, a file
// share, a browser with no network). Top: the fleet's expiries on a timeline, one lane per
// severity; below: one row per certificate (or host without one) with its conditions.
import { rows } from './table.js';
import type { CertsReport, Severity } from './types.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const COLOR: Record<Severity, string> = { critical: '#c62828', warning: '#ef8f00', unknown: '#6a1b9a', info: '#2e7d32', ok: '#2e7d32' };
const LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', unknown: 'UNKNOWN', info: 'OK', ok: 'OK' };
const DAY = 86_400_000;

function timeline(report: CertsReport): string {
  const now = Date.parse(report.now);
  const certs = report.hosts.flatMap((h) => h.lineages.filter((l) => l.cert).map((l) => ({ h, l, t: Date.parse(l.cert?.notAfter ?? '') })));
  const W = 1000;
  const lanes: Severity[] = ['critical', 'warning', 'ok'];
  const laneH = 46;
  const top = 24;
  const H = top + lanes.length * laneH + 30;
  const ts = certs.map((c) => c.t);
  const from = Math.min(now - 7 * DAY, ...ts);
  const to = Math.max(now + 30 * DAY, ...ts) + 3 * DAY;
  const left = 90;
  const x = (t: number): number => left + ((t - from) / (to - from)) * (W - left - 10);
  const parts: string[] = [];
  lanes.forEach((s, i) => {
    const y = top + i * laneH;
    parts.push(`<rect x="${left}" y="${y}" width="${W - left - 10}" height="${laneH - 6}" fill="${i % 2 ? '#fafafa' : '#f3f3f3'}"/>`);
    parts.push(`<text x="${left - 8}" y="${y + laneH / 2}" text-anchor="end" class="lane">${LABEL[s]}</text>`);
  });
  // month ticks
  const d = new Date(from);
  d.setUTCDate(1);
  d.setUTCHours(0, 0, 0, 0);
  const months = Math.ceil((to - from) / (30 * DAY));
  const step = Math.max(1, Math.ceil(months / 12));
  for (let m = 0; m <= months + 1; m += step) {
    const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + m, 1);
    if (t < from || t > to) continue;
    parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${H - 24}" class="tick"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${H - 10}" text-anchor="middle" class="axis">${new Date(t).toISOString().slice(0, 7)}</text>`);
  }
  parts.push(`<line x1="${x(now).toFixed(1)}" x2="${x(now).toFixed(1)}" y1="${top - 10}" y2="${H - 24}" class="now"/>`);
  parts.push(`<text x="${x(now).toFixed(1)}" y="${top - 12}" text-anchor="middle" class="nowlabel">now ${esc(report.now.slice(0, 10))}</text>`);
  certs.forEach((c, i) => {
    const sev: Severity = c.l.severity === 'critical' ? 'critical' : c.l.severity === 'warning' ? 'warning' : 'ok';
    const lane = lanes.indexOf(sev);
    // spread dots vertically inside the lane so a fleet renewing on the same day stays countable
    const y = top + lane * laneH + 8 + ((i * 7) % (laneH - 20));
    parts.push(
      `<circle cx="${x(c.t).toFixed(1)}" cy="${y}" r="5" fill="${COLOR[sev]}" class="cert"><title>${esc(`${c.h.host} ${c.l.name}: expires ${c.l.cert?.notAfter ?? ''} (${c.l.daysLeft ?? '?'} days)`)}</title></circle>`,
    );
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="certificate expiries">${parts.join('')}</svg>`;
}

export function renderHtml(report: CertsReport): string {
  const s = report.summary;
  const byHost = new Map(report.hosts.map((h) => [h.host, h]));
  const body = rows(report)
    .map((r) => {
      const h = byHost.get(r.host);
      const l = h?.lineages.find((x) => x.name === r.cert);
      const conds = (l?.conditions ?? h?.conditions ?? []).filter((c) => c.type !== 'Ready' || c.status === 'False');
      const condHtml = conds.length
        ? `<ul>${conds.map((c) => `<li class="${c.severity}"><b>${esc(c.type)}</b> <span class="reason">${esc(c.reason)}</span>: ${esc(c.message)}</li>`).join('')}</ul>`
        : 'Ready';
      const hostConds = l && h ? h.conditions.filter((c) => c.severity === 'warning' || c.severity === 'critical') : [];
      return `<tr class="${r.severity}"><td><span class="badge ${r.severity}">${LABEL[r.severity]}</span></td><td>${esc(r.host)}</td><td>${esc(r.cert)}${
        l?.cert ? `<div class="names">${esc(l.cert.names.join(', '))}</div>` : ''
      }</td><td class="num">${esc(r.days)}</td><td>${esc(r.expires)}</td><td>${esc(r.schedule)}</td><td>${esc(r.served)}</td><td>${condHtml}${
        hostConds.length ? `<ul>${hostConds.map((c) => `<li class="${c.severity}"><b>${esc(c.type)}</b>: ${esc(c.message)}</li>`).join('')}</ul>` : ''
      }</td></tr>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbook certs: ${esc(report.status)}, ${s.hosts} hosts, ${s.lineages} certificates</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} .sub{color:#555;margin-bottom:16px}
.status{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.status.CRITICAL{background:${COLOR.critical}} .status.WARNING{background:${COLOR.warning}} .status.UNKNOWN{background:${COLOR.unknown}} .status.OK{background:${COLOR.ok}}
svg{border:1px solid #ddd;border-radius:4px;margin:8px 0 20px;max-width:1100px}
.lane{font-size:12px;fill:#444} .axis{font-size:11px;fill:#666} .tick{stroke:#ddd} .now{stroke:#1565c0;stroke-width:2} .nowlabel{font-size:11px;fill:#1565c0}
table{border-collapse:collapse;width:100%} th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #e5e5e5}
th{background:#f5f5f5;position:sticky;top:0} td.num{text-align:right}
.badge{display:inline-block;min-width:64px;text-align:center;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600}
.badge.critical{background:${COLOR.critical}} .badge.warning{background:${COLOR.warning}} .badge.unknown{background:${COLOR.unknown}} .badge.ok,.badge.info{background:${COLOR.ok}}
ul{margin:0;padding-left:18px} li.critical b{color:${COLOR.critical}} li.warning b{color:${COLOR.warning}} li.unknown b{color:${COLOR.unknown}}
.reason{color:#777;font-size:12px} .names{color:#666;font-size:12px}
</style></head><body>
<h1>Certificates <span class="status ${esc(report.status)}">${esc(report.status)}</span></h1>
<div class="sub">${s.hosts} hosts (${s.reachable} reachable, ${s.unreachable} unreachable), ${s.lineages} certificates: ${s.bySeverity.critical} critical, ${s.bySeverity.warning} warning. Clock ${esc(report.now)}; made ${esc(report.generatedAt)} by runbook certs.</div>
<h2>Expiries</h2>
${timeline(report)}
<h2>Nodes</h2>
<table><thead><tr><th>State</th><th>Host</th><th>Certificate</th><th>Days</th><th>Expires</th><th>Schedule</th><th>Served</th><th>Conditions</th></tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}
