// Shared by the rollout lab tests (test/lab/rollout*.test.ts): a real `runbook apply` process
// that the test kills with SIGKILL when its --json events say so, and the checks of a rollout
// of 20 hosts in batches of 5 that died during batch 3 and is resumed.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliRun } from './cli.js';
import { openStore } from '../../src/store/db.js';
import { getRun, historyArea } from '../../src/store/history.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * `runbook apply ARGS --json` as its own process in `dir` (sources, no build); `killWhen` sees
 * each --json line (and the time since the start) and says when to SIGKILL it: true (now) or
 * a delay in ms.
 */
export function controller(
  dir: string,
  args: string[],
  env: Record<string, string>,
  killWhen: (line: string, sinceMs: number) => boolean | number,
): Promise<{ killed: boolean; lines: string[] }> {
  const runner = join(dir, 'runner.mjs');
  writeFileSync(runner, `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', join(ROOT, 'test/support/register-ts.js'), runner, 'apply', ...args, '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const t0 = Date.now();
    const lines: string[] = [];
    let buf = '';
    let killed = false;
    const kill = (): void => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const w = killWhen(line, Date.now() - t0);
        if (w === true) kill();
        else if (typeof w === 'number') setTimeout(kill, w);
      }
    });
    child.on('exit', () => done({ killed, lines }));
  });
}

/**
 * 20 hosts in batches of 5, the controller killed during batch 3: its record says died, the
 * first two batches ok and batch 3 running; `--resume RUN` (from another directory) runs
 * batches 3 and 4 only, numbered as in the rollout, and ends ok.
 */
export async function resumeAfterBatch3(store: string, run: number, hosts: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const s = openStore(store, [historyArea]);
  try {
    const died = getRun(s.db, run);
    expect(died?.status).toBe('died');
    const inState = (state: string): string[] => Object.entries(died?.hosts ?? {}).filter(([, st]) => st === state).map(([h]) => h).sort();
    expect(inState('ok')).toEqual(hosts.slice(0, 10));
    expect(inState('running')).toEqual(hosts.slice(10, 15));
  } finally {
    s.close();
  }
  const resumed = await runCli(['apply', '--resume', String(run), '--json'], { cwd: tmpdir(), env });
  expect(resumed.err).toBe('');
  expect(resumed.code).toBe(0);
  const batches = resumed.events.flatMap((e) => (e.type === 'batch_start' ? [[e.batch, e.hosts] as const] : []));
  expect(batches).toEqual([
    [3, hosts.slice(10, 15)],
    [4, hosts.slice(15, 20)],
  ]);
  expect(Object.keys(resumed.recap?.hosts ?? {}).sort()).toEqual(hosts.slice(10));
  return resumed;
}
