// The record of what a lab instance created: the only source `lab down` and `lab status`
// trust besides the kernel itself (namespaces are also found by their name prefix, so a
// crash between creating something and recording it still gets cleaned up).
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';
import type { ProcRef } from './procs.js';
import { isAlive, procRef } from './procs.js';
import { sleep } from './exec.js';

export interface FleetHostState {
  name: string;
  index: number;
  address: string;
  netns: string;
  veth: string;
  /** the UTS namespace every process of this host shares, e.g. uts:[4026532301] */
  utsNs?: string;
  sshd?: ProcRef;
}

export interface FullHostState {
  name: string;
  slot: number;
  address: string;
  netns: string;
  veth: string;
  /** 'base' or a layer name such as 'apache' */
  layer: string;
  /** Debian release ('12', '13'); records before releases existed are '12' */
  release?: string;
  /** PID 1 ('lab-init' when absent) */
  initSystem?: 'lab-init' | 'systemd';
  /** firewalld layer: the zone allowed http/https at first boot */
  httpAllowed?: boolean;
  /** systemd hosts: the host's own cgroup (v2), the root of its cgroup namespace */
  cgroup?: string;
  /** the hub whose site network this host lives on (address and veth are on that site) */
  behind?: string;
  /** overlay lowerdir list, topmost first */
  lower: string;
  /** the `unshare` process whose child is the host's PID 1 */
  unshare?: ProcRef;
  init?: ProcRef;
}

export interface AcmeState {
  pebble?: ProcRef;
  challtestsrv?: ProcRef;
  /** names registered with challtestsrv (name -> address) */
  records: Record<string, string>;
  /** the DNS server Pebble was started with (IP:PORT) */
  dnsServer?: string;
}

export interface TsigKey {
  name: string;
  /** base64, as BIND and certbot's dns_rfc2136_secret take it */
  secret: string;
}

export interface DnsState {
  named?: ProcRef;
  /** may update the lab zone */
  update: TsigKey;
  /** may update only another zone */
  other: TsigKey;
  /** A records sent to the zone (name -> address) */
  records: Record<string, string>;
}

/** a hub's site network (see site.ts) */
export interface SiteState {
  hub: string;
  /** the namespace holding the site's switch (bridge br0) */
  netns: string;
  /** third octet of the site's 10.X.T.0/24 */
  third: number;
}

/** The user-space slow link (slow-link.ts): its relay and the TUN devices per host. */
export interface SlowLinkState {
  relay: ProcRef;
  hosts: Array<{ host: string; a: string; b: string }>;
  delayMs: number;
  lossPct: number;
  rateKbit?: number;
}

export interface LabState {
  version: 1;
  name: string;
  octet: number;
  subnet: string;
  gateway: string;
  bridge: string;
  netnsPrefix: string;
  maxSessions: number;
  users: {
    deploy: { uid: number; gid: number };
    ops: { uid: number; gid: number; password: string };
  };
  fleet: FleetHostState[];
  full: FullHostState[];
  acme?: AcmeState;
  dns?: DnsState;
  sites?: SiteState[];
  proxy?: ProcRef;
  slowLink?: SlowLinkState;
}

export function statePath(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export function readState(stateDir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as LabState;
  } catch {
    throw new EnvironmentError(`lab: ${statePath(stateDir)} is corrupt; run 'runbook lab down' to clean up`);
  }
}

/** Atomic write: a crash never leaves a half-written record. Mode 0600: it holds the ops password. */
export function writeState(stateDir: string, state: LabState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  const tmp = `${statePath(stateDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, statePath(stateDir));
}

export function removeState(stateDir: string): void {
  rmSync(statePath(stateDir), { force: true });
}

/** One `lab up/down` per instance at a time. */
export function withInstanceLock<T>(stateDir: string, fn: () => Promise<T>, timeoutMs = 900_000): Promise<T> {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  return withFileLock(join(stateDir, 'lock'), `lab instance at ${stateDir}`, fn, timeoutMs);
}

/**
 * A lock file holding the owner's PID and start time; a lock whose owner is gone (crash) is
 * taken over. Used per instance and per cached image/layer build.
 */
export async function withFileLock<T>(lock: string, what: string, fn: () => Promise<T>, timeoutMs = 900_000): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true, mode: 0o755 });
  const me = procRef(process.pid);
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      writeFileSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: ProcRef | undefined;
      try {
        owner = JSON.parse(readFileSync(lock, 'utf8')) as ProcRef;
      } catch {
        owner = undefined;
      }
      const ownerNow = owner ? procRef(owner.pid) : undefined;
      // an unreadable lock may be one being written right now: stale only once it is old
      const stale = owner
        ? !ownerNow || ownerNow.start !== owner.start || !isAlive(owner.pid)
        : Date.now() - mtimeMs(lock) > 5000;
      if (stale) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > end) {
        throw new EnvironmentError(`lab: ${what} is locked by PID ${owner?.pid ?? '?'} (another 'runbook lab' is running)`);
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
