// V8's heap sizing for runs across many hosts at once (apply and run).
//
// Each host in flight holds a connection and a command; V8, tuned for throughput, collects the
// old generation only when it has grown to about four times what survived the last full
// collection, and grows the young generation to 3 x 16 MiB. At 1000 hosts that was 70 MiB live in
// a 340 MiB heap (max RSS 464 MiB, the limit is 300). With a young generation kept at its
// starting size and the old one collected at 30% growth, 1000 hosts peaked at 249 MiB. Below
// several hundred hosts at once the memory is no concern (200 hosts: about 200 MiB without them)
// and the same settings cost CPU: at 50 hosts 128 scavenges instead of 17 and 100-250 ms more
// collector time per run (--trace-gc); at 200 hosts the bench's controller CPU went from 1.3x to
// 1.7x that of the checkout before the engine split. So they apply from FLEET_HEAP_HOSTS hosts in
// flight. V8 reads both flags when it next sizes a space, so setting them before the run takes
// effect (the size flags would not).
import { setFlagsFromString } from 'node:v8';
import type { RunPlan } from '../engine/plan.js';

export const FLEET_HEAP_HOSTS = 500;

/**
 * How many hosts a run keeps in flight at most: forks, or fewer when --limit, the plays'
 * patterns or `serial:` leave fewer at once (a `--limit` of 10 hosts in a 1000-host inventory
 * must not pay the fleet settings' collector CPU).
 */
export function hostsInFlight(plan: Pick<RunPlan, 'plays'>, forks: number): number {
  let widest = 0;
  for (const p of plan.plays) for (const b of p.batches) widest = Math.max(widest, b.length);
  return Math.min(forks, widest);
}

/** Tune the heap for `inFlight` hosts at once (hostsInFlight). */
export function tuneHeapForFleet(inFlight: number): boolean {
  if (inFlight < FLEET_HEAP_HOSTS) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=30');
  // bin/runbook.js starts apply and run without incremental marking (fewer full collections,
  // less CPU); a fleet this big needs its collections started early again, before the limit
  setFlagsFromString('--incremental-marking');
  return true;
}
