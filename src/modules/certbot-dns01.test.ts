// DNS-01 in certbot's plan: the RFC 2136 plugin answers the challenge (Apache, when asked, only
// installs), its credentials file and propagation wait are passed, and nothing on port 80 is
// stopped. The certbot probe reads every certificate a lineage held (the weekly budget).
import { describe, expect, it } from 'vitest';
import { LE_PRODUCTION, planCertbot, type CertbotWanted } from './certbot-plan.js';
import { parseCertbotState, type CertbotHostState } from '../facts/certbot.js';

const NOW = new Date('2026-12-03T08:00:00Z');
const base: CertbotWanted = {
  domains: ['node1.allstar.example.org'],
  plugin: 'apache',
  email: 'ops@example.org',
  agreeTos: true,
  effEmail: false,
  server: LE_PRODUCTION,
  redirect: true,
  hsts: true,
  stapleOcsp: false,
  freePort80: true,
  minDaysLeft: 30,
  challenge: 'dns-01',
  dnsCredentials: '/etc/letsencrypt/rfc2136.ini',
  dnsPropagationSeconds: 10,
};
const host = (over: Partial<CertbotHostState> = {}): CertbotHostState => ({
  certbot: '/usr/bin/certbot',
  lineages: [],
  schedules: [{ kind: 'systemd-timer', where: 'certbot.timer' }],
  systemdRunning: true,
  cronRunning: false,
  port80: [{ process: 'apache2', pid: 10, unit: 'apache2' }],
  initScripts: ['apache2'],
  apache: { installed: true, running: true, sites: [] },
  ...over,
});

describe('certbot with DNS-01', () => {
  it('apache: dns-rfc2136 authenticates, apache installs with redirect and HSTS', () => {
    const p = planCertbot(host(), base, NOW);
    expect(p.action).toBe('issue');
    const cmd = p.commands[0]?.toShell() ?? '';
    expect(cmd).toMatch(/^certbot --authenticator dns-rfc2136 --installer apache --redirect --hsts --dns-rfc2136-credentials \/etc\/letsencrypt\/rfc2136\.ini --dns-rfc2136-propagation-seconds 10 --non-interactive --agree-tos/);
    expect(cmd).not.toMatch(/--apache|--standalone|hook/);
  });

  it('standalone (dms): certonly with the plugin; what holds port 80 is not stopped, even with free_port_80 false', () => {
    const p = planCertbot(host(), { ...base, plugin: 'standalone', freePort80: false }, NOW);
    expect(p.error).toBeUndefined();
    const cmd = p.commands[0]?.toShell() ?? '';
    expect(cmd).toMatch(/^certbot certonly --authenticator dns-rfc2136 --dns-rfc2136-credentials/);
    expect(cmd).not.toMatch(/--pre-hook|--post-hook/);
    expect(p.hooks).toBeUndefined();
  });

  it('the probe reads the notBefore of every certificate in the lineage archive', () => {
    const st = parseCertbotState(
      [
        '@@certbot /usr/bin/certbot',
        '@@lineage n1.example.org /etc/letsencrypt/renewal/n1.example.org.conf',
        '[renewalparams]',
        'authenticator = dns-rfc2136',
        '@@x509 n1.example.org',
        'notAfter=Mar  3 08:00:00 2027 GMT',
        '@@issued n1.example.org',
        'notBefore=Nov 30 07:00:00 2026 GMT',
        'notBefore=Dec  2 07:00:00 2026 GMT',
        '@@end',
      ].join('\n'),
    );
    expect(st.lineages[0]?.issued?.map((d) => d.toISOString())).toEqual(['2026-11-30T07:00:00.000Z', '2026-12-02T07:00:00.000Z']);
    expect(st.lineages[0]?.authenticator).toBe('dns-rfc2136');
  });
});
