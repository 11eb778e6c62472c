// The lab itself, tested the way runbook uses it: OpenSSH client with strict host key
// checking against the lab's known_hosts, sudo for both lab users, clean teardown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startHost, startLab, stopHost, stopLab } from '../support/lab.js';

const NAME = 'lt-fleet';

function sha(path: string): string {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent';
}

function machineEtc(): Record<string, string> {
  const files = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/sudoers'];
  const out: Record<string, string> = {};
  for (const f of files) out[f] = sha(f);
  for (const f of existsSync('/etc/sudoers.d') ? readdirSync('/etc/sudoers.d') : []) out[`/etc/sudoers.d/${f}`] = sha(`/etc/sudoers.d/${f}`);
  return out;
}

function ssh(lab: LabInfo, host: string, command: string, opts: { user?: string; input?: string; knownHosts?: string } = {}) {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  const r = spawnSync(
    'ssh',
    [
      '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${opts.knownHosts ?? lab.knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'ConnectTimeout=5',
      '-i', lab.keyFile,
      '-l', opts.user ?? lab.users.nopasswd.name,
      '-p', String(h.port),
      h.address,
      command,
    ],
    { input: opts.input ?? '', encoding: 'utf8', timeout: 30_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Processes, namespaces, links and mounts that belong to the instance. */
function leftovers(lab: LabInfo): string[] {
  const out: string[] = [];
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  out.push(...netns.filter((n) => n.startsWith(`rbl-${lab.name}-`)).map((n) => `netns ${n}`));
  const octet = lab.gateway.split('.')[1] ?? 'x';
  out.push(
    ...readdirSync('/sys/class/net')
      .filter((l) => l === lab.bridge || l.startsWith(`rb${octet}h`) || l.startsWith(`rb${octet}f`))
      .map((l) => `link ${l}`),
  );
  out.push(
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(lab.stateDir))
      .map((l) => `mount ${l}`),
  );
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let cmdline = '';
    let state = '';
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      continue;
    }
    if (state !== 'Z' && cmdline.includes(lab.stateDir)) out.push(`process ${p} ${cmdline}`);
  }
  return out;
}

describe.skipIf(labSkipReason())('lab fleet hosts', () => {
  let lab: LabInfo;
  let etcBefore: Record<string, string>;

  beforeAll(async () => {
    etcBefore = machineEtc();
    lab = await startLab({ name: NAME, fleet: 4 });
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  it('brings up the requested hosts with distinct addresses inside the lab subnet', () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['h001', 'h002', 'h003', 'h004']);
    expect(new Set(lab.hosts.map((h) => h.address)).size).toBe(4);
    const octet = lab.gateway.split('.')[1];
    for (const h of lab.hosts) expect(h.address.startsWith(`10.${octet}.`)).toBe(true);
    const route = spawnSync('ip', ['-4', 'route', 'show', lab.subnet, 'dev', lab.bridge ?? 'none'], { encoding: 'utf8' });
    expect(route.stdout.trim()).not.toBe('');
  });

  it('logs in by key with strict host key checking; each host has its own hostname', () => {
    for (const h of lab.hosts) {
      const r = ssh(lab, h.name, 'hostname; id -un');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${h.name}\ndeploy\n`);
    }
  });

  it('gives every host its own host key', () => {
    const keys = readFileSync(lab.knownHostsFile, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
  });

  it('refuses a host whose key is not in known_hosts (empty known_hosts)', () => {
    const r = ssh(lab, 'h001', 'true', { knownHosts: '/dev/null' });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });

  it('deploy has passwordless sudo', () => {
    const r = ssh(lab, 'h002', 'sudo -n id -u');
    expect(r.stdout.trim()).toBe('0');
    expect(r.code).toBe(0);
  });

  it('ops must give a password to sudo, and the right one works', () => {
    const without = ssh(lab, 'h002', 'sudo -n true', { user: 'ops' });
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/password is required/);
    const wrong = ssh(lab, 'h002', 'sudo -S -p "" id -u', { user: 'ops', input: 'not-the-password\n' });
    expect(wrong.code).not.toBe(0);
    const right = ssh(lab, 'h002', 'sudo -S -p "" id -u', { user: 'ops', input: `${lab.users.passwd.sudoPassword ?? ''}\n` });
    expect(right.stdout.trim()).toBe('0');
  });

  it('keeps the lab users out of the machine: /etc unchanged, no deploy/ops account', () => {
    expect(machineEtc()).toEqual(etcBefore);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    expect(passwd).not.toMatch(/runbook lab/);
  });

  it('labExec runs as root inside the host; stopHost/startHost take it down and back up', async () => {
    const r = await labExec(lab, 'h003', ['sh', '-c', 'hostname; id -u']);
    expect(r.stdout).toBe('h003\n0\n');
    await stopHost(lab, 'h003');
    const down = ssh(lab, 'h003', 'true');
    expect(down.code).toBe(255);
    expect(down.stderr).toMatch(/Connection refused/);
    await startHost(lab, 'h003');
    expect(ssh(lab, 'h003', 'hostname').stdout).toBe('h003\n');
  });

  it('keeps host keys across a restart, and lab up twice is harmless', async () => {
    const before = readFileSync(lab.knownHostsFile, 'utf8');
    const again = await startLab({ name: NAME, fleet: 4 });
    expect(readFileSync(again.knownHostsFile, 'utf8')).toBe(before);
    lab = again;
    expect(ssh(lab, 'h004', 'hostname').stdout).toBe('h004\n');
  });

  it('tears down leaving no namespace, link, mount or process behind', async () => {
    const seen = lab;
    await stopLab(NAME);
    expect(leftovers(seen)).toEqual([]);
    expect(machineEtc()).toEqual(etcBefore);
    // again, after it is gone: harmless
    await stopLab(NAME);
  });
});
