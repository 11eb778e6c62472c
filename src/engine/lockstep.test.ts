// The linear barrier on its own: who may start which task when (no play around it).
import { describe, expect, it } from 'vitest';
import { Lockstep } from './lockstep.js';

/** let every settled promise's continuation run */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Lockstep', () => {
  it('a host waits until no host is before its position; hosts that leave are not waited for', async () => {
    const l = new Lockstep(['a', 'b', 'c']);
    const passed: string[] = [];
    const go = (h: string, pos: number): void => void l.arrive(h, pos).then(() => passed.push(`${h}@${pos}`));
    go('a', 1);
    go('b', 1);
    await turn();
    expect(passed).toEqual([]);
    go('c', 1);
    await turn();
    expect(passed.sort()).toEqual(['a@1', 'b@1', 'c@1']);
    // a jumps ahead to 3 (its rescue), b and c to 2: b and c go on, a waits for them
    go('a', 3);
    go('b', 2);
    await turn();
    expect(passed).toHaveLength(3);
    go('c', 2);
    await turn();
    expect(passed.slice(3).sort()).toEqual(['b@2', 'c@2']);
    go('b', 4);
    await turn();
    expect(passed).toHaveLength(5);
    // c ends: a (at 3) is the lowest now and goes; b at 4 waits for a
    l.leave('c');
    await turn();
    expect(passed.slice(5)).toEqual(['a@3']);
    l.leave('a');
    await turn();
    expect(passed.slice(6)).toEqual(['b@4']);
  });

  it('waiters at several positions are woken in turn as the lowest host moves', async () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `h${i}`);
    const l = new Lockstep(hosts);
    const passed = new Map<string, number>();
    // every host but h0 waits at its own position; h0, the last to arrive, at 0 goes at once
    for (const [i, h] of hosts.entries()) if (i > 0) void l.arrive(h, i).then(() => passed.set(h, i));
    await turn();
    expect(passed.size).toBe(0);
    await l.arrive('h0', 0);
    await turn();
    expect(passed.size).toBe(0);
    // h0 ends: h1 is the lowest position now and goes, alone
    l.leave('h0');
    await turn();
    expect([...passed.keys()]).toEqual(['h1']);
    l.leave('h1');
    l.leave('h2');
    await turn();
    expect([...passed.keys()]).toEqual(['h1', 'h2', 'h3']);
    // releasing opens the barrier for everyone
    l.release();
    await turn();
    expect(passed.size).toBe(49);
  });
});
