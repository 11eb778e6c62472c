import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hexDigest } from './digest.js';

const direct = (alg: string, data: string | Buffer): string => createHash(alg).update(data).digest('hex');

describe('hexDigest', () => {
  it('is the digest of the UTF-8 text or the bytes, for each algorithm, remembered or not', () => {
    for (const alg of ['sha1', 'sha256', 'md5'] as const) {
      for (const data of ['', 'managed\n', 'grüße ✓\n', Buffer.from([0, 255, 10])]) {
        expect(hexDigest(alg, data)).toBe(direct(alg, data));
        // the second time from memory: still the same
        expect(hexDigest(alg, data)).toBe(direct(alg, data));
      }
    }
  });

  it('never mixes up contents or algorithms as the memory turns over', () => {
    const texts = Array.from({ length: 200 }, (_, i) => `host h${i}\n`);
    for (let round = 0; round < 2; round++) {
      for (const t of texts) {
        expect(hexDigest('sha256', t)).toBe(direct('sha256', t));
        expect(hexDigest('md5', t)).toBe(direct('md5', t));
      }
    }
  });

  it('hashes long content each time (no memory of it)', () => {
    const big = 'x'.repeat((1 << 20) + 1);
    expect(hexDigest('sha1', big)).toBe(direct('sha1', big));
  });
});
