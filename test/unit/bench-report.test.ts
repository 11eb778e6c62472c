// The benchmark's arithmetic and verdicts (bench/report.ts): medians over successful runs, the
// ratios the targets are stated in, and met / MISSED / not measured.
import { describe, expect, it } from 'vitest';
import { median, ratios, summarise, table, targets, type Phase, type RunRecord, type ToolName } from '../../bench/report.js';

function run(tool: ToolName, phase: Phase, wallS: number, o: { ok?: boolean; cpuS?: number; rssMiB?: number; cmdsMax?: number; run?: number } = {}): RunRecord {
  return {
    tool,
    phase,
    run: o.run ?? 1,
    measurement: { wallMs: wallS * 1000, cpuUserMs: (o.cpuS ?? 1) * 1000, cpuSysMs: 0, cpuSource: 'rusage', maxRssKiB: (o.rssMiB ?? 100) * 1024, exitCode: o.ok === false ? 2 : 0, leftovers: 0 },
    commands: { min: 10, median: 10, max: o.cmdsMax ?? 10, total: 500 },
    outcome: { ok: 500, changed: phase === 'first' ? 350 : 0, failed: 0, unreachable: 0 },
    ok: o.ok ?? true,
  };
}

const ctx50 = { hosts: 50, tasks: 10, unavailable: {} };

describe('bench report', () => {
  it('medians: odd, even, empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('uses only the successful runs of a tool when there are any, and says how many were ok', () => {
    const rows = summarise([run('runbook', 'first', 3), run('runbook', 'first', 100, { ok: false, run: 2 }), run('runbook', 'first', 5, { run: 3 })]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tool: 'runbook', phase: 'first', runs: 3, okRuns: 2, wallS: 4 });
    expect(table(rows, ctx50)).toContain('| runbook --json | first | 4.00 |');
  });

  it('judges the 1.5x, 15x, one-command and renderer targets from the medians', () => {
    const records = [
      run('floor', 'first', 2),
      run('floor', 'second', 2),
      run('runbook', 'first', 2.9),
      run('runbook', 'second', 3.2, { cmdsMax: 11 }),
      run('runbook-tty', 'first', 3.0),
      run('runbook-tty', 'second', 3.6),
      run('ansible', 'first', 60),
      run('ansible', 'second', 40),
    ];
    const rows = summarise(records);
    const t = targets(rows, ctx50);
    expect(t).toContain('within 1.5x of the floor, first run: 1.45x → met');
    expect(t).toContain('within 1.5x of the floor, second run: 1.60x → MISSED');
    // 60/2.9 = 20.7 but 40/3.2 = 12.5: both runs must be 15x
    expect(t).toContain('at least 15x faster than Ansible: first 20.69x, second 12.50x → MISSED');
    expect(t).toContain('max 11 per host → MISSED');
    // 3.6 / 3.2 = +12.5%: the worse phase decides
    expect(t).toContain('listr2 renderer costs under 10% over --json: worst +12.5% → MISSED');
    expect(t).toContain('1000 hosts complete with peak controller memory under 1 GiB: not measured (this run: 50 hosts');
    expect(ratios(rows)).toContain('- first run: runbook/floor wall 1.45x');
  });

  it('a tool that never succeeded is not measured, never met', () => {
    const rows = summarise([run('floor', 'first', 2), run('runbook', 'first', 1, { ok: false })]);
    expect(targets(rows, ctx50)).toContain('within 1.5x of the floor, first run: n/ax → not measured');
  });

  it('1000 hosts: met only when every run completed and memory stayed under 1 GiB', () => {
    const ctx = { hosts: 1000, tasks: 10, unavailable: {} };
    const good = summarise([run('runbook', 'first', 60, { rssMiB: 250 }), run('runbook', 'second', 50, { rssMiB: 300 })]);
    expect(targets(good, ctx)).toContain('all runs complete, peak 300 MiB → met');
    const heavy = summarise([run('runbook', 'first', 60, { rssMiB: 1500 }), run('runbook', 'second', 50, { rssMiB: 300 })]);
    expect(targets(heavy, ctx)).toContain('peak 1500 MiB → MISSED');
    const incomplete = summarise([run('runbook', 'first', 60, { ok: false }), run('runbook', 'second', 50)]);
    expect(targets(incomplete, ctx)).toContain('1 of 2 runs did not complete on every host → MISSED');
  });
});
