import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  clearKnownHostsCache,
  fingerprint,
  formatKnownHostsLine,
  hostFieldMatches,
  keyTypeOfBlob,
  knownHostsStats,
  knownKeyAlgorithms,
  loadKnownHosts,
  loadKnownHostsIndex,
  parseKnownHosts,
  verifyHostKey,
} from './known-hosts.js';

// real keys made by ssh-keygen, so the blob format is the one servers present
let dir: string;
const keys: Record<string, { line: string; blob: Buffer }> = {};

function genKey(name: string, type: string): void {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const [t, b64] = line.split(' ');
  keys[name] = { line: `${t} ${b64}`, blob: Buffer.from(b64 ?? '', 'base64') };
}

function key(name: string): { line: string; blob: Buffer } {
  const k = keys[name];
  if (!k) throw new Error(`no key ${name}`);
  return k;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-kh-'));
  genKey('a', 'ed25519');
  genKey('b', 'ed25519');
  genKey('r', 'rsa');
  genKey('e', 'ecdsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known_hosts matching', () => {
  it('matches plain names on port 22 and [host]:port elsewhere', () => {
    const entries = parseKnownHosts(`web1,10.0.0.5 ${key('a').line}\n[10.0.0.6]:2222 ${key('b').line}\n`, 'kh');
    expect(verifyHostKey(entries, '10.0.0.5', 22, key('a').blob).status).toBe('ok');
    expect(verifyHostKey(entries, 'web1', 22, key('a').blob).status).toBe('ok');
    // port 2222 is a different known_hosts name than port 22
    expect(verifyHostKey(entries, '10.0.0.5', 2222, key('a').blob).status).toBe('unknown');
    expect(verifyHostKey(entries, '10.0.0.6', 2222, key('b').blob).status).toBe('ok');
    expect(verifyHostKey(entries, '10.0.0.6', 22, key('b').blob).status).toBe('unknown');
  });

  it('reports a changed key with the entries that disagree', () => {
    const entries = parseKnownHosts(`# comment\n\nweb1 ${key('a').line}\n`, '/x/known_hosts');
    const v = verifyHostKey(entries, 'web1', 22, key('b').blob);
    expect(v.status).toBe('changed');
    if (v.status === 'changed') expect(v.entries.map((e) => `${e.file}:${e.line}`)).toEqual(['/x/known_hosts:3']);
  });

  it('supports wildcards and negation', () => {
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.17')).toBe(false);
    expect(hostFieldMatches('[10.0.0.*]:2222', '[10.0.0.9]:2222')).toBe(true);
    expect(hostFieldMatches('WEB1', 'web1')).toBe(true);
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `web1 ${key('a').line}\n[10.0.0.6]:2222 ${key('b').line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain('web1');
    const entries = parseKnownHosts(text, file);
    expect(verifyHostKey(entries, 'web1', 22, key('a').blob).status).toBe('ok');
    expect(verifyHostKey(entries, '10.0.0.6', 2222, key('b').blob).status).toBe('ok');
    expect(verifyHostKey(entries, 'web2', 22, key('a').blob).status).toBe('unknown');
    expect(verifyHostKey(entries, 'web1', 22, key('b').blob).status).toBe('changed');
  });

  it('refuses @revoked keys for any host, even with a matching plain entry', () => {
    const entries = parseKnownHosts(`web1 ${key('a').line}\n@revoked * ${key('a').line}\n`, 'kh');
    expect(verifyHostKey(entries, 'web1', 22, key('a').blob).status).toBe('revoked');
    expect(verifyHostKey(entries, 'web1', 22, key('b').blob).status).toBe('changed');
  });

  it('never accepts a plain key through @cert-authority, and says the host is only CA-known', () => {
    const entries = parseKnownHosts(`@cert-authority *.example.com ${key('a').line}\n`, 'kh');
    const v = verifyHostKey(entries, 'web.example.com', 22, key('a').blob);
    expect(v).toEqual({ status: 'unknown', caOnly: true });
  });

  it('reads several files, skipping missing ones', async () => {
    const f1 = join(dir, 'f1');
    const f2 = join(dir, 'f2');
    writeFileSync(f1, `web1 ${key('a').line}\n`);
    writeFileSync(f2, `web2 ${key('b').line}\n`);
    const entries = await loadKnownHosts([f1, join(dir, 'missing'), f2]);
    expect(verifyHostKey(entries, 'web1', 22, key('a').blob).status).toBe('ok');
    expect(verifyHostKey(entries, 'web2', 22, key('b').blob).status).toBe('ok');
  });

  it('prefers the key algorithms known for the host (rsa → rsa-sha2-*)', () => {
    const entries = parseKnownHosts(`h ${key('r').line}\nh ${key('e').line}\nother ${key('a').line}\n`, 'kh');
    expect(knownKeyAlgorithms(entries, 'h', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp256']);
  });
});

describe('fingerprints and recording keys', () => {
  it('prints the same SHA256 fingerprint as ssh-keygen -l', () => {
    for (const name of ['a', 'r', 'e']) {
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, `${name}.pub`)], { encoding: 'utf8' });
      expect(out).toContain(fingerprint(key(name).blob));
    }
    expect(keyTypeOfBlob(key('a').blob)).toBe('ssh-ed25519');
  });

  it('appends plain and hashed lines that ssh-keygen -F finds', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    await appendKnownHost(file, '10.1.2.3', 22, key('a').blob, false);
    await appendKnownHost(file, '10.1.2.4', 2200, key('b').blob, true);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(`10.1.2.3 ${key('a').line}`);
    expect(text).not.toContain('10.1.2.4');
    const found = execFileSync('ssh-keygen', ['-F', '[10.1.2.4]:2200', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(key('b').line.split(' ')[1]);
    const entries = await loadKnownHosts([file]);
    expect(verifyHostKey(entries, '10.1.2.4', 2200, key('b').blob).status).toBe('ok');
    expect(verifyHostKey(entries, '10.1.2.3', 22, key('a').blob).status).toBe('ok');
  });

  it('adds a newline before appending to a file without a final newline', async () => {
    const file = join(dir, 'nonl');
    writeFileSync(file, `web1 ${key('a').line}`);
    await appendKnownHost(file, 'web2', 22, key('b').blob, false);
    const entries = await loadKnownHosts([file]);
    expect(entries).toHaveLength(2);
    expect(formatKnownHostsLine('h', 22, key('a').blob, false)).toBe(`h ${key('a').line}`);
  });
});

describe('fleet scale', () => {
  it('verifies 2000 hosts against a 2000-entry file with one parse and no per-entry pattern tests', async () => {
    const file = join(dir, 'fleet');
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      // alternate port 22 names and [addr]:port names, and a comma list with an alias
      const addr = `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`;
      const name = i % 2 === 0 ? `${addr},h${i}.example.com` : `[${addr}]:2222`;
      lines.push(`${name} ${key(i % 3 === 0 ? 'a' : 'b').line}`);
    }
    // a revoked key and a wildcard CA line: the few entries still tested one by one
    lines.push(`@revoked 10.99.99.99 ${key('e').line}`, `@cert-authority *.ca.example.com ${key('r').line}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    clearKnownHostsCache();
    const parses = knownHostsStats.parses;
    const tests = knownHostsStats.patternTests;
    const results = await Promise.all(
      Array.from({ length: 2000 }, async (_, i) => {
        const addr = `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`;
        const known = await loadKnownHostsIndex([file]);
        return verifyHostKey(known, addr, i % 2 === 0 ? 22 : 2222, key(i % 3 === 0 ? 'a' : 'b').blob).status;
      }),
    );
    expect(results.filter((s) => s !== 'ok')).toEqual([]);
    // one parse for 2000 concurrent connections, and only the one wildcard line tested per lookup
    expect(knownHostsStats.parses - parses).toBe(1);
    expect(knownHostsStats.patternTests - tests).toBe(2000);
    const known = await loadKnownHostsIndex([file]);
    expect(verifyHostKey(known, 'H0.EXAMPLE.COM', 22, key('a').blob).status).toBe('ok');
    expect(verifyHostKey(known, '10.0.1.1', 2222, key('a').blob).status).toBe('changed');
    expect(verifyHostKey(known, '10.0.1.1', 22, key('b').blob).status).toBe('unknown');
    expect(verifyHostKey(known, 'x.ca.example.com', 22, key('a').blob)).toEqual({ status: 'unknown', caOnly: true });
    expect(verifyHostKey(known, 'h0.example.com', 22, key('e').blob).status).toBe('revoked');
    expect(knownHostsStats.parses - parses).toBe(1);
  });

  it('keeps the cached file current after accept-new appends, and re-reads a file changed by others', async () => {
    const file = join(dir, 'grow');
    writeFileSync(file, `web1 ${key('a').line}`);
    clearKnownHostsCache();
    const parses = knownHostsStats.parses;
    const before = await loadKnownHostsIndex([file]);
    expect(verifyHostKey(before, 'web2', 22, key('b').blob).status).toBe('unknown');
    const entry = await appendKnownHost(file, 'web2', 22, key('b').blob, false);
    // no final newline before: the new key is on line 2, as ssh-keygen -F would say
    expect(entry.line).toBe(2);
    const after = await loadKnownHostsIndex([file]);
    expect(verifyHostKey(after, 'web2', 22, key('b').blob)).toMatchObject({ status: 'ok', entry: { line: 2 } });
    expect(knownHostsStats.parses - parses).toBe(1);
    // another writer (ssh-keygen -R, an editor): the next load sees its version
    writeFileSync(file, `web2 ${key('a').line}\n`);
    const edited = await loadKnownHostsIndex([file]);
    expect(verifyHostKey(edited, 'web2', 22, key('b').blob).status).toBe('changed');
    expect(verifyHostKey(edited, 'web1', 22, key('a').blob).status).toBe('unknown');
    expect(knownHostsStats.parses - parses).toBe(2);
  });

  it('keeps file and line order when plain and wildcard entries both match', () => {
    const entries = parseKnownHosts(`*.example.com ${key('a').line}\nweb.example.com ${key('b').line}\n`, 'kh');
    const v = verifyHostKey(entries, 'web.example.com', 22, key('e').blob);
    expect(v.status).toBe('changed');
    if (v.status === 'changed') expect(v.entries.map((e) => e.line)).toEqual([1, 2]);
    expect(knownKeyAlgorithms(entries, 'web.example.com', 22)).toEqual(['ssh-ed25519']);
  });
});
