// Turning measured runs into the benchmark's table: medians per tool and phase, the ratios the
// targets are stated in, and each target as met / missed / not measured at this size.
import type { Measurement } from './measure.js';

export const TOOLS = ['floor', 'runbook', 'runbook-tty', 'ansible'] as const;
export type ToolName = (typeof TOOLS)[number];
export type Phase = 'first' | 'second';

export const TOOL_LABEL: Record<ToolName, string> = {
  floor: 'floor (raw ssh2)',
  runbook: 'runbook --json',
  'runbook-tty': 'runbook (listr2, pty)',
  ansible: 'Ansible',
};

/** What the tool says it did, summed over hosts (null when it could not be read). */
export interface Outcome {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

export interface CommandCount {
  /** remote sessions (exec + subsystem) per host: min, median, max over hosts */
  min: number;
  median: number;
  max: number;
  total: number;
}

export interface RunRecord {
  tool: ToolName;
  phase: Phase;
  run: number;
  measurement: Measurement;
  commands: CommandCount | null;
  outcome: Outcome | null;
  ok: boolean;
  note?: string;
  /** 1-minute load average of the machine when the run started (others' work competes too) */
  load?: number;
}

export interface Row {
  tool: ToolName;
  phase: Phase;
  runs: number;
  okRuns: number;
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
  treePeakMiB: number | null;
  cmdsPerHost: number | null;
  cmdsMaxPerHost: number | null;
  changed: number | null;
  note?: string;
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

function medianOrNull(values: Array<number | null | undefined>): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : median(v);
}

/** Medians over the successful runs of each tool and phase (all runs if none succeeded). */
export function summarise(records: RunRecord[]): Row[] {
  const rows: Row[] = [];
  for (const tool of TOOLS) {
    for (const phase of ['first', 'second'] as const) {
      const all = records.filter((r) => r.tool === tool && r.phase === phase);
      if (all.length === 0) continue;
      const good = all.filter((r) => r.ok);
      const use = good.length > 0 ? good : all;
      const notes = [...new Set(all.map((r) => r.note).filter((n): n is string => !!n))];
      rows.push({
        tool,
        phase,
        runs: all.length,
        okRuns: good.length,
        wallS: median(use.map((r) => r.measurement.wallMs / 1000)),
        cpuS: median(use.map((r) => (r.measurement.cpuUserMs + r.measurement.cpuSysMs) / 1000)),
        maxRssMiB: median(use.map((r) => r.measurement.maxRssKiB / 1024)),
        treePeakMiB: medianOrNull(use.map((r) => (r.measurement.treePeakBytes === undefined ? null : r.measurement.treePeakBytes / 2 ** 20))),
        cmdsPerHost: medianOrNull(use.map((r) => r.commands?.median)),
        cmdsMaxPerHost: medianOrNull(use.map((r) => r.commands?.max)),
        changed: medianOrNull(use.map((r) => r.outcome?.changed)),
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      });
    }
  }
  return rows;
}

function f(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

export function find(rows: Row[], tool: ToolName, phase: Phase): Row | undefined {
  return rows.find((r) => r.tool === tool && r.phase === phase && r.okRuns > 0);
}

function ratio(a: Row | undefined, b: Row | undefined, key: 'wallS' | 'cpuS'): number | null {
  return a && b && b[key] > 0 ? a[key] / b[key] : null;
}

export interface Context {
  hosts: number;
  tasks: number;
  /** tools that could not run at all, with the reason */
  unavailable: Partial<Record<ToolName, string>>;
}

export function table(rows: Row[], ctx: Context): string {
  const lines = [
    '| tool | run | wall s | CPU s (user+sys) | max RSS MiB (largest process) | tree peak MiB (cgroup) | remote cmds/host (median, max) | changed (sum) | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const cmds = r.cmdsPerHost === null ? 'n/a' : `${f(r.cmdsPerHost, 0)}, ${f(r.cmdsMaxPerHost, 0)}`;
    lines.push(
      `| ${TOOL_LABEL[r.tool]} | ${r.phase} | ${f(r.wallS)} | ${f(r.cpuS)} | ${f(r.maxRssMiB, 0)} | ${f(r.treePeakMiB, 0)} | ${cmds} | ${f(r.changed, 0)} | ${r.okRuns}/${r.runs}${r.note ? ` (${r.note})` : ''} |`,
    );
  }
  for (const [tool, why] of Object.entries(ctx.unavailable)) {
    lines.push(`| ${TOOL_LABEL[tool as ToolName]} | – | not available: ${why.replace(/\|/g, '/')} | | | | | | |`);
  }
  return lines.join('\n');
}

export function ratios(rows: Row[]): string {
  const out: string[] = [];
  for (const phase of ['first', 'second'] as const) {
    const fl = find(rows, 'floor', phase);
    const rb = find(rows, 'runbook', phase);
    const an = find(rows, 'ansible', phase);
    const tty = find(rows, 'runbook-tty', phase);
    out.push(
      `- ${phase} run: runbook/floor wall ${f(ratio(rb, fl, 'wallS'))}x (CPU ${f(ratio(rb, fl, 'cpuS'))}x); ` +
        `Ansible/runbook wall ${f(ratio(an, rb, 'wallS'))}x (CPU ${f(ratio(an, rb, 'cpuS'))}x); ` +
        `listr2 renderer over --json: wall ${pct(ratio(tty, rb, 'wallS'))}, CPU ${pct(ratio(tty, rb, 'cpuS'))}`,
    );
  }
  return out.join('\n');
}

function pct(r: number | null): string {
  return r === null ? 'n/a' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
}

type Verdict = 'met' | 'MISSED' | 'not measured';

function verdict(ok: boolean | null): Verdict {
  return ok === null ? 'not measured' : ok ? 'met' : 'MISSED';
}

/** The issue's targets, judged on this run only; a target stated for another size says so. */
export function targets(rows: Row[], ctx: Context): string {
  const out: string[] = [];
  const size = `(measured at ${ctx.hosts} hosts${ctx.hosts === 50 || ctx.hosts === 200 ? '' : '; the target is stated for 50 and 200'})`;
  for (const phase of ['first', 'second'] as const) {
    const r = ratio(find(rows, 'runbook', phase), find(rows, 'floor', phase), 'wallS');
    out.push(`- runbook within 1.5x of the floor, ${phase} run: ${f(r)}x → ${verdict(r === null ? null : r <= 1.5)} ${size}`);
  }
  const an = ratio(find(rows, 'ansible', 'first'), find(rows, 'runbook', 'first'), 'wallS');
  const an2 = ratio(find(rows, 'ansible', 'second'), find(rows, 'runbook', 'second'), 'wallS');
  out.push(
    `- at least 15x faster than Ansible: first ${f(an)}x, second ${f(an2)}x → ${verdict(an === null || an2 === null ? null : an >= 15 && an2 >= 15)} (measured at ${ctx.hosts} hosts; the target is stated for 50)`,
  );
  const second = find(rows, 'runbook', 'second');
  const cmds = second?.cmdsMaxPerHost ?? null;
  out.push(
    `- second run at most one remote command per task per host (${ctx.tasks} tasks): max ${f(cmds, 0)} per host → ${verdict(cmds === null ? null : cmds <= ctx.tasks)}`,
  );
  const runbookRows = rows.filter((r) => r.tool === 'runbook');
  const peaks = runbookRows.filter((r) => r.okRuns > 0);
  const peak = peaks.length === 0 ? null : Math.max(...peaks.map((r) => Math.max(r.treePeakMiB ?? 0, r.maxRssMiB)));
  // complete = every runbook run ended with exit 0 and no failed or unreachable host
  const failedRuns = runbookRows.reduce((n, r) => n + (r.runs - r.okRuns), 0);
  const big =
    runbookRows.length === 0
      ? 'not measured (runbook did not run)'
      : failedRuns > 0
        ? `${failedRuns} of ${runbookRows.reduce((n, r) => n + r.runs, 0)} runs did not complete on every host → MISSED`
        : `all runs complete, peak ${f(peak, 0)} MiB → ${verdict(peak === null ? null : peak < 1024)}`;
  out.push(
    `- 1000 hosts complete with peak controller memory under 1 GiB: ${ctx.hosts >= 1000 ? big : `not measured (this run: ${ctx.hosts} hosts, peak ${f(peak, 0)} MiB)`}`,
  );
  const overheads = (['first', 'second'] as const).map((p) => ratio(find(rows, 'runbook-tty', p), find(rows, 'runbook', p), 'wallS'));
  const worst = overheads.some((o) => o === null) ? null : Math.max(...(overheads as number[]));
  out.push(
    `- listr2 renderer costs under 10% over --json: worst ${pct(worst)} → ${verdict(worst === null ? null : worst < 1.1)} (measured at ${ctx.hosts} hosts; the target is stated for 200)`,
  );
  return out.join('\n');
}
