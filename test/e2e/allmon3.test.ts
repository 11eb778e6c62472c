// playbooks/allmon3.yml end to end: real Debian hosts with Apache (lab full hosts), a real ACME
// server (Pebble) validating HTTP-01 on the hosts' port 80, runbook's CLI over SSH as the
// passwordless-sudo user and as the user whose sudo asks a password. Verified from outside
// the host: 301 to https, a chain that verifies against Pebble's root, HSTS; renewal dry run;
// paths in the JSON result; a second run changes nothing. Broken cases fail early, saying what
// to fix, and leave the host as it was.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labSkipReason, type LabInfo } from '../support/lab.js';
import { changedTasks, failureText, hostSh, labSuite, runbook, snapshot, taskResults, verifyHttps, writeInventory } from './helpers.js';

const LAB = 'e2e-allmon';
const PLAYBOOK = 'playbooks/allmon3.yml';

describe.skipIf(labSkipReason())('playbooks/allmon3.yml against Pebble', () => {
  let lab: LabInfo;
  const timings = labSuite(
    'allmon3',
    {
      name: LAB,
      full: [
        { name: 'allmon', layer: 'apache' },
        // Debian 13 (trixie, its own certbot): allmon3 by HTTP-01 on both releases
        { name: 'allmon2', layer: 'apache', release: '13' },
        { name: 'allbad', layer: 'apache' },
      ],
      acme: true,
    },
    async (l) => {
      lab = l;
      // a stock node serves its dashboard with Apache on the default site
      for (const h of ['allmon', 'allmon2', 'allbad']) {
        const r = await hostSh(lab, h, 'service apache2 start >/dev/null 2>&1; pgrep -x apache2 >/dev/null');
        expect(r.code, `apache2 on ${h}`).toBe(0);
      }
    },
  );

  for (const [host, user] of [
    ['allmon', 'deploy'],
    ['allmon2', 'ops'],
  ] as const) {
    it(`${user}: first run puts a Pebble certificate in Apache with redirect and HSTS, renewal tested`, async () => {
      if (user === 'ops') {
        // this node has an active host firewall that lets only SSH in: the playbook opens 80 and 443
        const fw = await hostSh(
          lab,
          host,
          'export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null 2>&1; apt-get install -y -q ufw >/dev/null 2>&1 && ufw allow 22/tcp >/dev/null && ufw --force enable >/dev/null && ufw status',
        );
        expect(fw.stdout, fw.stderr).toMatch(/Status: active/);
      }
      const inv = writeInventory(lab, [{ name: host, user }]);
      const env = user === 'ops' ? { RUNBOOK_BECOME_PASSWORD: lab.users.passwd.sudoPassword ?? '' } : {};
      // the ops run skips `apt upgrade` (the deploy run covers it) to keep the suite shorter
      const extra = user === 'ops' ? ['-e', 'apt_upgrade=false'] : [];
      const r = await runbook(lab, PLAYBOOK, inv, extra, env);
      timings[`${user}-run1`] = r.durationMs;
      expect(r.code, `${failureText(r)}\n${r.stderr}`).toBe(0);
      expect(r.recap?.hosts[host]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(r.recap?.hosts[host]?.changed).toBeGreaterThan(0);

      const domain = lab.hosts.find((h) => h.name === host)?.domain ?? '';
      const out = r.recap?.outputs?.[host];
      expect(out).toMatchObject({
        fullchain: `/etc/letsencrypt/live/${domain}/fullchain.pem`,
        privkey: `/etc/letsencrypt/live/${domain}/privkey.pem`,
        renewal: 'cron /etc/cron.d/certbot', // no systemd in the lab: Debian's cron entry
      });
      expect(String(out?.expiry)).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(String(out?.ssl_site)).toMatch(/^\/etc\/apache2\/sites-available\/000-default-le-ssl\.conf$/);

      const dry = taskResults(r, host).find((t) => t.task.name.startsWith('Renewal works'));
      expect(dry?.status).toBe('ok');
      expect(dry?.result?.dry_run).toBe('succeeded');

      const fwTask = taskResults(r, host).find((t) => t.task.module === 'ufw');
      if (user === 'ops') {
        expect(fwTask).toMatchObject({ status: 'changed', msg: 'allow 80/tcp, 443/tcp' });
        expect((await hostSh(lab, host, 'ufw status')).stdout).toMatch(/80\/tcp\s+ALLOW\s+Anywhere[\s\S]*443\/tcp\s+ALLOW\s+Anywhere/);
      } else {
        expect(fwTask).toMatchObject({ status: 'ok', msg: 'ufw is not installed: no host firewall to change' });
      }

      const web = await verifyHttps(lab, host);
      expect(web.redirect).toBe(`301 https://${domain}/`);
      expect(web.status).toMatch(/^HTTP\/1\.1 200/);
      expect(web.hsts).toMatch(/max-age=\d+/);
      expect(web.issuer).toMatch(/Pebble Intermediate/);
    });

    it(`${user}: second run changes nothing`, async () => {
      const inv = writeInventory(lab, [{ name: host, user }]);
      const env = user === 'ops' ? { RUNBOOK_BECOME_PASSWORD: lab.users.passwd.sudoPassword ?? '' } : {};
      const r = await runbook(lab, PLAYBOOK, inv, user === 'ops' ? ['-e', 'apt_upgrade=false'] : [], env);
      timings[`${user}-run2`] = r.durationMs;
      expect(r.code, failureText(r)).toBe(0);
      expect(r.recap?.hosts[host], changedTasks(r, host)).toMatchObject({ changed: 0, failed: 0 });
      expect(r.recap?.outputs?.[host]?.fullchain).toMatch(/fullchain\.pem$/);
    });
  }

  it('fleet: one failing node does not stop the others; the recap has every host and the retry file the failed one', async () => {
    const inv = writeInventory(lab, [
      { name: 'allmon', user: 'deploy' },
      { name: 'allbad', user: 'deploy', domain: 'nowhere.lab.test' },
    ]);
    const r = await runbook(lab, PLAYBOOK, inv, ['-e', 'apt_upgrade=false']);
    timings.fleet = r.durationMs;
    expect(r.code).toBe(2);
    expect(r.recap?.hosts.allmon).toMatchObject({ failed: 0, changed: 0 });
    expect(r.recap?.hosts.allbad).toMatchObject({ failed: 1 });
    expect(r.recap?.notStarted).toEqual([]);
    expect(r.recap?.outputs?.allmon?.fullchain).toBe('/etc/letsencrypt/live/allmon.lab.test/fullchain.pem');
    expect(r.recap?.failures.map((f) => f.host)).toEqual(['allbad']);
    expect(readFileSync(r.retryFile, 'utf8').trim().split('\n')).toEqual(['allbad']);
  });

  it('--check on a fresh node reports the certificate it would request and changes nothing', async () => {
    const before = await snapshot(lab, 'allbad');
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'allbad', user: 'deploy' }]), ['--check']);
    timings.check = r.durationMs;
    expect(r.code, failureText(r)).toBe(0);
    const cert = taskResults(r, 'allbad').find((t) => t.task.module === 'certbot' && t.status === 'changed');
    expect(cert?.msg).toMatch(/would request a certificate for allbad\.lab\.test/);
    expect(await snapshot(lab, 'allbad')).toBe(before);
  });

  it('broken: a domain that does not resolve fails before any change, saying what to fix', async () => {
    const before = await snapshot(lab, 'allbad');
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'allbad', user: 'deploy', domain: 'nowhere.lab.test' }]));
    timings.brokenDns = r.durationMs;
    expect(r.code).toBe(2);
    expect(failureText(r)).toMatch(/nowhere\.lab\.test does not resolve.*Create a DNS A record/s);
    expect(await snapshot(lab, 'allbad')).toBe(before);
  });

  it("broken: a domain that points at another node fails before any change", async () => {
    const before = await snapshot(lab, 'allbad');
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'allbad', user: 'deploy', domain: 'allmon.lab.test' }]));
    expect(r.code).toBe(2);
    expect(failureText(r)).toMatch(/allmon\.lab\.test resolves to .*not to this host/);
    expect(await snapshot(lab, 'allbad')).toBe(before);
  });

  it('broken: an Apache configuration that fails configtest stops the run before any change', async () => {
    await hostSh(lab, 'allbad', "cp /etc/apache2/sites-available/000-default.conf /root/000-default.conf.orig && echo 'ThisIsNotADirective on' >> /etc/apache2/sites-available/000-default.conf");
    try {
      const before = await snapshot(lab, 'allbad');
      const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'allbad', user: 'deploy' }]));
      timings.brokenApache = r.durationMs;
      expect(r.code).toBe(2);
      expect(failureText(r)).toMatch(/Apache's configuration is broken \(apache2ctl configtest\): fix it first/);
      expect(failureText(r)).toMatch(/ThisIsNotADirective/);
      expect(await snapshot(lab, 'allbad')).toBe(before);
    } finally {
      await hostSh(lab, 'allbad', 'cp /root/000-default.conf.orig /etc/apache2/sites-available/000-default.conf');
    }
  });
});
