// `npx tsx bench/pool.ts bench/results/<run> ...`: several benches read as one distribution.
// On this machine the medians of one bench move by as much as the gaps between the tools from
// one bench to the next (the floor's own CPU by up to 20%), so one bench's verdict is one draw.
// This prints each bench's ratios, then the ratios of the medians over all their rounds pooled,
// and how many benches met each of issue 19's targets. The benches should be of the same code:
// each row names the commit it ran.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { find, LIMITS, ratio as rowRatio, summarise, type Row, type RunRecord } from './report.js';

/** One bench's runs at one size, as results.json holds them. */
export interface PoolInput {
  name: string;
  commit: string;
  hosts: number;
  tasks: number;
  records: RunRecord[];
}

interface Ratios {
  rounds: number;
  /** [first, second] run, runbook over the tool: null when a tool did not run */
  wallFloor: Array<number | null>;
  cpuFloor: Array<number | null>;
  cpuLean: Array<number | null>;
}

const PHASES = ['first', 'second'] as const;

function ratio(rows: Row[], tool: 'floor' | 'floor-lean', phase: 'first' | 'second', key: 'wallS' | 'cpuS'): number | null {
  return rowRatio(find(rows, 'runbook', phase), find(rows, tool, phase), key);
}

export function ratiosOf(records: RunRecord[], taskHosts: number): Ratios {
  const rows = summarise(records, taskHosts);
  return {
    rounds: find(rows, 'runbook', 'first')?.runs ?? 0,
    wallFloor: PHASES.map((p) => ratio(rows, 'floor', p, 'wallS')),
    cpuFloor: PHASES.map((p) => ratio(rows, 'floor', p, 'cpuS')),
    cpuLean: PHASES.map((p) => ratio(rows, 'floor-lean', p, 'cpuS')),
  };
}

const f = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}x`);
const pair = (xs: Array<number | null>): string => xs.map(f).join(' / ');

/** How many of the benches met a limit, as `k of n` (benches without the ratio are not counted). */
function met(values: Array<number | null>, limit: number): string {
  const known = values.filter((v): v is number => v !== null);
  return `${known.filter((v) => v <= limit).length} of ${known.length}`;
}

export function poolText(inputs: readonly PoolInput[]): string {
  const out: string[] = [];
  for (const hosts of [...new Set(inputs.map((i) => i.hosts))].sort((a, b) => b - a)) {
    const at = inputs.filter((i) => i.hosts === hosts);
    const tasks = at[0]?.tasks ?? 0;
    const each = at.map((i) => ({ input: i, r: ratiosOf(i.records, hosts * i.tasks) }));
    const pooled = ratiosOf(
      at.flatMap((i) => i.records),
      hosts * tasks,
    );
    out.push(
      `## ${hosts} hosts: ${at.length} benches, ${pooled.rounds} rounds pooled (runbook over each floor, ratios of medians, first / no-change run)`,
      '',
      '| bench | commit | rounds | wall / floor | CPU / floor | CPU / lean floor |',
      '|---|---|---:|---|---|---|',
      ...each.map(({ input, r }) => `| ${input.name} | ${input.commit} | ${r.rounds} | ${pair(r.wallFloor)} | ${pair(r.cpuFloor)} | ${pair(r.cpuLean)} |`),
      `| **pooled** | | ${pooled.rounds} | ${pair(pooled.wallFloor)} | ${pair(pooled.cpuFloor)} | ${pair(pooled.cpuLean)} |`,
      '',
    );
    for (const [k, phase] of PHASES.entries()) {
      const wall = pooled.wallFloor[k] ?? null;
      const limit = LIMITS.wall[phase];
      out.push(`- wall within ${limit}x of the floor, ${phase} run: pooled ${f(wall)} → ${wall === null ? 'not measured' : wall <= limit ? 'met' : 'MISSED'}; benches that met it: ${met(each.map((e) => e.r.wallFloor[k] ?? null), limit)}`);
    }
    for (const [name, key] of [
      ['the floor', 'cpuFloor'],
      // for information: issue 19's floor is the raw-ssh2 one (report.ts `targets`)
      ['the lean floor', 'cpuLean'],
    ] as const) {
      for (const [k, phase] of PHASES.entries()) {
        const cpu = pooled[key][k] ?? null;
        out.push(`- ${key === 'cpuLean' ? "for information, not the issue's floor: " : ''}controller CPU at most ${LIMITS.cpu}x ${name}'s, ${phase} run: pooled ${f(cpu)} → ${cpu === null ? 'not measured' : cpu <= LIMITS.cpu ? 'met' : 'MISSED'}; benches that met it: ${met(each.map((e) => e.r[key][k] ?? null), LIMITS.cpu)}`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}

interface ResultsFile {
  tasks: number;
  versions?: { runbookCommit?: string };
  sizes: Array<{ hosts: number; records: RunRecord[] }>;
}

/** The inputs of one bench directory (every size it measured). */
export function readBench(dir: string): PoolInput[] {
  const file = join(dir, 'results.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
  const name = dir.replace(/\/+$/, '').split('/').pop() ?? dir;
  return data.sizes.map((s) => ({ name, commit: data.versions?.runbookCommit ?? '?', hosts: s.hosts, tasks: data.tasks, records: s.records }));
}

function main(dirs: string[]): number {
  if (dirs.length === 0) {
    process.stderr.write('usage: npx tsx bench/pool.ts bench/results/<run> [bench/results/<run> ...]\n');
    return 1;
  }
  const inputs: PoolInput[] = [];
  for (const d of dirs) {
    try {
      inputs.push(...readBench(d));
    } catch (e) {
      process.stderr.write(`bench/pool.ts: ${d}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }
  process.stdout.write(poolText(inputs));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
