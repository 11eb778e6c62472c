// The nodes that exist (issue 12), one lab instance shared by every case: a Debian 12 node that
// is also the hub of a site, a Debian 13 node running firewalld whose zone lacks http/https, and
// a Debian 13 node on the hub's site network (reachable only through the hub). BIND takes the
// TSIG-signed updates of DNS-01 and Pebble validates through it.
//
// Proves, checked from outside the hosts: the firewalld module on a real firewalld (the zone
// holding the interface, runtime and permanent, nothing changed the second time); a node behind
// its hub reached through the jump host, and a dead one reported unreachable with the failing
// hop named; DNS-01 with both playbooks on Debian 12 and 13 (validation through BIND: the node's
// port 80 is closed during the run); bad DNS-01 input stopped before certbot is asked, the node
// as it was; a fleet larger than its weekly budget: what fits is certified, the rest DEFERRED
// with its date (exit 8), a rerun of the retry file certifies exactly those; second runs change
// nothing.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labSkipReason, type LabInfo } from '../support/lab.js';
import { changedTasks, curl, failureText, hostSh, labSuite, runbook, snapshot, taskResults, verifyHttps, writeInventory, type HostEntry } from './helpers.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LAB = 'np-e2e';

function playbook(tasks: unknown[], become = true): string {
  const file = join(mkdtempSync(join(tmpdir(), 'runbook-np-pb-')), 'play.yml');
  writeFileSync(file, stringify([{ name: 'modules', hosts: 'all', become, gather_facts: false, tasks }]));
  return file;
}

describe.skipIf(labSkipReason())('the nodes that exist: Debian 12/13, firewalld, a site behind its hub', () => {
  let lab: LabInfo;
  const timings = labSuite(
    'nodes',
    {
      name: LAB,
      acme: true,
      dns: true,
      full: [
        { name: 'hub12', release: '12', layer: 'apache', init: 'systemd' },
        { name: 'fw13', release: '13', layer: 'firewalld', httpAllowed: false },
        { name: 'site13', release: '13', layer: 'apache', behind: 'hub12' },
      ],
    },
    (l) => {
      lab = l;
    },
  );

  it('firewalld: opens http/https in the zone holding the interface (runtime and permanent), then changes nothing', async () => {
    const inv = writeInventory(lab, [{ name: 'fw13', user: 'deploy' }]);
    const pb = playbook([{ firewalld: { service: ['http', 'https'], permanent: true, immediate: true, state: 'enabled' } }]);
    const r1 = await runbook(lab, pb, inv);
    timings.firewalld1 = r1.durationMs;
    expect(r1.code, failureText(r1)).toBe(0);
    expect(taskResults(r1, 'fw13')[0]).toMatchObject({ status: 'changed', msg: expect.stringMatching(/^zone allstarlink \(holds eth0.*\): allow http, https \(runtime and permanent\)$/) as unknown });
    const zone = await hostSh(lab, 'fw13', 'firewall-cmd --zone=allstarlink --list-services; firewall-cmd --permanent --zone=allstarlink --list-services');
    const [runtime, permanent] = zone.stdout.trim().split('\n');
    expect(runtime?.split(' ')).toEqual(expect.arrayContaining(['http', 'https', 'ssh']));
    expect(permanent?.split(' ')).toEqual(expect.arrayContaining(['http', 'https', 'ssh']));

    const r2 = await runbook(lab, pb, inv);
    expect(taskResults(r2, 'fw13')[0]).toMatchObject({ status: 'ok', msg: expect.stringMatching(/already allows http, https \(runtime and permanent\)/) as unknown });
    // state disabled takes them away again (the allmon3 rollout below must open them itself)
    const off = await runbook(lab, playbook([{ firewalld: { service: ['http', 'https'], permanent: true, immediate: true, state: 'disabled' } }]), inv);
    expect(taskResults(off, 'fw13')[0]).toMatchObject({ status: 'changed', msg: expect.stringMatching(/stop allowing http, https \(runtime and permanent\)/) as unknown });
    expect((await hostSh(lab, 'fw13', 'firewall-cmd --zone=allstarlink --list-services')).stdout).not.toMatch(/\bhttps?\b/);
    // a firewall the module does not find running: a no-op that says so (the apache node has none)
    const none = await runbook(lab, pb, writeInventory(lab, [{ name: 'hub12', user: 'deploy' }]));
    expect(taskResults(none, 'hub12')[0]).toMatchObject({ status: 'ok', msg: 'firewalld is not installed: no host firewall to change' });
  });

  it('a site behind its hub: the node is reached through the jump host; a dead one is unreachable, naming the hop', async () => {
    const site = lab.sites?.find((s) => s.hub === 'hub12');
    expect(site?.hosts).toContain('site13');
    const dead = site?.subnet.replace(/\.0\/24$/, '.250') ?? '';
    const inv = writeInventory(lab, [
      { name: 'site13', user: 'deploy' },
      { name: 'gone13', user: 'deploy', address: dead, behind: 'hub12', domain: 'gone13.lab.test' },
    ]);
    const r = await runbook(lab, playbook([{ command: 'hostname' }], false), inv);
    timings.hub = r.durationMs;
    expect(r.code).toBe(4);
    expect(r.recap?.hosts.site13).toMatchObject({ ok: 1, unreachable: 0 });
    const msg = r.recap?.failures.find((f) => f.host === 'gone13')?.msg ?? '';
    expect(msg).toMatch(new RegExp(`jump host deploy@${site?.hubAddress.replace(/\./g, '\\.') ?? ''}:22 could not open a connection to ${dead.replace(/\./g, '\\.')}:22`));
  });

  // ---- DNS-01, the weekly budget, both playbooks ----

  const dnsVars = (): Record<string, unknown> => {
    const d = lab.dns;
    if (!d) throw new Error('the lab has no DNS server');
    return {
      challenge: 'dns-01',
      dns_rfc2136_server: d.server,
      dns_rfc2136_port: d.port,
      dns_rfc2136_name: d.updateKey.name,
      dns_rfc2136_secret: d.updateKey.secret,
      dns_rfc2136_algorithm: 'HMAC-SHA256',
      // BIND is authoritative and Pebble asks it directly: no propagation to wait for
      dns_propagation_seconds: 1,
      apt_upgrade: false,
      certbot_install_method: 'apt',
    };
  };
  const fleet = (names: string[], vars: Record<string, unknown> = {}): string =>
    writeInventory(lab, names.map((name): HostEntry => ({ name, user: 'deploy' })), { ...dnsVars(), ...vars });
  const netns = (host: string): string => `rbl-${LAB}-f-${host}`;
  /** port 80 of the host closed to everyone (the ACME server included) while `work` runs */
  async function port80Closed<T>(host: string, work: () => Promise<T>): Promise<T> {
    const nft = (script: string): void => void execFileSync('ip', ['netns', 'exec', netns(host), 'nft', '-f', '-'], { input: script });
    nft('table inet np_block {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 80 drop\n  }\n}\n');
    try {
      return await work();
    } finally {
      nft('delete table inet np_block\n');
    }
  }
  const secret = (): string => lab.dns?.updateKey.secret ?? 'no-secret';
  let retryFile = '';

  it('bad DNS-01 input (wrong secret, DNS server not answering, a key that may not update the zone): fails before certbot is asked, node as it was', async () => {
    const before = await snapshot(lab, 'hub12');
    const d = lab.dns!;
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['wrong secret', { dns_rfc2136_secret: Buffer.from('not the lab key, not the lab key!').toString('base64') }, /rejects the signature of key .* \(BADSIG\): dns_rfc2136_secret or dns_rfc2136_algorithm/],
      ['dead server', { dns_rfc2136_port: d.port + 1 }, /does not answer over TCP \(connection refused/],
      ['zone not allowed', { dns_rfc2136_name: d.otherKey.name, dns_rfc2136_secret: d.otherKey.secret }, /key lab-other may not update _acme-challenge\.hub12\.lab\.test in zone lab\.test \(REFUSED\)/],
    ];
    for (const [what, vars, message] of cases) {
      const r = await runbook(lab, 'playbooks/allmon3.yml', fleet(['hub12'], vars));
      timings[`bad-${what}`] = r.durationMs;
      expect(r.code, `${what}: ${failureText(r)}`).toBe(2);
      expect(failureText(r), what).toMatch(message);
      // nothing of the rollout play ran: no package, no credentials file, no certbot
      expect(taskResults(r, 'hub12').filter((t) => ['apt', 'certbot', 'certbot_rfc2136_credentials'].includes(t.task.module)), what).toEqual([]);
      expect(r.stdout + r.stderr).not.toContain(typeof vars.dns_rfc2136_secret === 'string' ? vars.dns_rfc2136_secret : secret());
    }
    expect(await snapshot(lab, 'hub12')).toBe(before);
  });

  it('allmon3 by DNS-01 over a fleet larger than its budget (through the hub): what fits is certified, the rest DEFERRED (exit 8)', async () => {
    const inv = fleet(['hub12', 'site13', 'fw13'], { acme_weekly_limit: 2 });
    const r = await port80Closed('hub12', () => runbook(lab, 'playbooks/allmon3.yml', inv));
    timings.budgetRun = r.durationMs;
    expect(r.code, `${failureText(r)}\n${r.stderr}`).toBe(8);
    expect(r.recap?.deferred?.map((d) => d.host)).toEqual(['fw13']);
    const from = Date.parse(r.recap?.deferred?.[0]?.from ?? '');
    expect(from - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(r.recap?.deferred?.[0]?.reason).toMatch(/weekly budget of 2 new certificates under lab\.test is used up: fits from \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(readFileSync(r.retryFile, 'utf8').trim().split('\n')).toEqual(['fw13']);
    expect(r.recap?.failures).toEqual([]);
    expect(r.recap?.hosts.fw13).toMatchObject({ failed: 0, unreachable: 0, changed: 0 });
    // the secret is in no output; on the node only in the root-only credentials file
    expect(r.stdout + r.stderr).not.toContain(secret());
    const creds = await hostSh(lab, 'hub12', 'stat -c "%a %U %G" /etc/letsencrypt/rfc2136.ini; grep -c dns_rfc2136_secret /etc/letsencrypt/rfc2136.ini');
    expect(creds.stdout.trim().split('\n')).toEqual(['600 root root', '1']);

    for (const host of ['hub12', 'site13']) {
      const domain = `${host}.lab.test`;
      expect(r.recap?.outputs?.[host], host).toMatchObject({ fullchain: `/etc/letsencrypt/live/${domain}/fullchain.pem`, privkey: `/etc/letsencrypt/live/${domain}/privkey.pem` });
      const conf = await hostSh(lab, host, `grep -E '^(authenticator|installer)' /etc/letsencrypt/renewal/${domain}.conf`);
      expect(conf.stdout, host).toMatch(/authenticator = dns-rfc2136[\s\S]*installer = apache/);
    }
    // systemd runs on the hub: the renewal schedule is certbot's timer
    expect(String(r.recap?.outputs?.hub12?.renewal)).toMatch(/certbot\.timer/);

    // checked from outside: the Debian 12 node directly
    const web = await verifyHttps(lab, 'hub12');
    expect(web.redirect).toBe('301 https://hub12.lab.test/');
    expect(web.status).toMatch(/^HTTP\/1\.1 200/);
    expect(web.hsts).toMatch(/max-age=\d+/);
    expect(web.issuer).toMatch(/Pebble Intermediate/);
    const page = await curl(lab, 'hub12', 'https://hub12.lab.test/allmon3/', ['--cacert', lab.acme?.rootPemFile ?? '']);
    expect(page.stdout).toMatch(/<title>[^<]*Allmon3/);

    // the node behind the hub, from the hub (the controller cannot route to its site)
    const site = lab.hosts.find((h) => h.name === 'site13');
    await hostSh(lab, 'hub12', `cat > /tmp/pebble-root.pem <<'EOF'\n${readFileSync(lab.acme?.rootPemFile ?? '', 'utf8')}EOF`);
    const fromHub = await hostSh(
      lab,
      'hub12',
      `curl -s -o /dev/null -w '%{http_code} %{redirect_url}\\n' --resolve site13.lab.test:80:${site?.address ?? ''} http://site13.lab.test/; ` +
        `curl -s -D - -o /dev/null --cacert /tmp/pebble-root.pem --resolve site13.lab.test:443:${site?.address ?? ''} https://site13.lab.test/allmon3/`,
    );
    expect(fromHub.stdout).toMatch(/^301 https:\/\/site13\.lab\.test\//);
    expect(fromHub.stdout).toMatch(/HTTP\/1\.1 200/);
    expect(fromHub.stdout).toMatch(/strict-transport-security: max-age=/i);
  });

  it('rerun of the whole fleet the same week: the certified nodes change nothing, their certificates count, fw13 is deferred again', async () => {
    const r = await runbook(lab, 'playbooks/allmon3.yml', fleet(['hub12', 'site13', 'fw13'], { acme_weekly_limit: 2 }));
    timings.budgetRerun = r.durationMs;
    expect(r.code, failureText(r)).toBe(8);
    expect(r.recap?.deferred?.map((d) => d.host)).toEqual(['fw13']);
    for (const host of ['hub12', 'site13']) expect(r.recap?.hosts[host], changedTasks(r, host)).toMatchObject({ changed: 0, failed: 0 });
    expect(readFileSync(r.retryFile, 'utf8').trim().split('\n')).toEqual(['fw13']);
    retryFile = r.retryFile;
  });

  it('the retry file picks up exactly the deferred node: fw13 certified by DNS-01, firewalld opens its zone; then changes nothing', async () => {
    const r = await runbook(lab, 'playbooks/allmon3.yml', fleet(['hub12', 'site13', 'fw13'], { acme_weekly_limit: 2 }), ['--limit', `@${retryFile}`]);
    timings.retryRun = r.durationMs;
    expect(r.code, `${failureText(r)}\n${r.stderr}`).toBe(0);
    expect(Object.keys(r.recap?.hosts ?? {})).toEqual(['fw13']);
    const fw = taskResults(r, 'fw13').find((t) => t.task.module === 'firewalld');
    expect(fw).toMatchObject({ status: 'changed', msg: expect.stringMatching(/^zone allstarlink .*allow http, https \(runtime and permanent\)/) as unknown });
    const web = await verifyHttps(lab, 'fw13');
    expect(web.redirect).toBe('301 https://fw13.lab.test/');
    expect(web.status).toMatch(/^HTTP\/1\.1 200/);
    expect(web.issuer).toMatch(/Pebble Intermediate/);

    const again = await runbook(lab, 'playbooks/allmon3.yml', fleet(['fw13']));
    expect(again.code, failureText(again)).toBe(0);
    expect(again.recap?.hosts.fw13, changedTasks(again, 'fw13')).toMatchObject({ changed: 0, failed: 0 });
    expect(taskResults(again, 'fw13').find((t) => t.task.module === 'firewalld')?.msg).toMatch(/already allows http, https/);
  });

  it('dms by DNS-01 on Debian 12 and 13: certonly with the RFC 2136 plugin, nothing on port 80 stopped, paths in --json; then changes nothing', async () => {
    const inv = writeInventory(
      lab,
      [
        { name: 'hub12', user: 'deploy', domain: 'gw-hub12.lab.test' },
        { name: 'fw13', user: 'deploy', domain: 'gw-fw13.lab.test' },
      ],
      dnsVars(),
    );
    const r = await port80Closed('hub12', () => runbook(lab, 'playbooks/dms.yml', inv));
    timings.dms1 = r.durationMs;
    expect(r.code, `${failureText(r)}\n${r.stderr}`).toBe(0);
    for (const host of ['hub12', 'fw13']) {
      const domain = `gw-${host}.lab.test`;
      expect(r.recap?.outputs?.[host], host).toMatchObject({ fullchain: `/etc/letsencrypt/live/${domain}/fullchain.pem`, privkey: `/etc/letsencrypt/live/${domain}/privkey.pem`, renewal_hooks: null });
      const st = await hostSh(lab, host, `openssl x509 -in /etc/letsencrypt/live/${domain}/cert.pem -noout -issuer; grep -E '^authenticator' /etc/letsencrypt/renewal/${domain}.conf; pgrep -x apache2 >/dev/null && echo apache-running`);
      expect(st.stdout, host).toMatch(/Pebble Intermediate[\s\S]*authenticator = dns-rfc2136[\s\S]*apache-running/);
    }
    expect(r.stdout + r.stderr).not.toContain(secret());
    const again = await runbook(lab, 'playbooks/dms.yml', inv);
    timings.dms2 = again.durationMs;
    expect(again.code, failureText(again)).toBe(0);
    for (const host of ['hub12', 'fw13']) expect(again.recap?.hosts[host], changedTasks(again, host)).toMatchObject({ changed: 0, failed: 0 });
  });
});
