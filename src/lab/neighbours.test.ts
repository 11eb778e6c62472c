import { describe, expect, it } from 'vitest';
import { wantedThresholds } from './neighbours.js';

describe('neighbour table thresholds', () => {
  const kernelDefault = { gc_thresh1: 128, gc_thresh2: 512, gc_thresh3: 1024 };

  it('leaves the defaults alone for a small lab', () => {
    expect(wantedThresholds(kernelDefault, 50)).toEqual(kernelDefault);
  });

  it('grows all three, ordered, for a large fleet', () => {
    const t = wantedThresholds(kernelDefault, 1000);
    expect(t.gc_thresh3).toBe(2512);
    expect(t.gc_thresh1).toBeLessThanOrEqual(t.gc_thresh2);
    expect(t.gc_thresh2).toBeLessThanOrEqual(t.gc_thresh3);
  });

  it('never lowers values an operator set higher', () => {
    const big = { gc_thresh1: 4096, gc_thresh2: 8192, gc_thresh3: 16384 };
    expect(wantedThresholds(big, 1000)).toEqual(big);
  });
});
