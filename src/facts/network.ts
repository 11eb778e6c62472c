// Controller-side facts about the network around a host: what DNS answers for a name, and
// whether a port of an address is reachable from outside the host (the controller's view, as an
// ACME server would see it). They change nothing, so they may be read in --check too.
import { Socket } from 'node:net';
import type { ControllerFact } from './types.js';

export interface DnsAnswer {
  a: string[];
  aaaa: string[];
  /** resolver error code when nothing came back (ENOTFOUND, ETIMEOUT, ...) */
  error?: string;
}

/** Resolve A and AAAA, through `resolver` (`IP` or `IP:PORT`) or the controller's resolver. */
export async function resolveDomain(domain: string, resolver: string | undefined, timeoutMs = 3000): Promise<DnsAnswer> {
  // loaded when a name is resolved, not with every `runbook apply` (this module is): about 0.5 ms
  // of each start
  const { Resolver } = await import('node:dns/promises');
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (resolver) r.setServers([resolver]);
  const settle = async (p: Promise<string[]>): Promise<{ v: string[]; e?: string }> => {
    try {
      return { v: await p };
    } catch (err) {
      return { v: [], e: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  };
  const [a, aaaa] = await Promise.all([settle(r.resolve4(domain)), settle(r.resolve6(domain))]);
  const answer: DnsAnswer = { a: a.v, aaaa: aaaa.v };
  if (a.v.length === 0 && aaaa.v.length === 0) answer.error = a.e ?? aaaa.e ?? 'ENODATA';
  return answer;
}

export type PortProbe = { kind: 'open'; status?: number; statusLine?: string } | { kind: 'refused' } | { kind: 'timeout' } | { kind: 'error'; code: string };

/**
 * Connect to address:port from the controller; with `host`, send one HTTP/1.1 GET for that
 * name and read the status line (a web server answers for the name).
 */
export function probePort(address: string, port: number, host: string | undefined, timeoutMs = 5000): Promise<PortProbe> {
  return new Promise((resolve) => {
    const s = new Socket();
    let done = false;
    let buf = '';
    const finish = (p: PortProbe): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(p);
    };
    s.setTimeout(timeoutMs, () => finish(buf ? statusOf(buf) : { kind: 'timeout' }));
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (buf) finish(statusOf(buf));
      else if (err.code === 'ECONNREFUSED') finish({ kind: 'refused' });
      else if (err.code === 'ETIMEDOUT') finish({ kind: 'timeout' });
      else finish({ kind: 'error', code: err.code ?? err.message });
    });
    s.connect(port, address, () => {
      if (!host) return finish({ kind: 'open' });
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: runbook-preflight\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) finish(statusOf(buf));
    });
    s.on('end', () => finish(statusOf(buf)));
  });
}

function statusOf(buf: string): PortProbe {
  const line = buf.split('\r\n')[0] ?? '';
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line);
  return m ? { kind: 'open', status: Number(m[1]), statusLine: line } : { kind: 'open', statusLine: line.slice(0, 80) };
}

/** DNS answers (A and AAAA) for each name, through `resolver` or the controller's resolver. */
export function dnsFact(names: readonly string[], resolver: string | undefined, timeoutMs: number): ControllerFact<Record<string, DnsAnswer>> {
  return {
    name: 'dns',
    controller: true,
    async read() {
      const out: Record<string, DnsAnswer> = {};
      for (const n of names) out[n] = await resolveDomain(n, resolver, timeoutMs);
      return out;
    },
  };
}

export interface PortTarget {
  address: string;
  port: number;
  /** send one HTTP GET for this name and read the status line */
  host?: string;
}

/** Connect to each target from the controller, in order. */
export function portFact(targets: readonly PortTarget[], timeoutMs: number): ControllerFact<PortProbe[]> {
  return {
    name: 'port',
    controller: true,
    async read() {
      const out: PortProbe[] = [];
      for (const t of targets) out.push(await probePort(t.address, t.port, t.host, timeoutMs));
      return out;
    },
  };
}
