// A home uplink (issue 18): full Debian hosts behind an emulated link of 80 ms round trip and
// 1% loss each way (a user-space relay between TUN devices: these kernels have no netem). The
// emulation is checked to be in effect (round trips measured, packets really dropped), then a
// representative playbook (facts, a root-owned file written through sudo, a template, a line, a
// service, registered commands) runs twice over it through the real CLI, the hosts marked
// `runbook_ssh_preopen: auto` as an operator marks nodes behind a home uplink (sessions started
// ahead, src/transport/preopen.ts): every host ok, nothing unreachable, the second run changes
// nothing. Then both shipped playbooks (allmon3.yml on one host, dms.yml on the other, at the
// same time, as `runbook` processes, with the default ssh settings) against Pebble, all of it
// over the link (SSH, apt through the lab's proxy, ACME and the HTTP-01 validation): both
// succeed, and a second run of each changes nothing. Afterwards the relay is gone, by PID, with
// its devices and routes.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSlowLink, labExec, labSkipReason, slowLinkStats, startLab, startSlowLink, stopLab, stopSlowLink, type LabInfo } from '../support/lab.js';
import { runCli } from '../support/cli.js';
import { changedTasks, failureText, hostSh, runbook, writeInventory } from '../e2e/helpers.js';
import { isAlive } from '../../src/lab/procs.js';

const NAME = 'sp-slow';
let lab: LabInfo;
let dir: string;

const PLAYBOOK = `
- name: a node behind a home uplink
  hosts: all
  gather_facts: true
  vars:
    app_peers: [alpha, beta, gamma]
  tasks:
    - name: a directory
      file: {path: /srv/slow, state: directory, mode: "0755"}
      become: true
    - name: a root-owned file, written through sudo
      copy: {dest: /etc/runbook-slow.conf, content: "uplink = slow\\n", mode: "0640"}
      become: true
    - name: a templated file
      template: {src: app.conf.j2, dest: /srv/slow/app.conf, mode: "0644"}
      become: true
    - name: a line
      lineinfile: {path: /srv/slow/tuned.conf, line: "tuned = yes", create: true}
      become: true
    - name: apache runs
      service: {name: apache2, state: started}
      become: true
    - name: a registered command
      command: cat /etc/runbook-slow.conf
      become: true
      register: conf
      changed_when: false
      failed_when: conf.stdout != "uplink = slow"
    - name: stat
      stat: {path: /srv/slow/app.conf}
      register: st
      failed_when: not st.stat.exists
`;

const TEMPLATE = `# {{ inventory_hostname }} ({{ ansible_facts.hostname | default('?') }})
peers = {{ app_peers | join(', ') }}
`;

describe.skipIf(labSkipReason())('slow link (80 ms round trip, 1% loss)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, full: [{ name: 'sps1', layer: 'apache' }, { name: 'sps2', layer: 'apache' }], acme: true });
    dir = mkdtempSync(join(tmpdir(), 'runbook-slow-'));
    const hosts: Record<string, unknown> = {};
    for (const h of lab.hosts) hosts[h.name] = { ansible_host: h.address, ansible_port: h.port };
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({ all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile, runbook_ssh_preopen: 'auto' }, hosts } }),
    );
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
    writeFileSync(join(dir, 'app.conf.j2'), TEMPLATE);
  }, 300_000);

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('the link is in effect: round trips through the relay take 80 ms or more', async () => {
    const link = await startSlowLink(lab, { delayMs: 40, lossPct: 1 });
    expect(link.hosts.map((h) => h.host).sort()).toEqual(['sps1', 'sps2']);
    expect(isAlive(link.relay.pid)).toBe(true);
    const check = await checkSlowLink(lab, 'sps1', 40);
    expect(check.rttMs.min).toBeGreaterThanOrEqual(80);
    // a loaded machine adds to it, but not a whole second: that would be a retransmission
    expect(check.rttMs.median).toBeLessThan(400);
  }, 120_000);

  it('runs a representative playbook twice over it: every host ok, nothing unreachable, the second run changes nothing', async () => {
    const before = slowLinkStats(lab);
    const first = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    expect(first.err).toBe('');
    expect(first.code, JSON.stringify(first.recap?.failures ?? first.out.slice(-2000))).toBe(0);
    for (const h of ['sps1', 'sps2']) {
      expect(first.recap?.hosts[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(first.recap?.hosts[h]?.changed).toBeGreaterThanOrEqual(4);
    }
    const second = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    expect(second.code, JSON.stringify(second.recap?.failures ?? second.out.slice(-2000))).toBe(0);
    for (const h of ['sps1', 'sps2']) expect(second.recap?.hosts[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    // the runs really went through the lossy relay
    await new Promise((r) => setTimeout(r, 1100));
    const after = slowLinkStats(lab);
    expect(before && after).toBeTruthy();
    const packets = after!.up.packets + after!.down.packets - (before!.up.packets + before!.down.packets);
    const dropped = after!.up.dropped + after!.down.dropped - (before!.up.dropped + before!.down.dropped);
    expect(packets).toBeGreaterThan(500);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped / packets).toBeLessThan(0.05);
    // the end state on the host, read outside the link
    const r = await labExec(lab, 'sps1', ['stat', '-c', '%a %U', '/etc/runbook-slow.conf']);
    expect(r.stdout.trim()).toBe('640 root');
  }, 240_000);

  it('both shipped playbooks over it (allmon3 on sps1, dms on sps2, at once): certificates from Pebble, and a second run changes nothing', async () => {
    // allmon3 secures the Apache that runs (the playbook above started it); dms stops it for issuance and starts it again
    for (const h of ['sps1', 'sps2']) expect((await hostSh(lab, h, 'pgrep -x apache2 >/dev/null')).code, `apache2 on ${h}`).toBe(0);
    const before = slowLinkStats(lab);
    const plays = [
      { host: 'sps1', playbook: 'playbooks/allmon3.yml', extra: ['-e', 'apt_upgrade=false'] },
      { host: 'sps2', playbook: 'playbooks/dms.yml', extra: ['-e', 'certbot_install_method=apt'] },
    ];
    const run = (p: (typeof plays)[number]): ReturnType<typeof runbook> => runbook(lab, p.playbook, writeInventory(lab, [{ name: p.host, user: lab.users.nopasswd.name }]), p.extra);
    const first = await Promise.all(plays.map(run));
    for (const [i, p] of plays.entries()) {
      const r = first[i]!;
      expect(r.code, `${p.playbook}: ${failureText(r)}\n${r.stderr.slice(-2000)}`).toBe(0);
      expect(r.recap?.hosts[p.host], p.playbook).toMatchObject({ failed: 0, unreachable: 0 });
      expect(r.recap?.hosts[p.host]?.changed, p.playbook).toBeGreaterThan(0);
      expect(r.recap?.outputs?.[p.host]?.fullchain, p.playbook).toBe(`/etc/letsencrypt/live/${p.host}.lab.test/fullchain.pem`);
    }
    // the certificates are Pebble's, on the hosts
    for (const p of plays) {
      const issuer = await hostSh(lab, p.host, `openssl x509 -in /etc/letsencrypt/live/${p.host}.lab.test/cert.pem -noout -issuer`);
      expect(issuer.stdout, p.host).toMatch(/issuer=.*Pebble Intermediate/);
    }
    const second = await Promise.all(plays.map(run));
    for (const [i, p] of plays.entries()) {
      const r = second[i]!;
      expect(r.code, `${p.playbook}: ${failureText(r)}`).toBe(0);
      expect(r.recap?.hosts[p.host], `${p.playbook}: ${changedTasks(r, p.host)}`).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    }
    process.stderr.write(`[slow-link] shipped playbooks over the link, first/second run (s): ${plays.map((p, i) => `${p.host} ${(first[i]!.durationMs / 1000).toFixed(1)}/${(second[i]!.durationMs / 1000).toFixed(1)}`).join(', ')}\n`);
    // all of it went through the lossy relay
    await new Promise((r) => setTimeout(r, 1100));
    const after = slowLinkStats(lab);
    const packets = after!.up.packets + after!.down.packets - (before!.up.packets + before!.down.packets);
    const dropped = after!.up.dropped + after!.down.dropped - (before!.up.dropped + before!.down.dropped);
    expect(packets).toBeGreaterThan(2000);
    expect(dropped).toBeGreaterThan(0);
  }, 600_000);

  it('stopping the link ends the relay by PID; its devices and routes are gone', async () => {
    const state = lab.stateDir;
    const before = await checkSlowLink(lab, 'sps1', 5).catch(() => undefined);
    expect(before).toBeDefined();
    const recorded = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { slowLink?: { relay: { pid: number } } };
    const relayPid = recorded.slowLink?.relay.pid ?? -1;
    expect(relayPid).toBeGreaterThan(0);
    await stopSlowLink(lab);
    expect(isAlive(relayPid)).toBe(false);
    const octet = lab.subnet.split('.')[1] ?? '';
    expect(readdirSync('/sys/class/net').filter((n) => n.startsWith(`rbs${octet}`))).toEqual([]);
    expect(existsSync(join(state, 'state.json'))).toBe(true);
    await expect(checkSlowLink(lab, 'sps1', 3)).rejects.toThrow(/no slow link/);
  }, 60_000);
});
