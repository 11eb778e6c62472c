// `runbook lab`: the public API used by the CLI (src/cli/commands/lab.ts), runbook's own
// tests (test/support/lab.ts), the benchmark and the README demo.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError, UsageError } from '../util/errors.js';
import type { LabHostInfo, LabInfo } from './types.js';
import { run, sleep } from './exec.js';
import type { InstanceNet } from './instance.js';
import { DEFAULT_INSTANCE, candidateOctets, instanceNet, stateDirOf, stateRoot, validateFullHostName, validateInstanceName } from './instance.js';
import { assertRouteOverBridge, deleteBridge, deleteNetns, ensureBridge, ipForwardEnabled, linkExists, listLinks, listNetns, subnetTaken } from './net.js';
import { PACKAGES, ensurePackages } from './packages.js';
import { fleetHostDir, fleetHostRunning, killInNetns, reconcileFleet, startFleetSshd, stopFleetProcesses } from './fleet.js';
import type { FullHostState, LabState } from './state.js';
import { readState, removeState, withInstanceLock, writeState } from './state.js';
import { NOPASSWD_USER, PASSWD_USER, allocateUsers, ensureClientKey, prepareFleetAccounts } from './users.js';
import { writeClientFiles } from './inventory.js';
import type { ProcRef } from './procs.js';
import { isSameAlive, procRef } from './procs.js';
import { unmountUnder } from './mounts.js';
import { acmeInfo, ensureAcme, registerAcmeNames, stopAcme } from './acme.js';
import { dnsInfo, ensureDns, registerDnsNames, stopDns } from './dns.js';
import { siteOf, siteSubnet } from './site.js';
import { ensureCaOnFullHosts, fullHostDir, fullHostRunning, hostRelease, reconcileFull, removeInstanceCgroups, removeFullHosts, startFullHost, stopFullHost, stopAptProxy } from './full.js';
import { ensureNeighbourCapacity, restoreNeighbourCapacity } from './neighbours.js';
import { endRelay } from './slow-link.js';

export type { LabInfo, LabHostInfo } from './types.js';
export type { FullHostRequest, InitSystem } from './context.js';
import type { FullHostRequest, LabContext } from './context.js';
export { DEFAULT_INSTANCE } from './instance.js';

export interface LabUpOptions {
  name?: string;
  /** number of fleet hosts (h001...); default: keep the running count, 3 for a new lab (0 with full hosts) */
  fleet?: number;
  full?: FullHostRequest[];
  acme?: boolean;
  /** the lab's BIND for lab.test (TSIG updates); Pebble then validates through it */
  dns?: boolean;
  /** sshd MaxSessions of fleet hosts; default 10 (OpenSSH's default) */
  maxSessions?: number;
  /** progress lines for people */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function assertLabPlatform(): void {
  if (process.platform !== 'linux') {
    throw new EnvironmentError(`lab: needs Linux (network, mount and pid namespaces); this is ${process.platform}`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError("lab: needs root (it creates network namespaces, a bridge and mounts): run it with sudo");
  }
}

/** Octets other instances recorded, so two stopped-and-restarted instances never swap subnets. */
function octetsOfOtherInstances(name: string, env: NodeJS.ProcessEnv): Set<number> {
  const used = new Set<number>();
  const root = stateRoot(env);
  if (!existsSync(root)) return used;
  for (const other of readdirSync(root)) {
    if (other === name) continue;
    try {
      const s = readState(join(root, other));
      if (s) used.add(s.octet);
    } catch {
      // a corrupt record of another instance is not ours to judge
    }
  }
  return used;
}

async function chooseOctet(name: string, env: NodeJS.ProcessEnv): Promise<number> {
  const taken = octetsOfOtherInstances(name, env);
  for (const o of candidateOctets(name)) {
    if (taken.has(o)) continue;
    const net = instanceNet(name, o);
    if (linkExists(net.bridge)) return o; // our own bridge left from a crash
    if ((await subnetTaken(net)) === undefined) return o;
  }
  throw new EnvironmentError('lab: no free 10.x.0.0/16 subnet for a new lab instance');
}

async function loadOrCreate(name: string, stateDir: string, env: NodeJS.ProcessEnv, maxSessions: number | undefined): Promise<LabState> {
  const existing = readState(stateDir);
  if (existing) {
    if (maxSessions !== undefined) existing.maxSessions = maxSessions;
    return existing;
  }
  const octet = await chooseOctet(name, env);
  const net = instanceNet(name, octet);
  return {
    version: 1,
    name,
    octet,
    subnet: net.subnet,
    gateway: net.gateway,
    bridge: net.bridge,
    netnsPrefix: net.netnsPrefix,
    maxSessions: maxSessions ?? 10,
    users: allocateUsers(),
    fleet: [],
    full: [],
  };
}

function netOf(state: LabState): InstanceNet {
  return instanceNet(state.name, state.octet);
}

/** Build the LabInfo view of a state record. */
export function infoOf(stateDir: string, state: LabState): LabInfo {
  const hosts: LabHostInfo[] = [
    ...state.fleet.map((h): LabHostInfo => ({ name: h.name, address: h.address, port: 22, kind: 'fleet' })),
    ...state.full.map((h): LabHostInfo => ({ name: h.name, address: h.address, port: 22, kind: 'full', domain: `${h.name}.lab.test`, layer: h.layer, release: hostRelease(h), init: h.initSystem ?? 'lab-init', ...(h.behind ? { behind: h.behind } : {}) })),
  ];
  const info: LabInfo = {
    name: state.name,
    stateDir,
    gateway: state.gateway,
    subnet: state.subnet,
    bridge: state.bridge,
    keyFile: join(stateDir, 'keys', 'id_ed25519'),
    knownHostsFile: join(stateDir, 'known_hosts'),
    inventoryFile: join(stateDir, 'inventory.yml'),
    sshConfigFile: join(stateDir, 'ssh_config'),
    users: { nopasswd: { name: NOPASSWD_USER }, passwd: { name: PASSWD_USER, sudoPassword: state.users.ops.password } },
    hosts,
  };
  if (state.acme) info.acme = acmeInfo(stateDir, state);
  const dns = dnsInfo(state);
  if (dns) info.dns = dns;
  const ctxNet = { net: netOf(state) };
  const sites = (state.sites ?? [])
    .map((site) => ({
      hub: site.hub,
      hubAddress: state.full.find((h) => h.name === site.hub)?.address ?? '',
      subnet: siteSubnet(ctxNet, site),
      hosts: state.full.filter((h) => h.behind === site.hub).map((h) => h.name),
    }))
    .filter((s) => s.hosts.length > 0 && s.hubAddress !== '');
  if (sites.length > 0) info.sites = sites;
  return info;
}

function hostKeyEntries(stateDir: string, state: LabState): Array<{ names: string[]; pubFile: string }> {
  return [
    ...state.fleet.map((h) => ({ names: [h.name, h.address], pubFile: join(fleetHostDir(stateDir, h.name), 'ssh_host_ed25519_key.pub') })),
    ...state.full.map((h) => ({ names: [h.name, `${h.name}.lab.test`, h.address], pubFile: join(fullHostDir(stateDir, h.name), 'ssh_host_ed25519_key.pub') })),
  ];
}

function layerMap(state: LabState): Map<string, string> {
  return new Map(state.full.map((h) => [h.name, h.layer]));
}

export function writeLabClientFiles(stateDir: string, state: LabState, outDir?: string): { inventory: string; knownHosts: string; sshConfig: string } {
  return writeClientFiles(infoOf(stateDir, state), hostKeyEntries(stateDir, state), layerMap(state), outDir);
}

/**
 * Bring a lab instance up (or to the requested shape: idempotent). Fleet hosts are
 * reconciled to exactly `fleet`; requested full hosts are started, others keep running.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const name = opts.name ?? DEFAULT_INSTANCE;
  validateInstanceName(name);
  if (opts.fleet !== undefined && (!Number.isInteger(opts.fleet) || opts.fleet < 0 || opts.fleet > 5000)) throw new UsageError('lab: --hosts must be an integer from 0 to 5000');
  if (opts.maxSessions !== undefined && (!Number.isInteger(opts.maxSessions) || opts.maxSessions < 1)) throw new UsageError('lab: maxSessions must be a positive integer');
  const full = opts.full ?? [];
  for (const f of full) validateFullHostName(f.name);
  if (new Set(full.map((f) => f.name)).size !== full.length) throw new UsageError('lab: full host names must be unique');
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  assertLabPlatform();
  await ensurePackages(
    [
      ...PACKAGES.fleet,
      ...(full.length ? PACKAGES.full : []),
      ...(opts.acme ? PACKAGES.acme : []),
      ...(opts.dns ? PACKAGES.dns : []),
      ...(full.some((f) => f.behind !== undefined) ? PACKAGES.site : []),
    ],
    log,
  );
  const stateDir = stateDirOf(name, env);
  return withInstanceLock(stateDir, async () => {
    const existing = readState(stateDir);
    const state = await loadOrCreate(name, stateDir, env, opts.maxSessions);
    // not given: keep what runs (a second `lab up --full x` must not drop the fleet); a new
    // lab gets 3 fleet hosts, or none next to full hosts (fleet hosts share this machine's files)
    const fleetCount = opts.fleet ?? (existing ? existing.fleet.length : full.length > 0 ? 0 : 3);
    const net = netOf(state);
    const ctx: LabContext = { name, stateDir, net, state, log, env };
    writeState(stateDir, state);
    if (ipForwardEnabled()) {
      log('warning: net.ipv4.ip_forward is 1 on this machine; lab hosts get no default route so nothing is forwarded off the machine');
    }
    await ensureBridge(net);
    await assertRouteOverBridge(net);
    // every lab host on the machine (all instances) is a neighbour of the root namespace
    const otherLabHosts = listLinks('rb').filter((l) => /^rb\d+[hf]/.test(l)).length;
    ensureNeighbourCapacity(stateRoot(env), otherLabHosts + fleetCount + full.length, log);
    const key = await ensureClientKey(stateDir);
    const pub = readFileSync(`${key}.pub`, 'utf8');
    if (fleetCount > 0 || state.fleet.length > 0) {
      if (fleetCount > 0) await prepareFleetAccounts(stateDir, state.users, pub);
      const t = Date.now();
      try {
        await reconcileFleet(state, stateDir, net, fleetCount, env.RUNBOOK_LAB_VERBOSE ? log : undefined);
      } finally {
        writeState(stateDir, state);
      }
      if (fleetCount > 0) log(`fleet: ${fleetCount} hosts up in ${((Date.now() - t) / 1000).toFixed(2)}s`);
    }
    if (opts.dns) {
      await ensureDns(ctx);
      writeState(stateDir, state);
    }
    if (opts.acme || (opts.dns && state.acme)) {
      await ensureAcme(ctx);
      writeState(stateDir, state);
      // full hosts that started before the ACME server existed learn the lab CA now
      await ensureCaOnFullHosts(ctx);
    }
    if (full.length > 0) {
      try {
        await reconcileFull(ctx, full, pub);
      } finally {
        writeState(stateDir, state);
      }
    }
    if (state.acme) await registerAcmeNames(ctx);
    if (state.dns) await registerDnsNames(ctx, (h) => h.address);
    writeState(stateDir, state);
    writeLabClientFiles(stateDir, state);
    const info = infoOf(stateDir, state);
    // the route guard once more, with a real host address, before anyone talks to the hosts
    await assertRouteOverBridge(net, info.hosts[0]?.address);
    return info;
  });
}

/** Everything a lab instance left on the machine, found from its record and from the kernel. */
export async function labDown(opts: { name?: string; log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<{ removed: boolean }> {
  const name = opts.name ?? DEFAULT_INSTANCE;
  validateInstanceName(name);
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  assertLabPlatform();
  const stateDir = stateDirOf(name, env);
  if (!existsSync(stateDir)) {
    // nothing recorded; a bridge or namespaces by our name may still exist after a lost state dir
    const net = instanceNet(name, 0);
    if (!linkExists(net.bridge) && listNetns(net.netnsPrefix).length === 0) return { removed: false };
  }
  return withInstanceLock(stateDir, async () => {
    const state = readState(stateDir);
    const octet = state?.octet ?? (await bridgeOctet(name));
    const net = instanceNet(name, octet ?? 0);
    const existed = state !== undefined || linkExists(net.bridge) || listNetns(net.netnsPrefix).length > 0;
    if (state) {
      const ctx: LabContext = { name, stateDir, net, state, log, env };
      // ACME first: Pebble's VA must not try to reach hosts that are going away
      await stopAcme(ctx);
      await stopDns(ctx);
      await stopFleetProcesses(state.fleet);
      await removeFullHosts(ctx, state.full);
      await stopAptProxy(ctx);
      await endRelay(state);
    }
    // whatever is left in our namespaces (a crash between start and record) is ours
    const netns = listNetns(net.netnsPrefix);
    await killInNetns(netns);
    await removeInstanceCgroups(name);
    await unmountUnder(stateDir);
    await deleteNetns(netns, octet === undefined ? [] : [`rb${octet}h`, `rb${octet}f`]);
    await deleteBridge(net);
    if (listLinks('rbl-').length === 0) restoreNeighbourCapacity(stateRoot(env));
    if (state) {
      state.fleet = [];
      state.full = [];
      delete state.acme;
      delete state.dns;
      delete state.sites;
      delete state.proxy;
    }
    removeState(stateDir);
    // client files describe hosts that no longer exist
    for (const f of ['known_hosts', 'inventory.yml', 'ssh_config']) rmSync(join(stateDir, f), { force: true });
    log(`lab ${name}: down`);
    return { removed: existed };
  });
}

async function bridgeOctet(name: string): Promise<number | undefined> {
  const net = instanceNet(name, 0);
  if (!linkExists(net.bridge)) return undefined;
  const r = await run(['ip', '-4', '-o', 'addr', 'show', 'dev', net.bridge]);
  const m = /inet 10\.(\d+)\.0\.1\//.exec(r.stdout);
  return m ? Number(m[1]) : undefined;
}

export interface LabStatus {
  name: string;
  up: boolean;
  stateDir: string;
  info?: LabInfo;
  hosts: Array<LabHostInfo & { running: boolean; pid?: number; layer?: string }>;
  acme?: { pebblePid?: number; challtestsrvPid?: number; running: boolean; directoryUrl: string };
  proxyPid?: number;
}

export function labStatus(opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): LabStatus {
  const name = opts.name ?? DEFAULT_INSTANCE;
  validateInstanceName(name);
  const stateDir = stateDirOf(name, opts.env ?? process.env);
  const state = readState(stateDir);
  if (!state) return { name, up: false, stateDir, hosts: [] };
  const info = infoOf(stateDir, state);
  const hosts = [
    ...state.fleet.map((h) => ({ name: h.name, address: h.address, port: 22, kind: 'fleet' as const, running: fleetHostRunning(h), pid: h.sshd?.pid })),
    ...state.full.map((h) => ({
      name: h.name,
      address: h.address,
      port: 22,
      kind: 'full' as const,
      domain: `${h.name}.lab.test`,
      running: fullHostRunning(h),
      pid: h.init?.pid,
      layer: h.layer,
      release: hostRelease(h),
      init: h.initSystem ?? ('lab-init' as const),
    })),
  ];
  const status: LabStatus = { name, up: linkExists(state.bridge), stateDir, info, hosts };
  if (state.acme && info.acme) {
    status.acme = {
      pebblePid: state.acme.pebble?.pid,
      challtestsrvPid: state.acme.challtestsrv?.pid,
      running: isSameAlive(state.acme.pebble) && isSameAlive(state.acme.challtestsrv),
      directoryUrl: info.acme.directoryUrl,
    };
  }
  if (state.proxy && isSameAlive(state.proxy)) status.proxyPid = state.proxy.pid;
  return status;
}

/** Read a running instance's info (for tests and `lab inventory`). */
export function labInfo(opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): LabInfo {
  const name = opts.name ?? DEFAULT_INSTANCE;
  validateInstanceName(name);
  const stateDir = stateDirOf(name, opts.env ?? process.env);
  const state = readState(stateDir);
  if (!state) throw new EnvironmentError(`lab: instance '${name}' is not up (run 'runbook lab up${name === DEFAULT_INSTANCE ? '' : ` --name ${name}`}')`);
  return infoOf(stateDir, state);
}

export function labInventory(opts: { name?: string; outDir?: string; env?: NodeJS.ProcessEnv } = {}): { inventory: string; knownHosts: string; sshConfig: string; directoryUrl?: string } {
  const info = labInfo(opts);
  const state = readState(info.stateDir) as LabState;
  const files = writeLabClientFiles(info.stateDir, state, opts.outDir);
  return { ...files, directoryUrl: info.acme?.directoryUrl };
}

function requireState(lab: Pick<LabInfo, 'stateDir' | 'name'>): LabState {
  const state = readState(lab.stateDir);
  if (!state) throw new EnvironmentError(`lab: instance '${lab.name}' is not up`);
  return state;
}

function findHost(state: LabState, host: string): { kind: 'fleet'; h: LabState['fleet'][number] } | { kind: 'full'; h: FullHostState } {
  const f = state.fleet.find((x) => x.name === host || x.address === host);
  if (f) return { kind: 'fleet', h: f };
  const g = state.full.find((x) => x.name === host || x.address === host || `${x.name}.lab.test` === host);
  if (g) return { kind: 'full', h: g };
  throw new UsageError(`lab: no host '${host}' in lab '${state.name}'`);
}

export interface LabExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const HOST_ENV = ['env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb'];

/** Run argv as root inside a lab host (all its namespaces): for assertions and fault injection. */
export async function labExec(lab: Pick<LabInfo, 'stateDir' | 'name'>, host: string, argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<LabExecResult> {
  const state = requireState(lab);
  const found = findHost(state, host);
  let cmd: string[];
  if (found.kind === 'fleet') {
    const h = found.h;
    cmd = fleetHostRunning(h) && h.sshd
      ? ['nsenter', '--target', String(h.sshd.pid), '--net', '--mount', '--uts', '--', ...HOST_ENV, ...argv]
      : ['ip', 'netns', 'exec', h.netns, ...HOST_ENV, ...argv];
  } else {
    const h = found.h;
    if (!isSameAlive(h.init)) throw new EnvironmentError(`lab: full host ${h.name} is not running`);
    cmd = ['nsenter', '--target', String(h.init.pid), '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--', ...HOST_ENV, ...argv];
  }
  const r = await run(cmd, { input: options.input, timeoutMs: options.timeoutMs });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Simulate a host going down: every process of the host ends (connections are refused). */
export async function stopHost(lab: Pick<LabInfo, 'stateDir' | 'name'>, host: string): Promise<void> {
  const stateDir = lab.stateDir;
  await withInstanceLock(stateDir, async () => {
    const state = requireState(lab);
    const found = findHost(state, host);
    if (found.kind === 'fleet') await stopFleetProcesses([found.h]);
    else await stopFullHost(found.h);
    writeState(stateDir, state);
  });
}

/** Bring a host stopped by stopHost back (same address, same host key, same filesystem). */
export async function startHost(lab: Pick<LabInfo, 'stateDir' | 'name'>, host: string): Promise<void> {
  const stateDir = lab.stateDir;
  await withInstanceLock(stateDir, async () => {
    const state = requireState(lab);
    const found = findHost(state, host);
    const ctx: LabContext = { name: state.name, stateDir, net: netOf(state), state, log: () => undefined, env: process.env };
    await assertRouteOverBridge(ctx.net);
    if (found.kind === 'fleet') {
      if (!fleetHostRunning(found.h)) {
        await stopFleetProcesses([found.h]);
        await startFleetSshd(stateDir, found.h);
      }
    } else if (!fullHostRunning(found.h)) {
      await startFullHost(ctx, found.h);
    }
    writeState(stateDir, state);
  });
}

/** Unplug (or plug back) a host's network cable: packets are dropped, so clients time out. */
export async function setHostLink(lab: Pick<LabInfo, 'stateDir' | 'name'>, host: string, up: boolean): Promise<void> {
  const state = requireState(lab);
  const found = findHost(state, host);
  // a host behind a hub is plugged into its site's switch, in the site's namespace
  const site = found.kind === 'full' && found.h.behind ? siteOf({ state }, found.h.behind) : undefined;
  const r = await run(['ip', ...(site ? ['-n', site.netns] : []), 'link', 'set', found.h.veth, up ? 'up' : 'down']);
  if (r.code !== 0) throw new EnvironmentError(`lab: could not set ${found.h.veth} ${up ? 'up' : 'down'}: ${r.stderr.trim()}`);
}

export { assertRouteOverBridge } from './net.js';
export { checkSlowLink, slowLinkStats, startSlowLink, stopSlowLink } from './slow-link.js';
export type { LinkCheck, SlowLinkOptions, SlowLinkStats } from './slow-link.js';

/**
 * Claim an instance for this process (test runs): if another live process holds it (the same
 * test file running in another vitest), wait for it instead of tearing its lab down.
 */
export async function claimInstance(opts: { name: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; onWait?: (ownerPid: number) => void }): Promise<void> {
  validateInstanceName(opts.name);
  const stateDir = stateDirOf(opts.name, opts.env ?? process.env);
  const ownerFile = join(stateDir, 'owner.json');
  const me = procRef(process.pid);
  const end = Date.now() + (opts.timeoutMs ?? 600_000);
  let told = false;
  for (;;) {
    const holder = await withInstanceLock(stateDir, () => {
      let owner: ProcRef | undefined;
      try {
        owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as ProcRef;
      } catch {
        owner = undefined;
      }
      if (owner && owner.pid !== process.pid && isSameAlive(owner)) return Promise.resolve(owner);
      writeFileSync(ownerFile, JSON.stringify(me));
      return Promise.resolve(undefined);
    });
    if (!holder) return;
    if (!told) {
      opts.onWait?.(holder.pid);
      told = true;
    }
    if (Date.now() > end) {
      throw new EnvironmentError(`lab: instance '${opts.name}' is in use by PID ${holder.pid} (another test run); give this run another instance name or wait for it`);
    }
    await sleep(500);
  }
}

/** Give up a claim made by claimInstance (only this process's own claim). */
export function releaseInstance(opts: { name: string; env?: NodeJS.ProcessEnv }): void {
  const ownerFile = join(stateDirOf(opts.name, opts.env ?? process.env), 'owner.json');
  try {
    const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as ProcRef;
    if (owner.pid === process.pid) rmSync(ownerFile, { force: true });
  } catch {
    // no claim
  }
}
