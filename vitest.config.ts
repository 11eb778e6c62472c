import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Every temporary file and directory of a test run goes under one directory made for the run:
// the tests' TMPDIR, and so that of everything they start. Test files make hundreds of temporary
// directories, and not all of them removed theirs (thousands piled up in /tmp). The directory is
// removed when the process that made it (vitest's own, not a worker: workers find it in their
// environment) exits. Sticky and world-writable like /tmp: lab hosts write there as other users.
let scratch = process.env.RUNBOOK_TEST_SCRATCH;
if (scratch === undefined) {
  const made = mkdtempSync(join(tmpdir(), 'runbook-tests-'));
  chmodSync(made, 0o1777);
  process.env.RUNBOOK_TEST_SCRATCH = scratch = made;
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
}

// runbook apply and certs record into the store (~/.local/state/runbook by default): tests that
// do not name their own store write to a scratch one, never to the operator's
const env = { TMPDIR: scratch, RUNBOOK_STORE: join(scratch, 'store', 'runbook.db') };

// Two tiers: unit tests sit next to the code and touch nothing outside the process;
// lab tests (test/lab, test/e2e) bring up real sshd, sudo, Apache, certbot and Pebble
// in network namespaces and need root on Linux.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
          env,
          include: ['test/lab/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/lab-global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
