// The ansible.utils IP filters (ipaddr, ipv4, ipv6, ipwrap, ipmath, ipsubnet, nthhost,
// next/previous_nth_usable, network_in_usable, network_in_network, cidr_merge, ip4_hex), as
// the collection documents them. Ansible computes them with Python's netaddr; here IPv4 and
// IPv6 values are BigInts (128 bits fit), parsed and printed by hand: the parsing netaddr does
// (dotted quads, IPv6 with `::` and a trailing dotted quad, `/prefix`, `/netmask`, `/hostmask`,
// integers) is small, and no npm library does the ipaddr query set, so a dependency would add
// a second IP model next to this one rather than replace it.
//
// Names: the short ones (Ansible resolves `ipaddr` to ansible.utils when that collection is
// installed), `ansible.utils.NAME`, and `ansible.netcommon.NAME` (the old home, a redirect).
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn } from './access.js';
import { argOf } from './access.js';
import { isList, str, truthy, typeName } from './values.js';

export type IpVersion = 4 | 6;

/** An address with a prefix length, host bits kept (netaddr's IPNetwork). */
export interface IpNet {
  version: IpVersion;
  ip: bigint;
  prefix: number;
}

const width = (v: IpVersion): number => (v === 4 ? 32 : 128);
const allOnes = (v: IpVersion): bigint => (1n << BigInt(width(v))) - 1n;

export function hostmaskOf(n: IpNet): bigint {
  return (1n << BigInt(width(n.version) - n.prefix)) - 1n;
}
export function netmaskOf(n: IpNet): bigint {
  return allOnes(n.version) ^ hostmaskOf(n);
}
export const sizeOf = (n: IpNet): bigint => 1n << BigInt(width(n.version) - n.prefix);
export const networkOf = (n: IpNet): bigint => n.ip & netmaskOf(n);
export const lastOf = (n: IpNet): bigint => networkOf(n) | hostmaskOf(n);
/** netaddr: a /31 or /32 (/127, /128) has no broadcast address */
const broadcastOf = (n: IpNet): bigint | undefined => (sizeOf(n) > 2n ? lastOf(n) : undefined);

// ------------------------------------------------------------------ parsing and printing

export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    // strict, as inet_pton (netaddr >= 1.0): no leading zeros, no short forms
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string, last: boolean): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (last && i === items.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(BigInt(`0x${g}`));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = [...head, ...Array<bigint>(8 - count).fill(0n), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function formatIPv4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** As inet_ntop prints it (netaddr does): longest run of 2+ zero groups as `::`, a dotted tail for ::ffff:a.b.c.d and ::a.b.c.d. */
export function formatIPv6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { at: -1, len: 0 };
  if (best.at === 0 && (best.len === 6 || (best.len === 5 && g[5] === 0xffff))) {
    return `::${best.len === 5 ? 'ffff:' : ''}${formatIPv4(n & 0xffffffffn)}`;
  }
  const hex = g.map((x) => x.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

export const formatIp = (version: IpVersion, n: bigint): string => (version === 4 ? formatIPv4(n) : formatIPv6(n));
export const formatNet = (n: IpNet): string => `${formatIp(n.version, n.ip)}/${n.prefix}`;

/** A mask's prefix length: a netmask (ones then zeros) or a hostmask (zeros then ones), as netaddr reads `/255.255.255.0` and `/0.0.0.255`. */
function maskPrefix(mask: bigint, v: IpVersion): number | undefined {
  const w = width(v);
  for (let p = 0; p <= w; p++) {
    const host = (1n << BigInt(w - p)) - 1n;
    if (mask === (allOnes(v) ^ host)) return p;
  }
  for (let p = 0; p <= w; p++) if (mask === (1n << BigInt(w - p)) - 1n) return p;
  return undefined;
}

/** `ADDR`, `ADDR/PREFIX`, `ADDR/NETMASK`, `ADDR/HOSTMASK` (netaddr's IPNetwork of a string). */
export function parseNet(s: string): IpNet | undefined {
  const slash = s.split('/');
  if (slash.length > 2) return undefined;
  const [addr, pre] = slash as [string, string | undefined];
  let version: IpVersion = 4;
  let ip = parseIPv4(addr);
  if (ip === undefined) {
    ip = parseIPv6(addr);
    version = 6;
  }
  if (ip === undefined) return undefined;
  if (pre === undefined) return { version, ip, prefix: width(version) };
  if (/^\d+$/.test(pre)) {
    const prefix = Number(pre);
    return prefix <= width(version) ? { version, ip, prefix } : undefined;
  }
  const mask = version === 4 ? parseIPv4(pre) : undefined;
  const prefix = mask === undefined ? undefined : maskPrefix(mask, version);
  return prefix === undefined ? undefined : { version, ip, prefix };
}

/** An integer as Python has it: exact. A JavaScript number while that is exact, else its decimal digits. */
function pyInt(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function inNet(ip: bigint, version: IpVersion, net: IpNet): boolean {
  return version === net.version && ip >= networkOf(net) && ip <= lastOf(net);
}
function netStr(s: string): IpNet {
  const n = parseNet(s);
  if (!n) throw new Error(`bad built-in network ${s}`);
  return n;
}

// IANA special-purpose blocks that are not globally reachable (netaddr's is_global), with the
// registry's exceptions inside them.
const V4_NOT_GLOBAL = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4',
  '255.255.255.255/32',
].map(netStr);
const V4_GLOBAL_EXCEPTIONS = ['192.0.0.9/32', '192.0.0.10/32'].map(netStr);
const V6_NOT_GLOBAL = [
  '::1/128', '::/128', '::ffff:0:0/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16',
  'fc00::/7', 'fe80::/10',
].map(netStr);
const V6_GLOBAL_EXCEPTIONS = ['2001:1::1/128', '2001:1::2/128', '2001:3::/32', '2001:4:112::/48', '2001:20::/28', '2001:30::/28'].map(netStr);

function isGlobal(version: IpVersion, ip: bigint): boolean {
  const [not, exceptions] = version === 4 ? [V4_NOT_GLOBAL, V4_GLOBAL_EXCEPTIONS] : [V6_NOT_GLOBAL, V6_GLOBAL_EXCEPTIONS];
  if (exceptions.some((n) => inNet(ip, version, n))) return true;
  return !not.some((n) => inNet(ip, version, n));
}
const MULTICAST = { 4: netStr('224.0.0.0/4'), 6: netStr('ff00::/8') };
const isMulticast = (n: IpNet): boolean => inNet(n.ip, n.version, MULTICAST[n.version]);
const isLoopback = (n: IpNet): boolean => (n.version === 4 ? inNet(n.ip, 4, netStr('127.0.0.0/8')) : n.ip === 1n);
const isPow2 = (x: bigint): boolean => x > 0n && (x & (x - 1n)) === 0n;
const isNetmask = (n: IpNet): boolean => isPow2((n.ip ^ allOnes(n.version)) + 1n);
const isHostmask = (n: IpNet): boolean => isPow2(n.ip + 1n);

// ------------------------------------------------------------------ ipaddr

type VType = 'address' | 'network';
interface Parsed {
  net: IpNet;
  vtype: VType;
  /** the value as given, or normalised when it was an integer */
  value: unknown;
}

/** netaddr's reading of an ipaddr() input; undefined when it is no IP address or network. */
function parseValue(value: unknown, version: IpVersion | undefined): Parsed | undefined {
  if (!truthy(value) || value === true) return undefined;
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : str(value)) : value;
  if (typeof text !== 'string') return undefined;
  if (/^\d+$/.test(text)) {
    const n = BigInt(text);
    let net: IpNet | undefined;
    if (version !== 6 && n <= allOnes(4)) net = { version: 4, ip: n, prefix: 32 };
    else if (n <= allOnes(6)) net = { version: 6, ip: n, prefix: 128 };
    if (!net) return undefined;
    return { net, vtype: 'address', value: formatNet(net) };
  }
  const net = parseNet(text);
  if (net) return { net, vtype: text.includes('/') ? 'network' : 'address', value };
  // a numerical CIDR: `523454/24`
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const n = BigInt(m[1]!);
  const prefix = Number(m[2]);
  let numeric: IpNet | undefined;
  if (n <= allOnes(4) && prefix <= 32) numeric = { version: 4, ip: n, prefix };
  else if (n <= allOnes(6) && prefix <= 128) numeric = { version: 6, ip: n, prefix };
  return numeric ? { net: numeric, vtype: 'network', value: formatNet(numeric) } : undefined;
}

function firstLast(v: IpNet): [bigint, bigint] | undefined {
  const size = sizeOf(v);
  if (size === 2n) return [networkOf(v), lastOf(v)];
  if (size > 1n) return [networkOf(v) + 1n, lastOf(v) - 1n];
  return undefined;
}

function needNetwork(p: Parsed): IpNet {
  if (p.vtype === 'address') throw new TemplateRuntimeError('Not a network address');
  return p.net;
}

const fmt = (v: IpNet, n: bigint): string => formatIp(v.version, n);

type Query = (p: Parsed) => unknown;

const addressPrefix: Query = ({ net: v }) => {
  if (sizeOf(v) > 2n && (v.ip === networkOf(v) || v.ip === broadcastOf(v))) return false;
  return `${fmt(v, v.ip)}/${v.prefix}`;
};
const hostmask: Query = ({ net: v }) => fmt(v, hostmaskOf(v));
const network: Query = ({ net: v }) => fmt(v, networkOf(v));
const subnet: Query = ({ net: v }) => `${fmt(v, networkOf(v))}/${v.prefix}`;
const ipQuery: Query = ({ net: v }) => {
  if (sizeOf(v) === 1n) return fmt(v, v.ip);
  // a /31 has no broadcast, and the first address of an IPv6 network is a host address too
  if (v.ip !== networkOf(v) || broadcastOf(v) === undefined || v.version === 6) return fmt(v, v.ip);
  return null;
};
const toIPv4: Query = ({ net: v, value }) => {
  if (v.version === 4) return value;
  // netaddr's IPNetwork.ipv4(): IPv4-compatible or IPv4-mapped addresses only
  let ip: bigint | undefined;
  if (v.ip <= allOnes(4)) ip = v.ip;
  else if (v.ip >> 32n === 0xffffn) ip = v.ip & allOnes(4);
  if (ip === undefined || v.prefix < 96) return false;
  return `${formatIPv4(ip)}/${v.prefix - 96}`;
};
const toIPv6: Query = ({ net: v, value }) => (v.version === 4 ? `${formatIPv6((0xffffn << 32n) | v.ip)}/${v.prefix + 96}` : value);
const loopback: Query = (p) => (isLoopback(p.net) ? p.value : null);

const QUERIES: Readonly<Record<string, Query>> = {
  '': ({ net: v, vtype }) => (vtype === 'address' ? fmt(v, v.ip) : formatNet(v)),
  '6to4': ({ net: v, vtype, value }) => {
    if (v.version === 4) {
      if (sizeOf(v) > 1n && v.ip === networkOf(v)) return false;
      const isPublic = !isMulticast(v) && isGlobal(4, v.ip) && !isLoopback(v) && !isNetmask(v) && !isHostmask(v);
      if (!isPublic && isGlobal(4, v.ip)) return false; // neither public nor private: Ansible gives no address
      const b = [24n, 16n, 8n, 0n].map((s) => ((v.ip >> s) & 0xffn).toString(16).padStart(2, '0'));
      return `2002:${b[0]}${b[1]}:${b[2]}${b[3]}::1/48`;
    }
    const in2002 = inNet(v.ip, 6, netStr('2002::/16'));
    if (vtype === 'address') return in2002 ? value : false;
    return v.ip !== networkOf(v) && in2002 ? value : false;
  },
  address: ipQuery,
  'address/prefix': addressPrefix,
  bool: () => true,
  broadcast: ({ net: v }) => {
    const b = broadcastOf(v);
    return b === undefined ? null : fmt(v, b);
  },
  cidr: ({ net }) => formatNet(net),
  first_usable: (p) => {
    const v = needNetwork(p);
    const fl = firstLast(v);
    return fl ? fmt(v, fl[0]) : null;
  },
  gateway: addressPrefix,
  gw: addressPrefix,
  host: ({ net: v }) => {
    if (sizeOf(v) === 1n) return formatNet(v);
    return v.ip !== networkOf(v) || broadcastOf(v) === undefined ? formatNet(v) : null;
  },
  'host/prefix': addressPrefix,
  hostmask,
  hostnet: addressPrefix,
  int: ({ net: v, vtype }) => (vtype === 'address' ? pyInt(v.ip) : `${v.ip}/${v.prefix}`),
  ip: ipQuery,
  'ip/prefix': ({ net: v }) => (sizeOf(v) === 2n || (sizeOf(v) > 1n && v.ip !== networkOf(v)) ? formatNet(v) : null),
  ip_netmask: ({ net: v }) =>
    sizeOf(v) === 2n || (sizeOf(v) > 1n && v.ip !== networkOf(v)) ? `${fmt(v, v.ip)} ${fmt(v, netmaskOf(v))}` : null,
  ipv4: toIPv4,
  ipv6: toIPv6,
  last_usable: (p) => {
    const v = needNetwork(p);
    const fl = firstLast(v);
    return fl ? fmt(v, fl[1]) : null;
  },
  'link-local': ({ net: v, value }) => (inNet(v.ip, v.version, netStr(v.version === 4 ? '169.254.0.0/16' : 'fe80::/10')) ? value : null),
  lo: loopback,
  loopback,
  multicast: (p) => (isMulticast(p.net) ? p.value : null),
  net: ({ net: v }) => (sizeOf(v) > 1n && v.ip === networkOf(v) ? formatNet(v) : null),
  next_usable: (p) => {
    const v = needNetwork(p);
    const fl = firstLast(v);
    return fl && v.ip + 1n >= fl[0] && v.ip + 1n <= fl[1] ? fmt(v, v.ip + 1n) : null;
  },
  netmask: ({ net: v }) => fmt(v, netmaskOf(v)),
  network,
  network_id: network,
  'network/prefix': subnet,
  network_netmask: ({ net: v }) => `${fmt(v, networkOf(v))} ${fmt(v, netmaskOf(v))}`,
  network_wildcard: ({ net: v }) => `${fmt(v, networkOf(v))} ${fmt(v, hostmaskOf(v))}`,
  peer: (p) => {
    const v = needNetwork(p);
    if (sizeOf(v) === 2n) return fmt(v, v.ip ^ 1n);
    if (sizeOf(v) === 4n) {
      if (v.ip % 4n === 0n) throw new TemplateRuntimeError('Network address of /30 has no peer');
      if (v.ip % 4n === 3n) throw new TemplateRuntimeError('Broadcast address of /30 has no peer');
      return fmt(v, v.ip ^ 3n);
    }
    throw new TemplateRuntimeError('Not a point-to-point network');
  },
  prefix: ({ net }) => net.prefix,
  previous_usable: (p) => {
    const v = needNetwork(p);
    const fl = firstLast(v);
    return fl && v.ip - 1n >= fl[0] && v.ip - 1n <= fl[1] ? fmt(v, v.ip - 1n) : null;
  },
  private: ({ net: v, value }) => (isGlobal(v.version, v.ip) ? null : value),
  public: ({ net: v, value }) =>
    !isMulticast(v) && isGlobal(v.version, v.ip) && !isLoopback(v) && !isNetmask(v) && !isHostmask(v) ? value : null,
  range_usable: (p) => {
    const v = needNetwork(p);
    const fl = firstLast(v);
    return fl ? `${fmt(v, fl[0])}-${fmt(v, fl[1])}` : null;
  },
  revdns: ({ net: v }) => {
    if (v.version === 4) return `${formatIPv4(v.ip).split('.').reverse().join('.')}.in-addr.arpa.`;
    return `${v.ip.toString(16).padStart(32, '0').split('').reverse().join('.')}.ip6.arpa.`;
  },
  router: addressPrefix,
  size: ({ net }) => pyInt(sizeOf(net)),
  size_usable: ({ net }) => {
    const s = sizeOf(net);
    return pyInt(s === 1n ? 0n : s === 2n ? 2n : s - 2n);
  },
  subnet,
  type: ({ net: v }) => (sizeOf(v) === 1n || v.ip !== networkOf(v) ? 'address' : 'network'),
  unicast: (p) => (isMulticast(p.net) ? null : p.value),
  v4: toIPv4,
  v6: toIPv6,
  version: ({ net }) => net.version,
  wildcard: hostmask,
  wrap: ({ net: v, vtype, value }) => {
    if (v.version !== 6) return value;
    return vtype === 'address' ? `[${fmt(v, v.ip)}]` : `[${fmt(v, v.ip)}]/${v.prefix}`;
  },
};

function queryText(q: unknown): string {
  if (q === undefined || q === null) return '';
  if (typeof q === 'string') return q;
  if (typeof q === 'number' || typeof q === 'boolean') return str(q);
  throw new TemplateRuntimeError(`ipaddr: the query must be a string, got ${typeName(q)}`);
}

/** ansible.utils' ipaddr(value, query, version, alias): the value when the query holds, else False; lists are filtered. */
export function ipaddr(value: unknown, query: string = '', version?: IpVersion, alias = 'ipaddr'): unknown {
  if (isList(value)) return value.map((e) => ipaddr(e, query, version, alias)).filter((x) => truthy(x));
  const p = parseValue(value, version);
  if (!p) return false;
  let q = query;
  let lookup: IpNet | undefined;
  if (q !== '' && !Object.hasOwn(QUERIES, q) && !/^\d+$/.test(q)) {
    // a network as the query: is the value inside it?
    const asNet = parseValue(q, undefined);
    if (asNet) {
      lookup = asNet.net;
      q = 'cidr_lookup';
    }
  }
  if (version !== undefined && p.net.version !== version) return false;
  if (lookup) {
    const v = p.net;
    return v.version === lookup.version && networkOf(v) >= networkOf(lookup) && lastOf(v) <= lastOf(lookup) ? p.value : null;
  }
  const fn = QUERIES[q];
  if (fn) return fn(p);
  // an index into the network: ipaddr('1'), ipaddr('-1')
  if (q.trim() === '' || Number.isNaN(Number(q))) throw new TemplateRuntimeError(`${alias}: unknown filter type: ${q}`);
  const v = p.net;
  if (sizeOf(v) === 1n) return p.vtype === 'address' ? fmt(v, v.ip) : formatNet(v);
  if (!/^\s*[-+]?\d+\s*$/.test(q)) return false;
  const i = BigInt(q.trim());
  const at = i >= 0n ? networkOf(v) + i : lastOf(v) + 1n + i;
  if (at < networkOf(v) || at > lastOf(v)) return false;
  return `${fmt(v, at)}/${v.prefix}`;
}

// ------------------------------------------------------------------ the other filters

/** ipaddr's reading of a value as a network without host bits (ipaddr 'cidr' of an address, 'subnet' of a network). */
function asCidr(value: unknown): IpNet | undefined {
  const p = parseValue(value, undefined);
  if (!p) return undefined;
  const v = p.net;
  return { ...v, ip: networkOf(v) };
}

function intArg(v: unknown, filter: string, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return BigInt(v.trim());
  throw new TemplateRuntimeError(`${filter}: ${what} must be an integer, got ${typeName(v)} ${str(v)}`);
}

const ipwrap: FilterFn = (v, args, kwargs) => {
  const query = queryText(argOf(args, 0, kwargs, 'query', ''));
  const one = (e: unknown): unknown => {
    const r = ipaddr(e, query, undefined, 'ipwrap');
    return truthy(r) ? ipaddr(r, 'wrap') : e;
  };
  return isList(v) ? v.map(one) : one(v);
};

const ipmath: FilterFn = (v, args, kwargs) => {
  // `ADDR` or `ADDR/PREFIX` (the address part counts)
  const net = typeof v === 'string' ? parseNet(v) : undefined;
  if (!net) {
    throw new TemplateRuntimeError(`ipmath(): You must pass a valid IP address; ${str(v)} is invalid`);
  }
  const amount = argOf(args, 0, kwargs, 'amount', undefined);
  if (typeof amount !== 'number' || !Number.isInteger(amount)) {
    throw new TemplateRuntimeError(`ipmath(): You must pass an integer for arithmetic; ${str(amount)} is not valid`);
  }
  const r = net.ip + BigInt(amount);
  if (r < 0n || r > allOnes(net.version)) throw new TemplateRuntimeError(`ipmath(): ${str(v)} + ${amount} is outside the IPv${net.version} address space`);
  return fmt(net, r);
};

const nthhost: FilterFn = (v, args, kwargs) => {
  const net = asCidr(v);
  if (!net) return false;
  const nth = intArg(argOf(args, 0, kwargs, 'query', undefined), 'nthhost', 'the index');
  const at = nth >= 0n ? networkOf(net) + nth : lastOf(net) + 1n + nth;
  return at >= networkOf(net) && at <= lastOf(net) ? fmt(net, at) : false;
};

function nthUsable(filter: string, sign: 1n | -1n): FilterFn {
  return (v, args, kwargs) => {
    const p = parseValue(v, undefined);
    if (!p) return false;
    const offset = intArg(argOf(args, 0, kwargs, 'offset', undefined), filter, 'the offset');
    const fl = firstLast(p.net);
    const at = p.net.ip + sign * offset;
    return fl && at >= fl[0] && at <= fl[1] ? fmt(p.net, at) : '';
  };
}

/** [first, last] of a value read as a network; `usable` drops its network and broadcast addresses. */
function span(value: unknown, filter: string, usable: boolean): [IpVersion, bigint, bigint] {
  const net = asCidr(value);
  if (!net) throw new TemplateRuntimeError(`${filter}: \`${str(value)}\` is not a valid IP address or network`);
  const fl = usable ? firstLast(net) : undefined;
  return fl ? [net.version, fl[0], fl[1]] : [net.version, networkOf(net), lastOf(net)];
}

function networkIn(filter: string, usable: boolean): FilterFn {
  return (v, args, kwargs) => {
    const [va, first, last] = span(v, filter, usable);
    const [vb, tFirst, tLast] = span(argOf(args, 0, kwargs, 'test', undefined), filter, false);
    return va === vb && tFirst >= first && tLast <= last;
  };
}

/** The fewest CIDR blocks covering [first, last]. */
function rangeToCidrs(version: IpVersion, first: bigint, last: bigint): string[] {
  const out: string[] = [];
  const w = width(version);
  let at = first;
  while (at <= last) {
    let bits = 0;
    while (bits < w && (at & ((1n << BigInt(bits + 1)) - 1n)) === 0n && at + (1n << BigInt(bits + 1)) - 1n <= last) bits++;
    out.push(`${formatIp(version, at)}/${w - bits}`);
    at += 1n << BigInt(bits);
  }
  return out;
}

const cidrMerge: FilterFn = (v, args, kwargs) => {
  const action = argOf(args, 0, kwargs, 'action', 'merge');
  if (!isList(v)) throw new TemplateRuntimeError(`cidr_merge: expected iterable, got ${typeName(v)}`);
  const nets = v.map((e) => {
    const n = typeof e === 'string' ? parseNet(e) : undefined;
    if (!n) throw new TemplateRuntimeError(`cidr_merge: not a valid IP address or network: ${str(e)}`);
    return n;
  });
  if (action === 'merge') {
    const out: string[] = [];
    for (const version of [4, 6] as const) {
      const ranges = nets
        .filter((n) => n.version === version)
        .map((n) => [networkOf(n), lastOf(n)] as [bigint, bigint])
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const merged: [bigint, bigint][] = [];
      for (const r of ranges) {
        const top = merged[merged.length - 1];
        if (top && r[0] <= top[1] + 1n) top[1] = r[1] > top[1] ? r[1] : top[1];
        else merged.push([r[0], r[1]]);
      }
      for (const [a, b] of merged) out.push(...rangeToCidrs(version, a, b));
    }
    return out;
  }
  if (action === 'span') {
    if (nets.length === 0) return null;
    const version = nets[0]!.version;
    if (nets.some((n) => n.version !== version)) throw new TemplateRuntimeError('cidr_merge: span needs addresses of one IP version');
    let lo = networkOf(nets[0]!);
    let hi = lastOf(nets[0]!);
    for (const n of nets) {
      if (networkOf(n) < lo) lo = networkOf(n);
      if (lastOf(n) > hi) hi = lastOf(n);
    }
    let prefix = width(version);
    while (prefix > 0 && lo >> BigInt(width(version) - prefix) !== hi >> BigInt(width(version) - prefix)) prefix--;
    const net: IpNet = { version, ip: lo, prefix };
    return `${fmt(net, networkOf(net))}/${prefix}`;
  }
  throw new TemplateRuntimeError(`cidr_merge: invalid action '${str(action)}'`);
};

const ip4Hex: FilterFn = (v, args, kwargs) => {
  const delimiter = str(argOf(args, 0, kwargs, 'delimiter', ''));
  const n = typeof v === 'string' ? parseIPv4(v) : undefined;
  if (n === undefined) throw new TemplateRuntimeError(`ip4_hex: not an IPv4 address: ${str(v)}`);
  return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 0xffn).toString(16).padStart(2, '0')).join(delimiter);
};

const ipsubnet: FilterFn = (v, args, kwargs) => {
  const p = parseValue(v, undefined);
  if (!p) return false;
  const value: IpNet = { ...p.net, ip: networkOf(p.net) };
  const isAddress = sizeOf(value) === 1n;
  const query = queryText(argOf(args, 0, kwargs, 'query', ''));
  const index = argOf(args, 1, kwargs, 'index', null);
  if (query === '') return formatNet(value);
  const w = width(value.version);
  if (/^\d+$/.test(query)) {
    const size = Number(query);
    if (size > w) return false;
    if (index === null || index === undefined) {
      if (isAddress) return `${fmt(value, networkOf({ ...value, prefix: size }))}/${size}`;
      if (size < value.prefix) throw new TemplateRuntimeError(`Requested subnet size of ${size} is invalid`);
      return String(1n << BigInt(size - value.prefix));
    }
    const i = intArg(index, 'ipsubnet', 'the index');
    if (isAddress) {
      // the supernets of the address from /size to /(width-1), smallest index the biggest
      const count = BigInt(w - size);
      const at = i < 0n ? count + i : i;
      if (at < 0n || at >= count) return false;
      const prefix = size + Number(at);
      return `${fmt(value, networkOf({ ...value, prefix }))}/${prefix}`;
    }
    if (size < value.prefix) return false;
    const subnets = 1n << BigInt(size - value.prefix);
    const at = i < 0n ? i + subnets : i;
    if (at < 0n || at >= subnets) return false;
    return `${fmt(value, value.ip + (at << BigInt(w - size)))}/${size}`;
  }
  const outer = asCidr(query);
  if (!outer) throw new TemplateRuntimeError(`You must pass a valid subnet or IP address; ${query} is invalid`);
  const shift = BigInt(w - outer.prefix);
  if (outer.version === value.version && outer.prefix <= value.prefix && value.ip >> shift === outer.ip >> shift) {
    return String(((value.ip - outer.ip) >> BigInt(w - value.prefix)) + 1n);
  }
  throw new TemplateRuntimeError(`${formatNet(value)} is not in the subnet ${formatNet(outer)}`);
};

function ipFilter(version: IpVersion | undefined, alias: string): FilterFn {
  return (v, args, kwargs) => ipaddr(v, queryText(argOf(args, 0, kwargs, 'query', '')), version, alias);
}

const BY_NAME: Readonly<Record<string, FilterFn>> = {
  ipaddr: ipFilter(undefined, 'ipaddr'),
  ipv4: ipFilter(4, 'ipv4'),
  ipv6: ipFilter(6, 'ipv6'),
  ipwrap,
  ipmath,
  ipsubnet,
  nthhost,
  next_nth_usable: nthUsable('next_nth_usable', 1n),
  previous_nth_usable: nthUsable('previous_nth_usable', -1n),
  network_in_usable: networkIn('network_in_usable', true),
  network_in_network: networkIn('network_in_network', false),
  cidr_merge: cidrMerge,
  ip4_hex: ip4Hex,
};

/** Each filter under its short name, `ansible.utils.NAME` and `ansible.netcommon.NAME`. */
export const IP_FILTERS: Readonly<Record<string, FilterFn>> = Object.fromEntries(
  Object.entries(BY_NAME).flatMap(([name, fn]) => [
    [name, fn],
    [`ansible.utils.${name}`, fn],
    [`ansible.netcommon.${name}`, fn],
  ]),
);
