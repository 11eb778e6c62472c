import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inventoryText, sshConfigText } from './inventory.js';
import type { LabInfo } from './types.js';

const info: LabInfo = {
  name: 'demo',
  stateDir: '/var/lib/runbook-lab/demo',
  gateway: '10.34.0.1',
  subnet: '10.34.0.0/16',
  bridge: 'rbl-demo',
  keyFile: '/var/lib/runbook-lab/demo/keys/id_ed25519',
  knownHostsFile: '/var/lib/runbook-lab/demo/known_hosts',
  inventoryFile: '/var/lib/runbook-lab/demo/inventory.yml',
  users: { nopasswd: { name: 'deploy' }, passwd: { name: 'ops', sudoPassword: 'secret' } },
  hosts: [
    { name: 'h001', address: '10.34.1.10', port: 22, kind: 'fleet' },
    { name: 'allmon', address: '10.34.0.10', port: 22, kind: 'full', domain: 'allmon.lab.test' },
    { name: 'dms', address: '10.34.0.11', port: 22, kind: 'full', domain: 'dms.lab.test' },
  ],
  acme: {
    directoryUrl: 'https://acme.lab.test:14000/dir',
    rootPemFile: '/r.pem',
    caPemFile: '/ca.pem',
    caBundleOnHost: '/usr/local/share/ca-certificates/runbook-lab-ca.crt',
    resolver: '10.34.0.1:8053',
  },
};

describe('lab inventory', () => {
  it('writes Ansible YAML with fleet, full and per-layer groups and what the playbooks need', () => {
    const doc = parse(inventoryText(info, new Map([['allmon', 'apache'], ['dms', 'base']]))) as {
      all: { vars: Record<string, string>; children: Record<string, { hosts: Record<string, Record<string, string> | null>; vars?: Record<string, string> }> };
    };
    expect(doc.all.vars).toMatchObject({
      ansible_user: 'deploy',
      ansible_ssh_private_key_file: info.keyFile,
      runbook_known_hosts_file: info.knownHostsFile,
    });
    expect(doc.all.children.fleet?.hosts).toEqual({ h001: { ansible_host: '10.34.1.10' } });
    expect(doc.all.children.full?.hosts.allmon).toEqual({ ansible_host: '10.34.0.10', domain: 'allmon.lab.test' });
    expect(doc.all.children.full?.vars).toMatchObject({
      acme_server: 'https://acme.lab.test:14000/dir',
      acme_ca_bundle: '/usr/local/share/ca-certificates/runbook-lab-ca.crt',
      preflight_resolver: '10.34.0.1:8053',
      certbot_install_method: 'apt',
    });
    expect(Object.keys(doc.all.children.apache?.hosts ?? {})).toEqual(['allmon']);
    expect(Object.keys(doc.all.children.base?.hosts ?? {})).toEqual(['dms']);
    // the sudo password is for tests; it never lands in a file others read
    expect(inventoryText(info, new Map())).not.toContain('secret');
  });

  it('writes an ssh_config with strict host key checking against the lab known_hosts', () => {
    const cfg = sshConfigText(info);
    expect(cfg).toContain('Host allmon allmon.lab.test\n  HostName 10.34.0.10\n  Port 22\n');
    expect(cfg).toContain(`UserKnownHostsFile ${info.knownHostsFile}`);
    expect(cfg).toContain('StrictHostKeyChecking yes');
    expect(cfg).toContain('GlobalKnownHostsFile /dev/null');
  });

  it('sends hosts behind a hub through it: ProxyJump in the inventory and the ssh_config, one group per site', () => {
    const withSite: LabInfo = {
      ...info,
      hosts: [...info.hosts, { name: 'node1', address: '10.34.200.12', port: 22, kind: 'full', domain: 'node1.lab.test', behind: 'allmon' }],
      sites: [{ hub: 'allmon', hubAddress: '10.34.0.10', subnet: '10.34.200.0/24', hosts: ['node1'] }],
    };
    const doc = parse(inventoryText(withSite, new Map())) as { all: { children: Record<string, { hosts: Record<string, Record<string, string> | null> }> } };
    expect(doc.all.children.full?.hosts.node1).toEqual({ ansible_host: '10.34.200.12', domain: 'node1.lab.test', ansible_ssh_common_args: '-o ProxyJump=deploy@10.34.0.10:22' });
    // the hub itself is reached directly
    expect(doc.all.children.full?.hosts.allmon).toEqual({ ansible_host: '10.34.0.10', domain: 'allmon.lab.test' });
    expect(Object.keys(doc.all.children.site_allmon?.hosts ?? {})).toEqual(['node1']);
    expect(sshConfigText(withSite)).toContain('Host node1 node1.lab.test\n  HostName 10.34.200.12\n  Port 22\n  ProxyJump allmon\n');
  });
});
