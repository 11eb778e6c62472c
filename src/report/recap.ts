// The end of every human-readable run: a table per host (Ansible's PLAY RECAP), then every
// failure again with host, task, file:line, exit code and a stderr excerpt, so nobody has to
// scroll back; then what did not happen (hosts never started, handlers still pending) and
// how to re-run only what failed.
import { displayPath } from '../engine/identity.js';
// renderers take it from here with the recap (one definition: the engine's, which shows task locations)
export { displayPath };
import type { HostStats, RecapEvent } from './events.js';
import { formatDuration, NO_COLOR } from './style.js';
import type { Style } from './style.js';
import { EXIT } from '../util/errors.js';
import { visible, visibleLine } from '../util/visible.js';

// names, paths and messages come from playbooks, inventories and hosts: escaped before printing
const name = visibleLine;
const text = visible;

export interface RecapFormatOptions {
  style?: Style;
  /** the command that re-runs only the failed hosts, e.g. `runbook apply site.yml -i hosts.yml` */
  rerun?: string;
  /** paths are shown relative to this directory (the CLI's cwd) */
  displayRoot?: string;
  /**
   * A fleet at a terminal: hosts with the same counts share one line, and the same failure on
   * many hosts is listed once with its hosts (failed and unreachable hosts keep their own line)
   */
  group?: boolean;
}

/** "a, b, c +N (M hosts)" */
function hostGroup(hosts: readonly string[]): string {
  if (hosts.length === 1) return hosts[0] ?? '';
  const shown = hosts.slice(0, 3).join(', ');
  return `${shown}${hosts.length > 3 ? ` +${hosts.length - 3}` : ''} (${hosts.length} hosts)`;
}

const COLUMNS: Array<keyof HostStats> = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'];

export function formatRecap(recap: RecapEvent, options: RecapFormatOptions = {}): string {
  const s = options.style ?? NO_COLOR;
  const out: string[] = [];
  const names = Object.keys(recap.hosts);
  // grouped: one row per set of hosts with equal counts (failed/unreachable/deferred ones alone)
  const rows: Array<{ label: string; host: string }> = [];
  const byStats = new Map<string, { label: string; host: string; hosts: string[] }>();
  for (const host of names) {
    const st = recap.hosts[host];
    const alone = !options.group || !st || st.failed > 0 || st.unreachable > 0 || recap.deferred?.some((d) => d.host === host) === true;
    const key = alone ? `host:${host}` : COLUMNS.map((c) => st[c]).join(',');
    const had = byStats.get(key);
    if (had) had.hosts.push(host);
    else {
      const row = { label: host, host, hosts: [host] };
      byStats.set(key, row);
      rows.push(row);
    }
  }
  for (const g of byStats.values()) g.label = hostGroup(g.hosts);
  const width = Math.max(4, ...rows.map((r) => name(r.label).length));
  out.push('', s.bold('PLAY RECAP'));
  for (const { label, host } of rows) {
    const st = recap.hosts[host];
    if (!st) continue;
    const later = recap.deferred?.find((d) => d.host === host);
    const paint = st.failed > 0 ? s.red : st.unreachable > 0 ? s.red : later || st.changed > 0 ? s.yellow : s.green;
    const cols = COLUMNS.map((c) => {
      const cell = `${c}=${st[c]}`.padEnd(c === 'unreachable' ? 15 : 11);
      return st[c] > 0 && (c === 'failed' || c === 'unreachable') ? s.red(cell) : cell;
    });
    out.push(`${paint(name(label).padEnd(width))}  : ${cols.join(' ').trimEnd()}${later ? `  ${s.yellow(`DEFERRED until ${name(later.from)}`)}` : ''}`);
  }
  if (names.length === 0) out.push(s.dim('no hosts ran'));

  if (recap.failures.length > 0) {
    out.push('', s.bold(s.red(`FAILURES (${recap.failures.length})`)));
    // grouped: the same task failing the same way on many hosts is one entry
    const failures = new Map<string, { f: (typeof recap.failures)[number]; hosts: string[] }>();
    for (const f of recap.failures) {
      const key = options.group ? JSON.stringify([f.task, f.where, f.msg, f.exitCode, f.stderr]) : `${failures.size}`;
      const had = failures.get(key);
      if (had) had.hosts.push(f.host);
      else failures.set(key, { f, hosts: [f.host] });
    }
    for (const { f, hosts } of failures.values()) {
      const code = f.exitCode !== undefined && f.exitCode !== null ? `  exit code ${f.exitCode}` : '';
      out.push(`${s.red('✖')} ${s.bold(name(hostGroup(hosts)))}  ${name(f.task)}  ${s.dim(`(${name(f.where)})`)}${code}`);
      for (const line of f.msg.split('\n').slice(0, 6)) out.push(`    ${text(line)}`);
      if (f.stderr && !f.msg.includes(f.stderr.trim())) {
        out.push(s.dim('    stderr:'));
        for (const line of f.stderr.trimEnd().split('\n').slice(-8)) out.push(s.dim(`      ${text(line)}`));
      }
    }
  }

  const pending = Object.entries(recap.pendingHandlers).filter(([, hs]) => hs.length > 0);
  if (pending.length > 0) {
    out.push('', s.bold(s.yellow('HANDLERS NOT RUN')));
    out.push('  notified, but not run because the host failed, the run stopped or was interrupted first:');
    for (const [host, handlers] of pending) out.push(`  ${name(host)}: ${handlers.map(name).join(', ')}`);
    out.push(s.dim('  they run on the next run only if their task reports a change again: re-run, or use --force-handlers'));
  }

  if (recap.deferred && recap.deferred.length > 0) {
    out.push('', s.bold(s.yellow(`DEFERRED (${recap.deferred.length})`)));
    out.push('  not failed, not skipped: left for a later run, written to the retry file');
    for (const d of recap.deferred) out.push(`  ${name(d.host)}: ${text(d.reason)}`);
  }

  if (recap.notStarted.length > 0) {
    out.push('', s.bold(s.yellow(`NOT STARTED (${recap.notStarted.length})`)));
    out.push(`  the run stopped before these hosts started: ${recap.notStarted.map(name).join(', ')}`);
  }

  if (recap.outputs && Object.keys(recap.outputs).length > 0) {
    out.push('', s.bold('OUTPUTS'));
    for (const [host, values] of Object.entries(recap.outputs)) {
      out.push(`  ${name(host)}:`);
      for (const [k, v] of Object.entries(values)) out.push(`    ${name(k)}: ${text(typeof v === 'string' ? v : JSON.stringify(v))}`);
    }
  }

  out.push('');
  if (recap.interrupted) out.push(s.yellow('Interrupted (Ctrl-C): no new tasks were started after the interrupt.'));
  if (recap.retryFile) {
    const retry = name(displayPath(recap.retryFile, options.displayRoot));
    out.push(`Retry file: ${retry}`);
    if (options.rerun) out.push(`  re-run only the failed, unreachable and deferred hosts: ${name(options.rerun)} --limit @${retry}`);
  } else if (options.rerun) {
    // no retry file (an ad-hoc command writes none, or it could not be written): name the hosts
    const again = Object.entries(recap.hosts).filter(([, st]) => st.failed > 0 || st.unreachable > 0).map(([h]) => h);
    if (again.length > 0 && again.length <= 20) out.push(`re-run only the failed and unreachable hosts: ${name(options.rerun)} --limit ${name(again.join(','))}`);
  }
  out.push(s.dim(`Finished in ${formatDuration(recap.durationMs)}, exit code ${recap.exitCode} (${exitMeaning(recap.exitCode)})`));
  return out.join('\n') + '\n';
}

export function exitMeaning(code: number): string {
  switch (code) {
    case EXIT.ok:
      return 'all ok';
    case EXIT.hostFailed:
      return 'some host failed';
    case EXIT.hostUnreachable:
      return 'some host unreachable, none failed';
    case EXIT.partlyDeferred:
      return 'partly deferred: the hosts that ran are ok, the deferred ones are in the retry file';
    case EXIT.interrupted:
      return 'interrupted';
    default:
      return 'error';
  }
}
