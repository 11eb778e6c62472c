import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { totalmem, userInfo } from 'node:os';
import { hostFactsCommand, parseHostFacts, parseOsRelease } from './gather.js';
import { parseCpu, parseDateTime, parseEnv, parseInterfaces, parseMemory, parseMounts, parseResolv } from './system-facts.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseHostFacts', () => {
  it('reads a Debian 12 container without systemd (captured on the lab machine)', () => {
    const f = parseHostFacts(fixture('debian12-container.txt'));
    expect(f).toMatchObject({
      system: 'Linux',
      kernel: '6.18.44-fc-v669',
      architecture: 'x86_64',
      distribution: 'Debian',
      distributionVersion: '12.11',
      distributionMajorVersion: '12',
      distributionRelease: 'bookworm',
      osFamily: 'Debian',
      hostname: 'vm',
      fqdn: 'vm',
      serviceMgr: 'sysvinit',
      pkgMgr: 'apt',
      ipv4: ['192.0.2.2'],
      defaultIpv4: '192.0.2.2',
      user: 'root',
      pythonAvailable: true,
      pid1Comm: 'process_api',
    });
    // systemctl is installed but systemd is not running: the service module must not use it
    expect(f.commands).toContain('systemctl');
    expect(f.ipv6).toEqual(['fd00::2', 'fe80::fc:ff:fe00:1']);
  });

  it('reads a booted Debian 12 host with systemd', () => {
    const f = parseHostFacts(fixture('debian12-systemd.txt'));
    expect(f.serviceMgr).toBe('systemd');
    expect(f.pid1Comm).toBe('systemd');
    expect(f.fqdn).toBe('node42.allstar.example.org');
    expect(f.hostname).toBe('node42');
    expect(f.ipv4).toEqual(['192.168.1.42', '10.8.0.2']);
    expect(f.defaultIpv4).toBe('192.168.1.42');
    expect(f.interfaces?.wg0?.ipv4).toEqual(['10.8.0.2']);
    expect(f.commands).toContain('snap');
    expect(f.user).toBe('deploy');
  });

  it('falls back to hostname -I when ip is missing, and to unknown for empty output', () => {
    const f = parseHostFacts('@@uname\nLinux\n5.10\naarch64\n@@hostname-i\n10.0.0.5 fd00::5\n@@init\n@@commands\n/sbin/apk\n@@end\n');
    expect(f.ipv4).toEqual(['10.0.0.5']);
    expect(f.ipv6).toEqual(['fd00::5']);
    expect(f.pkgMgr).toBe('apk');
    expect(f.serviceMgr).toBe('unknown');
    expect(f.architecture).toBe('aarch64');
  });

  it('unquotes os-release values', () => {
    expect(parseOsRelease(['NAME="Ubuntu"', "ID_LIKE='debian'", 'X="a \\"b\\""'])).toEqual({ NAME: 'Ubuntu', ID_LIKE: 'debian', X: 'a "b"' });
  });

  it('the command runs in a POSIX shell and its output parses (this machine)', () => {
    const out = execFileSync('sh', ['-c', hostFactsCommand.toShell()], { encoding: 'utf8' });
    const f = parseHostFacts(out);
    expect(f.system).toBe('Linux');
    expect(f.user).not.toBe('');
    expect(out).toContain('@@end');
    // this machine has a python3: ansible_python is read from it, as Ansible's setup reports it
    const py = execFileSync('python3', ['-c', 'import sys; print(sys.executable); print(*sys.version_info)'], { encoding: 'utf8' }).trim().split('\n');
    const [major, minor, micro, releaselevel, serial] = py[1]!.split(' ');
    expect(f.python).toEqual({ executable: py[0], type: 'cpython', version: { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel, serial: Number(serial) } });
  });

  it('a host without python3 has no python facts (and the rest still parses)', () => {
    const out = execFileSync('/bin/sh', ['-c', hostFactsCommand.toShell()], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    const f = parseHostFacts(out);
    expect(f.python).toBeUndefined();
    expect(out).toContain('@@end');
  });
});

describe('the rest of Ansible\'s setup facts (system-facts.ts)', () => {
  it('date_time in the host\'s zone from its epoch and offset, as Ansible\'s setup computes it', () => {
    // 2026-01-04T23:30:05Z is a Sunday; at +0200 it is already Monday the 5th
    const d = parseDateTime('1767569405 123456789 +0200 EET');
    expect(d).toMatchObject({ date: '2026-01-05', time: '01:30:05', weekday: 'Monday', weekday_number: '1', weeknumber: '01', tz: 'EET', tz_offset: '+0200', epoch: '1767569405', iso8601: '2026-01-04T23:30:05Z', iso8601_micro: '2026-01-04T23:30:05.123456Z', iso8601_basic_short: '20260105T013005' });
    expect(parseDateTime('1767569405 N -0330 NST')).toMatchObject({ date: '2026-01-04', time: '20:00:05', weekday: 'Sunday', weekday_number: '0' });
    expect(parseDateTime('garbage')).toBeUndefined();
  });

  it('memory in MB, processors as Ansible counts them, resolv.conf, multi-line env values', () => {
    expect(parseMemory(['MemTotal:  2048000 kB', 'MemFree: 1024000 kB', 'Buffers: 10240 kB', 'Cached: 102400 kB', 'SwapTotal: 0 kB', 'SwapFree: 0 kB'])).toMatchObject({
      memtotal_mb: 2000,
      memfree_mb: 1000,
      memory_mb: { real: { total: 2000, used: 1000, free: 1000 }, nocache: { free: 1110, used: 890 } },
    });
    const cpu = parseCpu(['processor : 0', 'vendor_id : GenuineIntel', 'model name : Xeon', 'physical id : 0', 'siblings : 4', 'cpu cores : 2', '', 'processor : 1', 'vendor_id : GenuineIntel', 'model name : Xeon', 'physical id : 0', 'siblings : 4', 'cpu cores : 2', '', 'processor : 2', 'physical id : 0', 'processor : 3', 'physical id : 0']);
    expect(cpu).toMatchObject({ processor_vcpus: 4, processor_count: 1, processor_cores: 2, processor_threads_per_core: 2, processor: ['0', 'GenuineIntel', 'Xeon', '1', 'GenuineIntel', 'Xeon', '2', '3'] });
    expect(parseResolv(['# comment', 'nameserver 10.0.0.1', 'nameserver 10.0.0.2', 'search a.test b.test', 'options ndots:2 rotate'])).toEqual({ nameservers: ['10.0.0.1', '10.0.0.2'], search: ['a.test', 'b.test'], options: { ndots: '2', rotate: true } });
    expect(parseEnv(['HOME=/home/x', 'MULTI=a', 'b', 'EMPTY='])).toEqual({ HOME: '/home/x', MULTI: 'a\nb', EMPTY: '' });
  });

  it('interfaces, the full default_ipv4, mounts with sizes', () => {
    const link = ['1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00', '2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0'];
    const addr = ['1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever', '2: eth0    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\\       valid_lft forever preferred_lft forever', '2: eth0    inet6 fe80::42:acff:fe11:2/64 scope link \\       valid_lft forever preferred_lft forever'];
    const i = parseInterfaces(link, addr, 'default via 172.17.0.1 dev eth0');
    expect(i.interfaces).toEqual(['lo', 'eth0']);
    expect(i.default_ipv4).toEqual({ address: '172.17.0.2', broadcast: '172.17.255.255', netmask: '255.255.0.0', network: '172.17.0.0', prefix: '16', alias: 'eth0', interface: 'eth0', gateway: '172.17.0.1', macaddress: '02:42:ac:11:00:02', mtu: 1500, type: 'ether' });
    expect(i.eth0).toMatchObject({ device: 'eth0', active: true, ipv6: [{ address: 'fe80::42:acff:fe11:2', prefix: '64', scope: 'link' }] });
    const mounts = parseMounts(['/dev/sda1 / ext4 rw,relatime 0 0', 'proc /proc proc rw 0 0', '/dev/sdb1 /mnt/with\\040space xfs ro 0 0'], ['Filesystem 1024-blocks Used Available Capacity Mounted on', '/dev/sda1 1000 400 600 40% /', '/dev/sdb1 10 1 9 10% /mnt/with space'], []);
    expect(mounts.map((m) => m.mount)).toEqual(['/', '/mnt/with space']);
    expect(mounts[0]).toMatchObject({ device: '/dev/sda1', fstype: 'ext4', options: 'rw,relatime', size_total: 1024000, size_available: 614400, block_used: 400 });
  });

  it('local facts: JSON, else INI; a file that is neither says so; no content forges a section', () => {
    const out = parseHostFacts('@@uname\nLinux\n6.1\nx86_64\n@@local\n|#FILE /etc/ansible/facts.d/app.fact\n|{"version": "1.2"}\n|#FILE /etc/ansible/facts.d/site.fact\n|[general]\n|role = hub\n|#FILE /etc/ansible/facts.d/bad.fact\n|@@end\n|not ini\n@@end\n');
    expect(out.extra?.local).toEqual({ app: { version: '1.2' }, site: { general: { role: 'hub' } }, bad: 'error loading facts as JSON or ini - please check content: bad.fact' });
  });

  it('this machine: the facts content reads most are there and agree with the machine', () => {
    const out = execFileSync('sh', ['-c', hostFactsCommand.toShell()], { encoding: 'utf8' });
    const f = parseHostFacts(out).extra ?? {};
    expect((f.date_time as Record<string, string>).year).toBe(String(new Date().getFullYear()));
    expect(f.memtotal_mb).toBe(Math.floor(totalmem() / 1024 / 1024));
    expect(f.processor_vcpus).toBe(Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim()));
    expect(f.user_dir).toBe(userInfo().homedir);
    expect(f.user_uid).toBe(userInfo().uid);
    expect((f.env as Record<string, string>).PATH).toBe(process.env.PATH);
    expect((f.mounts as Array<{ mount: string }>).some((m) => m.mount === '/')).toBe(true);
    expect(f.interfaces).toContain('lo');
    expect(f.lo).toMatchObject({ device: 'lo', type: 'loopback' });
  });
});

describe('selinux', () => {
  it('enabled with its mode where selinuxfs says so, else disabled (never assumed)', () => {
    const base = '@@uname\nLinux\n6.1\nx86_64\n';
    expect(parseHostFacts(`${base}@@selinux\n|1\n@@end\n`).extra?.selinux).toEqual({ status: 'enabled', mode: 'enforcing' });
    expect(parseHostFacts(`${base}@@selinux\n|0\n@@end\n`).extra?.selinux).toEqual({ status: 'enabled', mode: 'permissive' });
    expect(parseHostFacts(`${base}@@selinux\n@@end\n`).extra?.selinux).toEqual({ status: 'disabled' });
  });
});
