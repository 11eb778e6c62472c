import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostFactsCommand, parseHostFacts, parseOsRelease } from './gather.js';

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
