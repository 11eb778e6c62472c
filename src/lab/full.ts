// Full hosts: Debian 12 or 13 with a filesystem of their own. Each is an overlay root over
// the cached image of its release (and optionally a cached package layer), its own network,
// mount, pid, UTS and IPC namespaces, and as PID 1 either a tiny init (lab-init) that runs
// sshd, or Debian's systemd in a cgroup namespace of its own (as systemd-nspawn runs it).
// apt works through the lab's apt proxy on the bridge.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, UsageError } from '../util/errors.js';
import type { FullHostRequest, InitSystem, LabContext } from './context.js';
import type { FullHostState, LabState } from './state.js';
import type { ProcRef } from './procs.js';
import { childrenOf, isAlive, isSameAlive, procRef, terminate } from './procs.js';
import { mapLimit, run, runOk, sleep, tail, waitFor } from './exec.js';
import { cacheRoot, fullAddress, fullVeth } from './instance.js';
import type { InstanceNet } from './instance.js';
import { assertRouteOverBridge, createNetns, deleteNetns } from './net.js';
import { LAB_INIT, READY_FILE, READY_UNIT, bootScript } from './boot.js';
import type { BootSpec } from './boot.js';
import { DEFAULT_RELEASE, ensureImage, isLayerName, isRelease, layerDir, LAYERS, markUsed, pruneCache } from './image.js';
import type { ImageSpec, LayerName, Release } from './image.js';
import { killInNetns, shq } from './fleet.js';
import { removeTree } from './mounts.js';
import { withFileLock } from './state.js';
import { createSiteNodeNetns, ensureSite, siteNodeAddress } from './site.js';
import { NOPASSWD_USER, PASSWD_USER, hashPassword } from './users.js';
import { caForHosts, CA_ON_HOST } from './acme.js';

export const APT_PROXY_PORT = 3142;
const BUILDER_SLOT = 9;

export function fullHostDir(stateDir: string, name: string): string {
  return join(stateDir, 'full', name);
}

export function fullHostRunning(h: FullHostState): boolean {
  return isSameAlive(h.init);
}

function hostsFile(name: string, address: string, gateway: string): string {
  return `127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
${address} ${name}.lab.test ${name}
${gateway} acme.lab.test lab-gateway
`;
}

async function ensureHostKey(dir: string, name: string): Promise<string> {
  const key = join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(key) || !existsSync(`${key}.pub`)) {
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', key], `creating host key of ${name}`);
  }
  return key;
}

/** The AllStarLink zone as a host's firewalld finds it at first boot (see image.ts). */
export function allstarlinkZone(httpAllowed: boolean): string {
  const services = ['ssh', ...(httpAllowed ? ['http', 'https'] : []), 'iax2'];
  return `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>AllStarLink</short>
  <description>AllStarLink node: SSH, the Allmon3 web pages and IAX2 links (runbook lab)</description>
${services.map((x) => `  <service name="${x}"/>`).join('\n')}
  <interface name="eth0"/>
</zone>
`;
}

/** A host's own machine id (systemd and dbus want one per host), kept like its host key. */
function ensureMachineId(dir: string): string {
  const file = join(dir, 'machine-id');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(16).toString('hex')}\n`);
  return file;
}

export interface BootOptions {
  init: InitSystem;
  /** firewalld layer: the zone written at first boot */
  httpAllowed?: boolean;
}

/** Files every boot installs: identity, name resolution, apt through the lab proxy. */
async function bootFiles(dir: string, name: string, address: string, gateway: string, clientPub?: string, opts: BootOptions = { init: 'lab-init' }): Promise<BootSpec['files']> {
  const f = join(dir, 'files');
  mkdirSync(f, { recursive: true });
  const key = await ensureHostKey(dir, name);
  writeFileSync(join(f, 'hostname'), `${name}\n`);
  writeFileSync(join(f, 'lab-init'), LAB_INIT);
  writeFileSync(join(f, 'hosts'), hostsFile(name, address, gateway));
  writeFileSync(join(f, 'apt-proxy.conf'), `Acquire::http::Proxy "http://${gateway}:${APT_PROXY_PORT}";\nAcquire::https::Proxy "DIRECT";\nAcquire::http::Pipeline-Depth "0";\n`);
  const files: Array<BootSpec['files'][number]> = [
    { src: join(f, 'lab-init'), dest: '/sbin/lab-init', mode: '755' },
    { src: join(f, 'hostname'), dest: '/etc/hostname', mode: '644' },
    { src: join(f, 'hosts'), dest: '/etc/hosts', mode: '644' },
    { src: key, dest: '/etc/ssh/ssh_host_ed25519_key', mode: '600' },
    { src: `${key}.pub`, dest: '/etc/ssh/ssh_host_ed25519_key.pub', mode: '644' },
    { src: join(f, 'apt-proxy.conf'), dest: '/etc/apt/apt.conf.d/01runbook-lab-proxy', mode: '644' },
    { src: ensureMachineId(dir), dest: '/etc/machine-id', mode: '444' },
  ];
  if (opts.init === 'systemd') {
    writeFileSync(join(f, 'runbook-lab-ready.service'), READY_UNIT);
    files.push({ src: join(f, 'runbook-lab-ready.service'), dest: '/etc/systemd/system/runbook-lab-ready.service', mode: '644' });
  }
  if (opts.httpAllowed !== undefined) {
    writeFileSync(join(f, 'allstarlink.xml'), allstarlinkZone(opts.httpAllowed));
    files.push({ src: join(f, 'allstarlink.xml'), dest: '/etc/firewalld/zones/allstarlink.xml', mode: '644', firstBoot: true });
  }
  if (clientPub !== undefined) {
    writeFileSync(join(f, 'authorized_keys'), clientPub);
    for (const u of [NOPASSWD_USER, PASSWD_USER]) files.push({ src: join(f, 'authorized_keys'), dest: `/home/${u}/.ssh/authorized_keys`, mode: '600' });
  }
  return files;
}

interface Booted {
  unshare: ProcRef;
  init: ProcRef;
}

/** Where cgroup v2 is mounted on this machine (pure v2, or the `unified` part of a hybrid setup). */
export function cgroup2Root(): string | undefined {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs')) return '/sys/fs/cgroup/unified';
  return undefined;
}

/**
 * The cgroup a systemd host lives in: one per instance and host, under runbook-lab/, named
 * INSTANCE.HOST ('.' is in neither name, so no two instances' hosts can share one).
 */
export function hostCgroup(instance: string, host: string): string {
  const root = cgroup2Root();
  if (!root) {
    throw new EnvironmentError(
      'lab: systemd as PID 1 needs cgroup v2 (systemd 256 and later refuse cgroup v1), and this machine has no cgroup2 mount ' +
        '(/sys/fs/cgroup or /sys/fs/cgroup/unified); boot the host with init lab-init instead',
    );
  }
  return join(root, 'runbook-lab', `${instance}.${host}`);
}

/** Cgroups of an instance's systemd hosts left by a crash that lost the state record. */
export async function removeInstanceCgroups(instance: string): Promise<void> {
  const root = cgroup2Root();
  const parent = root === undefined ? undefined : join(root, 'runbook-lab');
  if (!parent || !existsSync(parent)) return;
  for (const e of readdirSync(parent, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith(`${instance}.`)) await removeCgroup(join(parent, e.name));
  }
}

/** End whatever is left in a host's cgroup and remove it (children first, as the kernel requires). */
async function removeCgroup(cgroup: string | undefined): Promise<void> {
  if (!cgroup || !existsSync(cgroup)) return;
  try {
    writeFileSync(join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // kernels before 5.14 have no cgroup.kill: the pid namespace's end killed everything anyway
  }
  const dirs: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    dirs.push(d);
  };
  for (let i = 0; i < 50; i++) {
    dirs.length = 0;
    try {
      walk(cgroup);
      for (const d of dirs) rmdirSync(d);
      try {
        // the shared runbook-lab/ parent, once no host of any instance is left in it
        rmdirSync(dirname(cgroup));
      } catch {
        // other hosts still there
      }
      return;
    } catch {
      // processes still exiting (EBUSY): wait for them
      await sleep(100);
    }
  }
  throw new EnvironmentError(`lab: could not remove cgroup ${cgroup} (processes still in it)`);
}

/** Start PID 1 of a host whose netns exists; resolves once sshd runs inside. */
async function boot(netns: string, dir: string, spec: BootSpec, cgroup?: string): Promise<Booted> {
  mkdirSync(spec.upper, { recursive: true });
  mkdirSync(spec.work, { recursive: true });
  mkdirSync(spec.root, { recursive: true });
  const consolePath = join(dir, 'console.log');
  const out = openSync(consolePath, 'w');
  const unshareArgv = ['ip', 'netns', 'exec', netns, 'unshare', ...(cgroup ? ['--cgroup'] : []), '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--propagation', 'private', '--', '/bin/sh', '-c', bootScript(spec)];
  // systemd: enter the host's own cgroup first (before `ip netns exec` remounts /sys), so the
  // cgroup namespace unshare makes is rooted there and systemd manages only that subtree
  if (cgroup) await removeCgroup(cgroup);
  const argv = cgroup
    ? ['/bin/sh', '-c', `mkdir -p ${shq(cgroup)} && echo $$ > ${shq(join(cgroup, 'cgroup.procs'))} && exec "$@"`, 'lab-boot', ...unshareArgv]
    : unshareArgv;
  const [cmd, ...args] = argv;
  const child = spawn(cmd as string, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  const first = pid === undefined ? undefined : procRef(pid);
  if (!first || pid === undefined) throw new EnvironmentError(`lab: could not start full host ${spec.name}`);
  const console = (): string => {
    try {
      return readFileSync(consolePath, 'utf8');
    } catch {
      return '';
    }
  };
  // the shell execs ip, which execs unshare: one PID and start time throughout
  const unshare = first;
  const ready = (): boolean => {
    const init = childrenOf(pid)[0];
    return init !== undefined && existsSync(`/proc/${init}/root${READY_FILE}`);
  };
  const timeoutMs = spec.init === 'systemd' ? 60_000 : 30_000;
  const up = await waitFor(() => ready() || !isSameAlive(unshare), timeoutMs, 20);
  if (!up || !ready()) {
    await terminate([unshare.pid]);
    await removeCgroup(cgroup);
    throw new EnvironmentError(`lab: full host ${spec.name} did not boot${up ? '' : ` within ${timeoutMs / 1000}s`}:\n${tail(console()) || '(no output)'}`);
  }
  const initPid = childrenOf(unshare.pid)[0];
  const init = initPid === undefined ? undefined : procRef(initPid);
  if (!init) throw new EnvironmentError(`lab: full host ${spec.name} booted but its PID 1 is gone:\n${tail(console())}`);
  return { unshare, init };
}

/** SIGRTMIN+4: systemd's "power off" (in a container it then exits); SIGTERM would re-exec it. */
const SYSTEMD_POWEROFF = 38;

/**
 * Stop a host: lab-init ends everything on TERM; systemd powers off (units stop, as on a
 * node). Then make sure nothing is left.
 */
export async function stopFullHost(h: FullHostState): Promise<void> {
  if (h.initSystem === 'systemd' && isSameAlive(h.init)) {
    try {
      process.kill(h.init.pid, SYSTEMD_POWEROFF);
    } catch {
      // gone meanwhile
    }
    const pid = h.init.pid;
    await waitFor(() => !isAlive(pid), 10_000, 50);
  }
  if (isSameAlive(h.init)) await terminate([h.init.pid], 3000);
  // --kill-child: if unshare dies first the kernel SIGKILLs the pid namespace's init
  if (isSameAlive(h.unshare)) await terminate([h.unshare.pid], 1000);
  await killInNetns([h.netns]);
  await removeCgroup(h.cgroup);
  delete h.init;
  delete h.unshare;
}

function freeSlot(state: LabState): number {
  const used = new Set(state.full.map((h) => h.slot));
  for (let s = 10; s <= 250; s++) if (!used.has(s)) return s;
  throw new EnvironmentError('lab: at most 241 full hosts per lab instance');
}

async function lowerFor(ctx: LabContext, image: ImageSpec, layer: string): Promise<string> {
  if (layer === 'base') return image.dir;
  if (!isLayerName(layer)) throw new EnvironmentError(`lab: unknown layer '${layer}' (known: base, ${Object.keys(LAYERS).join(', ')})`);
  const dir = await ensureLayer(ctx, image, layer);
  markUsed(join(dir, '.runbook-lab-layer'));
  return `${dir}:${image.dir}`;
}

export function hostRelease(h: Pick<FullHostState, 'release'>): Release {
  return h.release !== undefined && isRelease(h.release) ? h.release : DEFAULT_RELEASE;
}

export async function startFullHost(ctx: LabContext, h: FullHostState, clientPub?: string): Promise<void> {
  const dir = fullHostDir(ctx.stateDir, h.name);
  const pub = clientPub ?? readFileSync(join(ctx.stateDir, 'keys', 'id_ed25519.pub'), 'utf8');
  const opsHash = await hashPassword(ctx.state.users.ops.password);
  if (!existsSync(`/run/netns/${h.netns}`)) await createHostNetns(ctx, [h]);
  await assertRouteOverBridge(ctx.net, h.address);
  const init = h.initSystem ?? 'lab-init';
  const files = await bootFiles(dir, h.name, h.address, ctx.net.gateway, pub, { init, httpAllowed: h.httpAllowed });
  h.cgroup = init === 'systemd' ? hostCgroup(ctx.name, h.name) : undefined;
  const booted = await boot(h.netns, dir, {
    name: h.name,
    init,
    lower: h.lower,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    files,
    opsShadowLine: `${PASSWD_USER}:${opsHash}`,
    keyUsers: [NOPASSWD_USER, PASSWD_USER],
    ca: caForHosts(ctx.stateDir),
  }, h.cgroup);
  h.unshare = booted.unshare;
  h.init = booted.init;
}

/** Network namespaces for hosts: on the lab bridge, or on their hub's site network. */
async function createHostNetns(ctx: LabContext, hosts: readonly FullHostState[]): Promise<void> {
  await createNetns(
    ctx.net,
    hosts.filter((h) => !h.behind),
  );
  for (const h of hosts) {
    if (!h.behind) continue;
    const hub = ctx.state.full.find((x) => x.name === h.behind);
    if (!hub) throw new EnvironmentError(`lab: ${h.name} is behind ${h.behind}, which is not a full host of this lab`);
    const site = await ensureSite(ctx, hub);
    await createSiteNodeNetns(ctx, site, h);
  }
}

/** Start the requested full hosts (fresh root on first start); others keep running. */
export async function reconcileFull(ctx: LabContext, requests: readonly FullHostRequest[], clientPub: string): Promise<void> {
  for (const r of requests) {
    if (r.behind === undefined) continue;
    if (r.behind === r.name) throw new UsageError(`lab: ${r.name} cannot be behind itself`);
    const hub = requests.find((x) => x.name === r.behind) ?? ctx.state.full.find((x) => x.name === r.behind);
    if (!hub) throw new UsageError(`lab: ${r.name} is behind '${r.behind}', which is neither requested nor running as a full host`);
    if (hub.behind !== undefined) throw new UsageError(`lab: ${r.name} is behind '${r.behind}', which is itself behind '${hub.behind}' (one hop only)`);
  }
  await ensureAptProxy(ctx);
  const images = new Map<Release, ImageSpec>();
  for (const release of new Set(requests.map((r) => r.release ?? DEFAULT_RELEASE))) images.set(release, await ensureImage(release, ctx.log, ctx.env));
  const toStart: FullHostState[] = [];
  // hubs before the hosts behind them: a site needs its hub's namespace
  const ordered = [...requests.filter((r) => r.behind === undefined), ...requests.filter((r) => r.behind !== undefined)];
  for (const r of ordered) {
    const layer = r.layer ?? 'base';
    const release = r.release ?? DEFAULT_RELEASE;
    const image = images.get(release) as ImageSpec;
    const lower = await lowerFor(ctx, image, layer);
    const initSystem: InitSystem = r.init ?? (layer === 'firewalld' ? 'systemd' : 'lab-init');
    const httpAllowed = layer === 'firewalld' ? (r.httpAllowed ?? true) : undefined;
    let h = ctx.state.full.find((x) => x.name === r.name);
    if (h && (h.layer !== layer || h.lower !== lower || hostRelease(h) !== release || h.httpAllowed !== httpAllowed || h.behind !== r.behind)) {
      // another layer, release or network (or a rebuilt image) means another host: start over
      await removeFullHosts(ctx, [h]);
      ctx.state.full = ctx.state.full.filter((x) => x !== h);
      h = undefined;
    }
    if (!h) {
      const slot = freeSlot(ctx.state);
      h = { name: r.name, slot, address: fullAddress(ctx.net.octet, slot), netns: `${ctx.net.netnsPrefix}f-${r.name}`, veth: fullVeth(ctx.net.octet, slot), layer, lower, release, initSystem, httpAllowed };
      if (r.behind !== undefined) {
        const hubState = ctx.state.full.find((x) => x.name === r.behind) as FullHostState;
        // the hub's namespace first (its site leg lives there)
        if (!existsSync(`/run/netns/${hubState.netns}`)) await createHostNetns(ctx, [hubState]);
        const site = await ensureSite(ctx, hubState);
        h.behind = r.behind;
        h.address = siteNodeAddress(ctx, site, slot);
        // the site switch's port for this host (inside the site namespace, not the machine's)
        h.veth = `n${slot}`;
      }
      await removeTree(join(fullHostDir(ctx.stateDir, h.name), 'upper'));
      await removeTree(join(fullHostDir(ctx.stateDir, h.name), 'work'));
      ctx.state.full.push(h);
    }
    if ((h.initSystem ?? 'lab-init') !== initSystem) {
      // same filesystem, another PID 1: a restart
      if (fullHostRunning(h)) await stopFullHost(h);
      h.initSystem = initSystem;
    }
    if (!fullHostRunning(h)) toStart.push(h);
  }
  await createHostNetns(
    ctx,
    toStart.filter((h) => !existsSync(`/run/netns/${h.netns}`)),
  );
  // a hub restarted in a new namespace lost its site leg and NAT: set them up again
  for (const hubName of new Set(ctx.state.full.map((h) => h.behind).filter((x): x is string => x !== undefined))) {
    const hub = ctx.state.full.find((x) => x.name === hubName);
    if (hub && existsSync(`/run/netns/${hub.netns}`)) await ensureSite(ctx, hub);
  }
  const t = Date.now();
  await mapLimit(toStart, 4, async (h) => {
    await stopFullHost(h);
    await startFullHost(ctx, h, clientPub);
  });
  if (toStart.length > 0) ctx.log(`full hosts ${toStart.map((h) => h.name).join(', ')} up in ${((Date.now() - t) / 1000).toFixed(2)}s`);
}

/** Stop hosts, delete their namespaces and their root filesystems (host keys are kept). */
export async function removeFullHosts(ctx: LabContext, hosts: readonly FullHostState[]): Promise<void> {
  for (const h of hosts) await stopFullHost(h);
  await deleteNetns(
    hosts.map((h) => h.netns),
    [],
  );
  for (const h of hosts) {
    const dir = fullHostDir(ctx.stateDir, h.name);
    await removeTree(join(dir, 'root'));
    await removeTree(join(dir, 'upper'));
    await removeTree(join(dir, 'work'));
  }
}

// ---- apt proxy -------------------------------------------------------------------------

function proxyCommand(): string[] {
  const js = fileURLToPath(new URL('./apt-proxy-main.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  // running from the TypeScript sources (tests, tsx): load them through tsx
  const ts = fileURLToPath(new URL('./apt-proxy-main.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return [process.execPath, '--import', `file://${tsx}`, ts];
}

export async function ensureAptProxy(ctx: LabContext): Promise<void> {
  if (isSameAlive(ctx.state.proxy)) return;
  const cache = join(cacheRoot(ctx.env), 'apt');
  mkdirSync(cache, { recursive: true });
  const logPath = join(ctx.stateDir, 'apt-proxy.log');
  const out = openSync(logPath, 'w');
  const [cmd, ...args] = proxyCommand();
  const child = spawn(cmd as string, [...args, ctx.net.gateway, String(APT_PROXY_PORT), cache], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new EnvironmentError('lab: could not start the apt proxy');
  ctx.state.proxy = ref;
  const log = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const ok = await waitFor(() => log().includes('listening') || !isSameAlive(ref), 15_000, 20);
  if (!ok || !log().includes('listening')) {
    await terminate([ref.pid]);
    delete ctx.state.proxy;
    throw new EnvironmentError(`lab: the apt proxy did not start:\n${tail(log())}`);
  }
}

export async function stopAptProxy(ctx: LabContext): Promise<void> {
  if (isSameAlive(ctx.state.proxy)) await terminate([ctx.state.proxy.pid]);
  delete ctx.state.proxy;
}

// ---- package layers --------------------------------------------------------------------

const HOST_ENV = ['env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb', 'DEBIAN_FRONTEND=noninteractive'];

/**
 * A layer is the upper dir of a builder host that installed the layer's packages over the
 * image. Built once per key, in a builder that boots in the requesting instance's network
 * (it needs the apt proxy), then moved into the cache. Per-host files are removed from it.
 */
export async function ensureLayer(ctx: LabContext, image: ImageSpec, layer: LayerName): Promise<string> {
  const dir = layerDir(image, layer, ctx.env);
  if (existsSync(join(dir, '.runbook-lab-layer'))) return dir;
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  await withFileLock(join(cacheRoot(ctx.env), 'locks', `layer-${basename(dir)}`), `layer build ${layer}`, async () => {
    if (existsSync(join(dir, '.runbook-lab-layer'))) return;
    await ensureAptProxy(ctx);
    const t = Date.now();
    const spec = LAYERS[layer];
    ctx.log(`building the '${layer}' layer for Debian ${image.release} (${spec.packages.join(' ')}; once, cached in ${dir})`);
    const build = `${dir}.build-${process.pid}`;
    // builds interrupted earlier (their builder processes died with them): start over
    for (const d of readdirSync(dirname(dir))) if (d.startsWith(`${basename(dir)}.build-`)) await removeTree(join(dirname(dir), d));
    mkdirSync(build, { recursive: true });
    const name = `build-${layer}-${image.release}`;
    const b: FullHostState = {
      name,
      slot: BUILDER_SLOT,
      address: fullAddress(ctx.net.octet, BUILDER_SLOT),
      netns: `${ctx.net.netnsPrefix}b-${layer}-${image.release}`,
      veth: fullVeth(ctx.net.octet, BUILDER_SLOT),
      layer: 'base',
      lower: image.dir,
    };
    try {
      await deleteNetns([b.netns], []);
      await createNetns(ctx.net, [b]);
      await assertRouteOverBridge(ctx.net, b.address);
      const files = await bootFiles(build, name, b.address, ctx.net.gateway);
      const booted = await boot(b.netns, build, { name, lower: image.dir, upper: join(build, 'upper'), work: join(build, 'work'), root: join(build, 'root'), files, keyUsers: [] });
      b.init = booted.init;
      b.unshare = booted.unshare;
      const script = `set -e
apt-get update -q
apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade
apt-get install -y -q --no-install-recommends ${spec.packages.join(' ')}
${spec.setup}
apt-get clean
rm -rf /var/lib/apt/lists/*_Packages* /var/log/*.log /var/log/apt/* /root/.bash_history`;
      const r = await run(['nsenter', '--target', String(booted.init.pid), '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--', ...HOST_ENV, '/bin/sh', '-c', script]);
      writeFileSync(join(build, 'install.log'), `${r.stdout}\n${r.stderr}`);
      if (r.code !== 0) throw new EnvironmentError(`lab: installing ${spec.packages.join(' ')} in the layer builder failed:\n${tail(r.stderr || r.stdout)}`);
      await stopFullHost(b);
      const upper = join(build, 'upper');
      // per-host files are written at every boot: they must not shadow anything in the layer
      for (const p of ['sbin/lab-init', 'etc/hostname', 'etc/hosts', 'etc/machine-id', 'etc/ssh/ssh_host_ed25519_key', 'etc/ssh/ssh_host_ed25519_key.pub', 'etc/apt/apt.conf.d/01runbook-lab-proxy', 'var/log/sshd.log']) {
        rmSync(join(upper, p), { force: true });
      }
      const logs = join(upper, 'var', 'log');
      if (existsSync(logs)) for (const f of readdirSync(logs)) if (f.startsWith('lab-init-')) rmSync(join(logs, f), { force: true });
      writeFileSync(join(upper, '.runbook-lab-layer'), `${JSON.stringify({ layer, packages: spec.packages, image: image.key, release: image.release, built: new Date().toISOString() })}\n`);
      renameSync(upper, dir);
      ctx.log(`layer '${layer}' built in ${((Date.now() - t) / 1000).toFixed(1)}s`);
      for (const p of await pruneCache(ctx.env)) ctx.log(`removed stale cache entry ${p}`);
    } finally {
      await stopFullHost(b);
      await deleteNetns([b.netns], []);
      await removeTree(build);
    }
  });
  return dir;
}

/** Install the lab CA into running full hosts that started before the ACME server. */
export async function ensureCaOnFullHosts(ctx: LabContext): Promise<void> {
  const ca = caForHosts(ctx.stateDir);
  if (!ca) return;
  for (const h of ctx.state.full) {
    if (!fullHostRunning(h) || !h.init) continue;
    if (existsSync(`/proc/${h.init.pid}/root${CA_ON_HOST}`)) continue;
    const pem = readFileSync(ca.pem, 'utf8');
    const script = `set -e
mkdir -p /usr/local/share/ca-certificates
cat > ${CA_ON_HOST}
cat ${CA_ON_HOST} >> /etc/ssl/certs/ca-certificates.crt
ln -sfn ${CA_ON_HOST} /etc/ssl/certs/runbook-lab-ca.pem
ln -sfn runbook-lab-ca.pem /etc/ssl/certs/${ca.hash}.0`;
    await runOk(['nsenter', '--target', String(h.init.pid), '--mount', '--root', '--wd', '--', ...HOST_ENV, '/bin/sh', '-c', script], `installing the lab CA on ${h.name}`, { input: pem });
  }
}

export type { InstanceNet };
