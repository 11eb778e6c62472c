// password: Ansible's password lookup. `lookup('password', 'PATH length=N chars=... encrypt=...
// ident=... seed=...')` (the options also as keywords) gives the password stored in the
// controller file PATH (relative to the playbook directory), creating it with a new random
// password on first use (directories 0700, file 0600), so the next run, and every other host
// of this run, gets the same one. `/dev/null` is never stored: a new password each time.
// With `encrypt` the result is the crypt hash (src/template/crypt.ts passwordHash) and the salt
// is kept in the file (`PASSWORD salt=SALT`) so the hash is the same on every run.
// The password never appears in an error message.
import { createHash, randomInt } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { passwordHash } from '../crypt.js';
import { asStringTerm, LookupError, parseKeyValueTerm, type LookupPlugin } from './types.js';

const VALID = new Set(['length', 'encrypt', 'chars', 'ident', 'seed']);

/** Python's `string` constants, by the names Ansible's `chars` accepts */
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const CHAR_SETS: Readonly<Record<string, string>> = {
  ascii_letters: LOWER + UPPER,
  ascii_lowercase: LOWER,
  ascii_uppercase: UPPER,
  digits: DIGITS,
  hexdigits: DIGITS + 'abcdefABCDEF',
  octdigits: '01234567',
  punctuation: PUNCT,
  printable: DIGITS + LOWER + UPPER + PUNCT + ' \t\n\r\x0b\x0c',
  whitespace: ' \t\n\r\x0b\x0c',
};
const DEFAULT_CHARS = ['ascii_letters', 'digits', '.,:-_'];
const SALT_CHARS = LOWER + UPPER + DIGITS + './';
const SALT_SIZE: Readonly<Record<string, number>> = { md5_crypt: 8, md5: 8, sha256_crypt: 16, sha256: 16, sha512_crypt: 16, sha512: 16 };

/** an option's value as text (a mapping or list is JSON, never "[object Object]") */
function scalar(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** `chars=ascii_letters,digits,,` → the candidate characters (`,,` is a literal comma; quotes dropped, as Ansible). */
export function candidateChars(spec: unknown): string {
  let parts: string[];
  if (spec === undefined || spec === null) parts = DEFAULT_CHARS;
  else if (Array.isArray(spec)) parts = spec.map(String);
  else {
    const text = scalar(spec);
    parts = [...(text.includes(',,') ? [','] : []), ...text.replace(/,,/g, ',').split(',').filter((c) => c !== '')];
  }
  const chars = parts.map((p) => CHAR_SETS[p] ?? p).join('').replace(/["']/g, '');
  return [...new Set(chars)].join('');
}

/** A deterministic stream for `seed` (not Python's Random: the same seed gives the same password here on every run). */
function seededPicker(seed: string): (n: number) => number {
  let counter = 0;
  let pool: number[] = [];
  return (n) => {
    for (;;) {
      if (pool.length < 4) {
        pool = [...pool, ...createHash('sha256').update(`${seed}\0${counter++}`).digest()];
      }
      const v = ((pool[0]! << 24) | (pool[1]! << 16) | (pool[2]! << 8) | pool[3]!) >>> 0;
      pool = pool.slice(4);
      // rejection sampling: no bias toward the first characters
      const limit = Math.floor(0x100000000 / n) * n;
      if (v < limit) return v % n;
    }
  };
}

function randomString(length: number, chars: string, pick: (n: number) => number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += chars[pick(chars.length)]!;
  return s;
}

/** `PASSWORD salt=SALT ident=IDENT` (Ansible's file format; the password may hold spaces). */
function parseContent(content: string): { password: string; salt?: string; ident?: string } {
  const at = content.lastIndexOf(' salt=');
  if (at < 0) return { password: content };
  const rest = content.slice(at + ' salt='.length);
  const id = rest.lastIndexOf(' ident=');
  return id < 0 ? { password: content.slice(0, at), salt: rest } : { password: content.slice(0, at), salt: rest.slice(0, id), ident: rest.slice(id + ' ident='.length) };
}

function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // written whole under a temporary name, then renamed: a crash never leaves half a password
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${content}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export const passwordLookup: LookupPlugin = (terms, kwargs, ctx) =>
  terms.map((t) => {
    const term = asStringTerm(t, 'password').trim();
    const space = term.indexOf(' ');
    const rel = space < 0 ? term : term.slice(0, space);
    const { free, options: inline } = space < 0 ? { free: '', options: {} as Record<string, string> } : parseKeyValueTerm(term.slice(space + 1));
    if (free !== '') throw new LookupError(`lookup 'password': unrecognized value after the path: '${free}' (a path with spaces is not supported; options are key=value)`);
    const params: Record<string, unknown> = { ...kwargs, ...inline };
    const unknown = Object.keys(params).filter((k) => !VALID.has(k));
    if (unknown.length > 0) throw new LookupError(`Unrecognized parameter(s) given to password lookup: ${unknown.join(', ')}`);
    if (rel === '') throw new LookupError("lookup 'password': a path is needed (use /dev/null for a password that is not stored)");
    const length = params.length === undefined ? 20 : Number(params.length);
    if (!Number.isInteger(length) || length < 1 || length > 4096) throw new LookupError(`lookup 'password': length must be a whole number from 1 to 4096, got '${String(params.length)}'`);
    const chars = candidateChars(params.chars);
    if (chars === '') throw new LookupError("lookup 'password': chars gives no characters to choose from");
    const encrypt = params.encrypt === undefined || params.encrypt === null || params.encrypt === '' ? undefined : scalar(params.encrypt);
    const wantIdent = params.ident === undefined || params.ident === null || params.ident === '' ? undefined : scalar(params.ident);
    const seed = params.seed === undefined || params.seed === null ? undefined : scalar(params.seed);
    const path = isAbsolute(rel) ? rel : join(ctx.baseDir(), rel);
    const stored = path !== '/dev/null';
    let content: string | undefined;
    if (stored && existsSync(path)) {
      try {
        content = readFileSync(path, 'utf8').replace(/\s+$/, '');
      } catch (err) {
        throw new LookupError(`lookup 'password': cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    let changed = false;
    let entry: { password: string; salt?: string; ident?: string };
    if (content === undefined) {
      const pick = seed !== undefined ? seededPicker(seed) : (n: number) => randomInt(n);
      entry = { password: randomString(length, chars, pick) };
      changed = true;
    } else entry = parseContent(content);
    if (encrypt !== undefined && entry.salt === undefined) {
      entry.salt = randomString(SALT_SIZE[encrypt] ?? 8, SALT_CHARS, (n) => randomInt(n));
      changed = true;
    }
    if (wantIdent !== undefined && entry.ident !== undefined && entry.ident !== wantIdent) {
      throw new LookupError(`The ident parameter provided (${wantIdent}) does not match the stored one (${entry.ident}).`);
    }
    if (wantIdent !== undefined && entry.ident === undefined) {
      entry.ident = wantIdent;
      changed = true;
    }
    if (changed && stored) {
      const text = entry.salt === undefined ? entry.password : `${entry.password} salt=${entry.salt}${entry.ident !== undefined ? ` ident=${entry.ident}` : ''}`;
      try {
        writeSecretFile(path, text);
      } catch (err) {
        throw new LookupError(`lookup 'password': cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    return encrypt !== undefined ? passwordHash(entry.password, encrypt, entry.salt, undefined, undefined) : entry.password;
  });
