// The bench's --split arithmetic (bench/split.ts): the medians of seven kinds of run split into
// start-up, per host, per command and per fleet task, and the plain-command playbook it runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { commandsPlaybook, splitAgain, splitParts, splitText } from '../../bench/split.js';

describe('bench split', () => {
  // 100 hosts: runbook 300 ms to start, 4 ms more per host, 0.2 ms per command, 0.1 ms per task;
  // the floor 150 ms, 3 ms, 0.25 ms
  const n = 100;
  const rb1 = 300;
  const rbN1 = rb1 + 4 * (n - 1);
  const rbN10 = rbN1 + 0.2 * 9 * n;
  const fleet = rbN10 + 0.1 * 10 * n;
  const fl1 = 150;
  const flN1 = fl1 + 3 * (n - 1);
  const flN10 = flN1 + 0.25 * 9 * n;
  const again = rbN10 + 0.05 * 10 * n;
  const medians = { 'floor-1x1': fl1, 'floor-Nx1': flN1, 'floor-Nx10': flN10, 'runbook-1x1': rb1, 'runbook-Nx1': rbN1, 'runbook-Nx10': rbN10, 'runbook-fleet': fleet, 'runbook-fleet-again': again };

  it('gives each part per unit, for runbook and the floor', () => {
    const { parts } = splitParts(medians, n);
    expect(parts.map((p) => [p.runbookMs, p.floorMs, p.units])).toEqual([
      [300, 150, 1],
      [expect.closeTo(4, 9), expect.closeTo(3, 9), 99],
      [expect.closeTo(0.2, 9), expect.closeTo(0.25, 9), 900],
      [expect.closeTo(0.1, 9), null, 1000],
    ]);
  });

  it("splits the whole gap between runbook's fleet run and the floor's ten commands", () => {
    const { parts, gapS } = splitParts(medians, n);
    expect(gapS).toBeCloseTo((fleet - flN10) / 1000, 9);
    expect(parts.map((p) => p.extraS)).toEqual([expect.closeTo(0.15, 9), expect.closeTo(0.099, 9), expect.closeTo(-0.045, 9), expect.closeTo(0.1, 9)]);
    expect(parts.reduce((a, p) => a + p.extraS, 0)).toBeCloseTo(gapS, 9);
  });

  it('gives the no-change run its own per-task part and gap', () => {
    const a = splitAgain(medians, n);
    expect(a.taskMs).toBeCloseTo(0.05, 9);
    expect(a.gapS).toBeCloseTo((again - flN10) / 1000, 9);
  });

  it('reports a part it cannot measure with one host as n/a, not as a number', () => {
    const { parts } = splitParts(medians, 1);
    expect(parts[1]?.runbookMs).toBeNaN();
    const text = splitText({ hosts: 1, cpuMs: Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, [v]])) as never, parts, gapS: 0.1, again: splitAgain(medians, 1), ok: true, failures: [] });
    expect(text).toContain('| per further host (connect, first command, end) | n/a | n/a | 0 |');
  });

  it('runs plain commands that runbook accepts as a playbook', async () => {
    const text = commandsPlaybook(10);
    expect(text.match(/- name: c\d+/g)).toHaveLength(10);
    const dir = mkdtempSync(join(tmpdir(), 'rb-split-'));
    try {
      writeFileSync(join(dir, 'commands.yml'), text);
      const r = await runCli(['validate', 'commands.yml'], { cwd: dir });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
