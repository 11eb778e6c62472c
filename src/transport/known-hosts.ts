// OpenSSH known_hosts files: parse, match a host the way ssh does, verify a presented key,
// record a new one (accept-new). Formats handled: plain names and addresses, `[host]:port`,
// comma lists with `*`/`?` wildcards and `!negation`, hashed `|1|salt|hash` entries, `@revoked`.
// `@cert-authority` lines are parsed but never accept a plain key (ssh2 has no host
// certificates); a host known only through one is reported as such.
//
// Fleet scale: each file is parsed once per process (cached by path, inode, size and mtime, and
// kept current after our own accept-new appends), plain names are looked up in a Map, and only
// hashed entries and wildcard/negated patterns are tested one by one, with their RegExp/salt
// prepared once. Before, every connection re-read the file and built a RegExp per name per
// entry: O(hosts²) at 1000 hosts.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { globToRegExp } from '../util/glob.js';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** the host field as written (comma list or one hashed `|1|salt|hash`) */
  hosts: string;
  keyType: string;
  /** base64 of the key blob */
  key: string;
}

/** counters for tests and -vvv: file parses, and per-entry pattern/hash tests done in lookups */
export const knownHostsStats = { parses: 0, patternTests: 0 };

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  knownHostsStats.parses++;
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ssh ignores the line too
    }
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) return;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return out;
}

/** Read every file; a missing file is an empty file (as for ssh). Parsed once per process per file version. */
export async function loadKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  return (await loadKnownHostsIndex(files)).entries;
}

/** One parsed file with its lookup structures. */
interface FileIndex {
  file: string;
  /** inode:size:mtime when it was read: another version of the file is parsed again */
  version: string;
  size: bigint;
  /** '\n' characters in the file, and whether it ends with one: the line number of an append */
  newlines: number;
  endsWithNewline: boolean;
  entries: KnownHostEntry[];
  /** lower-cased plain names (no wildcard, no negation, not hashed) → non-revoked entries, in line order */
  byName: Map<string, KnownHostEntry[]>;
  /** hashed entries and wildcard/negated lists, tested one by one (non-revoked), in line order */
  patterns: Array<{ entry: KnownHostEntry; matches: (name: string) => boolean }>;
  /** base64 key → first @revoked entry */
  revoked: Map<string, KnownHostEntry>;
}

function isPlainName(pattern: string): boolean {
  return pattern !== '' && !pattern.startsWith('!') && !pattern.includes('*') && !pattern.includes('?');
}

/** A matcher with its RegExps / salt prepared once; each call counts as one pattern test. */
function compileHostField(hosts: string): (name: string) => boolean {
  if (hosts.startsWith('|')) {
    const parts = hosts.split('|');
    // ['', '1', salt, hash]
    if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return () => false;
    const salt = Buffer.from(parts[2], 'base64');
    const hash = parts[3];
    return (name) => {
      knownHostsStats.patternTests++;
      return createHmac('sha1', salt).update(name).digest('base64') === hash;
    };
  }
  const pats = hosts
    .split(',')
    .filter((raw) => raw !== '')
    .map((raw) => {
      const negated = raw.startsWith('!');
      return { negated, re: wildcardToRegExp(negated ? raw.slice(1) : raw) };
    });
  return (name) => {
    knownHostsStats.patternTests++;
    let matched = false;
    for (const p of pats) {
      if (p.re.test(name)) {
        if (p.negated) return false;
        matched = true;
      }
    }
    return matched;
  };
}

/** insertion order of indexed entries: merges plain and pattern matches of one file back into line order */
const rank = new WeakMap<KnownHostEntry, number>();
let nextRank = 0;

function addToIndex(idx: Pick<FileIndex, 'byName' | 'patterns' | 'revoked'>, e: KnownHostEntry): void {
  rank.set(e, nextRank++);
  if (e.marker === 'revoked') {
    if (!idx.revoked.has(e.key)) idx.revoked.set(e.key, e);
    return;
  }
  const names = e.hosts.startsWith('|') ? [] : e.hosts.split(',').filter((n) => n !== '');
  if (names.length > 0 && names.every(isPlainName)) {
    for (const n of new Set(names.map((x) => x.toLowerCase()))) {
      const list = idx.byName.get(n);
      if (list) list.push(e);
      else idx.byName.set(n, [e]);
    }
  } else idx.patterns.push({ entry: e, matches: compileHostField(e.hosts) });
}

function buildIndex(file: string, entries: KnownHostEntry[]): Pick<FileIndex, 'file' | 'entries' | 'byName' | 'patterns' | 'revoked'> {
  const idx = { file, entries, byName: new Map<string, KnownHostEntry[]>(), patterns: [], revoked: new Map<string, KnownHostEntry>() };
  for (const e of entries) addToIndex(idx, e);
  return idx;
}

/**
 * The known_hosts entries of some files, indexed. Lookups cost one Map get per file plus one
 * test per hashed or wildcard entry, whatever the number of plain entries.
 */
export class KnownHosts {
  /** entries this connection added (accept-new) that the files may not show yet */
  private readonly extra: Pick<FileIndex, 'byName' | 'patterns' | 'revoked'> & { entries: KnownHostEntry[] } = {
    entries: [],
    byName: new Map(),
    patterns: [],
    revoked: new Map(),
  };

  constructor(private readonly files: ReadonlyArray<Pick<FileIndex, 'entries' | 'byName' | 'patterns' | 'revoked'>>) {}

  static fromEntries(entries: readonly KnownHostEntry[]): KnownHosts {
    // entries may come from several files: keep their order, one index per run of a file
    const groups: KnownHostEntry[][] = [];
    let last: string | undefined;
    for (const e of entries) {
      if (e.file !== last || groups.length === 0) groups.push([]);
      groups[groups.length - 1]?.push(e);
      last = e.file;
    }
    return new KnownHosts(groups.map((g) => buildIndex(g[0]?.file ?? '', g)));
  }

  /** every entry, files in order */
  get entries(): KnownHostEntry[] {
    return [...this.files.flatMap((f) => f.entries), ...this.extra.entries];
  }

  /** Record an entry for this view (accept-new), as if it were at the end of the last file. */
  add(entry: KnownHostEntry): void {
    // appendKnownHost may already have put it into the cached file this view shares
    if (this.files.some((f) => f.entries.includes(entry)) || this.extra.entries.includes(entry)) return;
    this.extra.entries.push(entry);
    addToIndex(this.extra, entry);
  }

  /** The first @revoked entry for this key, in file order. */
  revokedFor(b64: string): KnownHostEntry | undefined {
    for (const f of [...this.files, this.extra]) {
      const e = f.revoked.get(b64);
      if (e) return e;
    }
    return undefined;
  }

  /** Non-revoked entries whose host field matches the name, in file and line order. */
  forName(name: string): KnownHostEntry[] {
    const lower = name.toLowerCase();
    const out: KnownHostEntry[] = [];
    for (const f of [...this.files, this.extra]) {
      const plain = f.byName.get(lower) ?? [];
      const pat = f.patterns.filter((p) => p.matches(name)).map((p) => p.entry);
      if (pat.length === 0) out.push(...plain);
      else if (plain.length === 0) out.push(...pat);
      else {
        // both kinds in one file: back to file order
        const r = (e: KnownHostEntry): number => rank.get(e) ?? 0;
        out.push(...[...plain, ...pat].sort((a, b) => r(a) - r(b)));
      }
    }
    return out;
  }
}

/** path → the parsed file (a promise, so concurrent connections share one read) */
const fileCache = new Map<string, { version: string; index: Promise<FileIndex | undefined> }>();

// A stat on the event loop, not libuv's thread pool: every connection checks each known_hosts
// file, and a pool round trip (a wake-up of a worker thread and of the loop) cost the controller
// more than the stat itself, per host of a fleet.
function fileVersion(file: string): { version: string; size: bigint } | undefined {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return undefined;
  return { version: `${st.ino}:${st.size}:${st.mtimeNs}`, size: st.size };
}

async function readIndex(file: string, version: string, size: bigint): Promise<FileIndex | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let newlines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++;
  // the version was taken before the read: if the file changed in between, the next stat differs
  // and the file is read again, never the other way round
  return { ...buildIndex(file, parseKnownHosts(text, file)), version, size, newlines, endsWithNewline: text === '' || text.endsWith('\n') };
}

async function loadFileIndex(file: string): Promise<FileIndex | undefined> {
  const v = fileVersion(file);
  if (!v) {
    fileCache.delete(file);
    return undefined;
  }
  const cached = fileCache.get(file);
  if (cached && cached.version === v.version) return cached.index;
  const index = readIndex(file, v.version, v.size);
  fileCache.set(file, { version: v.version, index });
  index.catch(() => {
    if (fileCache.get(file)?.index === index) fileCache.delete(file);
  });
  return index;
}

/** The files' entries, indexed; each file is parsed once per version (see fileCache). Missing files are empty. */
export async function loadKnownHostsIndex(files: readonly string[]): Promise<KnownHosts> {
  const indexes = await Promise.all(files.map((f) => loadFileIndex(f)));
  return new KnownHosts(indexes.filter((i): i is FileIndex => i !== undefined));
}

/** Forget every parsed file (tests; a long-lived process that wants a fresh read). */
export function clearKnownHostsCache(): void {
  fileCache.clear();
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH patterns know `*` and `?` only (`[host]:port` is literal); host names ignore case. */
const wildcardToRegExp = (pattern: string): RegExp => globToRegExp(pattern, { classes: false, ignoreCase: true });

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const digest = createHmac('sha1', salt).update(name).digest('base64');
  return digest === parts[3];
}

/** Does the host field of an entry match this name (see knownHostsName)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const raw of hosts.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcardToRegExp(pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` as ssh prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `ED25519`, `RSA`, `ECDSA` as ssh names key types in messages. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  return keyType;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** the host is known, but with other keys */
  | { status: 'changed'; entries: KnownHostEntry[] }
  /** caOnly: the host only matched @cert-authority lines */
  | { status: 'unknown'; caOnly: boolean };

function asIndex(known: readonly KnownHostEntry[] | KnownHosts): KnownHosts {
  return known instanceof KnownHosts ? known : KnownHosts.fromEntries(known);
}

export function verifyHostKey(known: readonly KnownHostEntry[] | KnownHosts, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const index = asIndex(known);
  const name = knownHostsName(host, port);
  const b64 = blob.toString('base64');
  // a revoked key is refused whatever host it is presented for
  const revoked = index.revokedFor(b64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = index.forName(name);
  const plain = forHost.filter((e) => e.marker === undefined);
  const ok = plain.find((e) => e.key === b64);
  if (ok) return { status: 'ok', entry: ok };
  if (plain.length > 0) return { status: 'changed', entries: plain };
  return { status: 'unknown', caOnly: forHost.length > 0 };
}

/** Host key algorithms to prefer for this host, so the server shows the key type we know. */
export function knownKeyAlgorithms(known: readonly KnownHostEntry[] | KnownHosts, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = new Set<string>();
  for (const e of asIndex(known).forName(name)) {
    if (e.marker === undefined) types.add(e.keyType);
  }
  const algos: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') algos.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algos.push(t);
  }
  return algos;
}

/** One known_hosts line, hashed (`|1|salt|hash`, as with HashKnownHosts yes) or plain. */
export function formatKnownHostsLine(host: string, port: number, blob: Buffer, hashed: boolean): string {
  const name = knownHostsName(host, port);
  let field = name;
  if (hashed) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}

/**
 * accept-new: record a key. One append of one line, so concurrent hosts do not interleave.
 * Returns the entry as it now stands in the file. The parsed copy of the file is kept current
 * when nothing else wrote to it meanwhile, and dropped (read again next time) otherwise.
 */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer, hashed: boolean): Promise<KnownHostEntry> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const cached = fileCache.get(file);
  const before = cached ? await cached.index.catch(() => undefined) : undefined;
  let prefix = '';
  if (before && fileVersion(file)?.version === before.version) {
    // the cache knows how the file ends: no need to read it
    if (!before.endsWithNewline) prefix = '\n';
  } else {
    try {
      const current = await readFile(file);
      if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
    } catch {
      // new file
    }
  }
  const lineText = formatKnownHostsLine(host, port, blob, hashed);
  const text = `${prefix}${lineText}\n`;
  await appendFile(file, text, { mode: 0o644 });
  const [hosts = '', keyType = ''] = lineText.split(' ');
  const entry: KnownHostEntry = { file, line: 0, marker: undefined, hosts, keyType, key: blob.toString('base64') };
  let after: ReturnType<typeof fileVersion>;
  try {
    after = fileVersion(file);
  } catch {
    after = undefined;
  }
  if (before && after && fileCache.get(file) === cached && after.size === before.size + BigInt(Buffer.byteLength(text))) {
    // only our line was added since the parse: extend the cached index instead of re-reading
    entry.line = before.newlines + (prefix ? 2 : 1);
    before.entries.push(entry);
    addToIndex(before, entry);
    before.newlines += prefix ? 2 : 1;
    before.endsWithNewline = true;
    before.size = after.size;
    before.version = after.version;
    if (cached) cached.version = after.version;
  } else fileCache.delete(file);
  return entry;
}
