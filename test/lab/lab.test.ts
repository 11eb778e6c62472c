// The lab itself, tested the way runbook uses it: OpenSSH client with strict host key
// checking against the lab's known_hosts, sudo for both lab users, clean teardown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, plugHost, startHost, startLab, stopHost, stopLab, unplugHost } from '../support/lab.js';
import { labStatus } from '../../src/lab/index.js';
import { statePath } from '../../src/lab/state.js';

const NAME = 'lt-fleet';

function sha(path: string): string {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent';
}

function machineEtc(): Record<string, string> {
  const files = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/sudoers'];
  const out: Record<string, string> = {};
  for (const f of files) out[f] = sha(f);
  for (const f of existsSync('/etc/sudoers.d') ? readdirSync('/etc/sudoers.d') : []) out[`/etc/sudoers.d/${f}`] = sha(`/etc/sudoers.d/${f}`);
  // sudo's lecture records: the lab users must leave no trace in the machine's /var either
  out['/var/lib/sudo/lectured'] = existsSync('/var/lib/sudo/lectured') ? readdirSync('/var/lib/sudo/lectured').join(',') : 'absent';
  return out;
}

function ssh(lab: LabInfo, host: string, command: string, opts: { user?: string; input?: string; knownHosts?: string; connectTimeout?: number } = {}) {
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
      '-o', `ConnectTimeout=${opts.connectTimeout ?? 5}`,
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

  it('gives every host a private /tmp and homes (the rest of the filesystem is the machine\'s)', () => {
    expect(ssh(lab, 'h001', 'echo one > /tmp/runbook-lab-private && cat /tmp/runbook-lab-private').stdout).toBe('one\n');
    expect(ssh(lab, 'h002', 'test -e /tmp/runbook-lab-private; echo $?').stdout).toBe('1\n');
    expect(existsSync('/tmp/runbook-lab-private')).toBe(false);
    // homes too: the same path on every host, a different directory behind it
    expect(ssh(lab, 'h001', 'echo one > ~/private && cat ~/private').stdout).toBe('one\n');
    expect(ssh(lab, 'h002', 'test -e ~/private; echo $?').stdout).toBe('1\n');
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

  it('unplugHost makes a host time out (no refusal) until plugHost', async () => {
    await unplugHost(lab, 'h004');
    const r = ssh(lab, 'h004', 'true', { connectTimeout: 2 });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/timed out/);
    await plugHost(lab, 'h004');
    expect(ssh(lab, 'h004', 'hostname').stdout).toBe('h004\n');
  });

  it('keeps host keys across a restart, and lab up twice is harmless', async () => {
    const before = readFileSync(lab.knownHostsFile, 'utf8');
    const again = await startLab({ name: NAME, fleet: 4 });
    expect(readFileSync(again.knownHostsFile, 'utf8')).toBe(before);
    lab = again;
    // a fresh start is a reboot: /tmp is empty again
    expect(ssh(lab, 'h001', 'test -e /tmp/runbook-lab-private; echo $?').stdout).toBe('1\n');
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

describe.skipIf(labSkipReason())('lab full hosts and ACME server', () => {
  const FULL = 'lt-full';
  let lab: LabInfo;
  let etcBefore: Record<string, string>;

  beforeAll(async () => {
    etcBefore = machineEtc();
    lab = await startLab({ name: FULL, full: [{ name: 'plain' }, { name: 'web', layer: 'apache' }], acme: true });
  });
  afterAll(async () => {
    await stopLab(FULL);
  });

  it('boots Debian 12 hosts with their own filesystem, reachable by key with strict host key checking', async () => {
    const r = ssh(lab, 'plain', 'hostname; . /etc/os-release; echo $VERSION_ID; sudo -n id -u');
    expect(r.stdout).toBe('plain\n12\n0\n');
    // a file written on one host is not visible on the other or on the machine
    expect(ssh(lab, 'plain', 'echo x | sudo tee /etc/runbook-lab-probe >/dev/null && echo ok').stdout).toBe('ok\n');
    expect((await labExec(lab, 'web', ['test', '-e', '/etc/runbook-lab-probe'])).code).toBe(1);
    expect(existsSync('/etc/runbook-lab-probe')).toBe(false);
    expect(ssh(lab, 'plain', 'true', { knownHosts: '/dev/null' }).code).toBe(255);
  });

  it('stops and restarts a full host with its filesystem kept', async () => {
    expect(ssh(lab, 'plain', 'echo kept | sudo tee /var/tmp/runbook-lab-kept >/dev/null && echo ok').stdout).toBe('ok\n');
    await stopHost(lab, 'plain');
    expect(ssh(lab, 'plain', 'true', { connectTimeout: 3 }).code).toBe(255);
    await startHost(lab, 'plain');
    expect(ssh(lab, 'plain', 'cat /var/tmp/runbook-lab-kept').stdout).toBe('kept\n');
  });

  it('asks ops for a sudo password on full hosts too', () => {
    expect(ssh(lab, 'plain', 'sudo -n true', { user: 'ops' }).code).toBe(1);
    const ok = ssh(lab, 'plain', 'sudo -S -p "" id -u', { user: 'ops', input: `${lab.users.passwd.sudoPassword ?? ''}\n` });
    expect(ok.stdout.trim()).toBe('0');
  });

  it('lets apt reach the Debian mirror through the lab proxy, and nothing else', async () => {
    const update = await labExec(lab, 'plain', ['apt-get', 'update', '-q']);
    expect(update.code).toBe(0);
    const proxy = `http://${lab.gateway}:3142`;
    // the proxy refuses any host that is not a mirror of this machine's apt sources
    const denied = await labExec(lab, 'plain', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-x', proxy, 'http://example.org/']);
    expect(denied.stdout).toBe('403');
    // and there is no way around it: no route off the machine from inside a lab host
    const direct = await labExec(lab, 'plain', ['curl', '-sS', '-m', '3', '-o', '/dev/null', 'http://192.0.2.1/']);
    expect(direct.code).not.toBe(0);
  });

  it('boots the apache layer with Apache running and certbot installed', async () => {
    const pkgs = await labExec(lab, 'web', ['dpkg-query', '-W', '-f', '${Package} ${Status}\n', 'apache2', 'certbot', 'python3-certbot-apache']);
    const pid = await labExec(lab, 'web', ['sh', '-c', 'pidof apache2 >/dev/null && echo running']);
    const r = { stdout: pkgs.stdout + pid.stdout };
    expect(r.stdout).toMatch(/apache2 install ok installed/);
    expect(r.stdout).toMatch(/certbot install ok installed/);
    expect(r.stdout).toMatch(/python3-certbot-apache install ok installed/);
    expect(r.stdout).toMatch(/running/);
    const plain = await labExec(lab, 'plain', ['sh', '-c', 'command -v certbot || echo none']);
    expect(plain.stdout.trim()).toBe('none');
  });

  it('hosts trust the lab CA and reach the ACME server by name', () => {
    expect(lab.acme).toBeDefined();
    const r = ssh(lab, 'plain', `curl -sS ${lab.acme?.directoryUrl ?? ''}`);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('newAccount');
  });

  it('issues a certificate by a real HTTP-01 validation of the host (certbot standalone)', () => {
    const acme = lab.acme;
    if (!acme) throw new Error('no acme');
    const r = ssh(
      lab,
      'web',
      `sudo service apache2 stop >/dev/null; sudo certbot certonly --standalone -d web.lab.test --server ${acme.directoryUrl} ` +
        `--agree-tos -m lab@example.org --no-eff-email --non-interactive >/dev/null 2>&1; echo rc=$?; ` +
        'sudo cat /etc/letsencrypt/live/web.lab.test/fullchain.pem',
    );
    expect(r.stdout).toMatch(/^rc=0\n/);
    const pem = r.stdout.slice(r.stdout.indexOf('-----BEGIN'));
    const leaf = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    const chain = pem.slice(leaf.length).trim();
    const dir = mkdtempSync(join(tmpdir(), 'lab-cert-'));
    writeFileSync(join(dir, 'leaf.pem'), leaf);
    writeFileSync(join(dir, 'chain.pem'), chain);
    // the served chain verifies against Pebble's current root, fetched when Pebble started
    const verify = spawnSync('openssl', ['verify', '-CAfile', acme.rootPemFile, '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(verify.stdout).toMatch(/leaf\.pem: OK/);
    const subject = spawnSync('openssl', ['x509', '-noout', '-subject', '-issuer', '-ext', 'subjectAltName'], { input: leaf, encoding: 'utf8' });
    expect(subject.stdout).toMatch(/DNS:web\.lab\.test/);
    expect(subject.stdout).toMatch(/issuer=.*Pebble/);
  });

  it('shows hosts, PIDs and the ACME server in status, then tears everything down', async () => {
    const st = labStatus({ name: FULL });
    expect(st.hosts.map((h) => [h.name, h.running])).toEqual([
      ['plain', true],
      ['web', true],
    ]);
    const pids = [...st.hosts.map((h) => h.pid), st.acme?.pebblePid, st.acme?.challtestsrvPid, st.proxyPid].filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(5);
    const seen = lab;
    await stopLab(FULL);
    expect(leftovers(seen)).toEqual([]);
    for (const p of pids) {
      let state = 'gone';
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      } catch {
        // gone
      }
      expect(['gone', 'Z']).toContain(state);
    }
    expect(machineEtc()).toEqual(etcBefore);
  });
});

describe.skipIf(labSkipReason())('lab instances', () => {
  afterAll(async () => {
    await Promise.all([stopLab('lt-par-a'), stopLab('lt-par-b'), stopLab('lt-crash')]);
  });

  it('runs named instances side by side on separate bridges and subnets', async () => {
    const [a, b] = await Promise.all([startLab({ name: 'lt-par-a', fleet: 2 }), startLab({ name: 'lt-par-b', fleet: 2 })]);
    expect(a.subnet).not.toBe(b.subnet);
    expect(a.bridge).not.toBe(b.bridge);
    // same host names, different hosts: each answers with its own key on its own address
    expect(ssh(a, 'h001', 'hostname').stdout).toBe('h001\n');
    expect(ssh(b, 'h001', 'hostname').stdout).toBe('h001\n');
    expect(ssh(a, 'h001', 'true', { knownHosts: b.knownHostsFile }).code).toBe(255);
    await stopLab('lt-par-a');
    expect(leftovers(a)).toEqual([]);
    // the other instance is untouched
    expect(ssh(b, 'h002', 'hostname').stdout).toBe('h002\n');
  });

  it('cleans up after a crash that lost the state record', async () => {
    const lab = await startLab({ name: 'lt-crash', fleet: 3 });
    rmSync(statePath(lab.stateDir));
    await stopLab('lt-crash');
    expect(leftovers(lab)).toEqual([]);
  });
});
