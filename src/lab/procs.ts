// Processes the lab started, and ending them by PID only. A PID alone can be reused by an
// unrelated process after a crash, so the lab records (pid, start time) and checks both
// before sending a signal.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { sleep } from './exec.js';

export interface ProcRef {
  pid: number;
  /** /proc/PID/stat field 22 (start time in clock ticks since boot) */
  start: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and ')': fields start after the last ')'
    return line.slice(line.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Running and not a zombie. PID 1 here reaps orphans slowly, so a zombie counts as gone. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  if (!f) return false;
  const state = f[0];
  return state !== 'Z' && state !== 'X';
}

export function procRef(pid: number): ProcRef | undefined {
  const f = statFields(pid);
  const start = f?.[19];
  return start === undefined ? undefined : { pid, start: Number(start) };
}

/** The recorded process is still the same process (not a reused PID) and alive. */
export function isSameAlive(ref: ProcRef | undefined): ref is ProcRef {
  if (!ref) return false;
  const now = procRef(ref.pid);
  return now !== undefined && now.start === ref.start && isAlive(ref.pid);
}

/** The children of a process (e.g. PID 1 of a pid namespace under its `unshare`). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Namespace id like `uts:[4026532301]`, or undefined when the process is gone. */
export function nsId(pid: number, kind: 'uts' | 'net' | 'mnt' | 'pid'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/** Every live PID whose namespace of `kind` is one of `ids`. */
export function pidsInNamespaces(kind: 'uts' | 'net', ids: ReadonlySet<string>): number[] {
  if (ids.size === 0) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const id = nsId(pid, kind);
    if (id !== undefined && ids.has(id) && isAlive(pid)) out.push(pid);
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** TERM the given PIDs, wait up to `graceMs`, then KILL what is left; resolves when all are gone. */
export async function terminate(pids: readonly number[], graceMs = 2000): Promise<void> {
  const live = pids.filter(isAlive);
  if (live.length === 0) return;
  for (const p of live) signal(p, 'SIGTERM');
  const end = Date.now() + graceMs;
  let left = live;
  while (left.length > 0 && Date.now() < end) {
    await sleep(20);
    left = left.filter(isAlive);
  }
  for (const p of left) signal(p, 'SIGKILL');
  const end2 = Date.now() + 5000;
  while (left.length > 0 && Date.now() < end2) {
    await sleep(20);
    left = left.filter(isAlive);
  }
}
