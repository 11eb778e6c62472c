// Global setup of the vitest project `lab`: kept minimal. The lab needs root on Linux; when
// that is missing it says so once, and the lab test files skip themselves visibly
// (`describe.skipIf(labSkipReason())`). Each test file starts its own named lab instance
// through test/support/lab.ts, so nothing is shared here.
import { labSkipReason } from './lab-env.js';

export function setup(): void {
  const reason = labSkipReason();
  if (reason) process.stderr.write(`\n[lab] skipping lab tests: ${reason}\n\n`);
}
