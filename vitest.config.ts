import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// runbook apply and certs record into the store (~/.local/state/runbook by default): tests that
// do not name their own store write to a scratch one, never to the operator's
const env = { RUNBOOK_STORE: join(tmpdir(), 'runbook-tests', 'runbook.db') };

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
