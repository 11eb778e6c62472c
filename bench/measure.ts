// Measuring one tool invocation: wall time, CPU time and peak memory of the tool's whole process
// tree, including processes that leave the tree (Ansible's ControlPersist masters daemonize, so
// getrusage of waited children alone would miss their CPU). The tool runs in its own cgroup
// (v1 cpuacct + memory on this kind of machine, v2 when that is what the machine has), started by a
// tiny sh that joins the cgroup and then execs /usr/bin/time, so the largest single process's max
// RSS is recorded as well. Without cgroups it falls back to /usr/bin/time alone and says so.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Measurement {
  wallMs: number;
  /** user+system CPU of the tree (cgroup), or of the waited tree (rusage fallback) */
  cpuUserMs: number;
  cpuSysMs: number;
  cpuSource: 'cgroup-v1' | 'cgroup-v2' | 'rusage';
  /** /usr/bin/time %M: max RSS of the largest single process of the waited tree */
  maxRssKiB: number;
  /** cgroup memory peak of the whole tree (anonymous + page cache charged to it) */
  treePeakBytes?: number;
  exitCode: number;
  /** processes still in the cgroup after the tool exited (e.g. ssh masters), ended by us */
  leftovers: number;
  /**
   * busy CPU of the whole machine over the run (/proc/stat), the tool's included: on the lab the
   * hosts' sshds, shells and commands run on this machine's cores, so machine minus tool is what
   * the tool's work cost the hosts (plus anything else running, which the bench keeps quiet)
   */
  machineCpuMs?: number;
}

/** What the run cost the hosts (the machine's busy CPU beyond the tool's own), ms; undefined when not measured. */
export function hostsCpuMs(m: Measurement): number | undefined {
  return m.machineCpuMs === undefined ? undefined : m.machineCpuMs - m.cpuUserMs - m.cpuSysMs;
}

/**
 * Busy time of all CPUs in /proc/stat's first line, in its clock ticks: user, nice, system, irq
 * and softirq (not idle, not iowait, not steal: time a hypervisor gave to others is no work done
 * here; guest time is already in user).
 */
export function busyTicks(procStat: string): number | undefined {
  const m = /^cpu\s+(.*)$/m.exec(procStat);
  if (!m?.[1]) return undefined;
  const v = m[1].trim().split(/\s+/).map(Number);
  if (v.length < 8 || v.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = v;
  return user + nice + system + irq + softirq;
}

/** /proc/stat counts in USER_HZ, which Linux fixes at 100 per second on every architecture it exports */
const TICK_MS = 10;

function machineBusyTicks(): number | undefined {
  try {
    return busyTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

interface Cgroup {
  kind: 'cgroup-v1' | 'cgroup-v2';
  /** directories the child joins (v1: one per controller) */
  dirs: string[];
  procsFile: string;
  readCpu(): { userNs: number; sysNs: number };
  readPeak(): number | undefined;
}

function readNum(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** This process's cgroup path per v1 controller (`memory` → `/x/y`) and for v2 (`''`). */
function ownCgroups(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of (m[1] ?? '').split(',')) map.set(c, m[2] ?? '/');
  }
  return map;
}

let counter = 0;
const active = new Set<Cgroup>();

/** Ctrl-C / SIGTERM of the harness: end every process of the tool that is running now. */
export function killActive(): void {
  for (const cg of active) {
    for (const pid of procsOf(cg)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

function createCgroup(): Cgroup | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const own = ownCgroups();
  const name = `runbook-bench-${process.pid}-${++counter}`;
  const v1Cpu = '/sys/fs/cgroup/cpuacct';
  const v1Mem = '/sys/fs/cgroup/memory';
  try {
    if (existsSync(join(v1Cpu, 'cpuacct.usage')) && existsSync(join(v1Mem, 'memory.usage_in_bytes'))) {
      // nested under our own cgroups so any limit set above us still applies
      const cpu = join(v1Cpu, own.get('cpuacct') ?? '/', name);
      const mem = join(v1Mem, own.get('memory') ?? '/', name);
      mkdirSync(cpu);
      mkdirSync(mem);
      return {
        kind: 'cgroup-v1',
        dirs: [cpu, mem],
        procsFile: join(cpu, 'cgroup.procs'),
        readCpu: () => ({ userNs: readNum(join(cpu, 'cpuacct.usage_user')) ?? 0, sysNs: readNum(join(cpu, 'cpuacct.usage_sys')) ?? 0 }),
        readPeak: () => readNum(join(mem, 'memory.max_usage_in_bytes')),
      };
    }
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const dir = join('/sys/fs/cgroup', own.get('') ?? '/', name);
      mkdirSync(dir);
      return {
        kind: 'cgroup-v2',
        dirs: [dir],
        procsFile: join(dir, 'cgroup.procs'),
        readCpu: () => {
          const stat = readFileSync(join(dir, 'cpu.stat'), 'utf8');
          const get = (k: string): number => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0) * 1000;
          return { userNs: get('user_usec'), sysNs: get('system_usec') };
        },
        readPeak: () => readNum(join(dir, 'memory.peak')),
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function procsOf(cg: Cgroup): number[] {
  try {
    return readFileSync(cg.procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** End what the tool left in its cgroup (by PID: they are ours). */
async function endLeftovers(cg: Cgroup): Promise<number> {
  const left = procsOf(cg);
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    for (const pid of procsOf(cg)) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
    for (let i = 0; i < 40 && procsOf(cg).length > 0; i++) await sleep(50);
    if (procsOf(cg).length === 0) break;
  }
  return left.length;
}

async function removeCgroup(cg: Cgroup): Promise<void> {
  for (const d of cg.dirs) {
    for (let i = 0; i < 40; i++) {
      try {
        rmdirSync(d);
        break;
      } catch {
        await sleep(50); // zombies may linger a moment here
      }
    }
  }
}

export interface MeasureOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  /** end the tool after this long (exit code 124) */
  timeoutMs?: number;
}

/** Run `argv` once and measure it. Never throws for a failing tool: see exitCode. */
export async function measure(argv: string[], opts: MeasureOptions): Promise<Measurement> {
  const cg = createCgroup();
  if (cg) active.add(cg);
  const timeFile = `${opts.stderrFile}.time`;
  writeFileSync(timeFile, '');
  const join1 = cg ? cg.dirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join(' && ') + ' && ' : '';
  const script = `${join1}exec /usr/bin/time -f '%e %U %S %M' -o "$0" "$@"`;
  const out = openSync(opts.stdoutFile, 'w');
  const err = openSync(opts.stderrFile, 'w');
  const before = cg?.readCpu();
  const busyBefore = machineBusyTicks();
  const t0 = process.hrtime.bigint();
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn('/bin/sh', ['-c', script, timeFile, ...argv], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, err],
    });
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          for (const pid of cg ? procsOf(cg) : child.pid !== undefined ? [child.pid] : []) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
        }, opts.timeoutMs)
      : undefined;
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve(timedOut ? 124 : (code ?? (signal ? 128 : 1)));
    });
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const busyAfter = machineBusyTicks();
  closeSync(out);
  closeSync(err);
  // /usr/bin/time: "elapsed user sys maxrssKiB" (a "Command exited with non-zero status" line may precede it)
  const timeLine = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
  const [, u, s, rss] = timeLine.split(' ').map(Number);
  let cpuUserMs = (u ?? 0) * 1000;
  let cpuSysMs = (s ?? 0) * 1000;
  let treePeakBytes: number | undefined;
  let leftovers = 0;
  if (cg && before) {
    leftovers = await endLeftovers(cg);
    const after = cg.readCpu();
    cpuUserMs = (after.userNs - before.userNs) / 1e6;
    cpuSysMs = (after.sysNs - before.sysNs) / 1e6;
    treePeakBytes = cg.readPeak();
    await removeCgroup(cg);
    active.delete(cg);
  }
  return {
    wallMs,
    cpuUserMs,
    cpuSysMs,
    cpuSource: cg?.kind ?? 'rusage',
    maxRssKiB: rss ?? 0,
    ...(treePeakBytes !== undefined ? { treePeakBytes } : {}),
    exitCode,
    leftovers,
    ...(busyBefore !== undefined && busyAfter !== undefined ? { machineCpuMs: (busyAfter - busyBefore) * TICK_MS } : {}),
  };
}
