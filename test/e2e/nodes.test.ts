// The nodes that exist (issue 12), one lab instance shared by every case: a Debian 12 node that
// is also the hub of a site, a Debian 13 node running firewalld whose zone lacks http/https, and
// a Debian 13 node on the hub's site network (reachable only through the hub). BIND takes the
// TSIG-signed updates of DNS-01 and Pebble validates through it.
//
// Proves, checked from outside the hosts: the firewalld module on a real firewalld (the zone
// holding the interface, runtime and permanent, nothing changed the second time); a node behind
// its hub reached through the jump host, and a dead one reported unreachable with the failing
// hop named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labSkipReason, startLab, stopLab, type LabInfo } from '../support/lab.js';
import { failureText, hostSh, runbook, taskResults, writeInventory } from './helpers.js';

const LAB = 'np-e2e';

function playbook(tasks: unknown[], become = true): string {
  const file = join(mkdtempSync(join(tmpdir(), 'runbook-np-pb-')), 'play.yml');
  writeFileSync(file, stringify([{ name: 'modules', hosts: 'all', become, gather_facts: false, tasks }]));
  return file;
}

describe.skipIf(labSkipReason())('the nodes that exist: Debian 12/13, firewalld, a site behind its hub', () => {
  let lab: LabInfo;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    lab = await startLab({
      name: LAB,
      acme: true,
      dns: true,
      full: [
        { name: 'hub12', release: '12', layer: 'apache', init: 'systemd' },
        { name: 'fw13', release: '13', layer: 'firewalld', httpAllowed: false },
        { name: 'site13', release: '13', layer: 'apache', behind: 'hub12' },
      ],
    });
    timings.labUp = Date.now() - t0;
  });

  afterAll(async () => {
    process.stderr.write(`[e2e nodes] timings (ms): ${JSON.stringify(timings)}\n`);
    await stopLab(LAB);
  });

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
});
