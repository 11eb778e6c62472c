import { describe, expect, it } from 'vitest';
import { scheduleBudget, WEEK_MS, type BudgetCandidate } from './acme-budget.js';

const NOW = new Date('2026-12-03T08:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * 24 * 3600 * 1000).toISOString();
const node = (i: number, extra: Partial<BudgetCandidate> = {}): BudgetCandidate => ({ host: `n${i}`, domains: [`n${i}.allstar.example.org`], needed: true, ...extra });

describe('weekly certificate budget', () => {
  it('certifies what fits, defers the rest a week on, in inventory order', () => {
    const s = scheduleBudget([1, 2, 3, 4, 5].map((i) => node(i)), { limit: 2, now: NOW });
    expect(s.fits).toEqual(['n1', 'n2']);
    expect(s.deferred.map((d) => [d.host, d.from])).toEqual([
      ['n3', '2026-12-10T08:00:00.000Z'],
      ['n4', '2026-12-10T08:00:00.000Z'],
      ['n5', '2026-12-17T08:00:00.000Z'],
    ]);
    expect(s.deferred[0]?.reason).toBe('the weekly budget of 2 new certificates under example.org is used up: fits from 2026-12-10 08:00 UTC');
    expect(s.counts).toEqual([{ registeredDomain: 'example.org', limit: 2, issuedThisWeek: 0, planned: 2, deferred: 3 }]);
    expect(s.message).toMatch(/^2 new certificate\(s\) fit this week's budget, 3 host\(s\) deferred/);
  });

  it("counts certificates issued this week from the hosts' own lineages; older ones and exempt hosts do not count", () => {
    const s = scheduleBudget(
      [
        node(1, { needed: false, issued: [ago(2), ago(30)] }), // certified two days ago: uses a slot until day 5 from now
        node(2, { needed: false, issued: [ago(8)] }), // outside the window
        node(3),
        node(4),
      ],
      { limit: 2, now: NOW },
    );
    expect(s.fits).toEqual(['n3']);
    expect(s.deferred).toMatchObject([{ host: 'n4', from: new Date(Date.parse(ago(2)) + WEEK_MS).toISOString() }]);
    expect(s.counts[0]).toMatchObject({ issuedThisWeek: 1, planned: 1, deferred: 1 });
  });

  it('registered domains have budgets of their own; a rerun when the week is over fits everything', () => {
    const s = scheduleBudget([node(1), { host: 'x', domains: ['x.other.net'], needed: true }, node(2)], { limit: 1, now: NOW });
    expect(s.fits).toEqual(['n1', 'x']);
    expect(s.deferred.map((d) => d.host)).toEqual(['n2']);
    const later = scheduleBudget([node(2, { issued: [] }), node(1, { needed: false, issued: [NOW.toISOString()] })], { limit: 1, now: new Date(NOW.getTime() + WEEK_MS + 1) });
    expect(later.fits).toEqual(['n2']);
    expect(later.deferred).toEqual([]);
    expect(later.message).toMatch(/^within the weekly budget/);
  });
});

describe('issued certificates with their own names', () => {
  it('count against the registered domain of their names, not of the host', () => {
    const s = scheduleBudget(
      [{ host: 'gw', domains: ['gw.example.org'], needed: true, issued: [{ names: ['old.other.net'], at: ago(1) }] }, node(1)],
      { limit: 1, now: NOW },
    );
    expect(s.fits).toEqual(['gw']);
    expect(s.deferred.map((d) => d.host)).toEqual(['n1']);
    expect(s.counts.find((c) => c.registeredDomain === 'other.net')).toMatchObject({ issuedThisWeek: 1, planned: 0 });
  });
});
