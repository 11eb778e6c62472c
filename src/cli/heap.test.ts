import { describe, expect, it } from 'vitest';
import { FLEET_HEAP_HOSTS, hostsInFlight } from './heap.js';

const plays = (...batches: string[][][]) => ({ plays: batches.map((b) => ({ batches: b })) }) as unknown as Parameters<typeof hostsInFlight>[0];
const names = (n: number, p = 'h') => Array.from({ length: n }, (_, i) => `${p}${i}`);

describe('hostsInFlight', () => {
  it('is the widest batch of any play, capped by forks', () => {
    expect(hostsInFlight(plays([names(3)], [names(7)]), 50)).toBe(7);
    expect(hostsInFlight(plays([names(800)]), 600)).toBe(600);
  });

  it('counts the hosts --limit left, not the inventory: a limited run of a big fleet stays below the fleet settings', () => {
    // planRun's batches hold only the hosts the run targets
    expect(hostsInFlight(plays([names(10)]), 1000)).toBeLessThan(FLEET_HEAP_HOSTS);
  });

  it('serial batches count one batch at a time', () => {
    expect(hostsInFlight(plays([names(300, 'a'), names(300, 'b'), names(300, 'c')]), 1000)).toBe(300);
  });

  it('a run with no hosts has none in flight', () => {
    expect(hostsInFlight(plays([]), 100)).toBe(0);
  });
});
