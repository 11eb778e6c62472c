// Hex digests of text the controller hashes over and over: one copy/template task plans each of
// its one-command cases and the probed state (about 18 digests of the same content per host),
// and every host of a fleet usually gets the same content. The last few are remembered.
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'md5';

/** content longer than this is hashed each time (never held on to) */
const MEMO_MAX_CHARS = 1 << 20;
/** distinct contents remembered per algorithm (templates differ per host) */
const MEMO_ENTRIES = 64;

const memos: Record<DigestAlgorithm, Map<string, string>> = { sha1: new Map(), sha256: new Map(), md5: new Map() };

/** The hex digest of `data` (a string is hashed as UTF-8, as Buffer.from would encode it). */
export function hexDigest(algorithm: DigestAlgorithm, data: string | Buffer): string {
  if (typeof data !== 'string' || data.length > MEMO_MAX_CHARS) return createHash(algorithm).update(data).digest('hex');
  const memo = memos[algorithm];
  let hex = memo.get(data);
  if (hex === undefined) {
    hex = createHash(algorithm).update(data).digest('hex');
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    memo.set(data, hex);
  }
  return hex;
}
