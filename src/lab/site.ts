// A site behind its hub: nodes on a network of their own that the controller cannot reach,
// as AllStarLink nodes behind home NAT are reached only through something the club runs.
//
// The site's switch is a bridge inside a network namespace of its own (`PREFIX-s-HUB`), so
// the machine's root namespace has no interface on the site network at all. The hub (a full
// host) has a second leg (eth1) there and is the site's NAT router: site nodes reach the lab
// network (ACME server, BIND, apt proxy) with the hub's address, and nothing from the lab
// network reaches a site node except through the hub's sshd (the jump host). Forwarding and
// NAT exist only inside the hub's namespace; the machine's ip_forward stays as it is (0),
// and site addresses (10.X.200+N.0/24) lie inside the lab's /16, so the route guard covers
// them: a packet the controller sends there stays on the lab bridge, where nobody answers.
import { EnvironmentError } from '../util/errors.js';
import type { LabContext } from './context.js';
import type { FullHostState, SiteState } from './state.js';
import { run, runOk } from './exec.js';
import { listNetns } from './net.js';

/** third octets of site subnets; fleet hosts stop at 10.X.26.x (5000 hosts) */
const FIRST_SITE_OCTET = 200;
const LAST_SITE_OCTET = 254;

export function siteSubnet(ctx: Pick<LabContext, 'net'>, site: SiteState): string {
  return `10.${ctx.net.octet}.${site.third}.0/24`;
}

export function siteHubAddress(ctx: Pick<LabContext, 'net'>, site: SiteState): string {
  return `10.${ctx.net.octet}.${site.third}.1`;
}

/** a node's address on its site: the full host slot (unique per instance) as the last octet */
export function siteNodeAddress(ctx: Pick<LabContext, 'net'>, site: SiteState, slot: number): string {
  return `10.${ctx.net.octet}.${site.third}.${slot}`;
}

export function siteOf(ctx: Pick<LabContext, 'state'>, hub: string): SiteState | undefined {
  return (ctx.state.sites ?? []).find((s) => s.hub === hub);
}

/** The hub's site (created on first use): its switch, the hub's leg, the hub's NAT. */
export async function ensureSite(ctx: LabContext, hub: FullHostState): Promise<SiteState> {
  if (hub.behind) throw new EnvironmentError(`lab: ${hub.name} is itself behind ${hub.behind}; a hub must be on the lab network`);
  const sites = (ctx.state.sites ??= []);
  let site = sites.find((s) => s.hub === hub.name);
  if (!site) {
    const used = new Set(sites.map((s) => s.third));
    let third = FIRST_SITE_OCTET;
    while (used.has(third)) third++;
    if (third > LAST_SITE_OCTET) throw new EnvironmentError(`lab: at most ${LAST_SITE_OCTET - FIRST_SITE_OCTET + 1} hubs per lab instance`);
    site = { hub: hub.name, netns: `${ctx.net.netnsPrefix}s-${hub.name}`, third };
    sites.push(site);
  }
  const present = new Set(listNetns(ctx.net.netnsPrefix));
  if (!present.has(site.netns)) {
    await runOk(['ip', 'netns', 'add', site.netns], `creating the site network of ${hub.name}`);
    await runOk(['ip', '-n', site.netns, '-batch', '-'], `creating the site switch of ${hub.name}`, {
      input: ['link set lo up', 'link add br0 type bridge', 'link set br0 up'].join('\n') + '\n',
    });
  }
  // the hub's leg: eth1 in the hub, `hub` on the site switch
  const leg = await run(['ip', '-n', hub.netns, 'link', 'show', 'eth1']);
  if (leg.code !== 0) {
    await runOk(['ip', '-n', site.netns, 'link', 'add', 'hub', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', hub.netns], `connecting hub ${hub.name} to its site`);
    await runOk(['ip', '-n', site.netns, 'link', 'set', 'hub', 'master', 'br0', 'up'], `connecting hub ${hub.name} to its site`);
    await runOk(['ip', '-n', hub.netns, '-batch', '-'], `configuring the site leg of ${hub.name}`, {
      input: [`addr add ${siteHubAddress(ctx, site)}/24 dev eth1`, 'link set eth1 up'].join('\n') + '\n',
    });
  }
  // the hub routes and masquerades for its site, inside its own namespace only
  const subnet = siteSubnet(ctx, site);
  const rules = `table ip runbook-lab-site
delete table ip runbook-lab-site
table ip runbook-lab-site {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth0" ip saddr ${subnet} masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "eth1" oifname "eth0" ip saddr ${subnet} accept
    iifname "eth0" oifname "eth1" ct state established,related accept
  }
}
`;
  await runOk(['ip', 'netns', 'exec', hub.netns, 'nft', '-f', '-'], `setting up NAT on hub ${hub.name}`, { input: rules });
  await runOk(['ip', 'netns', 'exec', hub.netns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'], `enabling forwarding inside hub ${hub.name}`);
  return site;
}

/** A site node's network namespace: eth0 on the site switch, default route via the hub. */
export async function createSiteNodeNetns(ctx: LabContext, site: SiteState, node: FullHostState): Promise<void> {
  await runOk(['ip', 'netns', 'add', node.netns], `creating network namespace ${node.netns}`);
  await runOk(['ip', '-n', site.netns, 'link', 'add', node.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns], `connecting ${node.name} to the site of ${site.hub}`);
  await runOk(['ip', '-n', site.netns, 'link', 'set', node.veth, 'master', 'br0', 'up'], `connecting ${node.name} to the site of ${site.hub}`);
  await runOk(['ip', '-n', node.netns, '-batch', '-'], `configuring network namespace ${node.netns}`, {
    input: ['link set lo up', 'link set eth0 up', `addr add ${node.address}/24 dev eth0`, `route add default via ${siteHubAddress(ctx, site)}`].join('\n') + '\n',
  });
}
