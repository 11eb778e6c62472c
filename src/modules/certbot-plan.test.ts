import { describe, expect, it } from 'vitest';
import { LE_PRODUCTION, LE_STAGING, planCertbot, port80Hooks, renewDryRunCommand, rewriteHooks, type CertbotWanted } from './certbot-plan.js';
import { parseCertbotState, type CertbotHostState, type Lineage } from '../facts/certbot.js';

const NOW = new Date('2026-11-22T08:00:00Z');
const PEBBLE = 'https://acme.lab.test:14000/dir';

function wanted(over: Partial<CertbotWanted> = {}): CertbotWanted {
  return {
    domains: ['node1.example.org'],
    plugin: 'standalone',
    email: 'ops@example.org',
    agreeTos: true,
    effEmail: false,
    server: LE_PRODUCTION,
    redirect: true,
    hsts: false,
    stapleOcsp: false,
    freePort80: true,
    minDaysLeft: 30,
    ...over,
  };
}

function lineage(over: Partial<Lineage> = {}): Lineage {
  const name = over.name ?? 'node1.example.org';
  return {
    name,
    renewalFile: `/etc/letsencrypt/renewal/${name}.conf`,
    domains: [name],
    server: LE_PRODUCTION,
    authenticator: 'standalone',
    cert: `/etc/letsencrypt/live/${name}/cert.pem`,
    fullchain: `/etc/letsencrypt/live/${name}/fullchain.pem`,
    privkey: `/etc/letsencrypt/live/${name}/privkey.pem`,
    chain: `/etc/letsencrypt/live/${name}/chain.pem`,
    notAfter: new Date('2027-02-01T00:00:00Z'),
    issuer: 'C = US, O = Let\'s Encrypt, CN = E6',
    config: `version = 2.1.0\ncert = /etc/letsencrypt/live/${name}/cert.pem\n\n[renewalparams]\nauthenticator = standalone\nserver = ${LE_PRODUCTION}\n`,
    ...over,
  };
}

function state(over: Partial<CertbotHostState> = {}): CertbotHostState {
  return {
    certbot: '/usr/bin/certbot',
    lineages: [],
    schedules: [{ kind: 'cron', where: '/etc/cron.d/certbot' }],
    systemdRunning: false,
    cronRunning: true,
    port80: [],
    initScripts: ['apache2', 'ssh'],
    apache: { installed: false, running: false, sites: [] },
    ...over,
  };
}

describe('planCertbot', () => {
  it('issues a new certificate with every non-interactive answer, the server and the email answer', () => {
    const p = planCertbot(state(), wanted({ server: PEBBLE, caBundle: '/usr/local/share/ca-certificates/lab-ca.crt' }), NOW);
    expect(p.action).toBe('issue');
    expect(p.commands.map((c) => c.toShell())).toEqual([
      'REQUESTS_CA_BUNDLE=/usr/local/share/ca-certificates/lab-ca.crt certbot certonly --standalone --non-interactive --agree-tos --email ops@example.org --no-eff-email --server https://acme.lab.test:14000/dir --cert-name node1.example.org -d node1.example.org',
    ]);
  });

  it('answers yes to the EFF question only when asked, and registers without email when none is given', () => {
    expect(planCertbot(state(), wanted({ effEmail: true }), NOW).commands[0]?.toShell()).toContain('--eff-email');
    const noMail = planCertbot(state(), wanted({ email: undefined }), NOW).commands[0]?.toShell() ?? '';
    expect(noMail).toContain('--register-unsafely-without-email');
    expect(noMail).not.toContain('eff-email');
  });

  it('apache plugin: redirect, hsts and staple_ocsp flags; --no-redirect when redirect is off', () => {
    const st = state({ apache: { installed: true, running: true, sites: [] } });
    const on = planCertbot(st, wanted({ plugin: 'apache', hsts: true, stapleOcsp: true, server: PEBBLE }), NOW).commands[0]?.toShell() ?? '';
    expect(on).toMatch(/^certbot --apache --redirect --hsts --staple-ocsp --non-interactive --agree-tos /);
    const off = planCertbot(st, wanted({ plugin: 'apache', redirect: false }), NOW).commands[0]?.toShell() ?? '';
    expect(off).toContain('--no-redirect');
    expect(off).not.toContain('--hsts');
  });

  it("warns that OCSP stapling is useless with Let's Encrypt, not with another ACME server", () => {
    const st = state({ apache: { installed: true, running: true, sites: [] } });
    expect(planCertbot(st, wanted({ plugin: 'apache', stapleOcsp: true }), NOW).warnings.join()).toMatch(/OCSP in 2025/);
    expect(planCertbot(st, wanted({ plugin: 'apache', stapleOcsp: true, server: LE_STAGING }), NOW).warnings.join()).toMatch(/OCSP/);
    expect(planCertbot(st, wanted({ plugin: 'apache', stapleOcsp: true, server: PEBBLE }), NOW).warnings).toEqual([]);
  });

  it('leaves a valid lineage with the same names and server alone', () => {
    const p = planCertbot(state({ lineages: [lineage()] }), wanted(), NOW);
    expect(p.action).toBe('none');
    expect(p.commands).toEqual([]);
    expect(p.reason).toMatch(/valid for 70 more days/);
  });

  it('matches names case-insensitively and in any order', () => {
    const l = lineage({ domains: ['www.node1.example.org', 'node1.example.org'] });
    const p = planCertbot(state({ lineages: [l] }), wanted({ domains: ['node1.example.org', 'www.node1.example.org'] }), NOW);
    expect(p.action).toBe('none');
  });

  it('renews (forced) when fewer than min_days_left remain', () => {
    const p = planCertbot(state({ lineages: [lineage({ notAfter: new Date('2026-12-10T00:00:00Z') })] }), wanted(), NOW);
    expect(p.action).toBe('renew');
    expect(p.commands[0]?.toShell()).toContain('--force-renewal');
  });

  it('expands a lineage when names are added, replaces the set when one is removed', () => {
    const st = state({ lineages: [lineage()] });
    const add = planCertbot(st, wanted({ domains: ['node1.example.org', 'www.node1.example.org'] }), NOW);
    expect(add.action).toBe('expand');
    expect(add.commands[0]?.toShell()).toMatch(/--cert-name node1\.example\.org -d node1\.example\.org -d www\.node1\.example\.org --expand$/);
    const st2 = state({ lineages: [lineage({ domains: ['node1.example.org', 'old.example.org'] })] });
    const rm = planCertbot(st2, wanted(), NOW);
    expect(rm.action).toBe('expand');
    expect(rm.commands[0]?.toShell()).not.toContain('--expand');
    expect(rm.commands[0]?.toShell()).toContain('--cert-name node1.example.org');
  });

  it('requests again from a different server; to staging with --break-my-certs', () => {
    const st = state({ lineages: [lineage()] });
    const p = planCertbot(st, wanted({ server: PEBBLE }), NOW);
    expect(p.action).toBe('reissue');
    expect(p.commands[0]?.toShell()).toContain('--force-renewal');
    expect(p.commands[0]?.toShell()).not.toContain('--break-my-certs');
    expect(planCertbot(st, wanted({ server: LE_STAGING }), NOW).commands[0]?.toShell()).toContain('--break-my-certs');
  });

  it('standalone: stops and starts the service holding port 80 through stored hooks', () => {
    const st = state({ port80: [{ process: 'apache2', pid: 10 }, { process: 'apache2', pid: 11 }] });
    const p = planCertbot(st, wanted(), NOW);
    expect(p.hooks).toEqual({ pre: 'service apache2 stop', post: 'service apache2 start' });
    expect(p.commands[0]?.toShell()).toContain("--pre-hook 'service apache2 stop' --post-hook 'service apache2 start'");
  });

  it('standalone: prefers the systemd unit over the process name', () => {
    const h = port80Hooks({ port80: [{ process: 'python3', pid: 5, unit: 'dms-gateway' }], initScripts: [] }, { freePort80: true });
    expect(h).toMatchObject({ pre: 'service dms-gateway stop', post: 'service dms-gateway start' });
  });

  it('standalone: fails clearly, running nothing, when port 80 is held and free_port_80 is false', () => {
    const p = planCertbot(state({ port80: [{ process: 'apache2', pid: 10 }] }), wanted({ freePort80: false }), NOW);
    expect(p.error).toMatch(/port 80 is in use by apache2.*free_port_80 is false/);
    expect(p.commands).toEqual([]);
  });

  it('standalone: fails when the holder is no known service', () => {
    const p = planCertbot(state({ port80: [{ process: 'nc', pid: 77 }] }), wanted(), NOW);
    expect(p.error).toMatch(/nc \(pid 77\).*pre_hook\/post_hook/);
  });

  it('standalone: rewrites stored hooks of a valid lineage instead of reissuing', () => {
    const st = state({ lineages: [lineage()], port80: [{ process: 'apache2', pid: 10 }] });
    const p = planCertbot(st, wanted(), NOW);
    expect(p.action).toBe('update_hooks');
    expect(p.commands).toEqual([]);
    expect(p.write?.after).toContain('[renewalparams]\npre_hook = service apache2 stop\npost_hook = service apache2 start\n');
    // once stored: no change
    const stored = lineage({ preHook: 'service apache2 stop', postHook: 'service apache2 start' });
    expect(planCertbot(state({ lineages: [stored], port80: [{ process: 'apache2', pid: 10 }] }), wanted(), NOW).action).toBe('none');
  });

  it('apache: a valid lineage that Apache does not serve (or lacks HSTS/redirect) is installed with --keep-until-expiring', () => {
    const l = lineage({ installer: 'apache' });
    const noSite = state({ lineages: [l], apache: { installed: true, running: true, sites: [] } });
    const p = planCertbot(noSite, wanted({ plugin: 'apache', hsts: true }), NOW);
    expect(p.action).toBe('install');
    expect(p.commands[0]?.toShell()).toContain('--keep-until-expiring');
    const full = state({
      lineages: [l],
      apache: {
        installed: true,
        running: true,
        sites: [
          { file: '/etc/apache2/sites-enabled/000-default.conf', certNames: [], hsts: false, stapling: false, redirects: ['node1.example.org'] },
          { file: '/etc/apache2/sites-enabled/000-default-le-ssl.conf', certNames: ['node1.example.org'], hsts: true, stapling: false, redirects: [] },
        ],
      },
    });
    expect(planCertbot(full, wanted({ plugin: 'apache', hsts: true }), NOW).action).toBe('none');
    expect(planCertbot(full, wanted({ plugin: 'apache', hsts: true, stapleOcsp: true, server: LE_PRODUCTION }), NOW).action).toBe('install');
  });

  it('refuses without agree_tos, without Apache for the apache plugin, without webroot_path', () => {
    expect(planCertbot(state(), wanted({ agreeTos: false }), NOW).error).toMatch(/agree_tos: true/);
    expect(planCertbot(state(), wanted({ plugin: 'apache' }), NOW).error).toMatch(/Apache is not installed/);
    expect(planCertbot(state(), wanted({ plugin: 'webroot' }), NOW).error).toMatch(/webroot_path/);
  });

  it('quotes every value (a hostile domain stays one word)', () => {
    const p = planCertbot(state(), wanted({ domains: ['a.example.org; rm -rf /'] }), NOW);
    expect(p.commands[0]?.toShell()).toContain("-d 'a.example.org; rm -rf /'");
  });
});

describe('renewDryRunCommand', () => {
  it('passes the server again and never sleeps at random', () => {
    expect(renewDryRunCommand({ server: PEBBLE, certName: 'x.lab.test', caBundle: '/ca.pem' }).toShell()).toBe(
      'REQUESTS_CA_BUNDLE=/ca.pem certbot renew --dry-run --no-random-sleep-on-renew --non-interactive --server https://acme.lab.test:14000/dir --cert-name x.lab.test',
    );
  });
});

describe('rewriteHooks', () => {
  it('replaces old hooks and keeps everything else', () => {
    const before = 'version = 2.1.0\n\n[renewalparams]\npre_hook = old\nserver = s\npost_hook = old2\n';
    expect(rewriteHooks(before, { pre: 'a', post: 'b' })).toBe('version = 2.1.0\n\n[renewalparams]\npre_hook = a\npost_hook = b\nserver = s\n');
  });
});

describe('parseCertbotState + planCertbot', () => {
  it('an empty host (no certbot dir, nothing on port 80) plans an issue', () => {
    const st = parseCertbotState('@@certbot /usr/bin/certbot\n@@schedules\ntimer certbot.timer\ncron /etc/cron.d/certbot\n@@port80\n@@initd\n@@apache\n@@end\n');
    expect(st.certbot).toBe('/usr/bin/certbot');
    expect(planCertbot(st, wanted(), NOW).action).toBe('issue');
  });
});
