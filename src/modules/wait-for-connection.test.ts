// wait_for_connection's loop (the pure part: tries, sleeps, timeout, messages) with a stand-in
// connection and a clock the test moves; the real thing (a stopped and restarted sshd, a
// restarted host) is in test/lab/modules-sys.test.ts.
import { describe, expect, it } from 'vitest';
import { waitForConnection } from './wait-for-connection.js';
import type { ModuleContext } from './types.js';
import type { ExecResult } from '../transport/types.js';

/** a context whose connection opens on try number `upAt` (1-based; 0: never) and whose clock moves `stepMs` per reading */
function fake(o: { upAt: number; stdout?: string; check?: boolean }) {
  const calls = { reconnects: 0, execs: 0, timeouts: [] as number[] };
  const result = (stdout: string): ExecResult => ({ host: 'h', command: 'echo pong', exitCode: 0, signal: null, stdout, stderr: '', truncated: false, timedOut: false, durationMs: 1, ok: true });
  const ctx = {
    host: 'h',
    check: o.check ?? false,
    reconnect: (timeoutMs: number) => {
      calls.reconnects++;
      calls.timeouts.push(timeoutMs);
      return o.upAt > 0 && calls.reconnects >= o.upAt ? Promise.resolve() : Promise.reject(new Error(`h: connection refused (try ${calls.reconnects})`));
    },
    exec: () => {
      calls.execs++;
      return Promise.resolve(result(o.stdout ?? 'pong\n'));
    },
  } as unknown as ModuleContext;
  let now = 0;
  // each clock reading is one second later: a try "takes" time without the test waiting for it
  const clock = (): number => (now += 1000);
  return { ctx, calls, clock };
}

describe('wait_for_connection', () => {
  it('retries a refused connection until it opens, then runs the ping; elapsed in whole seconds', async () => {
    const f = fake({ upAt: 3 });
    const r = await waitForConnection(f.ctx, { sleep: 0, timeout: 60, connect_timeout: 7 }, f.clock);
    expect(r.failed ?? false).toBe(false);
    expect(r.changed).toBe(false);
    expect(f.calls).toMatchObject({ reconnects: 3, execs: 1, timeouts: [7000, 7000, 7000] });
    expect(typeof r.data?.elapsed).toBe('number');
    expect(r.data?.elapsed).toBeGreaterThan(0);
  });

  it('fails with Ansible\'s message and the last error once the timeout has passed (not unreachable)', async () => {
    const f = fake({ upAt: 0 });
    const r = await waitForConnection(f.ctx, { sleep: 0, timeout: 10 }, f.clock);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/^timed out waiting for ping module test success: h: connection refused \(try \d+\)$/);
    // the fake clock gains a second per reading: a bounded number of tries, not an endless loop
    expect(f.calls.reconnects).toBeGreaterThan(1);
    expect(f.calls.reconnects).toBeLessThan(10);
    expect(f.calls.execs).toBe(0);
  });

  it('a connection that opens but whose ping does not answer pong is not ready', async () => {
    const f = fake({ upAt: 1, stdout: 'something else\n' });
    const r = await waitForConnection(f.ctx, { sleep: 0, timeout: 5 }, f.clock);
    expect(r.failed).toBe(true);
    expect(r.msg).toBe('timed out waiting for ping module test success: ping test failed');
    expect(f.calls.execs).toBeGreaterThan(0);
  });

  it('timeout 0: no try at all, a failure', async () => {
    const f = fake({ upAt: 1 });
    const r = await waitForConnection(f.ctx, { timeout: 0 }, f.clock);
    expect(r.failed).toBe(true);
    expect(f.calls.reconnects).toBe(0);
  });

  it('skipped in check mode, as Ansible; the connection is not touched', async () => {
    const f = fake({ upAt: 1, check: true });
    const r = await waitForConnection(f.ctx, {}, f.clock);
    expect(r).toMatchObject({ skipped: true, changed: false });
    expect(f.calls.reconnects).toBe(0);
  });
});
