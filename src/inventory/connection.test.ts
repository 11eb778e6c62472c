import { describe, expect, it } from 'vitest';
import { hostConnectionVars } from './connection.js';

describe('hostConnectionVars', () => {
  it('maps Ansible names to runbook names', () => {
    const c = hostConnectionVars({
      name: 'web1',
      vars: {
        ansible_host: '10.0.0.1',
        ansible_port: '2222',
        ansible_user: 'deploy',
        ansible_ssh_private_key_file: '~/.ssh/id_ed25519',
        ansible_become: 'yes',
        ansible_become_user: 'postgres',
        ansible_become_pass: 's3cret',
        ansible_ssh_common_args: '-o ProxyJump=bastion',
        runbook_known_hosts_file: '/tmp/kh',
        ansible_ssh_pass: 'pw',
        other: 1,
      },
    });
    expect(c).toEqual({
      name: 'web1',
      address: '10.0.0.1',
      port: 2222,
      user: 'deploy',
      privateKeyFile: '~/.ssh/id_ed25519',
      connection: 'ssh',
      become: true,
      becomeUser: 'postgres',
      becomePassword: 's3cret',
      sshCommonArgs: '-o ProxyJump=bastion',
      knownHostsFile: '/tmp/kh',
      password: 'pw',
    });
  });
  it('defaults: address is the inventory name, ssh, nothing else set', () => {
    expect(hostConnectionVars({ name: 'h', vars: {} })).toEqual({ name: 'h', address: 'h', connection: 'ssh' });
  });
  it('prefers the current names over the old ones', () => {
    const c = hostConnectionVars({
      name: 'h',
      vars: { ansible_become_password: 'new', ansible_become_pass: 'old', ansible_password: 'p1', ansible_ssh_pass: 'p0', ansible_connection: 'local', ansible_become: false },
    });
    expect(c).toMatchObject({ becomePassword: 'new', password: 'p1', connection: 'local', become: false });
  });
});
