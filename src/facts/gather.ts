// Host facts in ONE round trip: a single shell command prints labelled sections (uname,
// os-release, names, addresses, init system, package managers, user), and a pure parser turns
// them into HostFacts. Every probe tolerates a missing tool: a minimal container still answers.
import { rawCommand } from '../transport/command.js';
import type { Transport } from '../transport/types.js';
import { ExecError } from '../transport/errors.js';
import type { HostFacts } from './types.js';
import { sectionMap, sectionStart } from './sections.js';
import { parseAddresses, parseSystemFacts } from './system-facts.js';

const SCRIPT = [
  `${sectionStart('uname')}; uname -s; uname -r; uname -m`,
  `${sectionStart('os-release')}; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null`,
  `${sectionStart('debian-version')}; cat /etc/debian_version 2>/dev/null`,
  `${sectionStart('hostname')}; hostname 2>/dev/null || cat /etc/hostname 2>/dev/null`,
  `${sectionStart('fqdn')}; hostname -f 2>/dev/null`,
  `${sectionStart('addr')}; ip -o addr show 2>/dev/null`,
  `${sectionStart('hostname-i')}; hostname -I 2>/dev/null`,
  `${sectionStart('route')}; ip -4 route show default 2>/dev/null`,
  `${sectionStart('init')}; [ -d /run/systemd/system ] && echo systemd-running; cat /proc/1/comm 2>/dev/null`,
  `${sectionStart('commands')}; for c in apt-get dnf yum apk snap systemctl service update-rc.d python3 curl; do command -v $c; done`,
  `${sectionStart('user')}; id -un`,
  // the rest is what Ansible's setup reports that content reads (ansible_date_time, memtotal_mb,
  // processor_vcpus, env, user_dir, dns, mounts, ...): files read with shell builtins (rd), each
  // line prefixed with '|' so no file can forge a section; see system-facts.ts
  `rd() { while IFS= read -r l || [ -n "$l" ]; do printf '|%s\\n' "$l"; done < "$1"; } 2>/dev/null`,
  `${sectionStart('passwd')}; getent passwd "$(id -u)" 2>/dev/null`,
  `${sectionStart('date')}; date '+%s %N %z %Z' 2>/dev/null`,
  `${sectionStart('meminfo')}; rd /proc/meminfo`,
  `${sectionStart('cpuinfo')}; rd /proc/cpuinfo`,
  `${sectionStart('uptime')}; rd /proc/uptime`,
  `${sectionStart('resolv')}; rd /etc/resolv.conf`,
  `${sectionStart('env')}; env 2>/dev/null | while IFS= read -r l; do printf '|%s\\n' "$l"; done`,
  `${sectionStart('proc-mounts')}; rd /proc/mounts`,
  `${sectionStart('df')}; df -P -k 2>/dev/null`,
  `${sectionStart('df-i')}; df -P -i 2>/dev/null`,
  `${sectionStart('link')}; ip -o link show 2>/dev/null`,
  `${sectionStart('virt')}; systemd-detect-virt 2>/dev/null || { [ -f /.dockerenv ] && echo docker; }`,
  `${sectionStart('bits')}; getconf LONG_BIT 2>/dev/null`,
  `${sectionStart('uname-v')}; uname -v 2>/dev/null`,
  `${sectionStart('machine-id')}; rd /etc/machine-id`,
  `${sectionStart('cmdline')}; rd /proc/cmdline`,
  `${sectionStart('dmi')}; for f in sys_vendor product_name product_version product_serial bios_vendor bios_version bios_date; do v=; read -r v 2>/dev/null < /sys/class/dmi/id/$f; printf '|%s=%s\\n' "$f" "$v"; done`,
  `${sectionStart('apparmor')}; [ -d /sys/kernel/security/apparmor ] && echo enabled`,
  `${sectionStart('selinux')}; rd /sys/fs/selinux/enforce`,
  // Ansible's local facts (fact_path /etc/ansible/facts.d): an executable .fact is run, another read
  `${sectionStart('local')}; for f in /etc/ansible/facts.d/*.fact; do [ -f "$f" ] || continue; printf '|#FILE %s\\n' "$f"; if [ -x "$f" ]; then "$f" 2>/dev/null | while IFS= read -r l || [ -n "$l" ]; do printf '|%s\\n' "$l"; done; else rd "$f"; fi; done`,
  // runbook runs no Python on hosts, but content reads ansible_python when a host has one
  `${sectionStart('python')}; p=$(command -v python3) && "$p" -c 'import sys, platform; print(sys.executable); print(*sys.version_info); print(platform.python_implementation())' 2>/dev/null`,
  `${sectionStart('end')}`,
].join('\n');

export const hostFactsCommand = rawCommand(SCRIPT);

export function parseOsRelease(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m?.[1]) continue;
    let v = m[2] ?? '';
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]] = v.replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

const FAMILY: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Debian',
  raspbian: 'Debian',
  linuxmint: 'Debian',
  fedora: 'RedHat',
  rhel: 'RedHat',
  centos: 'RedHat',
  rocky: 'RedHat',
  almalinux: 'RedHat',
  alpine: 'Alpine',
  arch: 'Archlinux',
  opensuse: 'Suse',
  sles: 'Suse',
};

function capitalise(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Parse the output of `hostFactsCommand`. */
export function parseHostFacts(stdout: string): HostFacts {
  const s = sectionMap(stdout);
  const get = (k: string) => s.get(k) ?? [];
  const [system = 'unknown', kernel = '', architecture = ''] = get('uname');
  const os = parseOsRelease(get('os-release'));
  const id = (os.ID ?? '').toLowerCase();
  const idLike = (os.ID_LIKE ?? '').toLowerCase().split(/\s+/);
  const family = FAMILY[id] ?? idLike.map((l) => FAMILY[l]).find((f) => f !== undefined) ?? (capitalise(id) || 'unknown');
  const distribution = os.NAME?.startsWith('Debian') ? 'Debian' : capitalise(id) || os.NAME || 'unknown';
  // Debian's VERSION_ID is the major version; /etc/debian_version has the point release.
  const debianVersion = get('debian-version')[0]?.trim();
  const versionId = os.VERSION_ID ?? '';
  const distributionVersion = id === 'debian' && debianVersion && /^\d/.test(debianVersion) ? debianVersion : versionId;
  const distributionRelease = os.VERSION_CODENAME ?? os.UBUNTU_CODENAME ?? '';

  const hostname = (get('hostname')[0] ?? '').trim();
  const fqdn = (get('fqdn')[0] ?? '').trim() || hostname;

  const ipv4: string[] = [];
  const ipv6: string[] = [];
  const byDev = new Map<string, { ipv4: string[]; ipv6: string[] }>();
  for (const { dev, fam, address: addr, scope } of parseAddresses(get('addr'))) {
    if (scope === 'host') continue;
    const entry = byDev.get(dev) ?? { ipv4: [], ipv6: [] };
    byDev.set(dev, entry);
    if (fam === 'inet') {
      ipv4.push(addr);
      entry.ipv4.push(addr);
    } else {
      ipv6.push(addr);
      entry.ipv6.push(addr);
    }
  }
  if (ipv4.length === 0 && ipv6.length === 0) {
    // no `ip`: hostname -I lists the addresses without interfaces
    for (const a of (get('hostname-i')[0] ?? '').trim().split(/\s+/)) {
      if (!a) continue;
      if (a.includes(':')) ipv6.push(a);
      else ipv4.push(a);
    }
  }
  let defaultIpv4: string | undefined;
  const route = /^default\s+(?:via\s+(\S+)\s+)?dev\s+(\S+)/.exec(get('route')[0] ?? '');
  if (route?.[2]) defaultIpv4 = byDev.get(route[2])?.ipv4[0];
  defaultIpv4 ??= ipv4[0];

  const init = get('init');
  const pid1 = init.find((l) => l !== 'systemd-running')?.trim();
  const systemdRunning = init.includes('systemd-running');
  const serviceMgr: HostFacts['serviceMgr'] = systemdRunning ? 'systemd' : init.length > 0 ? 'sysvinit' : 'unknown';

  const commands = new Set(get('commands').map((p) => p.trim().split('/').pop() ?? ''));
  const pkgMgr: HostFacts['pkgMgr'] = commands.has('apt-get')
    ? 'apt'
    : commands.has('dnf')
      ? 'dnf'
      : commands.has('yum')
        ? 'yum'
        : commands.has('apk')
          ? 'apk'
          : 'unknown';

  const [pyExe, pyVersion, pyImpl] = get('python').map((l) => l.trim());
  const pv = /^(\d+) (\d+) (\d+) (\w+) (\d+)$/.exec(pyVersion ?? '');
  const facts: HostFacts = {
    system,
    kernel,
    architecture,
    hostname: hostname.split('.')[0] ?? hostname,
    fqdn,
    distribution,
    distributionVersion,
    distributionRelease,
    distributionMajorVersion: (distributionVersion.split('.')[0] ?? '') || versionId,
    osFamily: family,
    serviceMgr,
    pkgMgr,
    ipv4,
    ipv6,
    user: (get('user')[0] ?? '').trim(),
    pythonAvailable: commands.has('python3'),
    pid1Comm: pid1,
    interfaces: Object.fromEntries(byDev),
    commands: [...commands].filter((c) => c !== '').sort(),
    osRelease: os,
  };
  if (defaultIpv4 !== undefined) facts.defaultIpv4 = defaultIpv4;
  facts.extra = parseSystemFacts(s, { hostname: facts.hostname, fqdn, osRelease: os, distribution, distributionVersion, distributionRelease, architecture });
  if (pyExe && pv) {
    facts.python = {
      executable: pyExe,
      type: (pyImpl ?? 'CPython').toLowerCase() === 'cpython' ? 'cpython' : (pyImpl ?? '').toLowerCase(),
      version: { major: Number(pv[1]), minor: Number(pv[2]), micro: Number(pv[3]), releaselevel: pv[4]!, serial: Number(pv[5]) },
    };
  }
  return facts;
}

/** Collect HostFacts with one remote command. */
export async function gatherFacts(transport: Transport): Promise<HostFacts> {
  const r = await transport.exec(hostFactsCommand, { timeoutMs: 60_000 });
  // The script's sections each tolerate failure; only a dead shell fails the whole command.
  if (r.exitCode === null || !r.stdout.includes('@@end')) throw new ExecError(r);
  return parseHostFacts(r.stdout);
}
