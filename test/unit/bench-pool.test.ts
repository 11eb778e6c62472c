// bench/pool.ts: several benches read as one distribution (each bench's ratios, the pooled
// ratios of medians, and how many benches met each of issue 19's targets).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poolText, ratiosOf, readBench, type PoolInput } from '../../bench/pool.js';
import type { RunRecord, ToolName } from '../../bench/report.js';

function record(tool: ToolName, phase: 'first' | 'second', run: number, cpuS: number, wallS: number, ok = true): RunRecord {
  return {
    tool,
    phase,
    run,
    measurement: { wallMs: wallS * 1000, cpuUserMs: cpuS * 800, cpuSysMs: cpuS * 200, cpuSource: 'rusage', maxRssKiB: 100 * 1024, exitCode: ok ? 0 : 1, leftovers: 0 },
    commands: null,
    outcome: null,
    ok,
  };
}

/** A bench of `rounds` rounds: each tool's CPU and wall the same in every round and phase. */
function bench(name: string, cpu: Partial<Record<ToolName, number>>, wall: Partial<Record<ToolName, number>>, rounds = 3): PoolInput {
  const records: RunRecord[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const tool of Object.keys(cpu) as ToolName[]) {
      for (const phase of ['first', 'second'] as const) records.push(record(tool, phase, r, cpu[tool] as number, wall[tool] as number));
    }
  }
  return { name, commit: 'abc1234', hosts: 200, tasks: 10, records };
}

describe('bench pool', () => {
  it("gives each bench's ratios of medians and the pooled ones over all their rounds", () => {
    // bench a: CPU 1.2x the floor; bench b: 1.4x; pooled, the medians over six rounds are the
    // middle of both: runbook (2.4 + 2.8) / 2 over the floor's 2.0
    const a = bench('a', { floor: 2, 'floor-lean': 1.5, runbook: 2.4 }, { floor: 8, 'floor-lean': 8, runbook: 9.6 });
    const b = bench('b', { floor: 2, 'floor-lean': 1.5, runbook: 2.8 }, { floor: 8, 'floor-lean': 8, runbook: 10.4 });
    expect(ratiosOf(a.records, 2000).cpuFloor).toEqual([expect.closeTo(1.2, 9), expect.closeTo(1.2, 9)]);
    expect(ratiosOf(b.records, 2000).cpuLean).toEqual([expect.closeTo(2.8 / 1.5, 9), expect.closeTo(2.8 / 1.5, 9)]);
    const pooled = ratiosOf([...a.records, ...b.records], 2000);
    expect(pooled.rounds).toBe(6);
    expect(pooled.cpuFloor[0]).toBeCloseTo(1.3, 9);
    expect(pooled.wallFloor[1]).toBeCloseTo(1.25, 9);

    const text = poolText([a, b]);
    expect(text).toContain('## 200 hosts: 2 benches, 6 rounds pooled');
    expect(text).toContain('| a | abc1234 | 3 | 1.20x / 1.20x | 1.20x / 1.20x | 1.60x / 1.60x |');
    expect(text).toContain('| **pooled** | | 6 | 1.25x / 1.25x | 1.30x / 1.30x | 1.73x / 1.73x |');
    // the wall limit of the no-change run is 1.15x: b's 1.3x and the pooled 1.25x miss it
    expect(text).toContain('- wall within 1.25x of the floor, first run: pooled 1.25x → met; benches that met it: 1 of 2');
    expect(text).toContain('- wall within 1.15x of the floor, second run: pooled 1.25x → MISSED; benches that met it: 0 of 2');
    expect(text).toContain("- controller CPU at most 1.3x the floor's, first run: pooled 1.30x → met; benches that met it: 1 of 2");
    expect(text).toContain("- for information, not the issue's floor: controller CPU at most 1.3x the lean floor's, first run: pooled 1.73x → MISSED; benches that met it: 0 of 2");
  });

  it('counts only the runs that ended well, says "not measured" for a tool that did not run, and keeps sizes apart', () => {
    const a = bench('a', { floor: 2, runbook: 2.2 }, { floor: 8, runbook: 8.8 });
    // a failed runbook run is left out of the medians (as the bench's own table does)
    a.records.push(record('runbook', 'first', 4, 9, 30, false));
    const small = { ...bench('a', { floor: 1, runbook: 1.5 }, { floor: 2, runbook: 2 }), hosts: 50 };
    const text = poolText([a, small]);
    expect(text).toContain('| a | abc1234 | 4 | 1.10x / 1.10x | 1.10x / 1.10x | n/a / n/a |');
    expect(text).toContain("- for information, not the issue's floor: controller CPU at most 1.3x the lean floor's, first run: pooled n/a → not measured; benches that met it: 0 of 0");
    expect(text.indexOf('## 200 hosts')).toBeLessThan(text.indexOf('## 50 hosts'));
    expect(text).toContain("- controller CPU at most 1.3x the floor's, first run: pooled 1.50x → MISSED; benches that met it: 0 of 1");
  });

  it("reads a bench's results.json, one input per size it measured", () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-pool-'));
    try {
      const a = bench('x', { floor: 2, runbook: 2.2 }, { floor: 8, runbook: 8.8 });
      writeFileSync(
        join(dir, 'results.json'),
        JSON.stringify({ tasks: 10, versions: { runbookCommit: 'def5678' }, sizes: [{ hosts: 200, records: a.records }, { hosts: 50, records: a.records.slice(0, 4) }] }),
      );
      const inputs = readBench(`${dir}/`);
      expect(inputs.map((i) => [i.name, i.commit, i.hosts, i.tasks, i.records.length])).toEqual([
        [dir.split('/').pop(), 'def5678', 200, 10, a.records.length],
        [dir.split('/').pop(), 'def5678', 50, 10, 4],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
