import { describe, expect, it } from 'vitest';
import { checkRateLimits, registeredDomain } from './acme-rate-limit.js';
import { plannedFromVars } from './acme-rate-limit-module.js';
import { LE_STAGING } from './certbot-plan.js';

describe('registeredDomain', () => {
  it.each([
    ['node1.allstar.example.org', 'example.org'],
    ['example.org', 'example.org'],
    ['Node1.Example.ORG.', 'example.org'],
    ['*.example.org', 'example.org'],
    ['allstar.club.co.uk', 'club.co.uk'],
    ['a.b.example.com.au', 'example.com.au'],
    ['mynode.duckdns.org', 'mynode.duckdns.org'],
    ['allmon.lab.test', 'lab.test'],
    ['10.0.0.1', '10.0.0.1'],
  ])('%s → %s', (name, rd) => {
    expect(registeredDomain(name)).toBe(rd);
  });
});

describe('checkRateLimits', () => {
  const fleet = (n: number, zone = 'example.org'): string[] => Array.from({ length: n }, (_, i) => `node${i + 1}.${zone}`);

  it('50 new certificates under one registered domain are fine, 51 are refused with the fix and the override named', () => {
    expect(checkRateLimits(fleet(50)).ok).toBe(true);
    const r = checkRateLimits(fleet(51));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/51 new certificates under example\.org exceed Let's Encrypt's limit of 50/);
    expect(r.message).toMatch(/acme_staging: true/);
    expect(r.message).toMatch(/acme_rate_limit_override: true/);
    expect(r.counts).toEqual([expect.objectContaining({ registeredDomain: 'example.org', planned: 51, limit: 50 })]);
  });

  it('counts per registered domain, not across them', () => {
    expect(checkRateLimits([...fleet(40, 'a.org'), ...fleet(40, 'b.org')]).ok).toBe(true);
  });

  it('hosts that already hold a valid certificate are not new', () => {
    const planned = fleet(60).map((d, i) => ({ host: `h${i}`, domains: [d], existing: i < 20 }));
    expect(checkRateLimits(planned).ok).toBe(true);
  });

  it('adds certificates already issued this week', () => {
    const r = checkRateLimits(fleet(10), { issuedThisWeek: { 'example.org': 45 } });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/\+ 45 already issued/);
  });

  it('the override lets the run continue but still reports', () => {
    const r = checkRateLimits(fleet(60), { override: true });
    expect(r).toMatchObject({ ok: true, overridden: true });
    expect(r.violations).toHaveLength(1);
  });

  it('staging has its own (much higher) limit; other ACME servers are not checked', () => {
    expect(checkRateLimits(fleet(200), { staging: true }).ok).toBe(true);
    expect(checkRateLimits(fleet(200), { server: LE_STAGING }).counts[0]?.limit).toBe(30_000);
    const pebble = checkRateLimits(fleet(200), { server: 'https://acme.lab.test:14000/dir' });
    expect(pebble).toMatchObject({ ok: true, applies: false });
  });

  it('refuses more than 5 certificates for the very same names', () => {
    const r = checkRateLimits(Array.from({ length: 6 }, (_, i) => ({ host: `h${i}`, domains: ['shared.example.org'] })));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/6 certificates for the same names/);
  });
});

describe('plannedFromVars', () => {
  it('reads every play host domain through hostvars (plain or lazy) and skips hosts with a valid certificate', () => {
    const hv = {
      a: { domain: 'a.example.org' },
      b: { domain: 'b.example.org', acme_certificate_needed: false },
      c: {},
    };
    const lazy = { get: (k: string): unknown => hv[k as keyof typeof hv], keys: () => Object.keys(hv), has: () => true };
    for (const hostvars of [hv, lazy]) {
      const { planned } = plannedFromVars({ hostvars, ansible_play_hosts_all: ['a', 'b', 'c'] });
      expect(planned).toEqual([
        { host: 'a', domains: ['a.example.org'], existing: false },
        { host: 'b', domains: ['b.example.org'], existing: true },
      ]);
    }
  });

  it('without hostvars, counts only this host and says so', () => {
    const r = plannedFromVars({ domain: 'x.example.org', inventory_hostname: 'x' });
    expect(r.planned).toEqual([{ host: 'x', domains: ['x.example.org'] }]);
    expect(r.note).toMatch(/only this host/);
  });
});
