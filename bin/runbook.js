#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';

// V8 optimises a function with TurboFan once it has run a budget of bytecode; a run is a few
// seconds of many different functions each run a few hundred times, so at the default budget the
// optimising compiler was the largest single part of the controller's CPU (17.6% by perf at 50
// hosts) for code that ran little longer once optimised. At 16x the budget, only the really hot
// functions are optimised: controller CPU -10 to -13% at 50 hosts and -5 to -13% at 200 (A/B,
// bench/fleet.yml). Sparkplug-only (--max-opt=1) saved as much at 50 hosts but nothing at 200.
setFlagsFromString('--interrupt-budget=1081344');
// `runbook certs` reads hundreds of hosts at once from cron or a timer, often on a small
// machine: V8's young generation would grow to 3 x 16 MiB under that burst of short-lived
// garbage, and it starts growing while the modules load, before any command runs. Kept at its
// starting size from here on (V8 reads the flag when it would grow the space), a 200-host report
// stays under 100 MiB (bench:certs). src/cli/commands/certs.ts sets it too, for other callers.
// (apply and run tune the heap once they know how many hosts they run on: src/cli/heap.ts)
if (process.argv[2] === 'certs') setFlagsFromString('--semi-space-growth-factor=1');
// apply and run keep a command's state per host in flight for a round trip, so at a few hundred
// hosts much of it outlives a scavenge and is promoted: V8 then started incremental marking well
// before the old generation's limit (at 24 of 58 MiB), three or four full collections per
// 200-host run, each with its write barriers and concurrent markers. Without it a full collection
// comes only at the limit (one, at start-up, atomic: 9 ms): controller CPU -8% on the first run
// at 200 hosts (bench/fleet.yml, 5 interleaved rounds), +30 MiB peak. Set before anything is
// allocated, so no marking is under way when it changes; src/cli/heap.ts turns it back on for
// fleets whose memory matters more (FLEET_HEAP_HOSTS).
if (process.argv[2] === 'apply' || process.argv[2] === 'run') setFlagsFromString('--no-incremental-marking');
// the bundle of dist/cli (scripts/bundle.js), one file instead of ~380 modules to load, compiled
// with V8's code cache of the last run of the same command (src/cli/code-cache.ts); loaded after
// the flags above, which V8 checks the cache against
const { loadBundle } = await import('../dist/cli/code-cache.js');
const bundle = loadBundle(fileURLToPath(new URL('../dist/bundle/main.cjs', import.meta.url)), process.argv.slice(2));

process.exitCode = await bundle.exports.main(process.argv.slice(2));
bundle.finish(process.exitCode);
