// Hex digests of text the controller hashes over and over: one copy/template task plans each of
// its one-command cases and the probed state (about 18 digests of the same content per host),
// and every host of a fleet usually gets the same content. The last few are remembered.
import * as nodeCrypto from 'node:crypto';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'md5';

/** content longer than this is hashed each time (never held on to) */
const MEMO_MAX_CHARS = 1 << 20;
/** distinct contents remembered per algorithm (templates differ per host) */
const MEMO_ENTRIES = 64;

const memos: Record<DigestAlgorithm, Map<string, string>> = { sha1: new Map(), sha256: new Map(), md5: new Map() };

/**
 * One digest, at once: `crypto.hash` (Node >= 20.12) makes no Hash object. Each of those is a
 * native object with a weak handle and a clean-up hook the collector has to visit: in a 200-host
 * run of ten template tasks (perf, cpu-clock) the digests took about half the samples this way
 * (128 -> 60 per run). Older Node 20 releases hash through createHash as before.
 */
const digestHex: (algorithm: DigestAlgorithm, data: string | Buffer) => string =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function'
    ? (algorithm, data) => nodeCrypto.hash(algorithm, data, 'hex')
    : (algorithm, data) => nodeCrypto.createHash(algorithm).update(data).digest('hex');

/** The hex digest of `data` (a string is hashed as UTF-8, as Buffer.from would encode it). */
export function hexDigest(algorithm: DigestAlgorithm, data: string | Buffer): string {
  if (typeof data !== 'string' || data.length > MEMO_MAX_CHARS) return digestHex(algorithm, data);
  const memo = memos[algorithm];
  let hex = memo.get(data);
  if (hex === undefined) {
    hex = digestHex(algorithm, data);
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    memo.set(data, hex);
  }
  return hex;
}
