import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../util/errors.js';
import { createTransport, describeSpec, resolveConnection } from './factory.js';
import { LocalTransport } from './local.js';
import { SshTransport } from './ssh.js';

let dir: string;
let cfg: string;
const noEnv = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-factory-'));
  cfg = join(dir, 'ssh_config');
  writeFileSync(
    cfg,
    [
      'Host web1',
      '  HostName 10.0.0.5',
      '  Port 2201',
      '  User cfguser',
      '  IdentityFile ~/.ssh/web1_key',
      '  ProxyJump bastion',
      '  UserKnownHostsFile /tmp/kh1 /tmp/kh2',
      '  StrictHostKeyChecking accept-new',
      '  HashKnownHosts yes',
      'Host bastion',
      '  HostName 10.0.0.1',
      '  User jumper',
      '  Port 2222',
      '  IdentityFile /keys/bastion',
      'Host *',
      '  ConnectTimeout 7',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveConnection', () => {
  it('uses ~/.ssh/config for Host, HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking', () => {
    const s = resolveConnection({ name: 'web1', vars: {} }, { sshConfigFiles: [cfg], env: noEnv });
    expect(s).toMatchObject({
      host: 'web1',
      connection: 'ssh',
      address: '10.0.0.5',
      port: 2201,
      user: 'cfguser',
      privateKeyFiles: [`${homedir()}/.ssh/web1_key`],
      knownHostsFiles: ['/tmp/kh1', '/tmp/kh2', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      hostKeyChecking: 'accept-new',
      hashKnownHosts: true,
      connectTimeoutMs: 7000,
      jump: [{ address: '10.0.0.1', port: 2222, user: 'jumper', privateKeyFiles: ['/keys/bastion', `${homedir()}/.ssh/web1_key`] }],
    });
    expect(s.agent).toBeUndefined();
  });

  it('follows Include (relative to the config directory, with globs)', () => {
    const main = join(dir, 'with_include');
    writeFileSync(join(dir, 'inc-10.conf'), 'Host db*\n  HostName 10.7.7.7\n  User dbadmin\n');
    writeFileSync(join(dir, 'inc-20.conf'), 'Host db1\n  Port 2299\n');
    writeFileSync(main, 'Include inc-*.conf\nHost *\n  User fallback\n');
    const s = resolveConnection({ name: 'db1', vars: {} }, { sshConfigFiles: [main], env: noEnv });
    expect(s).toMatchObject({ address: '10.7.7.7', user: 'dbadmin', port: 2299 });
    expect(resolveConnection({ name: 'web9', vars: {} }, { sshConfigFiles: [main], env: noEnv }).user).toBe('fallback');
  });

  it('lets inventory variables win over ssh config, and CLI overrides over both', () => {
    const vars = {
      ansible_host: 'web1',
      ansible_port: '2300',
      ansible_user: 'inv',
      ansible_ssh_private_key_file: '/keys/inv',
      runbook_known_hosts_file: '/tmp/inv_kh',
      runbook_jump_hosts: ['ops@j1:23', 'j2'],
    };
    const s = resolveConnection({ name: 'alias', vars }, { sshConfigFiles: [cfg], env: noEnv });
    expect(s).toMatchObject({ address: '10.0.0.5', port: 2300, user: 'inv', privateKeyFiles: ['/keys/inv'], knownHostsFiles: ['/tmp/inv_kh'] });
    expect(s.jump.map((j) => `${j.user}@${j.address}:${j.port}`)).toEqual(['ops@j1:23', 'inv@j2:22']);
    const o = resolveConnection(
      { name: 'alias', vars },
      { sshConfigFiles: [cfg], env: noEnv, user: 'cli', privateKey: '/keys/cli', knownHosts: '/tmp/cli_kh', hostKeyChecking: 'off', connectTimeoutMs: 1234 },
    );
    expect(o).toMatchObject({ user: 'cli', privateKeyFiles: ['/keys/cli'], knownHostsFiles: ['/tmp/cli_kh'], hostKeyChecking: 'off', connectTimeoutMs: 1234 });
  });

  it('reads ansible_ssh_common_args the way Ansible users write it', () => {
    const s = resolveConnection(
      {
        name: 'db1',
        vars: {
          ansible_host: '10.9.9.9',
          ansible_ssh_common_args: '-o UserKnownHostsFile=/lab/known_hosts -o StrictHostKeyChecking=yes -J deploy@10.9.9.1 -p 2022 -i /lab/key',
        },
      },
      { sshConfigFiles: [], env: { SSH_AUTH_SOCK: '/run/agent.sock' } },
    );
    expect(s).toMatchObject({
      address: '10.9.9.9',
      port: 2022,
      privateKeyFiles: ['/lab/key'],
      knownHostsFiles: ['/lab/known_hosts', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      hostKeyChecking: 'strict',
      agent: '/run/agent.sock',
    });
    expect(s.jump).toEqual([{ address: '10.9.9.1', port: 22, user: 'deploy', privateKeyFiles: ['/lab/key'] }]);
    const off = resolveConnection({ name: 'h', vars: { ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o IdentitiesOnly=yes' } }, { sshConfigFiles: [], env: { SSH_AUTH_SOCK: '/a' } });
    expect(off.hostKeyChecking).toBe('off');
    expect(off.agent).toBeUndefined();
  });

  it('reads become settings and the become password from the inventory, CLI or env, and never shows it', () => {
    const s = resolveConnection(
      { name: 'h', vars: { ansible_become: 'yes', ansible_become_user: 'postgres', ansible_become_pass: 'pw-inv' } },
      { sshConfigFiles: [], env: { RUNBOOK_BECOME_PASSWORD: 'pw-env', RUNBOOK_SSH_KEY_PASSPHRASE: 'kp' } },
    );
    expect(s.become).toEqual({ enabled: true, method: 'sudo', user: 'postgres', password: 'pw-inv' });
    expect(s.privateKeyPassphrase).toBe('kp');
    const cli = resolveConnection({ name: 'h', vars: { ansible_become_password: 'pw-inv' } }, { sshConfigFiles: [], env: noEnv, becomePassword: 'pw-cli' });
    expect(cli.become.password).toBe('pw-cli');
    expect(cli.become.enabled).toBe(false);
    const env = resolveConnection({ name: 'h', vars: {} }, { sshConfigFiles: [], env: { RUNBOOK_BECOME_PASSWORD: 'pw-env' } });
    expect(env.become.password).toBe('pw-env');
    expect(JSON.stringify(describeSpec({ ...s, password: 'sshpw' }))).not.toMatch(/pw-inv|sshpw|"kp"/);
  });

  it('refuses settings it cannot honour with a clear message', () => {
    expect(() => resolveConnection({ name: 'w', vars: { ansible_connection: 'winrm' } }, { env: noEnv })).toThrow(ValidationError);
    expect(() => resolveConnection({ name: 'w', vars: { ansible_become_method: 'su' } }, { env: noEnv })).toThrow(/only sudo/);
    expect(() => resolveConnection({ name: 'w', vars: { ansible_port: 'abc' } }, { sshConfigFiles: [], env: noEnv })).toThrow(/w: ansible_port/);
    expect(() => resolveConnection({ name: 'w', vars: { ansible_ssh_common_args: '-o ProxyCommand="nc %h %p"' } }, { sshConfigFiles: [], env: noEnv })).toThrow(
      /w: ansible_ssh_common_args: ProxyCommand/,
    );
  });

  it('makes the transport the connection asks for', () => {
    const local = resolveConnection({ name: 'localhost', vars: { ansible_connection: 'local' } }, { env: noEnv });
    expect(createTransport(local)).toBeInstanceOf(LocalTransport);
    const ssh = resolveConnection({ name: 'h', vars: {} }, { sshConfigFiles: [], env: noEnv });
    expect(ssh).toMatchObject({ connection: 'ssh', port: 22, hostKeyChecking: 'strict', maxChannels: 8, connectRetries: 2 });
    expect(createTransport(ssh)).toBeInstanceOf(SshTransport);
  });
});

describe('runbook_ssh_preopen', () => {
  const spec = (v: unknown) => resolveConnection({ name: 'n1', vars: v === undefined ? {} : { runbook_ssh_preopen: v } }, { sshConfigFiles: [], env: noEnv });
  it('is unset unless the inventory says (the transport then starts no sessions ahead)', () => {
    expect(spec(undefined).preopen).toBeUndefined();
  });
  it('takes never, auto, always, and Ansible booleans (true = auto)', () => {
    expect(spec('auto').preopen).toBe('auto');
    expect(spec('Always').preopen).toBe('always');
    expect(spec('never').preopen).toBe('never');
    expect(spec(true).preopen).toBe('auto');
    expect(spec('no').preopen).toBe('never');
  });
  it('refuses anything else, naming the host and the variable', () => {
    expect(() => spec('sometimes')).toThrow(new ValidationError('n1: runbook_ssh_preopen must be never, auto or always, got "sometimes"'));
  });
});

describe('runbook_ssh_mux', () => {
  const spec = (v: unknown) => resolveConnection({ name: 'n1', vars: v === undefined ? {} : { runbook_ssh_mux: v } }, { sshConfigFiles: [], env: noEnv });
  it('is unset unless the inventory says (the transport then follows RUNBOOK_SSH_MUX, else on)', () => {
    expect(spec(undefined).mux).toBeUndefined();
  });
  it('takes Ansible booleans', () => {
    expect(spec(false).mux).toBe(false);
    expect(spec('off').mux).toBe(false);
    expect(spec('Yes').mux).toBe(true);
  });
  it('refuses anything else, naming the host and the variable', () => {
    expect(() => spec('sometimes')).toThrow(new ValidationError('n1: runbook_ssh_mux must be true or false, got "sometimes"'));
  });
});
