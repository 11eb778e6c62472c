// `password_hash`: the crypt(3) hashes Debian's /etc/shadow reads (SHA-512/SHA-256 crypt by
// Ulrich Drepper's specification, MD5 crypt), computed on the controller as Ansible does. No
// library in the stack does these, and glibc's crypt is not reachable from Node.
import { createHash, randomInt } from 'node:crypto';
import { TemplateRuntimeError } from './errors.js';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT_RE = /^[./0-9A-Za-z]*$/;

function to64(v: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

function repeatTo(src: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
  return out;
}

const SHA = {
  sha256: { id: '5', algo: 'sha256', size: 32, order: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]], tail: (b: Buffer) => to64((b[31]! << 8) | b[30]!, 3) },
  sha512: {
    id: '6', algo: 'sha512', size: 64,
    order: [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]],
    tail: (b: Buffer) => to64(b[63]!, 2),
  },
} as const;

const DEFAULT_ROUNDS = 5000;

/** SHA-crypt (`$5$`/`$6$`); `rounds` 5000 (the implicit default) is left out of the result, as crypt(3) does. */
export function shaCrypt(kind: 'sha256' | 'sha512', password: string, salt: string, rounds = DEFAULT_ROUNDS): string {
  const spec = SHA[kind];
  const h = (...parts: Buffer[]): Buffer => {
    const x = createHash(spec.algo);
    for (const p of parts) x.update(p);
    return x.digest();
  };
  const r = Math.min(999_999_999, Math.max(1000, Math.trunc(rounds)));
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const B = h(P, S, P);
  const a = createHash(spec.algo).update(P).update(S).update(repeatTo(B, P.length));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();
  const dp = createHash(spec.algo);
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pp = repeatTo(dp.digest(), P.length);
  const ds = createHash(spec.algo);
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(S);
  const Sp = repeatTo(ds.digest(), S.length);
  let C = A;
  for (let i = 0; i < r; i++) {
    const c = createHash(spec.algo);
    c.update(i & 1 ? Pp : C);
    if (i % 3 !== 0) c.update(Sp);
    if (i % 7 !== 0) c.update(Pp);
    c.update(i & 1 ? C : Pp);
    C = c.digest();
  }
  let out = '';
  for (const [x, y, z] of spec.order) out += to64((C[x]! << 16) | (C[y]! << 8) | C[z]!, 4);
  out += spec.tail(C);
  const roundsPart = r === DEFAULT_ROUNDS && rounds === DEFAULT_ROUNDS ? '' : `rounds=${r}$`;
  return `$${spec.id}$${roundsPart}${S.toString('utf8')}$${out}`;
}

/** MD5-crypt (`$1$`, salt of at most 8 characters). */
export function md5Crypt(password: string, salt: string): string {
  const md5 = (...parts: Buffer[]): Buffer => {
    const x = createHash('md5');
    for (const p of parts) x.update(p);
    return x.digest();
  };
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 8), 'utf8');
  const magic = Buffer.from('$1$');
  let fin = md5(P, S, P);
  const ctx = createHash('md5').update(P).update(magic).update(S);
  for (let pl = P.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  for (let i = P.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : P.subarray(0, 1));
  fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? P : fin);
    if (i % 3) c.update(S);
    if (i % 7) c.update(P);
    c.update(i & 1 ? fin : P);
    fin = c.digest();
  }
  const f = fin;
  const out =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `$1$${S.toString('utf8')}$${out}`;
}

const HASH_NAMES: Readonly<Record<string, 'sha256' | 'sha512' | 'md5'>> = {
  sha512: 'sha512', sha512_crypt: 'sha512', sha256: 'sha256', sha256_crypt: 'sha256', md5: 'md5', md5_crypt: 'md5',
};

function randomSalt(size: number): string {
  let s = '';
  for (let i = 0; i < size; i++) s += ITOA64[randomInt(ITOA64.length)];
  return s;
}

/**
 * Ansible's `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None)`. Without a
 * salt a random one is drawn, so the hash changes on every run (as in Ansible; give `salt` for an
 * idempotent `user: password=`). bcrypt (`blowfish`) is refused with a clear message.
 */
export function passwordHash(password: string, hashtype: string, salt: string | undefined, saltSize: number | undefined, rounds: number | undefined): string {
  const kind = HASH_NAMES[hashtype];
  if (kind === undefined) {
    if (hashtype === 'blowfish' || hashtype === 'bcrypt') throw new TemplateRuntimeError('password_hash: bcrypt (blowfish) is not supported by runbook; use sha512 (what Debian uses for /etc/shadow)');
    throw new TemplateRuntimeError(`password_hash: unknown hash type '${hashtype}'; use sha512, sha256 or md5`);
  }
  if (salt !== undefined && !SALT_RE.test(salt)) throw new TemplateRuntimeError('password_hash: the salt may hold only the characters ./0-9A-Za-z');
  const max = kind === 'md5' ? 8 : 16;
  const s = salt ?? randomSalt(Math.min(max, saltSize ?? max));
  if (kind === 'md5') {
    if (rounds !== undefined) throw new TemplateRuntimeError('password_hash: md5 has no rounds');
    return md5Crypt(password, s);
  }
  return shaCrypt(kind, password, s, rounds ?? DEFAULT_ROUNDS);
}
