// Full hosts: Debian 12 with a filesystem of their own. Each is an overlay root over the
// cached image (and optionally a cached package layer), its own network, mount, pid, UTS and
// IPC namespaces, and a tiny PID 1 (lab-init) that runs sshd. apt works through the lab's
// apt proxy on the bridge.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../util/errors.js';
import type { FullHostRequest, LabContext } from './index.js';
import type { FullHostState, LabState } from './state.js';
import type { ProcRef } from './procs.js';
import { childrenOf, isSameAlive, procRef, terminate } from './procs.js';
import { mapLimit, run, runOk, tail, waitFor } from './exec.js';
import { cacheRoot, fullAddress, fullVeth } from './instance.js';
import type { InstanceNet } from './instance.js';
import { assertRouteOverBridge, createNetns, deleteNetns } from './net.js';
import { LAB_INIT, bootScript } from './boot.js';
import type { BootSpec } from './boot.js';
import { ensureImage, isLayerName, layerDir, LAYERS, pruneCache } from './image.js';
import type { ImageSpec, LayerName } from './image.js';
import { killInNetns } from './fleet.js';
import { removeTree } from './mounts.js';
import { withFileLock } from './state.js';
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

/** Files every boot installs: identity, name resolution, apt through the lab proxy. */
async function bootFiles(dir: string, name: string, address: string, gateway: string, clientPub?: string): Promise<BootSpec['files']> {
  const f = join(dir, 'files');
  mkdirSync(f, { recursive: true });
  const key = await ensureHostKey(dir, name);
  writeFileSync(join(f, 'hostname'), `${name}\n`);
  writeFileSync(join(f, 'lab-init'), LAB_INIT);
  writeFileSync(join(f, 'hosts'), hostsFile(name, address, gateway));
  writeFileSync(join(f, 'apt-proxy.conf'), `Acquire::http::Proxy "http://${gateway}:${APT_PROXY_PORT}";\nAcquire::https::Proxy "DIRECT";\nAcquire::http::Pipeline-Depth "0";\n`);
  const files: Array<{ src: string; dest: string; mode: string }> = [
    { src: join(f, 'lab-init'), dest: '/sbin/lab-init', mode: '755' },
    { src: join(f, 'hostname'), dest: '/etc/hostname', mode: '644' },
    { src: join(f, 'hosts'), dest: '/etc/hosts', mode: '644' },
    { src: key, dest: '/etc/ssh/ssh_host_ed25519_key', mode: '600' },
    { src: `${key}.pub`, dest: '/etc/ssh/ssh_host_ed25519_key.pub', mode: '644' },
    { src: join(f, 'apt-proxy.conf'), dest: '/etc/apt/apt.conf.d/01runbook-lab-proxy', mode: '644' },
  ];
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

/** Start PID 1 of a host whose netns exists; resolves once sshd runs inside. */
async function boot(netns: string, dir: string, spec: BootSpec): Promise<Booted> {
  mkdirSync(spec.upper, { recursive: true });
  mkdirSync(spec.work, { recursive: true });
  mkdirSync(spec.root, { recursive: true });
  const consolePath = join(dir, 'console.log');
  const out = openSync(consolePath, 'w');
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, 'unshare', '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--propagation', 'private', '--', '/bin/sh', '-c', bootScript(spec)],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  const pid = child.pid;
  const unshare = pid === undefined ? undefined : procRef(pid);
  if (!unshare) throw new EnvironmentError(`lab: could not start full host ${spec.name}`);
  const console = (): string => {
    try {
      return readFileSync(consolePath, 'utf8');
    } catch {
      return '';
    }
  };
  const up = await waitFor(() => console().includes('lab-init: up') || !isSameAlive(unshare), 30_000, 20);
  if (!up || !console().includes('lab-init: up')) {
    await terminate([unshare.pid]);
    throw new EnvironmentError(`lab: full host ${spec.name} did not boot:\n${tail(console()) || '(no output)'}`);
  }
  const initPid = childrenOf(unshare.pid)[0];
  const init = initPid === undefined ? undefined : procRef(initPid);
  if (!init) throw new EnvironmentError(`lab: full host ${spec.name} booted but its PID 1 is gone:\n${tail(console())}`);
  return { unshare, init };
}

/** Stop a host: TERM its PID 1 (lab-init ends everything), then make sure nothing is left. */
export async function stopFullHost(h: FullHostState): Promise<void> {
  if (isSameAlive(h.init)) await terminate([h.init.pid], 3000);
  // --kill-child: if unshare dies first the kernel SIGKILLs the pid namespace's init
  if (isSameAlive(h.unshare)) await terminate([h.unshare.pid], 1000);
  await killInNetns([h.netns]);
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
  return `${dir}:${image.dir}`;
}

export async function startFullHost(ctx: LabContext, h: FullHostState, clientPub?: string): Promise<void> {
  const dir = fullHostDir(ctx.stateDir, h.name);
  const pub = clientPub ?? readFileSync(join(ctx.stateDir, 'keys', 'id_ed25519.pub'), 'utf8');
  const files = await bootFiles(dir, h.name, h.address, ctx.net.gateway, pub);
  const opsHash = await hashPassword(ctx.state.users.ops.password);
  if (!existsSync(`/run/netns/${h.netns}`)) await createNetns(ctx.net, [h]);
  await assertRouteOverBridge(ctx.net, h.address);
  const booted = await boot(h.netns, dir, {
    name: h.name,
    lower: h.lower,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    files,
    opsShadowLine: `${PASSWD_USER}:${opsHash}`,
    keyUsers: [NOPASSWD_USER, PASSWD_USER],
    ca: caForHosts(ctx.stateDir),
  });
  h.unshare = booted.unshare;
  h.init = booted.init;
}

/** Start the requested full hosts (fresh root on first start); others keep running. */
export async function reconcileFull(ctx: LabContext, requests: readonly FullHostRequest[], clientPub: string): Promise<void> {
  const image = await ensureImage(ctx.log, ctx.env);
  await ensureAptProxy(ctx);
  const toStart: FullHostState[] = [];
  for (const r of requests) {
    const layer = r.layer ?? 'base';
    const lower = await lowerFor(ctx, image, layer);
    let h = ctx.state.full.find((x) => x.name === r.name);
    if (h && (h.layer !== layer || h.lower !== lower)) {
      // another layer (or a rebuilt image) means another filesystem: start over
      await removeFullHosts(ctx, [h]);
      ctx.state.full = ctx.state.full.filter((x) => x !== h);
      h = undefined;
    }
    if (!h) {
      const slot = freeSlot(ctx.state);
      h = { name: r.name, slot, address: fullAddress(ctx.net.octet, slot), netns: `${ctx.net.netnsPrefix}f-${r.name}`, veth: fullVeth(ctx.net.octet, slot), layer, lower };
      await removeTree(join(fullHostDir(ctx.stateDir, h.name), 'upper'));
      await removeTree(join(fullHostDir(ctx.stateDir, h.name), 'work'));
      ctx.state.full.push(h);
    }
    if (!fullHostRunning(h)) toStart.push(h);
  }
  await createNetns(
    ctx.net,
    toStart.filter((h) => !existsSync(`/run/netns/${h.netns}`)),
  );
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
    ctx.log(`building the '${layer}' layer (${LAYERS[layer].join(' ')}; once, cached in ${dir})`);
    const build = `${dir}.build-${process.pid}`;
    // builds interrupted earlier (their builder processes died with them): start over
    for (const d of readdirSync(dirname(dir))) if (d.startsWith(`${basename(dir)}.build-`)) await removeTree(join(dirname(dir), d));
    mkdirSync(build, { recursive: true });
    const name = `build-${layer}`;
    const b: FullHostState = {
      name,
      slot: BUILDER_SLOT,
      address: fullAddress(ctx.net.octet, BUILDER_SLOT),
      netns: `${ctx.net.netnsPrefix}b-${layer}`,
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
apt-get install -y -q --no-install-recommends ${LAYERS[layer].join(' ')}
apt-get clean
rm -rf /var/lib/apt/lists/*_Packages* /var/log/*.log /var/log/apt/* /root/.bash_history`;
      const r = await run(['nsenter', '--target', String(booted.init.pid), '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--', ...HOST_ENV, '/bin/sh', '-c', script]);
      writeFileSync(join(build, 'install.log'), `${r.stdout}\n${r.stderr}`);
      if (r.code !== 0) throw new EnvironmentError(`lab: installing ${LAYERS[layer].join(' ')} in the layer builder failed:\n${tail(r.stderr || r.stdout)}`);
      await stopFullHost(b);
      const upper = join(build, 'upper');
      // per-host files are written at every boot: they must not shadow anything in the layer
      for (const p of ['sbin/lab-init', 'etc/hostname', 'etc/hosts', 'etc/ssh/ssh_host_ed25519_key', 'etc/ssh/ssh_host_ed25519_key.pub', 'etc/apt/apt.conf.d/01runbook-lab-proxy', 'var/log/sshd.log']) {
        rmSync(join(upper, p), { force: true });
      }
      const logs = join(upper, 'var', 'log');
      if (existsSync(logs)) for (const f of readdirSync(logs)) if (f.startsWith('lab-init-')) rmSync(join(logs, f), { force: true });
      writeFileSync(join(upper, '.runbook-lab-layer'), `${JSON.stringify({ layer, packages: LAYERS[layer], image: image.key, built: new Date().toISOString() })}\n`);
      renameSync(upper, dir);
      ctx.log(`layer '${layer}' built in ${((Date.now() - t) / 1000).toFixed(1)}s`);
      for (const p of await pruneCache(image, ctx.env)) ctx.log(`removed stale cache entry ${p}`);
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
