// The lab network: one bridge per instance in the root namespace, one network namespace per
// host joined to it by a veth pair. No NAT and no forwarding: nothing can leave the machine.
import { readdirSync, readFileSync } from 'node:fs';
import { EnvironmentError } from '../util/errors.js';
import type { InstanceNet } from './instance.js';
import { mapLimit, run, runOk, waitFor } from './exec.js';

export interface NetnsSpec {
  netns: string;
  veth: string;
  address: string;
}

function ipBatch(lines: readonly string[], what: string, netns?: string): Promise<unknown> {
  if (lines.length === 0) return Promise.resolve();
  const argv = netns ? ['ip', '-n', netns, '-batch', '-'] : ['ip', '-batch', '-'];
  return runOk(argv, what, { input: `${lines.join('\n')}\n` });
}

export function linkExists(name: string): boolean {
  try {
    readdirSync(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

export function listLinks(prefix: string): string[] {
  try {
    return readdirSync('/sys/class/net').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

export function listNetns(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** IPv4 routes of the main table as `ip -4 route show` prints them. */
async function routes(): Promise<string[]> {
  const r = await runOk(['ip', '-4', 'route', 'show'], 'reading the routing table');
  return r.stdout.split('\n').filter(Boolean);
}

/** Some route other than our bridge's already covers 10.X.0.0/16 (another network uses it). */
export async function subnetTaken(net: InstanceNet): Promise<string | undefined> {
  const prefix = `10.${net.octet}.`;
  for (const line of await routes()) {
    const dest = line.split(' ')[0] ?? '';
    const onOurBridge = line.includes(` dev ${net.bridge} `) || line.endsWith(` dev ${net.bridge}`);
    // a wider route (10.0.0.0/8) does not take the /16: ours is more specific and wins
    if (!onOurBridge && dest.startsWith(prefix)) return line;
  }
  return undefined;
}

export async function ensureBridge(net: InstanceNet): Promise<void> {
  if (!linkExists(net.bridge)) {
    await ipBatch(
      [`link add ${net.bridge} type bridge`, `addr add ${net.gateway}/16 dev ${net.bridge}`, `link set ${net.bridge} up`],
      `creating bridge ${net.bridge}`,
    );
    return;
  }
  // left over from a crash or a previous `lab up`: make sure it is configured
  const addrs = await runOk(['ip', '-4', '-o', 'addr', 'show', 'dev', net.bridge], 'reading bridge address');
  const lines: string[] = [];
  if (!addrs.stdout.includes(` ${net.gateway}/16 `)) lines.push(`addr add ${net.gateway}/16 dev ${net.bridge}`);
  lines.push(`link set ${net.bridge} up`);
  await ipBatch(lines, `configuring bridge ${net.bridge}`);
}

/**
 * The route guard: before any traffic to the lab subnet, the kernel must route it over the
 * lab bridge; otherwise packets for 10.X.y.z would follow the default route off the machine.
 */
export async function assertRouteOverBridge(net: InstanceNet, probe?: string): Promise<void> {
  const shown = await run(['ip', '-4', 'route', 'show', net.subnet, 'dev', net.bridge]);
  if (shown.code !== 0 || shown.stdout.trim() === '') {
    throw new EnvironmentError(
      `lab: refusing to send traffic to ${net.subnet}: it is not routed over the lab bridge ${net.bridge} ` +
        `(is the lab up? run 'runbook lab up')`,
    );
  }
  if (probe) {
    const got = await run(['ip', '-4', '-o', 'route', 'get', probe]);
    if (got.code !== 0 || !(got.stdout.includes(` dev ${net.bridge} `) || got.stdout.startsWith('local '))) {
      throw new EnvironmentError(
        `lab: refusing to send traffic to ${probe}: the kernel routes it as '${got.stdout.trim()}', not over ${net.bridge}`,
      );
    }
  }
}

/** Create namespaces + veths for hosts, batched: one `ip -batch` for the root side. */
export async function createNetns(net: InstanceNet, hosts: readonly NetnsSpec[]): Promise<void> {
  // with forwarding on (someone else's choice on this machine), a default route via the
  // bridge would let hosts send packets off the machine: then hosts get the subnet only
  const defaultRoute = !ipForwardEnabled();
  if (hosts.length === 0) return;
  await ipBatch(
    hosts.map((h) => `netns add ${h.netns}`),
    'creating network namespaces',
  );
  await ipBatch(
    hosts.flatMap((h) => [`link add ${h.veth} type veth peer name eth0 netns ${h.netns}`, `link set ${h.veth} master ${net.bridge} up`]),
    'creating veth pairs',
  );
  // inside each namespace (ip -batch takes no per-line namespace, so one small batch each)
  await mapLimit(hosts, 8, (h) =>
    ipBatch(
      ['link set lo up', 'link set eth0 up', `addr add ${h.address}/16 dev eth0`, ...(defaultRoute ? [`route add default via ${net.gateway}`] : [])],
      `configuring network namespace ${h.netns}`,
      h.netns,
    ),
  );
}

/** Delete namespaces (their veths go with them, asynchronously) and wait for the veths. */
export async function deleteNetns(names: readonly string[], vethPrefixes: readonly string[]): Promise<void> {
  const present = new Set(listNetns(''));
  const existing = names.filter((n) => present.has(n));
  if (existing.length > 0) {
    // ip -batch stops at the first error; -force goes on (a namespace deleted meanwhile is fine)
    await run(['ip', '-force', '-batch', '-'], { input: `${existing.map((n) => `netns del ${n}`).join('\n')}\n` });
  }
  const gone = await waitFor(() => vethPrefixes.every((p) => listLinks(p).length === 0), 30_000, 50);
  if (!gone) {
    // the kernel normally removes them with the namespace; delete stragglers explicitly
    const left = vethPrefixes.flatMap((p) => listLinks(p));
    await run(['ip', '-force', '-batch', '-'], { input: `${left.map((l) => `link del ${l}`).join('\n')}\n` });
  }
}

export async function deleteBridge(net: InstanceNet): Promise<void> {
  if (linkExists(net.bridge)) await runOk(['ip', 'link', 'del', net.bridge], `removing bridge ${net.bridge}`);
}

export function ipForwardEnabled(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
