import { describe, expect, it } from 'vitest';
import { factVars } from './facts-vars.js';
import type { HostFacts } from './types.js';

const base: HostFacts = {
  system: 'Linux', kernel: '6.1', architecture: 'x86_64', hostname: 'n1', fqdn: 'n1.example.org', distribution: 'Debian', distributionVersion: '12.5',
  distributionRelease: 'bookworm', osFamily: 'Debian', serviceMgr: 'systemd', pkgMgr: 'apt', ipv4: ['10.0.0.5'], ipv6: [], defaultIpv4: '10.0.0.5', user: 'deploy', pythonAvailable: false,
};

describe('facts as Ansible variables', () => {
  it('the setup facts beyond runbook\'s own reach ansible_facts and ansible_*; the full default_ipv4 wins over the address alone', () => {
    const v = factVars({ ...base, extra: { memtotal_mb: 2000, date_time: { date: '2026-12-03' }, default_ipv4: { address: '10.0.0.5', gateway: '10.0.0.1', interface: 'eth0' }, eth0: { device: 'eth0' } } });
    expect(v.ansible_memtotal_mb).toBe(2000);
    expect(v.ansible_date_time).toEqual({ date: '2026-12-03' });
    expect(v.ansible_eth0).toEqual({ device: 'eth0' });
    expect((v.ansible_facts as Record<string, unknown>).default_ipv4).toEqual({ address: '10.0.0.5', gateway: '10.0.0.1', interface: 'eth0' });
    // runbook's own facts are not overridden by an extra of the same name
    expect(factVars({ ...base, extra: { distribution: 'Other' } }).ansible_distribution).toBe('Debian');
    expect(factVars(base).ansible_default_ipv4).toEqual({ address: '10.0.0.5' });
  });
});
