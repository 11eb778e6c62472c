// OpenSSH known_hosts files: parse, match a host the way ssh does, verify a presented key,
// record a new one (accept-new). Formats handled: plain names and addresses, `[host]:port`,
// comma lists with `*`/`?` wildcards and `!negation`, hashed `|1|salt|hash` entries, `@revoked`.
// `@cert-authority` lines are parsed but never accept a plain key (ssh2 has no host
// certificates); a host known only through one is reported as such.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
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

/** Read every file; a missing file is an empty file (as for ssh). */
export async function loadKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardToRegExp(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

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

export function verifyHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const b64 = blob.toString('base64');
  // a revoked key is refused whatever host it is presented for
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === b64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker !== 'revoked' && hostFieldMatches(e.hosts, name));
  const plain = forHost.filter((e) => e.marker === undefined);
  const ok = plain.find((e) => e.key === b64);
  if (ok) return { status: 'ok', entry: ok };
  if (plain.length > 0) return { status: 'changed', entries: plain };
  return { status: 'unknown', caOnly: forHost.length > 0 };
}

/** Host key algorithms to prefer for this host, so the server shows the key type we know. */
export function knownKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker === undefined && hostFieldMatches(e.hosts, name)) types.add(e.keyType);
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

/** accept-new: record a key. One append of one line, so concurrent hosts do not interleave. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer, hashed: boolean): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file);
    if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    // new file
  }
  await appendFile(file, `${prefix}${formatKnownHostsLine(host, port, blob, hashed)}\n`, { mode: 0o644 });
}
