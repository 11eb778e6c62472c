// The benchmark's arithmetic and verdicts (bench/report.ts): medians over successful runs, the
// ratios the targets are stated in, and met / MISSED / not measured.
import { describe, expect, it } from 'vitest';
import { PROCESS_REASONS, attribute } from '../../bench/procs.js';
import { busyTicks } from '../../bench/measure.js';
import { extraProcesses, median, ratios, summarise, table, targets, type Phase, type RunRecord, type ToolName } from '../../bench/report.js';

function run(tool: ToolName, phase: Phase, wallS: number, o: { ok?: boolean; cpuS?: number; machineS?: number; rssMiB?: number; cmdsMax?: number; run?: number; procs?: Record<string, number> } = {}): RunRecord {
  const procTotal = Object.values(o.procs ?? {}).reduce((a, b) => a + b, 0);
  return {
    tool,
    phase,
    run: o.run ?? 1,
    measurement: { wallMs: wallS * 1000, cpuUserMs: (o.cpuS ?? 1) * 1000, cpuSysMs: 0, cpuSource: 'rusage', maxRssKiB: (o.rssMiB ?? 100) * 1024, exitCode: o.ok === false ? 2 : 0, leftovers: 0, ...(o.machineS !== undefined ? { machineCpuMs: o.machineS * 1000 } : {}) },
    commands: { min: 10, median: 10, max: o.cmdsMax ?? 10, total: 500 },
    procs: o.procs ? { min: procTotal, median: procTotal, max: procTotal, total: procTotal * 50, byName: o.procs } : null,
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
    const rows = summarise([run('runbook', 'first', 3), run('runbook', 'first', 100, { ok: false, run: 2 }), run('runbook', 'first', 5, { run: 3 })], 500);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tool: 'runbook', phase: 'first', runs: 3, okRuns: 2, wallS: 4 });
    // median [min–max] of the successful runs only; CPU per task·host = 1 s / (50 hosts × 10 tasks)
    expect(table(rows, ctx50)).toContain('| runbook --json | first | 4.00 [3.00–5.00] | 1.00 [1.00–1.00] | 2.000 |');
  });

  it('judges the 1.25x / 1.15x wall, CPU per command, 15x, one-command and renderer targets from the medians', () => {
    const records = [
      run('floor', 'first', 2, { cpuS: 0.5 }),
      run('floor', 'second', 2, { cpuS: 0.5 }),
      run('runbook', 'first', 2.4, { cpuS: 0.6 }),
      run('runbook', 'second', 3.2, { cmdsMax: 11, cpuS: 0.7 }),
      run('runbook-tty', 'first', 2.5),
      run('runbook-tty', 'second', 3.6),
      run('ansible', 'first', 60),
      run('ansible', 'second', 40),
    ];
    const rows = summarise(records, 500);
    const t = targets(rows, ctx50);
    expect(t).toContain('within 1.25x of the floor, first run (wall, medians): 1.20x (extremes 1.20–1.20x) → met');
    expect(t).toContain('within 1.15x of the floor, second run (wall, medians): 1.60x (extremes 1.60–1.60x) → MISSED');
    // 0.6/0.5 = 1.2 per task·host (the same work), 0.7/0.5 = 1.4
    expect(t).toContain("CPU per remote command (per task·host: the floor's commands) at most 1.3x the floor's, first run: 1.20x → met");
    expect(t).toContain("CPU per remote command (per task·host: the floor's commands) at most 1.3x the floor's, second run: 1.40x → MISSED");
    // 60/2.4 = 25 but 40/3.2 = 12.5: both runs must be 15x
    expect(t).toContain('at least 15x faster than Ansible: first 25.00x, second 12.50x → MISSED');
    expect(t).toContain('max 11 per host → MISSED');
    // 3.6 / 3.2 = +12.5%: the worse phase decides
    expect(t).toContain('terminal renderer costs under 10% over --json: worst +12.5% → MISSED');
    expect(t).toContain('1000 hosts, every host ok, max RSS under 300 MiB: not measured at this size (50 hosts');
    expect(ratios(rows)).toContain('- first run: runbook/floor wall 1.20x, CPU 1.20x, CPU per task·host 1.20x');
  });

  it("puts the floor with Ansible's semantics between the floor and runbook: its ratio to the floor, runbook's to it", () => {
    const rows = summarise([run('floor', 'first', 2, { cpuS: 0.5 }), run('floor-ansible', 'first', 2.5, { cpuS: 0.55 }), run('runbook', 'first', 3, { cpuS: 0.66 })], 500);
    // 2.5/2 = 1.25; 3/2.5 = 1.2; 0.66/0.55 = 1.2
    expect(ratios(rows)).toContain("; floor with Ansible's semantics/floor wall 1.25x, runbook/it wall 1.20x, CPU 1.20x");
    expect(table(rows, ctx50)).toContain("| floor with Ansible's semantics | first | 2.50 [2.50–2.50] |");
    // the targets stay the plain floor's
    expect(targets(rows, ctx50)).toContain('within 1.25x of the floor, first run (wall, medians): 1.50x');
  });

  it("the hosts' CPU is the machine's busy time beyond the tool's own, median over runs", () => {
    const rows = summarise(
      [
        run('floor', 'first', 2, { cpuS: 0.5, machineS: 4.5 }),
        run('floor', 'first', 2, { cpuS: 0.5, machineS: 5.5, run: 2 }),
        run('runbook', 'first', 2.4, { cpuS: 0.6, machineS: 6.6 }),
        // a run of a tool that failed does not count
        run('runbook', 'first', 2.4, { cpuS: 0.6, machineS: 60, ok: false, run: 2 }),
      ],
      500,
    );
    // floor: median of 4.0 and 5.0; runbook: 6.6 - 0.6
    expect(table(rows, ctx50)).toContain('| runbook --json | first | 2.40 [2.40–2.40] | 0.60 [0.60–0.60] | 1.200 | 6.00 |');
    expect(table(rows, ctx50)).toContain('| floor (raw ssh2) | first | 2.00 [2.00–2.00] | 0.50 [0.50–0.50] | 1.000 | 4.50 |');
    expect(ratios(rows)).toContain("CPU per task·host 1.20x, the hosts' CPU 6.00 s against 4.50 s (1.33x)");
    // not measured: n/a in the table, nothing in the ratios
    const plain = summarise([run('floor', 'first', 2), run('runbook', 'first', 2.4)], 500);
    expect(table(plain, ctx50)).toContain('| 2.000 | n/a |');
    expect(ratios(plain)).not.toContain("the hosts' CPU");
  });

  it("reads the machine's busy ticks from /proc/stat's cpu line: not idle, not iowait, not steal", () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const stat = 'cpu  100 2 30 9000 50 4 6 8 0 0\ncpu0 50 1 15 4500 25 2 3 4 0 0\nintr 123\n';
    expect(busyTicks(stat)).toBe(100 + 2 + 30 + 4 + 6);
    expect(busyTicks('intr 1\n')).toBeUndefined();
    expect(busyTicks('cpu  1 2 x 4 5 6 7 8\n')).toBeUndefined();
  });

  it('names every process a tool starts beyond the floor, by command', () => {
    const rows = summarise([run('floor', 'first', 2, { procs: { sshd: 3, bash: 5 } }), run('runbook', 'first', 2, { procs: { sshd: 3, bash: 6, stat: 2 } })], 500);
    expect(extraProcesses(rows)).toContain('11 per host vs the floor\'s 8; difference by command: stat +2.0, bash +1.0');
  });

  it('gives the reason for every extra process by command, and flags a command without one', () => {
    const rows = summarise([run('floor', 'first', 2, { procs: { sshd: 3, bash: 5, mkdir: 1 } }), run('runbook', 'first', 2, { procs: { sshd: 3, bash: 5, stat: 2, mv: 1, frobnicate: 1 } })], 500);
    const text = extraProcesses(rows);
    expect(text).toContain(`    - stat +2.0: ${PROCESS_REASONS.stat}`);
    expect(text).toContain(`    - mv +1.0: ${PROCESS_REASONS.mv}`);
    expect(text).toContain('    - frobnicate +1.0: NO REASON RECORDED');
    // fewer than the floor needs no reason
    expect(text).not.toMatch(/- mkdir -1\.0:/);
  });

  it('attributes accounted processes to the host whose sshd they descend from, across reused pids', () => {
    // exit order: children before parents; pid 100 is used twice (first under h1, then under h2)
    const recs = [
      { pid: 100, ppid: 50, comm: 'stat' },
      { pid: 50, ppid: 40, comm: 'bash' },
      { pid: 40, ppid: 10, comm: 'sshd' },
      { pid: 100, ppid: 60, comm: 'cat' },
      { pid: 60, ppid: 20, comm: 'sshd' },
      { pid: 70, ppid: 99, comm: 'make' },
    ];
    expect(attribute(recs, new Map([[10, 'h1'], [20, 'h2']]))).toEqual(['h1', 'h1', 'h1', 'h2', 'h2', undefined]);
  });

  it('a tool that never succeeded is not measured, never met', () => {
    const rows = summarise([run('floor', 'first', 2), run('runbook', 'first', 1, { ok: false })], 500);
    expect(targets(rows, ctx50)).toContain('within 1.25x of the floor, first run (wall, medians): n/ax (extremes n/a–n/ax) → not measured');
  });

  it('1000 hosts: met only when every run had every host ok and max RSS stayed under 300 MiB', () => {
    const ctx = { hosts: 1000, tasks: 10, unavailable: {} };
    const good = summarise([run('runbook', 'first', 60, { rssMiB: 250 }), run('runbook', 'second', 50, { rssMiB: 290 })], 500);
    expect(targets(good, ctx)).toContain('every run: every host ok in the recap, max RSS 290 MiB → met');
    const heavy = summarise([run('runbook', 'first', 60, { rssMiB: 310 }), run('runbook', 'second', 50, { rssMiB: 250 })], 500);
    expect(targets(heavy, ctx)).toContain('max RSS 310 MiB → MISSED');
    const incomplete = summarise([run('runbook', 'first', 60, { ok: false }), run('runbook', 'second', 50)], 500);
    expect(targets(incomplete, ctx)).toContain('1 of 2 runs did not end with every host ok');
    expect(targets(incomplete, ctx)).toContain('→ MISSED');
  });
});
