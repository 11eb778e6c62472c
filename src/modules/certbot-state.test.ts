// The probe parser and planner on real outputs captured on lab hosts (test/fixtures/certbot).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeSchedule, describeSchedule, parseCertbotState } from '../facts/certbot.js';
import { apacheMissing, planCertbot, type CertbotWanted } from './certbot-plan.js';
import { explainCertbotFailure } from './certbot.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../test/fixtures/certbot', name), 'utf8');
const NOW = new Date('2026-11-22T09:00:00Z');
const PEBBLE = 'https://acme.lab.test:14000/dir';

function wanted(over: Partial<CertbotWanted>): CertbotWanted {
  return {
    domains: ['allmon.lab.test'],
    plugin: 'apache',
    email: 'noc@example.org',
    agreeTos: true,
    effEmail: false,
    server: PEBBLE,
    caBundle: '/usr/local/share/ca-certificates/runbook-lab-ca.crt',
    redirect: true,
    hsts: true,
    stapleOcsp: false,
    freePort80: true,
    minDaysLeft: 30,
    ...over,
  };
}

describe('probe on a fresh Apache node', () => {
  const st = parseCertbotState(fixture('probe-allmon-fresh.txt'));
  it('parses certbot, schedules (timer file present but no systemd → cron), port 80 holders, Apache', () => {
    expect(st.certbot).toBe('/usr/bin/certbot');
    expect(st.lineages).toEqual([]);
    expect(st.systemdRunning).toBe(false);
    expect(describeSchedule(activeSchedule(st))).toBe('cron /etc/cron.d/certbot');
    expect(st.port80.map((p) => p.process)).toEqual(['apache2', 'apache2', 'apache2']);
    expect(st.apache).toMatchObject({ installed: true, running: true });
  });
  it('plans certbot --apache with redirect and HSTS', () => {
    const p = planCertbot(st, wanted({}), NOW);
    expect(p.action).toBe('issue');
    expect(p.commands[0]?.toShell()).toBe(
      'REQUESTS_CA_BUNDLE=/usr/local/share/ca-certificates/runbook-lab-ca.crt certbot --apache --redirect --hsts --non-interactive --agree-tos --email noc@example.org --no-eff-email --server https://acme.lab.test:14000/dir --cert-name allmon.lab.test -d allmon.lab.test',
    );
  });
  it('standalone on this node: hooks stop and start apache2 (one service for its three processes)', () => {
    expect(planCertbot(st, wanted({ plugin: 'standalone' }), NOW).hooks).toEqual({ pre: 'service apache2 stop', post: 'service apache2 start' });
  });
});

describe('probe after allmon3.yml (Apache plugin)', () => {
  const st = parseCertbotState(fixture('probe-allmon-apache-issued.txt'));
  const l = st.lineages[0];
  it('reads the lineage: names, server, plugins, paths, expiry, issuer', () => {
    expect(l).toMatchObject({
      name: 'allmon.lab.test',
      domains: ['allmon.lab.test'],
      server: PEBBLE,
      authenticator: 'apache',
      installer: 'apache',
      fullchain: '/etc/letsencrypt/live/allmon.lab.test/fullchain.pem',
      privkey: '/etc/letsencrypt/live/allmon.lab.test/privkey.pem',
      issuer: 'CN = Pebble Intermediate CA 12c1ee',
    });
    expect(l?.notAfter?.toISOString()).toBe('2031-11-22T08:21:22.000Z');
  });
  it('sees the le-ssl site with HSTS and the redirect in the http site: nothing to do', () => {
    expect(st.apache.sites).toEqual([
      { file: '/etc/apache2/sites-enabled/000-default-le-ssl.conf', certNames: ['allmon.lab.test'], hsts: true, stapling: false, redirects: [] },
      { file: '/etc/apache2/sites-enabled/000-default.conf', certNames: [], hsts: false, stapling: false, redirects: ['allmon.lab.test'] },
    ]);
    expect(l && apacheMissing(st, l, wanted({}))).toEqual([]);
    expect(planCertbot(st, wanted({}), NOW).action).toBe('none');
  });
  it('asking for OCSP stapling afterwards reinstalls (keep until expiring), no new certificate', () => {
    const p = planCertbot(st, wanted({ stapleOcsp: true }), NOW);
    expect(p.action).toBe('install');
    expect(p.commands[0]?.toShell()).toMatch(/--staple-ocsp .*--keep-until-expiring$/);
  });
  it('switching to Let\'s Encrypt staging requests again', () => {
    expect(planCertbot(st, wanted({ server: 'https://acme-staging-v02.api.letsencrypt.org/directory' }), NOW).action).toBe('reissue');
  });
});

describe('probe after dms.yml (standalone with Apache on port 80)', () => {
  const st = parseCertbotState(fixture('probe-dms-standalone-hooks.txt'));
  it('reads the stored hooks, and plans nothing on a second run', () => {
    expect(st.lineages[0]).toMatchObject({ authenticator: 'standalone', preHook: 'service apache2 stop', postHook: 'service apache2 start' });
    expect(planCertbot(st, wanted({ plugin: 'standalone', domains: ['dms.lab.test'] }), NOW).action).toBe('none');
  });
  it('free_port_80 false with the certificate valid: no failure now, a warning about renewals', () => {
    const p = planCertbot(st, wanted({ plugin: 'standalone', domains: ['dms.lab.test'], freePort80: false }), NOW);
    expect(p.error).toBeUndefined();
    expect(p.warnings.join()).toMatch(/renewals will fail/);
  });
});

describe('certbot outputs', () => {
  it('renew --dry-run success is recognised', () => {
    expect(fixture('renew-dry-run-ok.txt')).toMatch(/all simulated renewals succeeded/i);
  });
  it('port 80 busy and an unresolvable name are explained', () => {
    expect(explainCertbotFailure(fixture('certonly-standalone-port80-busy.txt'))).toMatch(/free_port_80: true/);
    expect(explainCertbotFailure(fixture('certonly-standalone-nxdomain.txt'))).toMatch(/DNS A record/);
  });
});
