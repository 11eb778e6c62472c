// acme_rate_limit with exceed: defer: the weekly budget over every play host, counting the
// certificates their lineages got this week (acme_preflight's acme_certificates_issued); the
// hosts beyond it are handed to the engine as deferred, with the date from which they fit.
import { describe, expect, it } from 'vitest';
import { planRateLimit } from './acme-rate-limit-module.js';

const now = new Date('2026-12-03T08:00:00Z');
const vars = {
  ansible_play_hosts_all: ['a', 'b', 'c'],
  hostvars: {
    a: { domain: 'a.allstar.example.org' },
    b: { domain: 'b.allstar.example.org' },
    // certified yesterday: needs nothing, but its certificate uses this week's budget
    c: { domain: 'c.allstar.example.org', acme_certificate_needed: false, acme_certificates_issued: [{ names: ['c.allstar.example.org'], at: '2026-12-02T08:00:00.000Z' }] },
  },
};

describe('acme_rate_limit exceed: defer', () => {
  it('certifies what fits, defers the rest with the date a slot frees', () => {
    const p = planRateLimit({ exceed: 'defer', limit: 2, server: 'https://acme.lab.test:14000/dir' }, { vars, now });
    expect(p.failed).toBeFalsy();
    expect(p.data?.fits).toEqual(['a']);
    expect(p.defer).toEqual([{ host: 'b', from: '2026-12-09T08:00:00.000Z', reason: 'the weekly budget of 2 new certificates under example.org is used up: fits from 2026-12-09 08:00 UTC' }]);
  });

  it("no limit given and not Let's Encrypt: no budget, nobody deferred; fail mode is unchanged", () => {
    expect(planRateLimit({ exceed: 'defer', server: 'https://acme.lab.test:14000/dir' }, { vars, now }).defer).toBeUndefined();
    const fail = planRateLimit({ limit: 1 }, { vars, now });
    expect(fail.failed).toBe(true);
    expect(fail.defer).toBeUndefined();
  });

  it("Let's Encrypt production: 50 per registered domain by default; override certifies all", () => {
    expect(planRateLimit({ exceed: 'defer' }, { vars, now }).defer).toEqual([]);
    expect(planRateLimit({ exceed: 'defer', limit: 1, override: true }, { vars, now }).defer).toBeUndefined();
  });
});
