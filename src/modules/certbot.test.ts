// The certbot module on this machine against a real certbot config directory layout (a lineage
// whose certificate openssl makes here): decisions, registered values, one round trip when
// nothing changes, nothing run in --check. Issuance itself is tested end to end against Pebble
// (test/e2e).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certbotModule, explainCertbotFailure } from './certbot.js';
import { runLocal } from './testing/local-context.js';

let dir: string;
const PEBBLE = 'https://acme.lab.test:14000/dir';

function lineage(name: string, names: string[], days: number): void {
  const live = join(dir, 'live', name);
  mkdirSync(live, { recursive: true });
  mkdirSync(join(dir, 'renewal'), { recursive: true });
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(live, 'privkey.pem'), '-out', join(live, 'cert.pem'), '-days', String(days),
    '-subj', `/CN=${names[0] ?? name}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
  ], { stdio: 'ignore' });
  writeFileSync(
    join(dir, 'renewal', `${name}.conf`),
    [
      '# renew_before_expiry = 30 days',
      'version = 2.1.0',
      `archive_dir = ${dir}/archive/${name}`,
      `cert = ${live}/cert.pem`,
      `privkey = ${live}/privkey.pem`,
      `chain = ${live}/chain.pem`,
      `fullchain = ${live}/fullchain.pem`,
      '',
      '# Options used in the renewal process',
      '[renewalparams]',
      'account = 0123456789abcdef',
      'authenticator = standalone',
      `server = ${PEBBLE}`,
      'key_type = ecdsa',
      'pre_hook = true',
      'post_hook = true',
      '',
    ].join('\n'),
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-certbot-'));
  lineage('ok.lab.test', ['ok.lab.test', 'www.ok.lab.test'], 80);
  lineage('old.lab.test', ['old.lab.test'], 10);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { email: 'x@example.org', agree_tos: true, server: PEBBLE, plugin: 'standalone' as const, pre_hook: 'true', post_hook: 'true' };

describe('certbot module (local config dir)', () => {
  it('a valid lineage with the same names and server: ok, one probe, paths/expiry registered', async () => {
    const { result, commands } = await runLocal(certbotModule, { ...base, domains: ['www.ok.lab.test', 'ok.lab.test'], config_dir: dir });
    expect(result.changed).toBe(false);
    expect(result.failed).toBeFalsy();
    expect(commands).toHaveLength(1);
    expect(result.data).toMatchObject({
      cert_name: 'ok.lab.test',
      fullchain: `${dir}/live/ok.lab.test/fullchain.pem`,
      privkey: `${dir}/live/ok.lab.test/privkey.pem`,
      server: PEBBLE,
      action: 'none',
    });
    expect(result.data?.days_left).toBeGreaterThanOrEqual(78);
    expect(String(result.data?.expiry)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(result.data?.issuer).toBe('CN = ok.lab.test');
  });

  it('--check: reports renewal of an expiring lineage and a new lineage, runs only the probe', async () => {
    const renew = await runLocal(certbotModule, { ...base, domain: 'old.lab.test', config_dir: dir }, { check: true });
    expect(renew.result).toMatchObject({ changed: true });
    expect(renew.result.msg).toMatch(/expires in \d+ days \(< 30\); would renew/);
    expect(renew.commands).toHaveLength(1);
    const fresh = await runLocal(certbotModule, { ...base, domain: 'new.lab.test', config_dir: dir }, { check: true });
    expect(fresh.result.data).toMatchObject({ action: 'issue', fullchain: `${dir}/live/new.lab.test/fullchain.pem` });
    expect(String((fresh.result.data?.commands as string[])[0])).toMatch(/^certbot certonly --standalone .* --cert-name new\.lab\.test -d new\.lab\.test/);
    expect(fresh.commands).toHaveLength(1);
  });

  it('action info reports without changing; renew_dry_run in --check runs nothing', async () => {
    const info = await runLocal(certbotModule, { domains: ['ok.lab.test', 'www.ok.lab.test'], action: 'info', config_dir: dir });
    expect(info.result).toMatchObject({ changed: false, data: { cert_name: 'ok.lab.test' } });
    const dry = await runLocal(certbotModule, { domains: ['ok.lab.test', 'www.ok.lab.test'], action: 'renew_dry_run', server: PEBBLE, config_dir: dir }, { check: true });
    expect(dry.result.msg).toMatch(/^would run certbot renew --dry-run --no-random-sleep-on-renew --non-interactive --server https:\/\/acme\.lab\.test:14000\/dir --cert-name ok\.lab\.test/);
    expect(dry.commands).toHaveLength(1);
  });
});

describe('explainCertbotFailure', () => {
  it.each([
    ['Problem binding to port 80: Could not bind to IPv4 or IPv6.', /free_port_80/],
    ["AttributeError: can't set attribute", /remove \/etc\/letsencrypt\/accounts/],
    ['urn:ietf:params:acme:error:rateLimited', /staging/],
    ['DNS problem: NXDOMAIN looking up A for x.lab.test', /A record/],
    ['requests.exceptions.SSLError: CERTIFICATE_VERIFY_FAILED', /ca_bundle/],
  ])('%s', (out, re) => {
    expect(explainCertbotFailure(out)).toMatch(re);
  });
});
