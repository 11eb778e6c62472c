// `npm run bench -- --split`: where runbook's controller CPU goes beyond the lean floor's, by
// difference of whole runs rather than by a sampler. A sampling profiler on this kind of machine
// (2 cores shared with every lab sshd) charges a function for the time its thread waits for a
// core, and a perf profile of a 4 MB bundle splits the cost over hundreds of functions; runs that
// differ in one thing only (one host or N, one command or ten, plain commands or the fleet's tasks)
// give each part of the cost in CPU seconds, with the same spread as the bench itself.
//
// Each round runs, on fresh host directories, first runs only:
//   floor-lean  1 host × 1 command,  N hosts × 1 command,  N hosts × its 10 commands
//   runbook     1 host × 1 `command`, N hosts × 1, N hosts × 10 `command` tasks, N hosts × the fleet
//               (and the fleet again on the same hosts: the no-change run)
// and the medians are split into:
//   start-up     runbook(1×1) − floor(1×1): process start, loading, parsing, the history store
//   per host     (N×1 − 1×1) / (N − 1): connection, host key, login, the first command, the end
//   per command  (N×10 − N×1) / 9N: one more remote command on an open connection (the floor's
//                are the fleet's own shell commands, runbook's `echo`: the command's own work
//                on the host is not the controller's)
//   per task     (fleet − N×10) / 10N: what the fleet's tasks cost beyond a plain command (module
//                planning, the one-command scripts, their facts, results), the floor has no such
//                part; the same for the no-change run
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabInfo } from '../src/lab/types.js';
import { inventoryText } from '../src/lab/inventory.js';
import { measure } from './measure.js';
import { median } from './report.js';

const VARIANTS = ['floor-1x1', 'floor-Nx1', 'floor-Nx10', 'runbook-1x1', 'runbook-Nx1', 'runbook-Nx10', 'runbook-fleet', 'runbook-fleet-again'] as const;
type Variant = (typeof VARIANTS)[number];

export interface SplitSetup {
  lab: LabInfo;
  floorJs: string;
  /** runbook's inventory of the N hosts measured */
  inventory: string;
  /** `node …/bin/runbook.js` */
  runbook: string[];
  /** more arguments for apply (the bench's --runbook-args) */
  runbookArgs: string[];
  env: NodeJS.ProcessEnv;
  forks: number;
  runs: number;
  /** a run that takes longer is ended (the bench's --timeout) */
  timeoutMs: number;
  /** where job files, playbooks and logs go */
  dir: string;
  /** under it, one directory per run (the lab users write there) */
  hostsRoot: string;
  repo: string;
  log: (line: string) => void;
}

export interface SplitPart {
  part: string;
  /** runbook's and the floor's CPU ms per unit (the floor has no per-task part: null) */
  runbookMs: number;
  floorMs: number | null;
  /** how many of the unit the fleet run has (hosts after the first, commands, tasks) */
  units: number;
  /** runbook − floor over all of them, CPU s: the part's share of the gap */
  extraS: number;
}

export interface SplitResult {
  hosts: number;
  cpuMs: Record<Variant, number[]>;
  parts: SplitPart[];
  /** runbook's fleet CPU minus the floor's ten commands, both medians */
  gapS: number;
  /** the no-change run's per-task part and its gap */
  again: { taskMs: number; gapS: number };
  ok: boolean;
  failures: string[];
}

/** `n` `command` tasks that print a line and change nothing (runbook's plain remote command). */
export function commandsPlaybook(n: number): string {
  const tasks = Array.from({ length: n }, (_, i) => `    - name: c${i}\n      command: "echo {{ inventory_hostname }} ${i}"\n      changed_when: false\n`);
  return `- name: Plain commands\n  hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join('')}`;
}

/** The parts from the variants' medians (CPU ms), N hosts. */
export function splitParts(m: Record<Variant, number>, n: number): { parts: SplitPart[]; gapS: number } {
  const perHost = (a: number, b: number): number => (n > 1 ? (a - b) / (n - 1) : NaN);
  const rb = {
    start: m['runbook-1x1'],
    host: perHost(m['runbook-Nx1'], m['runbook-1x1']),
    cmd: (m['runbook-Nx10'] - m['runbook-Nx1']) / (9 * n),
    task: (m['runbook-fleet'] - m['runbook-Nx10']) / (10 * n),
  };
  const fl = {
    start: m['floor-1x1'],
    host: perHost(m['floor-Nx1'], m['floor-1x1']),
    cmd: (m['floor-Nx10'] - m['floor-Nx1']) / (9 * n),
  };
  const parts: SplitPart[] = [
    { part: 'start-up (one host, one command)', runbookMs: rb.start, floorMs: fl.start, units: 1, extraS: (rb.start - fl.start) / 1000 },
    { part: 'per further host (connect, first command, end)', runbookMs: rb.host, floorMs: fl.host, units: n - 1, extraS: ((rb.host - fl.host) * (n - 1)) / 1000 },
    { part: 'per further command on an open connection', runbookMs: rb.cmd, floorMs: fl.cmd, units: 9 * n, extraS: ((rb.cmd - fl.cmd) * 9 * n) / 1000 },
    { part: 'per fleet task beyond a plain command', runbookMs: rb.task, floorMs: null, units: 10 * n, extraS: (rb.task * 10 * n) / 1000 },
  ];
  return { parts, gapS: (m['runbook-fleet'] - m['floor-Nx10']) / 1000 };
}

/** The no-change run (the fleet again on the same hosts): its per-task part and its gap. */
export function splitAgain(m: Record<Variant, number>, n: number): { taskMs: number; gapS: number } {
  return { taskMs: (m['runbook-fleet-again'] - m['runbook-Nx10']) / (10 * n), gapS: (m['runbook-fleet-again'] - m['floor-Nx10']) / 1000 };
}

export async function runSplit(s: SplitSetup): Promise<SplitResult> {
  const { lab } = s;
  const n = lab.hosts.length;
  mkdirSync(s.dir, { recursive: true });
  const one = lab.hosts[0];
  if (!one) throw new Error('split: no hosts');
  const oneInventory = join(s.dir, 'inventory-1.yml');
  writeFileSync(oneInventory, inventoryText({ ...lab, hosts: [one] }, new Map()));
  const pb1 = join(s.dir, 'commands-1.yml');
  const pb10 = join(s.dir, 'commands-10.yml');
  writeFileSync(pb1, commandsPlaybook(1));
  writeFileSync(pb10, commandsPlaybook(10));
  const cpuMs = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as unknown as Record<Variant, number[]>;
  const failures: string[] = [];
  for (let k = 1; k <= s.runs; k++) {
    for (const v of VARIANTS) {
      // the no-change run is the fleet's second run on the same host directories
      const root = `${s.hostsRoot}/split-${v === 'runbook-fleet-again' ? 'runbook-fleet' : v}-r${k}`;
      mkdirSync(root, { recursive: true });
      for (let d = root; d !== '/tmp' && d !== '/'; d = dirname(d)) chmodSync(d, 0o1777);
      const hosts = v.includes('1x1') ? [one] : lab.hosts;
      let argv: string[];
      if (v.startsWith('floor')) {
        const job = join(s.dir, `${v}-r${k}.json`);
        writeFileSync(job, JSON.stringify({ hosts, user: lab.users.nopasswd.name, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, root, commands: v.endsWith('x10') ? 10 : 1 }));
        argv = ['node', s.floorJs, job, 'lean'];
      } else {
        const playbook = v.startsWith('runbook-fleet') ? 'bench/fleet.yml' : v.endsWith('x10') ? pb10 : pb1;
        argv = [...s.runbook, 'apply', playbook, '-i', v.includes('1x1') ? oneInventory : s.inventory, '--forks', String(s.forks), '-e', `bench_root=${root}`, '--json', ...s.runbookArgs];
      }
      const base = join(s.dir, `${v}-r${k}`);
      const m = await measure(argv, { cwd: s.repo, env: s.env, stdoutFile: `${base}.out`, stderrFile: `${base}.err`, timeoutMs: s.timeoutMs });
      const cpu = m.cpuUserMs + m.cpuSysMs;
      if (m.exitCode !== 0) {
        const err = readFileSync(`${base}.err`, 'utf8').trim().split('\n')[0] ?? '';
        failures.push(`${v} round ${k}: exit ${m.exitCode}${err ? `: ${err.slice(0, 140)}` : ''}`);
      } else cpuMs[v].push(cpu);
      s.log(`split ${v} round ${k}/${s.runs}: ${(cpu / 1000).toFixed(2)} s CPU, ${(m.wallMs / 1000).toFixed(2)} s wall${m.exitCode === 0 ? '' : ' — FAILED'}`);
      if (v !== 'runbook-fleet') rmSync(root, { recursive: true, force: true });
      await sleep(700);
    }
  }
  const medians = Object.fromEntries(VARIANTS.map((v) => [v, median(cpuMs[v])])) as Record<Variant, number>;
  const { parts, gapS } = splitParts(medians, n);
  return { hosts: n, cpuMs, parts, gapS, again: splitAgain(medians, n), ok: failures.length === 0, failures };
}

const f = (x: number | null, d = 3): string => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

/** The report section. */
export function splitText(r: SplitResult): string {
  const rows = r.parts.map(
    (p) =>
      `| ${p.part} | ${f(p.runbookMs, p.units === 1 ? 0 : 3)} | ${f(p.floorMs, p.units === 1 ? 0 : 3)} | ${p.units} | ${f(p.extraS, 2)} | ${f(r.gapS > 0 ? (100 * p.extraS) / r.gapS : NaN, 0)}% |`,
  );
  const spread = VARIANTS.map((v) => {
    const xs = r.cpuMs[v];
    return `${v} ${f(median(xs) / 1000, 2)} [${f(Math.min(...xs) / 1000, 2)}–${f(Math.max(...xs) / 1000, 2)}]`;
  }).join(', ');
  return [
    `### Where runbook's controller CPU goes beyond the lean floor's (${r.hosts} hosts, first runs, by difference of runs)`,
    '',
    '| part | runbook CPU ms per unit | floor-lean CPU ms per unit | units | runbook − floor, s | share of the gap |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `The gap (runbook's fleet run − the lean floor's ten commands, medians): ${f(r.gapS, 2)} s (the parts add up to it by construction).`,
    `No-change run (the fleet again on the same hosts): ${f(r.again.taskMs)} ms per fleet task beyond a plain command, ${f((r.again.taskMs * 10 * r.hosts) / 1000, 2)} s; its gap ${f(r.again.gapS, 2)} s.`,
    `CPU s per variant, median [min–max]: ${spread}.`,
    ...(r.failures.length ? ['', `Failed runs (left out): ${r.failures.join('; ')}`] : []),
  ].join('\n');
}
