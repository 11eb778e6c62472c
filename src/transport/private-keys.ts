// Private key files for the ssh transport: read and parsed once per process per file version,
// not once per host. At 200 hosts the same key file was read and parsed twice per host (once
// here to check it, once more inside ssh2 from the bytes), a measurable part of the
// controller's CPU; ssh2 takes an already parsed key as is (keyParser.parseKey returns a parsed
// key unchanged), so the parse done here is the only one.
import { createHmac, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';

// ssh2 is CommonJS: its named exports are only reachable through the default import
const { utils } = ssh2;

/** a parsed private key, or why the file cannot be used (words for the operator) */
export type LoadedKey = ParsedKey | string;

interface Cached {
  /** device, inode, size, mtime, ctime (chmod) and the passphrase's tag when it was parsed */
  version: string;
  key: Promise<LoadedKey>;
}

/** path → the parsed key of one version of the file (a promise: concurrent hosts share one read) */
const cache = new Map<string, Cached>();

/** counters for tests: files read and parsed */
export const privateKeyStats = { parses: 0 };

// The passphrase takes part in the cache key (a wrong one must fail on the host that gives it,
// a right one must work after a wrong one), but it is never kept: only an HMAC of it under a key
// made for this process, which says nothing about the passphrase outside it.
const tagKey = randomBytes(32);
function passphraseTag(passphrase: string | undefined): string {
  return passphrase === undefined ? '-' : createHmac('sha256', tagKey).update(passphrase).digest('base64');
}

function unreadable(file: string, e: unknown): string {
  return `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
}

async function readAndParse(file: string, passphrase: string | undefined, onReadError: () => void): Promise<LoadedKey> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    // permissions or a directory are not a property of this version of the file: read again next time
    onReadError();
    return unreadable(file, e);
  }
  privateKeyStats.parses++;
  const parsed = utils.parseKey(buf, passphrase);
  if (parsed instanceof Error) {
    const msg = parsed.message;
    if (/no passphrase given/i.test(msg)) return `${file} is encrypted: give its passphrase (RUNBOOK_SSH_KEY_PASSPHRASE or the passphrase prompt)`;
    if (/passphrase/i.test(msg)) return `${file}: wrong passphrase`;
    return `${file} is not a private key ssh2 can read (${msg})`;
  }
  signWithKeyObject(parsed);
  return parsed;
}

/**
 * ssh2's parsed key signs with its PEM text, which OpenSSL 3 decodes again for every signature:
 * once per connection, a decoder set up over every provider (at 200 hosts about 3% of the
 * controller's CPU). The same key decoded once into a KeyObject signs the same bytes the same
 * way (crypto.sign, with ssh2's own default hash when it names none). A key this cannot decode,
 * or an ssh2 whose key no longer keeps that default where it did, signs as before.
 */
function signWithKeyObject(parsed: ParsedKey): void {
  const hashSym = Object.getOwnPropertySymbols(parsed).find((s) => s.description === 'Hash Algorithm');
  if (hashSym === undefined || !parsed.isPrivateKey()) return;
  const defaultAlgo = (parsed as unknown as Record<symbol, unknown>)[hashSym];
  if (defaultAlgo !== null && typeof defaultAlgo !== 'string') return;
  let keyObject;
  try {
    keyObject = createPrivateKey(parsed.getPrivatePEM());
  } catch {
    return;
  }
  // ssh2 returns an error rather than throwing it (keyParser's sign)
  parsed.sign = (data: Buffer | string, algo?: string): Buffer => {
    try {
      return sign(algo || defaultAlgo, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (e) {
      return e as Buffer;
    }
  };
}

/**
 * The key in `file` parsed with `passphrase`, or why it cannot be used. Parsed again only when
 * the file is another one (inode, device), was written (size, mtime), had its mode changed
 * (ctime) or the passphrase differs; a file that could not be read is tried again next time.
 */
export async function loadPrivateKey(file: string, passphrase: string | undefined): Promise<LoadedKey> {
  let version: string;
  try {
    // on the event loop: every connection checks its key, and a thread pool round trip cost more than the stat
    const st = statSync(file, { bigint: true });
    version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${passphraseTag(passphrase)}`;
  } catch (e) {
    cache.delete(file);
    return unreadable(file, e);
  }
  const hit = cache.get(file);
  if (hit && hit.version === version) return hit.key;
  const entry: Cached = { version, key: Promise.resolve('') };
  entry.key = readAndParse(file, passphrase, () => {
    if (cache.get(file) === entry) cache.delete(file);
  });
  cache.set(file, entry);
  return entry.key;
}

/** Forget every parsed key (tests; a long-lived process that wants a fresh read). */
export function clearPrivateKeyCache(): void {
  cache.clear();
}
