// The plan env's temp suffix: fresh randomness for every plan, also across the pool's refills.
import { describe, expect, it } from 'vitest';
import { planEnv, randomSuffix } from './contract.js';

describe('randomSuffix', () => {
  it('is 12 hex digits, never the same twice over many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = randomSuffix();
      expect(s).toMatch(/^[0-9a-f]{12}$/);
      seen.add(s);
    }
    expect(seen.size).toBe(2000);
  });

  it('each plan env gets its own', () => {
    const ctx = { check: false, diff: false, vars: {} };
    const a = planEnv(ctx);
    const b = planEnv(ctx);
    expect(a.tmpSuffix).toMatch(/^[0-9a-f]{12}$/);
    expect(a.tmpSuffix).not.toBe(b.tmpSuffix);
  });
});
