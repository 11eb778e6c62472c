// The apache and ufw modules on a real Debian host with Apache (lab full host), through the CLI:
// modules enabled once (second run ok), a change that breaks `apachectl configtest` undone
// before any reload, ufw left alone (and saying so) when missing or inactive, rules added once
// when active.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { labSkipReason, startLab, stopLab, type LabInfo } from '../support/lab.js';
import { failureText, hostSh, runbook, taskResults, writeInventory } from './helpers.js';

const LAB = 'e2e-apufw';

function playbook(tasks: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'runbook-e2e-pb-')), 'play.yml');
  writeFileSync(file, stringify([{ name: 'modules', hosts: 'all', become: true, gather_facts: false, tasks }]));
  return file;
}

describe.skipIf(labSkipReason())('apache and ufw modules on a lab host', () => {
  let lab: LabInfo;
  let inv: string;

  beforeAll(async () => {
    lab = await startLab({ name: LAB, full: [{ name: 'web', layer: 'apache' }] });
    inv = writeInventory(lab, [{ name: 'web', user: 'deploy' }]);
    await hostSh(lab, 'web', 'pgrep -x apache2 >/dev/null || service apache2 start');
  });
  afterAll(() => stopLab(LAB));

  it('apache: enables modules once, then reports no change', async () => {
    const pb = playbook([{ apache: { modules: ['headers', 'info'] } }]);
    const r1 = await runbook(lab, pb, inv);
    expect(r1.code, failureText(r1)).toBe(0);
    expect(taskResults(r1, 'web')[0]).toMatchObject({ status: 'changed', msg: expect.stringMatching(/enable module .*info.*reloaded Apache/) as unknown });
    const r2 = await runbook(lab, pb, inv);
    expect(r2.recap?.hosts.web).toMatchObject({ changed: 0, failed: 0 });
    expect((await hostSh(lab, 'web', 'ls /etc/apache2/mods-enabled')).stdout).toMatch(/info\.load/);
  });

  it('apache: a change that fails configtest is undone, Apache keeps serving', async () => {
    // default-ssl needs the snakeoil certificate, which this host does not have
    const before = (await hostSh(lab, 'web', 'ls /etc/apache2/sites-enabled /etc/apache2/mods-enabled')).stdout;
    const r = await runbook(lab, playbook([{ apache: { sites: ['default-ssl'], modules: ['ssl'] } }]), inv);
    expect(r.code).toBe(2);
    expect(failureText(r)).toMatch(/apachectl configtest fails, so the change was undone and Apache not reloaded/);
    expect(failureText(r)).toMatch(/ssl-cert-snakeoil/);
    expect((await hostSh(lab, 'web', 'ls /etc/apache2/sites-enabled /etc/apache2/mods-enabled')).stdout).toBe(before);
    expect((await hostSh(lab, 'web', 'apache2ctl configtest 2>&1 && pgrep -x apache2 >/dev/null && echo serving')).stdout).toMatch(/serving/);
  });

  it('ufw: missing, then inactive: no change and says why; active: rules added once', async () => {
    const pb = playbook([{ ufw: { rule: 'allow', port: [80, 443], proto: 'tcp' } }]);
    const missing = await runbook(lab, pb, inv);
    expect(taskResults(missing, 'web')[0]).toMatchObject({ status: 'ok', msg: 'ufw is not installed: no host firewall to change' });

    const inst = await hostSh(lab, 'web', 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null 2>&1; apt-get install -y -q ufw >/dev/null 2>&1; command -v ufw');
    expect(inst.code, inst.stderr).toBe(0);
    const inactive = await runbook(lab, pb, inv);
    expect(taskResults(inactive, 'web')[0]).toMatchObject({ status: 'ok', msg: 'ufw is installed but inactive: no host firewall to change' });

    expect((await hostSh(lab, 'web', 'ufw allow 22/tcp >/dev/null && ufw --force enable >/dev/null && ufw status')).stdout).toMatch(/Status: active/);
    const r1 = await runbook(lab, pb, inv);
    expect(taskResults(r1, 'web')[0]).toMatchObject({ status: 'changed', msg: 'allow 80/tcp, 443/tcp' });
    const r2 = await runbook(lab, pb, inv);
    expect(taskResults(r2, 'web')[0]).toMatchObject({ status: 'ok' });
    expect((await hostSh(lab, 'web', 'ufw status')).stdout).toMatch(/80\/tcp\s+ALLOW\s+Anywhere[\s\S]*443\/tcp\s+ALLOW\s+Anywhere/);
  });
});
