import { describe, expect, it } from 'vitest';
import { cachePath, decide, mirrorHosts, parseDeb822, parseOneLine } from './apt-proxy.js';

const SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://src.example.org/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

describe('lab apt proxy policy', () => {
  it('reads deb822 and one-line apt sources', () => {
    const s = parseDeb822(SOURCES);
    expect(s).toEqual([
      { uri: 'http://deb.debian.org/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
      { uri: 'http://deb.debian.org/debian-security', suites: ['bookworm-security'], components: ['main'] },
    ]);
    expect(parseOneLine('# comment\ndeb [arch=amd64] http://mirror.example.net/debian bookworm main contrib\ndeb-src http://x/ y z\n')).toEqual([
      { uri: 'http://mirror.example.net/debian', suites: ['bookworm'], components: ['main', 'contrib'] },
    ]);
    expect(mirrorHosts([...s, { uri: 'cdrom:/x', suites: [], components: [] }])).toEqual(['deb.debian.org']);
  });

  it('forwards only GET/HEAD over http port 80 to mirror hosts', () => {
    const allowed = new Set(['deb.debian.org']);
    expect(decide('GET', 'http://deb.debian.org/debian/dists/bookworm/InRelease', allowed).ok).toBe(true);
    expect(decide('HEAD', 'http://deb.debian.org/x', allowed).ok).toBe(true);
    expect(decide('POST', 'http://deb.debian.org/x', allowed)).toMatchObject({ ok: false, status: 405 });
    expect(decide('GET', 'http://example.org/', allowed)).toMatchObject({ ok: false, status: 403 });
    expect(decide('GET', 'https://deb.debian.org/', allowed)).toMatchObject({ ok: false, status: 403 });
    expect(decide('GET', 'http://deb.debian.org:8080/', allowed)).toMatchObject({ ok: false, status: 403 });
    expect(decide('GET', '/relative', allowed)).toMatchObject({ ok: false, status: 400 });
    // a look-alike host name is not the mirror
    expect(decide('GET', 'http://deb.debian.org.evil.example/', allowed)).toMatchObject({ ok: false, status: 403 });
  });

  it('caches only whole .deb downloads, inside the cache dir', () => {
    const u = (s: string): URL => new URL(s);
    expect(cachePath('/c', u('http://deb.debian.org/debian/pool/main/a/apache2/apache2_2.4_amd64.deb'), 'GET', {})).toBe('/c/deb.debian.org/debian/pool/main/a/apache2/apache2_2.4_amd64.deb');
    expect(cachePath('/c', u('http://deb.debian.org/debian/dists/bookworm/InRelease'), 'GET', {})).toBeUndefined();
    expect(cachePath('/c', u('http://deb.debian.org/x.deb'), 'GET', { range: 'bytes=0-1' })).toBeUndefined();
    expect(cachePath('/c', u('http://deb.debian.org/x.deb'), 'HEAD', {})).toBeUndefined();
    // whatever the encoding, a cached file stays below the host's cache dir
    for (const path of ['/a/%2e%2e/%2e%2e/etc/x.deb', '/a/..%2F..%2F..%2Fetc/x.deb', '/%2e%2e%2f%2e%2e%2fx.deb']) {
      const p = cachePath('/c', u(`http://deb.debian.org${path}`), 'GET', {});
      expect(p === undefined || p.startsWith('/c/deb.debian.org/')).toBe(true);
    }
  });
});
