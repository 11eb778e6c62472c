// playbooks/dms.yml end to end: certbot --standalone on real Debian hosts against Pebble, over
// SSH as both lab users. What holds port 80 (Apache here) is stopped for issuance and started
// again, and the hooks are stored for renewals; the renewal dry run succeeds; the paths are in
// the JSON result; a second run changes nothing. Broken cases (port 80 held with
// free_port_80=false, a domain that does not resolve) fail early and leave the host as it was.
import { describe, expect, it } from 'vitest';
import { labSkipReason, type LabInfo } from '../support/lab.js';
import { changedTasks, failureText, hostSh, labSuite, runbook, snapshot, taskResults, writeInventory } from './helpers.js';

const LAB = 'e2e-dms';
const PLAYBOOK = 'playbooks/dms.yml';
// the lab has no snapd (containers): the apt install method, as the playbook documents
const APT = ['-e', 'certbot_install_method=apt'];

describe.skipIf(labSkipReason())('playbooks/dms.yml against Pebble', () => {
  let lab: LabInfo;
  const timings = labSuite(
    'dms',
    {
      name: LAB,
      full: [
        { name: 'dms', layer: 'apache' },
        // Debian 13 (trixie, its own certbot): dms standalone on both releases
        { name: 'dms2', layer: 'apache', release: '13' },
        { name: 'dmsbad', layer: 'apache' },
      ],
      acme: true,
    },
    (l) => {
      lab = l;
    },
  );

  it('deploy: Apache holds port 80; it is stopped for issuance, started again, and the hooks are stored', async () => {
    expect((await hostSh(lab, 'dms', 'service apache2 start >/dev/null 2>&1; pgrep -x apache2 >/dev/null')).code).toBe(0);
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'dms', user: 'deploy' }]), APT);
    timings['deploy-run1'] = r.durationMs;
    expect(r.code, `${failureText(r)}\n${r.stderr}`).toBe(0);
    expect(r.recap?.hosts.dms).toMatchObject({ failed: 0 });
    expect(r.recap?.outputs?.dms).toMatchObject({
      fullchain: '/etc/letsencrypt/live/dms.lab.test/fullchain.pem',
      privkey: '/etc/letsencrypt/live/dms.lab.test/privkey.pem',
      renewal: 'cron /etc/cron.d/certbot',
      renewal_hooks: { pre: 'service apache2 stop', post: 'service apache2 start' },
    });
    expect(String(r.recap?.outputs?.dms?.expiry)).toMatch(/^\d{4}-\d\d-\d\dT/);
    const dry = taskResults(r, 'dms').find((t) => t.task.name.startsWith('Renewal works'));
    expect(dry?.status).toBe('ok');
    expect(dry?.result?.dry_run).toBe('succeeded');

    const host = await hostSh(
      lab,
      'dms',
      'openssl x509 -in /etc/letsencrypt/live/dms.lab.test/cert.pem -noout -issuer; grep -E "^(pre|post)_hook" /etc/letsencrypt/renewal/dms.lab.test.conf; pgrep -x apache2 >/dev/null && echo apache-running',
    );
    expect(host.stdout).toMatch(/issuer=.*Pebble Intermediate/);
    expect(host.stdout).toMatch(/pre_hook = service apache2 stop/);
    expect(host.stdout).toMatch(/post_hook = service apache2 start/);
    expect(host.stdout).toMatch(/apache-running/);
  });

  it('deploy: second run changes nothing', async () => {
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'dms', user: 'deploy' }]), APT);
    timings['deploy-run2'] = r.durationMs;
    expect(r.code, failureText(r)).toBe(0);
    expect(r.recap?.hosts.dms, changedTasks(r, 'dms')).toMatchObject({ changed: 0, failed: 0 });
  });

  it('ops (sudo password), Debian 13: nothing on port 80; issued, then a second run changes nothing', async () => {
    // the apache layer starts Apache at boot: this host has nothing on port 80
    expect((await hostSh(lab, 'dms2', 'service apache2 stop >/dev/null 2>&1; ! pgrep -x apache2')).code).toBe(0);
    const env = { RUNBOOK_BECOME_PASSWORD: lab.users.passwd.sudoPassword ?? '' };
    const inv = writeInventory(lab, [{ name: 'dms2', user: 'ops' }]);
    const r1 = await runbook(lab, PLAYBOOK, inv, APT, env);
    timings['ops-run1'] = r1.durationMs;
    expect(r1.code, `${failureText(r1)}\n${r1.stderr}`).toBe(0);
    expect(r1.recap?.outputs?.dms2).toMatchObject({ fullchain: '/etc/letsencrypt/live/dms2.lab.test/fullchain.pem', renewal_hooks: null });
    const r2 = await runbook(lab, PLAYBOOK, inv, APT, env);
    timings['ops-run2'] = r2.durationMs;
    expect(r2.code, failureText(r2)).toBe(0);
    expect(r2.recap?.hosts.dms2, changedTasks(r2, 'dms2')).toMatchObject({ changed: 0, failed: 0 });
  });

  it('broken: port 80 held and free_port_80=false fails early, saying what to fix, host unchanged', async () => {
    expect((await hostSh(lab, 'dmsbad', 'service apache2 start >/dev/null 2>&1; pgrep -x apache2 >/dev/null')).code).toBe(0);
    const before = await snapshot(lab, 'dmsbad');
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'dmsbad', user: 'deploy' }]), [...APT, '-e', 'free_port_80=false']);
    timings.brokenPort80 = r.durationMs;
    expect(r.code).toBe(2);
    expect(failureText(r)).toMatch(/port 80 is in use by apache2.*free_port_80 is false/s);
    expect(await snapshot(lab, 'dmsbad')).toBe(before);
  });

  it('broken: a domain that does not resolve fails early, host unchanged', async () => {
    const before = await snapshot(lab, 'dmsbad');
    const r = await runbook(lab, PLAYBOOK, writeInventory(lab, [{ name: 'dmsbad', user: 'deploy', domain: 'ghost.lab.test' }]), APT);
    expect(r.code).toBe(2);
    expect(failureText(r)).toMatch(/ghost\.lab\.test does not resolve/);
    expect(await snapshot(lab, 'dmsbad')).toBe(before);
  });
});
