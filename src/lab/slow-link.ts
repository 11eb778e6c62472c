// A home uplink between the controller and some lab hosts: latency, loss and optionally a
// bandwidth cap, emulated in user space (link-relay.ts) because these kernels have no netem
// qdisc. Per host, two TUN devices of the relay carry the traffic between the controller's
// address on the lab bridge (the gateway) and the host:
//
//   root namespace:  route HOST/32 dev A src GATEWAY      (controller -> host goes through A)
//   host namespace:  route GATEWAY/32 dev B src HOST      (host -> controller goes through B)
//
// Everything else (host to host, and the host's own veth) is unchanged. The relay is recorded
// in the lab's state as (PID, start time) and ended by PID at `stopSlowLink` or `lab down`;
// its TUN devices, and the routes over them, vanish with it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';
import { run, runOk, sleep } from './exec.js';
import { LINK_RELAY_PY } from './link-relay.js';
import { isSameAlive, procRef, terminate } from './procs.js';
import { readState, withInstanceLock, writeState } from './state.js';
import type { LabState, SlowLinkState } from './state.js';
import type { LabInfo } from './types.js';

export interface SlowLinkOptions {
  /** hosts behind the link (default: every host not behind a hub) */
  hosts?: readonly string[];
  /** one-way delay in ms (default 40: an 80 ms round trip) */
  delayMs?: number;
  /** packet loss in percent, each direction (default 1) */
  lossPct?: number;
  /** bandwidth cap per direction and host, kbit/s (default: none) */
  rateKbit?: number;
  /** random seed of the loss (default: random) */
  seed?: number;
}

export interface LinkCounters {
  packets: number;
  dropped: number;
  bytes: number;
}

export interface SlowLinkStats {
  /** controller -> hosts */
  up: LinkCounters;
  /** hosts -> controller */
  down: LinkCounters;
}

/** The python3 the relay runs with: Debian's own first (a pyenv shim starts slowly). */
function python(): string {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (existsSync(p)) return p;
  return 'python3';
}

function statsFile(stateDir: string): string {
  return join(stateDir, 'slow-link.json');
}

/** Put `hosts` behind an emulated slow link. A link already up is replaced. */
export async function startSlowLink(lab: Pick<LabInfo, 'stateDir' | 'name' | 'gateway'>, opts: SlowLinkOptions = {}): Promise<SlowLinkState> {
  await stopSlowLink(lab);
  return withInstanceLock(lab.stateDir, async () => {
    const state = readState(lab.stateDir);
    if (!state) throw new EnvironmentError(`lab ${lab.name} is not up`);
    const all = [...state.fleet.map((h) => ({ name: h.name, netns: h.netns, address: h.address, behind: undefined as string | undefined })), ...state.full.map((h) => ({ name: h.name, netns: h.netns, address: h.address, behind: h.behind }))];
    const wanted = opts.hosts ?? all.filter((h) => h.behind === undefined).map((h) => h.name);
    const hosts = wanted.map((n) => {
      const h = all.find((x) => x.name === n);
      if (!h) throw new EnvironmentError(`lab ${lab.name}: no host ${n}`);
      if (h.behind !== undefined) throw new EnvironmentError(`lab ${lab.name}: ${n} is behind ${h.behind}; put the hub behind the slow link instead`);
      return h;
    });
    const delayMs = opts.delayMs ?? 40;
    const lossPct = opts.lossPct ?? 1;
    const pairs = hosts.map((h, i) => ({ host: h.name, a: `rbs${state.octet}a${i}`, b: `rbs${state.octet}b${i}` }));
    const stats = statsFile(lab.stateDir);
    rmSync(stats, { force: true });
    const logFile = join(lab.stateDir, 'slow-link.log');
    const out = openSync(logFile, 'w');
    const config = {
      delayMs,
      loss: lossPct / 100,
      rateBps: opts.rateKbit ? opts.rateKbit * 1000 : 0,
      stats,
      pairs: pairs.map(({ a, b }) => ({ a, b })),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    };
    const child = spawn(python(), ['-c', LINK_RELAY_PY, JSON.stringify(config)], { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    const pid = child.pid;
    const ref = pid === undefined ? undefined : procRef(pid);
    if (!ref) throw new EnvironmentError('lab: the slow-link relay (python3) did not start');
    const link: SlowLinkState = { relay: ref, hosts: pairs, delayMs, lossPct, ...(opts.rateKbit ? { rateKbit: opts.rateKbit } : {}) };
    // recorded before anything depends on it: `lab down` ends it even if the set-up fails below
    state.slowLink = link;
    writeState(lab.stateDir, state);
    const deadline = Date.now() + 10_000;
    while (!readFileSync(logFile, 'utf8').includes('ready')) {
      if (!isSameAlive(ref) || Date.now() > deadline) {
        const why = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
        await terminate([ref.pid]);
        throw new EnvironmentError(`lab: the slow-link relay did not come up: ${why || 'no output'}`);
      }
      await sleep(20);
    }
    for (const [i, p] of pairs.entries()) {
      const h = hosts[i]!;
      await runOk(['ip', 'link', 'set', p.b, 'netns', h.netns], `moving ${p.b} into ${h.netns}`);
      await runOk(['ip', '-n', h.netns, 'link', 'set', p.b, 'up'], `setting ${p.b} up`);
      await runOk(['ip', '-n', h.netns, 'route', 'replace', `${state.gateway}/32`, 'dev', p.b, 'src', h.address], `routing ${h.name}'s way back over the slow link`);
      await runOk(['ip', 'link', 'set', p.a, 'up'], `setting ${p.a} up`);
      await runOk(['ip', 'route', 'replace', `${h.address}/32`, 'dev', p.a, 'src', state.gateway], `routing ${h.name} over the slow link`);
    }
    return link;
  });
}

/** End the relay (by PID): its devices and routes vanish with it. Safe when none runs. */
export async function stopSlowLink(lab: Pick<LabInfo, 'stateDir' | 'name'>): Promise<void> {
  const state = readState(lab.stateDir);
  if (!state?.slowLink) return;
  await withInstanceLock(lab.stateDir, async () => {
    const s = readState(lab.stateDir);
    if (!s) return;
    await endRelay(s);
    writeState(lab.stateDir, s);
  });
}

/** For `lab down` (already holding the instance lock). */
export async function endRelay(state: LabState): Promise<void> {
  const link = state.slowLink;
  if (!link) return;
  if (isSameAlive(link.relay)) await terminate([link.relay.pid]);
  // the root namespace's devices go with the relay; make sure no route is left either way
  for (const p of link.hosts) if (existsSync(`/sys/class/net/${p.a}`)) await run(['ip', 'link', 'del', p.a]);
  delete state.slowLink;
}

/** The relay's counters (packets seen, dropped) since it started. */
export function slowLinkStats(lab: Pick<LabInfo, 'stateDir'>): SlowLinkStats | undefined {
  try {
    return JSON.parse(readFileSync(statsFile(lab.stateDir), 'utf8')) as SlowLinkStats;
  } catch {
    return undefined;
  }
}

export interface LinkCheck {
  host: string;
  /** TCP round trips to the host (SYN → RST on a closed port), ms: min, median, max */
  rttMs: { min: number; median: number; max: number };
  /** probes sent, and probes that needed a retransmission (a lost SYN or RST: > 1 s) */
  probes: number;
  retransmitted: number;
  /** the relay's drops over everything it carried so far, percent of packets (both directions) */
  relayLossPct: number;
  relay: SlowLinkStats;
}

/** One TCP round trip: connect to a closed port, the host answers the SYN with a RST. */
function tcpRoundTrip(address: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const sock = connect({ host: address, port });
    const done = (): void => {
      sock.destroy();
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    sock.once('error', done);
    sock.once('connect', done);
    sock.setTimeout(10_000, done);
  });
}

/**
 * Check the emulation is in effect: round trips to a host through the link (TCP SYN → RST on
 * a closed port, so nothing on the host does any work) and the relay's own counters (its drop
 * rate over everything it carried). The machine has no `ping`.
 */
export async function checkSlowLink(lab: Pick<LabInfo, 'stateDir' | 'name'>, host: string, probes = 50): Promise<LinkCheck> {
  const state = readState(lab.stateDir);
  const h = [...(state?.fleet ?? []), ...(state?.full ?? [])].find((x) => x.name === host);
  if (!state?.slowLink || !h) throw new EnvironmentError(`lab ${lab.name}: no slow link to ${host}`);
  const times: number[] = [];
  for (let i = 0; i < probes; i++) times.push(await tcpRoundTrip(h.address, 9));
  times.sort((a, b) => a - b);
  await sleep(1100); // the relay writes its counters every second
  const relay = slowLinkStats(lab) ?? { up: { packets: 0, dropped: 0, bytes: 0 }, down: { packets: 0, dropped: 0, bytes: 0 } };
  const packets = relay.up.packets + relay.down.packets;
  return {
    host,
    rttMs: { min: times[0] ?? NaN, median: times[Math.floor(times.length / 2)] ?? NaN, max: times[times.length - 1] ?? NaN },
    probes,
    retransmitted: times.filter((t) => t > 1000).length,
    relayLossPct: packets === 0 ? 0 : ((relay.up.dropped + relay.down.dropped) / packets) * 100,
    relay,
  };
}
