import { describe, expect, it } from 'vitest';
import { knownFilters, knownTests, render, createScope } from './index.js';

describe('knownFilters / knownTests', () => {
  it('lists the implemented filters and tests, sorted', () => {
    const f = knownFilters();
    expect(f).toContain('default');
    expect(f).toContain('regex_replace');
    expect(f).not.toContain('no_such_filter');
    expect([...f].sort()).toEqual(f);
    const t = knownTests();
    expect(t).toContain('defined');
    expect(t).toContain('version');
    expect(t).not.toContain('no_such_test');
  });

  it('every listed filter is accepted by the renderer', () => {
    const scope = createScope([{ name: 'v', kind: 'data', vars: { x: 'a' } }]);
    for (const name of knownFilters()) {
      // An unknown name fails with "no filter named"; known ones may fail on the argument type.
      try {
        render(`{{ x | ${name} }}`, scope);
      } catch (e) {
        expect(String(e)).not.toMatch(/no filter named/);
      }
    }
  });

  it('returns a copy the caller cannot use to change the engine', () => {
    const f = knownFilters();
    f.push('evil');
    expect(knownFilters()).not.toContain('evil');
  });
});
