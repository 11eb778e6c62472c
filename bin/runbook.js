#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// `runbook certs` reads hundreds of hosts at once from cron or a timer, often on a small
// machine: V8's young generation would grow to 3 x 16 MiB under that burst of short-lived
// garbage, and it starts growing while the modules load, before any command runs. Kept at its
// starting size from here on (V8 reads the flag when it would grow the space), a 200-host report
// stays under 100 MiB (bench:certs). src/cli/commands/certs.ts sets it too, for other callers.
// (apply and run tune the heap once they know how many hosts they run on: src/cli/heap.ts)
if (process.argv[2] === 'certs') setFlagsFromString('--semi-space-growth-factor=1');
// the bundle of dist/cli (scripts/bundle.js): one file per command instead of ~380 modules to load
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
