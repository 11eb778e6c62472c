import { defineConfig } from 'vitest/config';

// Two tiers: unit tests sit next to the code and touch nothing outside the process;
// lab tests (test/lab, test/e2e) bring up real sshd, sudo, Apache, certbot and Pebble
// in network namespaces and need root on Linux.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
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
