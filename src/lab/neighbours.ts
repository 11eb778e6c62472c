// The root namespace keeps one ARP entry per lab host it talks to. The kernel's default
// neighbour table holds 1024 (gc_thresh3) and then drops entries ("neighbor table overflow"):
// with a few hundred lab hosts up, connections to some hosts fail with "No route to host" or
// time out. The lab raises the thresholds while it needs them, records what they were, and
// restores them when the last lab instance goes down.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEYS = ['gc_thresh1', 'gc_thresh2', 'gc_thresh3'] as const;
type Thresholds = Record<(typeof KEYS)[number], number>;

const procPath = (k: string): string => `/proc/sys/net/ipv4/neigh/default/${k}`;

export function readThresholds(): Thresholds {
  const out = {} as Thresholds;
  for (const k of KEYS) out[k] = Number(readFileSync(procPath(k), 'utf8').trim());
  return out;
}

/** Thresholds that hold `hosts` neighbours with room to spare, never below what is set. */
export function wantedThresholds(current: Thresholds, hosts: number): Thresholds {
  const need = hosts * 2 + 512;
  if (current.gc_thresh3 >= need) return current;
  return {
    gc_thresh1: Math.max(current.gc_thresh1, Math.floor(need / 4)),
    gc_thresh2: Math.max(current.gc_thresh2, Math.floor(need / 2)),
    gc_thresh3: need,
  };
}

function write(t: Thresholds): void {
  // thresh3 first when growing keeps thresh1 <= thresh2 <= thresh3 at every step
  for (const k of [...KEYS].reverse()) writeFileSync(procPath(k), `${t[k]}\n`);
}

/** Make room for `hosts` lab neighbours; the original values are kept under `root` once. */
export function ensureNeighbourCapacity(root: string, hosts: number, log: (line: string) => void = () => undefined): void {
  const current = readThresholds();
  const wanted = wantedThresholds(current, hosts);
  if (wanted.gc_thresh3 === current.gc_thresh3) return;
  const saved = join(root, 'neigh-thresholds.json');
  if (!existsSync(saved)) writeFileSync(saved, `${JSON.stringify(current)}\n`);
  write(wanted);
  log(`lab: neighbour table raised to ${wanted.gc_thresh3} entries for ${hosts} lab hosts (restored by the last lab down)`);
}

/** After the last lab instance is gone: put the thresholds back as they were. */
export function restoreNeighbourCapacity(root: string): void {
  const saved = join(root, 'neigh-thresholds.json');
  if (!existsSync(saved)) return;
  try {
    const t = JSON.parse(readFileSync(saved, 'utf8')) as Thresholds;
    if (KEYS.every((k) => Number.isInteger(t[k]) && t[k] > 0)) {
      // shrinking: thresh1 first
      for (const k of KEYS) writeFileSync(procPath(k), `${t[k]}\n`);
    }
  } finally {
    rmSync(saved, { force: true });
  }
}
