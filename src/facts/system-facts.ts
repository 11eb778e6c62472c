// The facts Ansible's setup module reports beyond the ones runbook itself uses (gather.ts):
// date and time, memory, processors, the login user's account and environment, DNS, mounts,
// interfaces with their addresses, virtualization, DMI, local facts. Content written for
// Ansible reads them (`ansible_date_time.date`, `ansible_memtotal_mb`, `ansible_env.HOME`,
// `ansible_default_ipv4.gateway`, ...). Pure parsers over gather.ts's sections, under Ansible's
// names and shapes; a section a host could not answer leaves its facts out.

type Sections = Map<string, string[]>;
type Obj = Record<string, unknown>;

/** The lines of a section whose content was prefixed with '|' (files, env): the prefix removed. */
function body(s: Sections, name: string): string[] {
  return (s.get(name) ?? []).filter((l) => l.startsWith('|')).map((l) => l.slice(1));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * ansible_date_time from the host's clock (`date '+%s %N %z %Z'`): the host's local time, as
 * Ansible's setup computes it on the host.
 */
export function parseDateTime(line: string | undefined): Obj | undefined {
  const m = /^(\d+) (\d+|N) ([+-])(\d\d)(\d\d) (\S+)$/.exec((line ?? '').trim());
  if (!m) return undefined;
  const epoch = Number(m[1]);
  const micro = /^\d+$/.test(m[2] ?? '') ? Math.floor(Number(m[2]) / 1000) : 0;
  const offsetMin = (m[3] === '-' ? -1 : 1) * (Number(m[4]) * 60 + Number(m[5]));
  // the host's wall clock, read with UTC accessors
  const local = new Date((epoch + offsetMin * 60) * 1000);
  const utc = new Date(epoch * 1000);
  const y = local.getUTCFullYear();
  const mo = local.getUTCMonth();
  const d = local.getUTCDate();
  const hh = local.getUTCHours();
  const mm = local.getUTCMinutes();
  const ss = local.getUTCSeconds();
  const dow = local.getUTCDay();
  // %W: week of the year with Monday as the first day (00..53)
  const yday = Math.floor((Date.UTC(y, mo, d) - Date.UTC(y, 0, 1)) / 86_400_000);
  const weeknumber = Math.floor((yday + 7 - ((dow + 6) % 7)) / 7);
  const iso = (t: Date): string => `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  const basic = `${y}${pad(mo + 1)}${pad(d)}T${pad(hh)}${pad(mm)}${pad(ss)}`;
  return {
    year: String(y),
    month: pad(mo + 1),
    weekday: WEEKDAYS[dow],
    weekday_number: String(dow),
    weeknumber: pad(weeknumber),
    day: pad(d),
    hour: pad(hh),
    minute: pad(mm),
    second: pad(ss),
    epoch: String(epoch),
    epoch_int: String(epoch),
    date: `${y}-${pad(mo + 1)}-${pad(d)}`,
    time: `${pad(hh)}:${pad(mm)}:${pad(ss)}`,
    iso8601_micro: `${iso(utc)}.${pad(micro, 6)}Z`,
    iso8601: `${iso(utc)}Z`,
    iso8601_basic: `${basic}${pad(micro, 6)}`,
    iso8601_basic_short: basic,
    tz: m[6],
    tz_dst: m[6],
    tz_offset: `${m[3]}${m[4]}${m[5]}`,
    month_name: MONTHS[mo],
  };
}

/** memtotal_mb, memfree_mb, swaptotal_mb, swapfree_mb and memory_mb, from /proc/meminfo (kB). */
export function parseMemory(lines: readonly string[]): Obj {
  const kb = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(l);
    if (m?.[1]) kb.set(m[1], Number(m[2]));
  }
  if (!kb.has('MemTotal')) return {};
  const mb = (k: string): number => Math.floor((kb.get(k) ?? 0) / 1024);
  const total = mb('MemTotal');
  const free = mb('MemFree');
  const swapTotal = mb('SwapTotal');
  const swapFree = mb('SwapFree');
  const nocacheFree = free + mb('Buffers') + mb('Cached');
  return {
    memtotal_mb: total,
    memfree_mb: free,
    swaptotal_mb: swapTotal,
    swapfree_mb: swapFree,
    memory_mb: {
      real: { total, used: total - free, free },
      nocache: { free: nocacheFree, used: total - nocacheFree },
      swap: { total: swapTotal, free: swapFree, used: swapTotal - swapFree, cached: mb('SwapCached') },
    },
  };
}

/** processor (Ansible's flat list), processor_count, _cores, _threads_per_core, _vcpus, _nproc, from /proc/cpuinfo. */
export function parseCpu(lines: readonly string[]): Obj {
  const processor: string[] = [];
  const physical = new Set<string>();
  let cores = 0;
  let siblings = 0;
  let vcpus = 0;
  let current: { index?: string; vendor?: string; model?: string } = {};
  const flush = (): void => {
    if (current.index === undefined) return;
    processor.push(current.index, ...(current.vendor !== undefined ? [current.vendor] : []), ...(current.model !== undefined ? [current.model] : []));
    current = {};
  };
  for (const l of lines) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(l);
    if (!m) continue;
    const [, key = '', value = ''] = m;
    if (key === 'processor') {
      flush();
      current.index = value;
      vcpus++;
    } else if (key === 'vendor_id' || key === 'CPU implementer') current.vendor ??= value;
    else if (key === 'model name' || key === 'Processor' || key === 'cpu model') current.model = value;
    else if (key === 'physical id') physical.add(value);
    else if (key === 'cpu cores') cores = Number(value) || cores;
    else if (key === 'siblings') siblings = Number(value) || siblings;
  }
  flush();
  if (vcpus === 0) return {};
  const count = physical.size || 1;
  const perSocketCores = cores || Math.max(1, Math.floor(vcpus / count));
  const threads = siblings && cores ? Math.max(1, Math.floor(siblings / cores)) : 1;
  return {
    processor,
    processor_count: count,
    processor_cores: perSocketCores,
    processor_threads_per_core: threads,
    processor_vcpus: vcpus,
    processor_nproc: vcpus,
  };
}

/** ansible_dns from resolv.conf. */
export function parseResolv(lines: readonly string[]): Obj {
  const dns: { nameservers?: string[]; search?: string[]; domain?: string; options?: Record<string, string | boolean> } = {};
  for (const l of lines) {
    const [key, ...rest] = l.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) (dns.nameservers ??= []).push(rest[0]);
    else if (key === 'search') dns.search = rest;
    else if (key === 'domain' && rest[0]) dns.domain = rest[0];
    else if (key === 'options') {
      dns.options ??= {};
      for (const o of rest) {
        const [k = '', v] = o.split(':');
        dns.options[k] = v ?? true;
      }
    }
  }
  return dns;
}

/** KEY=value lines (env); a line without `=` continues the previous value (a value with a newline). */
export function parseEnv(lines: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  let last: string | undefined;
  for (const l of lines) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (m?.[1] !== undefined) {
      last = m[1];
      env[last] = m[2] ?? '';
    } else if (last !== undefined) env[last] += `\n${l}`;
  }
  return env;
}

/** ansible_mounts: the mounted block devices (and network file systems) with their sizes, as Ansible lists them. */
export function parseMounts(procMounts: readonly string[], df: readonly string[], dfInodes: readonly string[]): Obj[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const sizes = new Map<string, { total: number; avail: number; used: number }>();
  for (const l of df.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length >= 6) sizes.set(f.slice(5).join(' '), { total: Number(f[1]), used: Number(f[2]), avail: Number(f[3]) });
  }
  const inodes = new Map<string, { total: number; used: number; avail: number }>();
  for (const l of dfInodes.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length >= 6) inodes.set(f.slice(5).join(' '), { total: Number(f[1]), used: Number(f[2]), avail: Number(f[3]) });
  }
  const out: Obj[] = [];
  for (const l of procMounts) {
    const [devRaw = '', mountRaw = '', fstype = '', options = ''] = l.trim().split(/\s+/);
    const device = unescape(devRaw);
    const mount = unescape(mountRaw);
    // Ansible skips pseudo file systems: a device that is not a path (except network file systems)
    if (!device.startsWith('/') && !/^(nfs|nfs4|cifs|smbfs|fuse\.sshfs|glusterfs|ceph)$/.test(fstype)) continue;
    const size = sizes.get(mount);
    const ino = inodes.get(mount);
    const entry: Obj = { mount, device, fstype, options, uuid: 'N/A' };
    if (size) {
      entry.block_size = 1024;
      entry.block_total = size.total;
      entry.block_available = size.avail;
      entry.block_used = size.used;
      entry.size_total = size.total * 1024;
      entry.size_available = size.avail * 1024;
    }
    if (ino) {
      entry.inode_total = ino.total;
      entry.inode_available = ino.avail;
      entry.inode_used = ino.used;
    }
    out.push(entry);
  }
  return out;
}

const prefixToNetmask = (prefix: number): string => {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
};
const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

interface LinkInfo {
  device: string;
  mtu?: number;
  macaddress?: string;
  type: string;
  active: boolean;
  ipv4?: Obj;
  ipv4_secondaries?: Obj[];
  ipv6?: Obj[];
}

/**
 * ansible_interfaces and ansible_<device> from `ip -o link` and `ip -o addr`, and the full
 * ansible_default_ipv4 (address, gateway, interface, netmask, network, macaddress, ...) from the default route.
 */
export interface AddressLine {
  dev: string;
  fam: 'inet' | 'inet6';
  address: string;
  prefix: string;
  brd: string | undefined;
  scope: string;
}

/** `ip -o addr show` lines: one entry per address (the one parser of that output). */
export function parseAddresses(addr: readonly string[]): AddressLine[] {
  const out: AddressLine[] = [];
  for (const l of addr) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(?:\s+brd\s+(\S+))?.*?scope\s+(\S+)/.exec(l);
    if (!m?.[1]) continue;
    out.push({ dev: m[1], fam: m[2] === 'inet' ? 'inet' : 'inet6', address: m[3] ?? '', prefix: m[4] ?? '0', brd: m[5], scope: m[6] ?? '' });
  }
  return out;
}

export function parseInterfaces(link: readonly string[], addr: readonly string[], route: string | undefined): Obj {
  const devs = new Map<string, LinkInfo>();
  for (const l of link) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?\bmtu\s+(\d+)/.exec(l);
    if (!m?.[1]) continue;
    const flags = (m[2] ?? '').split(',');
    const mac = /link\/(\w+)(?:\s+([0-9a-f:]{17}))?/.exec(l);
    const kind = mac?.[1] ?? 'unknown';
    devs.set(m[1], {
      device: m[1],
      mtu: Number(m[3]),
      ...(mac?.[2] ? { macaddress: mac[2] } : {}),
      type: kind,
      active: flags.includes('UP') || flags.includes('LOWER_UP'),
    });
  }
  for (const { dev, fam, address, prefix: prefixS, brd, scope } of parseAddresses(addr)) {
    const d = devs.get(dev) ?? { device: dev, type: 'unknown', active: true };
    devs.set(dev, d);
    const prefix = Number(prefixS);
    if (fam === 'inet') {
      const netmask = prefixToNetmask(prefix);
      const entry: Obj = { address, broadcast: brd ?? '', netmask, network: intToIp((ipToInt(address) & ipToInt(netmask)) >>> 0), prefix: prefixS };
      if (d.ipv4 === undefined) d.ipv4 = entry;
      else (d.ipv4_secondaries ??= []).push(entry);
    } else (d.ipv6 ??= []).push({ address, prefix: prefixS, scope });
  }
  const out: Obj = { interfaces: [...devs.keys()] };
  for (const d of devs.values()) {
    const shown: Obj = { device: d.device, active: d.active, type: d.type };
    if (d.mtu !== undefined) shown.mtu = d.mtu;
    if (d.macaddress !== undefined) shown.macaddress = d.macaddress;
    if (d.ipv4 !== undefined) shown.ipv4 = d.ipv4;
    if (d.ipv4_secondaries !== undefined) shown.ipv4_secondaries = d.ipv4_secondaries;
    if (d.ipv6 !== undefined) shown.ipv6 = d.ipv6;
    // Ansible names the variable after the device, dashes as underscores
    out[d.device.replace(/[-.:]/g, '_')] = shown;
  }
  const r = /^default\s+(?:via\s+(\S+)\s+)?dev\s+(\S+)/.exec(route ?? '');
  const dev = r?.[2] !== undefined ? devs.get(r[2]) : undefined;
  if (dev?.ipv4 !== undefined) {
    out.default_ipv4 = {
      ...dev.ipv4,
      alias: dev.device,
      interface: dev.device,
      gateway: r?.[1] ?? '',
      ...(dev.macaddress !== undefined ? { macaddress: dev.macaddress } : {}),
      ...(dev.mtu !== undefined ? { mtu: dev.mtu } : {}),
      type: dev.type,
    };
  }
  return out;
}

/** Ansible's local facts: each /etc/ansible/facts.d/NAME.fact as JSON, else INI sections, under ansible_local.NAME. */
export function parseLocalFacts(lines: readonly string[]): Record<string, unknown> {
  const files = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const l of lines) {
    const m = /^#FILE (.+)$/.exec(l);
    if (m?.[1]) {
      current = [];
      files.set((m[1].split('/').pop() ?? m[1]).replace(/\.fact$/, ''), current);
    } else current?.push(l);
  }
  const out: Record<string, unknown> = {};
  for (const [name, content] of files) {
    const text = content.join('\n');
    try {
      out[name] = JSON.parse(text) as unknown;
      continue;
    } catch {
      // not JSON: INI, as Ansible falls back to
    }
    const ini: Record<string, Record<string, string>> = {};
    let section: Record<string, string> | undefined;
    let ok = true;
    for (const l of content) {
      const t = l.trim();
      if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
      const sec = /^\[(.+)\]$/.exec(t);
      if (sec?.[1]) ini[sec[1]] = section = {};
      else {
        const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(t);
        if (kv?.[1] && section) section[kv[1]] = kv[2] ?? '';
        else ok = false;
      }
    }
    out[name] = ok ? ini : `error loading facts as JSON or ini - please check content: ${name}.fact`;
  }
  return out;
}

/** Every extra fact, under Ansible's names without the `ansible_` prefix. */
export function parseSystemFacts(s: Sections, base: { hostname: string; fqdn: string; osRelease: Record<string, string>; distribution: string; distributionVersion: string; distributionRelease: string; architecture: string }): Obj {
  const f: Obj = {};
  const passwd = (s.get('passwd')?.[0] ?? '').split(':');
  if (passwd.length >= 7) {
    f.user_uid = Number(passwd[2]);
    f.user_gid = Number(passwd[3]);
    f.user_gecos = passwd[4] ?? '';
    f.user_dir = passwd[5] ?? '';
    f.user_shell = passwd[6] ?? '';
  }
  const dt = parseDateTime(s.get('date')?.[0]);
  if (dt) f.date_time = dt;
  Object.assign(f, parseMemory(body(s, 'meminfo')), parseCpu(body(s, 'cpuinfo')));
  const up = /^(\d+)/.exec(body(s, 'uptime')[0] ?? '');
  if (up) f.uptime_seconds = Number(up[1]);
  if (s.has('resolv')) f.dns = parseResolv(body(s, 'resolv'));
  if (s.has('env')) f.env = parseEnv(body(s, 'env'));
  if (s.has('proc-mounts')) f.mounts = parseMounts(body(s, 'proc-mounts'), s.get('df') ?? [], s.get('df-i') ?? []);
  if ((s.get('link') ?? []).length > 0) Object.assign(f, parseInterfaces(s.get('link') ?? [], s.get('addr') ?? [], s.get('route')?.[0]));
  const virt = (s.get('virt')?.[0] ?? '').trim();
  // systemd-detect-virt names the technology; Ansible's role is guest inside one, else NA
  f.virtualization_type = virt && virt !== 'none' ? virt : 'NA';
  f.virtualization_role = virt && virt !== 'none' ? 'guest' : 'NA';
  f.virtualization_tech_guest = virt && virt !== 'none' ? [virt] : [];
  f.virtualization_tech_host = [];
  const bits = (s.get('bits')?.[0] ?? '').trim();
  if (/^\d+$/.test(bits)) f.userspace_bits = bits;
  f.userspace_architecture = base.architecture;
  const kv = (s.get('uname-v')?.[0] ?? '').trim();
  if (kv) f.kernel_version = kv;
  const mid = (body(s, 'machine-id')[0] ?? '').trim();
  if (mid) f.machine_id = mid;
  const cmdline = (body(s, 'cmdline')[0] ?? '').trim();
  if (cmdline) {
    const parsed: Record<string, string | boolean> = {};
    const proc: Record<string, string | boolean | Array<string | boolean>> = {};
    for (const w of cmdline.split(/\s+/)) {
      const i = w.indexOf('=');
      const [k, v] = i < 0 ? [w, true] : [w.slice(0, i), w.slice(i + 1)];
      parsed[k] = v;
      const prev = proc[k];
      proc[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    f.cmdline = parsed;
    f.proc_cmdline = proc;
  }
  const dmi = new Map(body(s, 'dmi').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const));
  const na = (k: string): string => dmi.get(k) || 'NA';
  if (s.has('dmi')) {
    f.system_vendor = na('sys_vendor');
    f.product_name = na('product_name');
    f.product_version = na('product_version');
    f.product_serial = na('product_serial');
    f.bios_vendor = na('bios_vendor');
    f.bios_version = na('bios_version');
    f.bios_date = na('bios_date');
  }
  f.apparmor = { status: (s.get('apparmor') ?? []).includes('enabled') ? 'enabled' : 'disabled' };
  // selinuxfs mounted: SELinux is on, and `enforce` says the mode
  const enforce = body(s, 'selinux')[0]?.trim();
  f.selinux = enforce === undefined ? { status: 'disabled' } : { status: 'enabled', mode: enforce === '1' ? 'enforcing' : 'permissive' };
  f.domain = base.fqdn.startsWith(`${base.hostname}.`) ? base.fqdn.slice(base.hostname.length + 1) : '';
  const os = base.osRelease;
  if (os.ID !== undefined) {
    f.lsb = {
      id: base.distribution,
      description: os.PRETTY_NAME ?? '',
      release: base.distributionVersion.split('.')[0] ?? base.distributionVersion,
      codename: base.distributionRelease,
      major_release: base.distributionVersion.split('.')[0] ?? '',
    };
    f.distribution_file_variety = base.distribution === 'Debian' || (os.ID_LIKE ?? '').includes('debian') ? 'Debian' : base.distribution;
  }
  if (s.has('local')) f.local = parseLocalFacts(body(s, 'local'));
  f.gather_subset = ['all'];
  f.module_setup = true;
  return f;
}
