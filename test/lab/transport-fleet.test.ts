// The ssh transport at fleet size against real OpenSSH: 200 hosts connecting at once with a short
// connect timeout. Before the process-wide handshake limiter, every handshake started at once,
// sshd logins (CPU-bound) queued, and the connect timeouts expired in that queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labConnectionSpec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { rawCommand } from '../../src/transport/command.js';
import { HandshakeLimiter } from '../../src/transport/handshake-limiter.js';
import { knownHostsStats } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh.js';

const NAME = 'tperf';
const FLEET = 200;
let lab: LabInfo;
const open: SshTransport[] = [];

describe.skipIf(labSkipReason())('ssh transport: 200 hosts at once (lab)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: FLEET });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await stopLab(NAME);
  });

  it('all 200 connect with a 5 s connect timeout, never more than the limit in flight, known_hosts parsed once', async () => {
    const limiter = new HandshakeLimiter(32);
    const parses = knownHostsStats.parses;
    const ts = lab.hosts.slice(0, FLEET).map((h) => {
      const t = new SshTransport(labConnectionSpec(lab, h, {}, { connectRetries: 0 }), { handshakeLimiter: limiter, onWarning: () => {} });
      open.push(t);
      return t;
    });
    expect(ts).toHaveLength(FLEET);
    const started = Date.now();
    const results = await Promise.allSettled(ts.map((t) => t.connect()));
    const wallMs = Date.now() - started;
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${ts[i]?.host}: ${String(r.reason)}`] : []));
    expect(failed).toEqual([]);
    expect(limiter.stats.acquired).toBe(FLEET);
    expect(limiter.stats.peak).toBeLessThanOrEqual(32);
    expect(limiter.inUse).toBe(0);
    expect(knownHostsStats.parses - parses).toBe(1);
    // every connection works
    const outs = await Promise.all(ts.map((t) => t.exec(rawCommand('hostname'))));
    expect(outs.filter((r) => !r.ok)).toEqual([]);
    // measured, never asserted: for the report
    process.stdout.write(`transport-fleet: ${FLEET} hosts connected in ${wallMs} ms (limit 32)\n`);
  });
});
