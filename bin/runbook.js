#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The fleet commands hold a connection and a command in flight per host, often on a small
// machine. V8 would size the heap for throughput: the young generation grows to 3 x 16 MiB, and the
// old generation is collected only when it reaches about four times what survived the last full
// collection. At 1000 hosts that was 70 MiB live in a 340 MiB heap (max RSS 432 MiB).
// - `runbook certs` keeps the young generation at its starting size (from here on: V8 reads the
//   flag when it would grow the space): a 200-host report stays under 100 MiB (bench:certs).
//   src/cli/commands/certs.ts sets it too, for other callers.
// - `apply` and `run` also collect the old generation when it has grown by 30% (V8 reads the
//   flag each time it sets the next limit): 1000 hosts then peak at 279 MiB, at no CPU cost
//   measured at 50 and 1000 hosts (the run's time is in the network and the hosts).
const command = process.argv[2];
if (command === 'certs' || command === 'apply' || command === 'run') setFlagsFromString('--semi-space-growth-factor=1');
if (command === 'apply' || command === 'run') setFlagsFromString('--heap-growing-percent=30');
// the bundle of dist/cli (scripts/bundle.js): one file per command instead of ~380 modules to load
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
