import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Keyring } from './keyring.js';
import { currentKeyring, withKeyring } from './scope.js';

const ring = (id: string): Keyring => new Keyring([{ id, password: Buffer.from(`pw-${id}`), source: `${id}.txt` }]);

describe('withKeyring', () => {
  it('gives the keyring to synchronous and awaited code, and none outside', async () => {
    const a = ring('a');
    expect(withKeyring(a, () => currentKeyring())).toBe(a);
    expect(currentKeyring()).toBeUndefined();
    const seen = await withKeyring(a, async () => {
      await delay(1);
      const later = await new Promise<Keyring | undefined>((r) => setTimeout(() => r(currentKeyring()), 1));
      return [currentKeyring(), later];
    });
    expect(seen).toEqual([a, a]);
    expect(currentKeyring()).toBeUndefined();
  });

  it('ends the scope when the function throws or rejects', async () => {
    expect(() => withKeyring(ring('a'), () => { throw new Error('x'); })).toThrow('x');
    expect(currentKeyring()).toBeUndefined();
    await expect(withKeyring(ring('a'), async () => { await delay(1); throw new Error('y'); })).rejects.toThrow('y');
    expect(currentKeyring()).toBeUndefined();
  });

  it('a nested scope sees its own keyring, the outer one its own again after it', () => {
    const a = ring('a');
    const b = ring('b');
    const seen = withKeyring(a, () => [currentKeyring(), withKeyring(b, () => currentKeyring()), currentKeyring()]);
    expect(seen).toEqual([a, b, a]);
  });

  it('two commands running at once each see their own keyring throughout', async () => {
    const a = ring('a');
    const b = ring('b');
    const steps = async (): Promise<Array<Keyring | undefined>> => {
      const out: Array<Keyring | undefined> = [];
      for (let i = 0; i < 4; i++) {
        out.push(currentKeyring());
        await delay(2);
      }
      return out;
    };
    const first = withKeyring(a, steps);
    await delay(1);
    const second = withKeyring(b, steps);
    const [fa, fb] = await Promise.all([first, second]);
    expect(fa).toEqual([a, a, a, a]);
    expect(fb).toEqual([b, b, b, b]);
    // the second outlives the first: it keeps its keyring
    const third = withKeyring(a, async () => {
      await delay(1);
      return currentKeyring();
    });
    const fourth = withKeyring(b, async () => {
      await delay(10);
      return currentKeyring();
    });
    expect(await third).toBe(a);
    expect(await fourth).toBe(b);
    expect(currentKeyring()).toBeUndefined();
  });

  it('a scope opened inside an overlapping scope that outlived the first one sees its own keyring', async () => {
    const a = ring('a');
    const b = ring('b');
    const c = ring('c');
    let release = (): void => undefined;
    const first = withKeyring(a, () => new Promise<void>((r) => (release = r)));
    // b goes through the storage (a is running); a ends while b still runs; c opens inside b
    const second = withKeyring(b, async () => {
      await delay(1);
      release();
      await first;
      const inner = await withKeyring(c, async () => {
        await delay(1);
        return currentKeyring();
      });
      return [inner, currentKeyring()];
    });
    expect(await second).toEqual([c, b]);
    expect(currentKeyring()).toBeUndefined();
  });
});
