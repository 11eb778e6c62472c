// wait_for_connection: Ansible's action of that name. The engine does not connect first (the
// host may be rebooting or not provisioned yet); after `delay`, the module closes the host's
// connection and opens it again (Ansible's connection reset), then runs a ping round trip, each
// try bounded by connect_timeout, every `sleep` seconds until `timeout`. The host that answers
// keeps the fresh connection for the tasks after; one that does not fails the task (not
// unreachable) with Ansible's message. Skipped in check mode, as in Ansible.
import { setTimeout as sleep } from 'node:timers/promises';
import { sh } from '../transport/command.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import type { ModuleContext, ModuleResult } from './types.js';

export interface WaitForConnectionArgs {
  connect_timeout?: number;
  delay?: number;
  sleep?: number;
  timeout?: number;
}

// Ansible's ssh connection has no transport_test, so its only stage is the ping (the message names it)
const WHAT = 'ping module test success';

/** One try: a fresh connection (the old one may be dead: a restarted host), then a round trip with the task's become. */
async function tryOnce(ctx: ModuleContext, connectTimeoutS: number, remainingMs: number): Promise<void> {
  await ctx.reconnect!(connectTimeoutS * 1000);
  // a host that accepts the connection but never answers (sudo stuck, host freezing) must not hold the task past its timeout
  const r = await ctx.exec(sh`echo pong`, { timeoutMs: Math.max(connectTimeoutS * 1000, remainingMs) });
  if (r.timedOut) throw new Error('the ping command did not finish');
  if (!r.ok || r.stdout.trim() !== 'pong') throw new Error(`ping test failed${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
}

export async function waitForConnection(ctx: ModuleContext, a: WaitForConnectionArgs, clock: () => number = Date.now): Promise<ModuleResult> {
  if (ctx.check) return { changed: false, skipped: true, msg: 'skipped in check mode (as Ansible)' };
  if (!ctx.reconnect) return { changed: false, failed: true, msg: 'wait_for_connection needs the host\'s connection, which this context cannot reopen' };
  const connectTimeout = a.connect_timeout ?? 5;
  const pause = a.sleep ?? 1;
  const timeoutS = a.timeout ?? 600;
  const wait = (ms: number): Promise<void> => sleep(ms, undefined, ctx.signal ? { signal: ctx.signal } : {});
  const start = clock();
  const elapsed = (): number => Math.floor((clock() - start) / 1000);
  if ((a.delay ?? 0) > 0) await wait((a.delay ?? 0) * 1000);
  // as Ansible: the timeout counts from the end of the delay; a try is started while time is left
  const end = clock() + timeoutS * 1000;
  let error = 'no try was made (timeout 0)';
  while (clock() < end) {
    try {
      await tryOnce(ctx, connectTimeout, end - clock());
      return { changed: false, msg: `the host answers (after ${elapsed()}s)`, data: { elapsed: elapsed() } };
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      error = e instanceof Error ? e.message : String(e);
    }
    // as Ansible, the task fails only once the whole timeout has passed; a sleep never runs past it
    await wait(Math.max(0, Math.min(pause * 1000, end - clock())));
  }
  return { changed: false, failed: true, msg: `timed out waiting for ${WHAT}: ${error}`, data: { elapsed: elapsed() } };
}

export const waitForConnectionModule = defineModule<WaitForConnectionArgs>({
  name: 'wait_for_connection',
  connectsItself: true,
  schema: moduleSchema({
    properties: {
      connect_timeout: { type: 'integer', minimum: 1, default: 5, description: 'seconds one try may take to open the connection' },
      delay: { type: 'integer', minimum: 0, default: 0, description: 'seconds to wait before the first try' },
      sleep: { type: 'integer', minimum: 0, default: 1, description: 'seconds between tries' },
      timeout: { type: 'integer', minimum: 0, default: 600, description: 'seconds after which the task fails' },
    },
  }),
  doc: {
    short: 'Wait until the host can be reached again (after a reboot or while it is provisioned)',
    description:
      'The engine does not connect to the host before this task. After `delay` seconds it closes the host\'s connection and opens it again, then runs a ping round trip (with the task\'s become), every `sleep` seconds until it works or `timeout` seconds have passed; each try may take connect_timeout seconds to connect. A host that does not answer in time fails the task with Ansible\'s message (`timed out waiting for ping module test success: ...`); it is not counted unreachable. The tasks after use the fresh connection. Skipped in check mode, as in Ansible.',
    returns: { elapsed: 'whole seconds the task waited' },
    example: '- wait_for_connection:\n    delay: 5\n    timeout: 300',
  },
  run: waitForConnection,
});
