// The lab's repeater-node features (issue 12), each proven on real hosts: Debian 13 beside
// Debian 12, systemd as PID 1 with certbot.timer, the Allmon3 stand-in served over HTTPS,
// BIND taking TSIG-signed updates (and refusing the wrong key), Pebble validating DNS-01
// through BIND for a node nobody can reach on port 80, a real firewalld in the AllStarLink
// zone, and a node behind its hub reachable only through the hub as jump host.
//
// One instance, four full hosts, shared by every test here:
//   t13    Debian 13, apache layer, systemd as PID 1
//   fw13   Debian 13, firewalld layer (systemd), zone without http/https yet
//   hub12  Debian 12, apache layer, systemd as PID 1: the hub of a site
//   node13 Debian 13, apache layer, lab-init, behind hub12
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startHost, startLab, stopHost, stopLab } from '../support/lab.js';
import { resolveConnection } from '../../src/transport/factory.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { rawCommand } from '../../src/transport/command.js';
import { UnreachableError } from '../../src/transport/errors.js';

const NAME = 'nl-nodes';
let lab: LabInfo;

function host(name: string): LabHostInfo {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

function sh(argv: string[], input = '', timeout = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0] as string, argv.slice(1), { input, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** OpenSSH client with the lab's ssh_config (strict host keys; ProxyJump for hosts behind a hub) */
function ssh(target: string, command: string, extra: string[] = []): { code: number | null; stdout: string; stderr: string } {
  return sh(['ssh', '-F', lab.sshConfigFile ?? '', ...extra, target, command]);
}

async function inHost(name: string, command: string, timeoutMs = 120_000): Promise<string> {
  const r = await labExec(lab, name, ['/bin/sh', '-c', command], { timeoutMs });
  if (r.code !== 0) throw new Error(`${name}: ${command} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function nsupdate(key: { name: string; secret: string }, script: string): { code: number | null; stdout: string; stderr: string } {
  const dns = lab.dns;
  if (!dns) throw new Error('no lab DNS');
  return sh(['nsupdate', '-y', `hmac-sha256:${key.name}:${key.secret}`], `server ${dns.server} ${dns.port}\n${script}\nsend\n`, 20_000);
}

function dig(name: string, type: string): string {
  const dns = lab.dns;
  if (!dns) throw new Error('no lab DNS');
  return sh(['dig', `@${dns.server}`, '-p', String(dns.port), '+short', '+time=2', '+tries=1', name, type]).stdout.trim();
}

describe.skipIf(labSkipReason())('lab repeater nodes: Debian 13, systemd, BIND, firewalld, a site behind its hub', () => {
  beforeAll(async () => {
    lab = await startLab({
      name: NAME,
      acme: true,
      dns: true,
      full: [
        { name: 't13', release: '13', layer: 'apache', init: 'systemd' },
        { name: 'fw13', release: '13', layer: 'firewalld', httpAllowed: false },
        { name: 'hub12', release: '12', layer: 'apache', init: 'systemd' },
        { name: 'node13', release: '13', layer: 'apache', behind: 'hub12' },
      ],
    });
  }, 1_800_000);
  afterAll(async () => {
    await stopLab(NAME);
  });

  it('boots Debian 13 and Debian 12 full hosts side by side, as LabInfo says', async () => {
    expect(await inHost('t13', 'cat /etc/debian_version')).toMatch(/^13\.\d+/);
    expect(await inHost('hub12', 'cat /etc/debian_version')).toMatch(/^12\.\d+/);
    expect(host('t13')).toMatchObject({ release: '13', init: 'systemd', layer: 'apache' });
    expect(host('hub12')).toMatchObject({ release: '12', init: 'systemd' });
    expect(host('node13')).toMatchObject({ release: '13', init: 'lab-init', behind: 'hub12' });
    // and over SSH with strict host key checking, as a runner sees them
    expect(ssh('t13', 'cat /etc/os-release').stdout).toContain('VERSION_CODENAME=trixie');
  });

  it('runs systemd as PID 1 (Debian 12 and 13): certbot.timer is the renewal schedule, Apache a unit', async () => {
    // --wait: a host is handed over once sshd answers; the rest of its boot may still be running
    for (const name of ['t13', 'hub12']) {
      const pid1 = ssh(name, 'cat /proc/1/comm; systemctl is-system-running --wait; systemctl list-timers --all --no-pager certbot.timer; systemctl is-active apache2');
      expect(pid1.stdout.split('\n')[0]).toBe('systemd');
      // no failed units: the container is what systemd expects
      expect(pid1.stdout.split('\n')[1]).toBe('running');
      expect(pid1.stdout).toMatch(/certbot\.timer\s+certbot\.service/);
      expect(pid1.stdout.trim().endsWith('active')).toBe(true);
    }
    // the lab-init path: the same image, no systemd running, systemctl present but useless
    expect(await inHost('node13', 'cat /proc/1/comm')).toBe('lab-init\n');
    expect(await inHost('node13', 'test -d /run/systemd/system && echo systemd || echo none')).toBe('none\n');
  });

  it('powers a systemd host off (units stop, its cgroup goes) and boots it again with its filesystem', async () => {
    const cgroups = (): string[] =>
      ['/sys/fs/cgroup/runbook-lab', '/sys/fs/cgroup/unified/runbook-lab'].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((e) => e.startsWith(`${NAME}.`)) : []));
    expect(cgroups()).toContain(`${NAME}.hub12`);
    await inHost('hub12', 'echo kept > /root/marker');
    await stopHost(lab, 'hub12');
    expect(cgroups()).not.toContain(`${NAME}.hub12`);
    expect((await labExec(lab, 'hub12', ['true']).catch((e: unknown) => e)) instanceof Error).toBe(true);
    await startHost(lab, 'hub12');
    expect(await inHost('hub12', 'cat /proc/1/comm; cat /root/marker; systemctl is-system-running --wait')).toBe('systemd\nkept\nrunning\n');
    expect(cgroups()).toContain(`${NAME}.hub12`);
  });

  it('serves the Allmon3 stand-in on the stock site, and over HTTPS once certbot --apache ran (Debian 13)', async () => {
    const t13 = host('t13');
    const acme = lab.acme;
    if (!acme) throw new Error('no ACME');
    const http = sh(['curl', '-sS', '--max-time', '10', '--resolve', `t13.lab.test:80:${t13.address}`, 'http://t13.lab.test/allmon3/']);
    expect(http.stdout).toContain('<title>Allmon3</title>');
    await inHost(
      't13',
      `certbot --apache --agree-tos --redirect --hsts -m lab@example.org -d t13.lab.test --non-interactive --server ${acme.directoryUrl} --no-random-sleep-on-renew`,
    );
    const https = sh(['curl', '-sS', '-D', '-', '--max-time', '10', '--cacert', acme.rootPemFile, '--resolve', `t13.lab.test:443:${t13.address}`, 'https://t13.lab.test/allmon3/']);
    expect(https.code).toBe(0);
    expect(https.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(https.stdout).toContain('Strict-Transport-Security');
    expect(https.stdout).toContain('<title>Allmon3</title>');
  });

  it('runs BIND for lab.test: the update key changes the zone, the other key is refused', () => {
    const dns = lab.dns;
    if (!dns) throw new Error('no lab DNS');
    expect(dns.zone).toBe('lab.test');
    // every full host's name is in the zone (Pebble resolves through BIND)
    expect(dig('t13.lab.test', 'A')).toBe(host('t13').address);
    expect(dig('node13.lab.test', 'A')).toBe(host('node13').address);
    const good = nsupdate(dns.updateKey, `zone ${dns.zone}\nupdate add probe.${dns.zone} 60 TXT "nl-good"`);
    expect(good.code, good.stderr).toBe(0);
    expect(dig(`probe.${dns.zone}`, 'TXT')).toBe('"nl-good"');
    const bad = nsupdate(dns.otherKey, `zone ${dns.zone}\nupdate add probe2.${dns.zone} 60 TXT "nl-bad"`);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('REFUSED');
    expect(dig(`probe2.${dns.zone}`, 'TXT')).toBe('');
    // the other key does update its own zone: it is a valid key, just not for lab.test
    const own = nsupdate(dns.otherKey, `zone ${dns.otherKey.zone}\nupdate add probe.${dns.otherKey.zone} 60 TXT "nl-other"`);
    expect(own.code, own.stderr).toBe(0);
    // a key BIND does not know
    const unknown = nsupdate({ name: dns.updateKey.name, secret: Buffer.alloc(32, 7).toString('base64') }, `zone ${dns.zone}\nupdate add probe3.${dns.zone} 60 TXT "x"`);
    expect(unknown.code).not.toBe(0);
    expect(dig(`probe3.${dns.zone}`, 'TXT')).toBe('');
  });

  it('reaches a node behind its hub only through the hub (jump host from the inventory), never directly', async () => {
    const node = host('node13');
    const site = lab.sites?.find((s) => s.hub === 'hub12');
    expect(site?.hosts).toEqual(['node13']);
    expect(site?.hubAddress).toBe(host('hub12').address);
    // OpenSSH with the lab's ssh_config (ProxyJump hub12)
    expect(ssh('node13', 'hostname').stdout).toBe('node13\n');
    // runbook's own transport, with the variables the lab inventory gives the node
    const inv = parse(readFileSync(lab.inventoryFile, 'utf8')) as { all: { vars: Record<string, unknown>; children: { full: { hosts: Record<string, Record<string, unknown>> } } } };
    const vars = { ...inv.all.vars, ...inv.all.children.full.hosts.node13 };
    expect(vars.ansible_ssh_common_args).toBe(`-o ProxyJump=${lab.users.nopasswd.name}@${host('hub12').address}:22`);
    const viaHub = new SshTransport(resolveConnection({ name: 'node13', vars }, { sshConfigFiles: [], env: {}, connectTimeoutMs: 5000 }));
    try {
      expect((await viaHub.exec(rawCommand('hostname'))).stdout).toBe('node13\n');
    } finally {
      await viaHub.close();
    }
    // directly: no answer (the address is on no network this machine is on)
    const direct = new SshTransport(resolveConnection({ name: 'node13', vars: { ...vars, ansible_ssh_common_args: undefined } }, { sshConfigFiles: [], env: {}, connectTimeoutMs: 3000, connectRetries: 0 }));
    const err = await direct.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await direct.close();
    expect(err).toBeInstanceOf(UnreachableError);
    expect(sh(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', node.address, 'true']).code).not.toBe(0);
    // nothing is forwarded by the machine: forwarding and NAT exist only inside the hub
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0');
    expect(await inHost('hub12', 'cat /proc/sys/net/ipv4/ip_forward')).toBe('1\n');
    // the node itself reaches the lab's services through its hub (as a node behind NAT does)
    expect(await inHost('node13', `curl -sS -o /dev/null -w '%{http_code}' --max-time 10 https://acme.lab.test:14000/dir`)).toBe('200');
  });

  it('lets Pebble validate DNS-01 through BIND for the node behind the hub (port 80 unreachable)', async () => {
    const dns = lab.dns;
    const acme = lab.acme;
    if (!dns || !acme) throw new Error('no lab DNS/ACME');
    // the plugin from Debian, through the apt proxy, through the hub's NAT
    await inHost('node13', 'apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends python3-certbot-dns-rfc2136 >/dev/null', 300_000);
    const ini = `dns_rfc2136_server = ${dns.server}\ndns_rfc2136_port = ${dns.port}\ndns_rfc2136_name = ${dns.updateKey.name}\ndns_rfc2136_secret = ${dns.updateKey.secret}\ndns_rfc2136_algorithm = HMAC-SHA256\n`;
    const put = await labExec(lab, 'node13', ['/bin/sh', '-c', 'umask 077; cat > /root/rfc2136.ini'], { input: ini });
    expect(put.code).toBe(0);
    await inHost(
      'node13',
      `certbot certonly --dns-rfc2136 --dns-rfc2136-credentials /root/rfc2136.ini --dns-rfc2136-propagation-seconds 1 -d node13.lab.test --agree-tos -m lab@example.org --non-interactive --server ${acme.directoryUrl}`,
      180_000,
    );
    expect(await inHost('node13', 'openssl x509 -noout -subject -in /etc/letsencrypt/live/node13.lab.test/cert.pem')).toContain('node13.lab.test');
    // the challenge went through BIND: certbot added the TXT record with the update key, from
    // the hub's address (the node is behind its NAT), and removed it afterwards
    const named = readFileSync(`${lab.stateDir}/dns/named.log`, 'utf8');
    const hub = host('hub12').address.replace(/\./g, '\\.');
    expect(named).toMatch(new RegExp(`${hub}#\\d+/key ${dns.updateKey.name}: updating zone 'lab\\.test/IN': adding an RR at '_acme-challenge\\.node13\\.lab\\.test' TXT`));
    expect(named).toMatch(/deleting an RR at _acme-challenge\.node13\.lab\.test TXT/);
    // and the secret never reached BIND's log
    expect(named).not.toContain(dns.updateKey.secret);
  });

  it('runs a real firewalld in the AllStarLink zone holding eth0; http/https not allowed yet on this variant', async () => {
    expect(host('fw13')).toMatchObject({ layer: 'firewalld', init: 'systemd', release: '13' });
    expect(await inHost('fw13', 'firewall-cmd --state')).toBe('running\n');
    expect(await inHost('fw13', 'firewall-cmd --get-zone-of-interface=eth0')).toBe('allstarlink\n');
    expect(await inHost('fw13', 'firewall-cmd --get-default-zone')).toBe('allstarlink\n');
    expect((await inHost('fw13', 'firewall-cmd --zone=allstarlink --list-services')).trim().split(' ').sort()).toEqual(['iax2', 'ssh']);
    const fw = host('fw13');
    // Apache runs, but the firewall keeps port 80 closed from outside; ssh is allowed
    expect(await inHost('fw13', 'systemctl is-active apache2')).toBe('active\n');
    expect(sh(['curl', '-sS', '-o', '/dev/null', '--max-time', '5', `http://${fw.address}/allmon3/`]).code).not.toBe(0);
    expect(ssh('fw13', 'echo ok').stdout).toBe('ok\n');
    // opening http in the zone (what the playbook will do) makes the dashboard reachable
    await inHost('fw13', 'firewall-cmd --zone=allstarlink --add-service=http');
    expect(sh(['curl', '-sS', '--max-time', '5', `http://${fw.address}/allmon3/`]).stdout).toContain('<title>Allmon3</title>');
  });
});
