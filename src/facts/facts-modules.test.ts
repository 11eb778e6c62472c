// The probes of the facts modules (service_facts, package_facts, setup's local facts) parsed from
// real command output, and module facts joining the gathered ones as Ansible names them.
import { describe, expect, it } from 'vitest';
import { parseServices } from './services.js';
import { parsePackages } from './packages.js';
import { parseLocalFacts } from './local-facts.js';
import { factVars } from './facts-vars.js';
import type { HostFacts } from './types.js';

describe('service_facts probe', () => {
  it('systemd units, unit files and sysv scripts as Ansible reports them', () => {
    const out = [
      '@@units',
      'cron.service                 loaded    active   running Regular background program processing daemon',
      'ssh.service                  loaded    active   running OpenBSD Secure Shell server',
      'nosuch.service               not-found inactive dead    nosuch.service',
      'rsync.service                loaded    inactive dead    fast remote file copy program daemon',
      '@@files',
      'cron.service                 enabled         enabled',
      'nosuch.service               disabled        enabled',
      'rsync.service                disabled        enabled',
      'ntp.service                  masked          enabled',
      'getty@.service               enabled         enabled',
      '@@show',
      'ActiveState=inactive',
      'Id=ntp.service',
      '',
      'Id=other.service',
      'ActiveState=failed',
      '@@sysv',
      ' [ + ]  cron',
      ' [ - ]  rsync',
    ].join('\n');
    const s = parseServices(out);
    expect(s['cron.service']).toEqual({ name: 'cron.service', state: 'running', status: 'enabled', source: 'systemd' });
    // a bad state from list-units is kept over the unit file's status
    expect(s['nosuch.service']).toEqual({ name: 'nosuch.service', state: 'stopped', status: 'not-found', source: 'systemd' });
    expect(s['rsync.service']).toMatchObject({ state: 'stopped', status: 'disabled' });
    // a unit file not loaded: its ActiveState from systemctl show, whatever the property order
    expect(s['ntp.service']).toEqual({ name: 'ntp.service', state: 'inactive', status: 'masked', source: 'systemd' });
    expect(s['getty@.service']).toMatchObject({ state: 'unknown', status: 'enabled' });
    expect(s.cron).toEqual({ name: 'cron', state: 'running', source: 'sysv' });
    expect(s.rsync).toEqual({ name: 'rsync', state: 'stopped', source: 'sysv' });
    expect(parseServices('')).toEqual({});
  });
});

describe('package_facts probe', () => {
  it('installed packages only, foreign architectures as name:arch', () => {
    const st = parsePackages(
      ['@@arch', 'amd64', '@@dpkg', 'ii \tcurl\t7.88.1-10\tamd64\tweb', 'rc \told\t1.0\tamd64\tmisc', 'un \tgone\t\t\t', 'ii \tlibc6\t2.36-9\ti386\tlibs', 'ii \ttzdata\t2024a\tall\tlocalization', 'iU \thalf\t2\tamd64\tmisc'].join('\n'),
    );
    expect(st.apt).toBe(true);
    expect(Object.keys(st.packages).sort()).toEqual(['curl', 'half', 'libc6:i386', 'tzdata']);
    expect(st.packages.curl).toEqual([{ name: 'curl', version: '7.88.1-10', arch: 'amd64', category: 'web', source: 'apt' }]);
    expect(parsePackages('').apt).toBe(false);
  });
});

describe('setup local facts', () => {
  it('JSON, INI (keys lower-cased as configparser does) and unreadable content', () => {
    const out = ['@@local site', '|{"role": "web", "n": 2}', '@@local-rc 0', '@@local legacy', '|[main]', '|Color = blue', '@@local-rc 0', '@@local bad', '|not facts', '@@local-rc 0'].join('\n');
    expect(parseLocalFacts(out, '/etc/ansible/facts.d')).toEqual({
      site: { role: 'web', n: 2 },
      legacy: { main: { color: 'blue' } },
      bad: 'error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/bad.fact',
    });
  });
});

describe('module facts join the gathered facts', () => {
  const gathered = { system: 'Linux', kernel: '6', architecture: 'x86_64', hostname: 'h', fqdn: 'h', distribution: 'Debian', distributionVersion: '12.5', distributionRelease: 'bookworm', osFamily: 'Debian', serviceMgr: 'systemd', pkgMgr: 'apt', ipv4: [], ipv6: [], user: 'root', pythonAvailable: false } satisfies HostFacts;
  it('services: ansible_facts.services and the top-level services; ansible_X as ansible_facts.X', () => {
    const v = factVars(gathered, { services: { a: 1 }, ansible_distribution: 'Other', getent_passwd: { root: [] } });
    expect(v.services).toEqual({ a: 1 });
    expect(v.getent_passwd).toEqual({ root: [] });
    expect(v.ansible_facts).toMatchObject({ services: { a: 1 }, distribution: 'Other', os_family: 'Debian', getent_passwd: { root: [] } });
    expect(v.ansible_distribution).toBe('Other');
    expect(factVars(undefined, { services: {} }).ansible_facts).toEqual({ services: {} });
  });
});
