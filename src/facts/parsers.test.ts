import { describe, expect, it } from 'vitest';
import { parseAptState, parseAptSummary } from './deb-packages.js';
import { parseServiceState } from './service.js';
import { parseUriOutput } from '../modules/uri.js';

describe('apt parsers', () => {
  it('reads dpkg-query lines, apt-cache policy, the cache stamp and the clock', () => {
    const out = [
      'pkg:curl\tii \t7.88.1-10+deb12u15',
      'pkg:certbot\trc \t2.1.0-4',
      'curl:',
      '  Installed: 7.88.1-10+deb12u15',
      '  Candidate: 7.88.1-10+deb12u16',
      '  Version table:',
      'nosuch:',
      '  Installed: (none)',
      '  Candidate: (none)',
      'stamp:1700000000',
      'now:1700000500',
      '',
    ].join('\n');
    const st = parseAptState(out, ['curl', 'certbot', 'nosuch']);
    expect(st.packages.curl).toEqual({ name: 'curl', status: 'ii', installed: true, version: '7.88.1-10+deb12u15', candidate: '7.88.1-10+deb12u16' });
    expect(st.packages.certbot).toMatchObject({ status: 'rc', installed: false });
    expect(st.packages.nosuch).toEqual({ name: 'nosuch', status: 'un', installed: false });
    expect(st.cacheUpdatedAt).toBe(1700000000);
    expect(st.now).toBe(1700000500);
    expect(parseAptState('stamp:\nnow:17\n', []).cacheUpdatedAt).toBeUndefined();
    // an image without package lists: the stamp of the empty lists directory does not count
    expect(parseAptState('stamp:1700000000\nnow:1700000010\nlists:none\n', []).cacheUpdatedAt).toBeUndefined();
  });

  it('sums apt-get summary lines (several apt-get runs in one command)', () => {
    const out = 'Reading package lists...\n0 upgraded, 2 newly installed, 0 to remove and 5 not upgraded.\n...\n3 upgraded, 0 newly installed, 1 to remove and 0 not upgraded.\n';
    expect(parseAptSummary(out)).toEqual({ upgraded: 3, installed: 2, removed: 1, notUpgraded: 5 });
    expect(parseAptSummary('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.')).toEqual({ upgraded: 0, installed: 0, removed: 0, notUpgraded: 0 });
    expect(parseAptSummary('Hit:1 http://deb.debian.org bookworm InRelease')).toBeUndefined();
  });
});

describe('service state', () => {
  it('systemd', () => {
    const st = parseServiceState('manager=systemd\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n');
    expect(st).toMatchObject({ manager: 'systemd', exists: true, running: true, enabled: true });
    expect(parseServiceState('manager=systemd\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n')).toMatchObject({ exists: false, running: false });
  });

  it('init scripts', () => {
    expect(parseServiceState('manager=sysvinit\nscript=yes\nstatus=0\nstart_links=4\nall_links=7\n')).toMatchObject({ exists: true, running: true, enabled: true, hasLinks: true });
    expect(parseServiceState('manager=sysvinit\nscript=yes\nstatus=3\nstart_links=0\nall_links=7\n')).toMatchObject({ running: false, enabled: false, hasLinks: true });
    expect(parseServiceState('manager=sysvinit\nstatus=4\nstart_links=0\nall_links=0\n')).toMatchObject({ exists: false });
  });
});

describe('uri output', () => {
  it('keeps the last header block after redirects and decodes the body', () => {
    const out = [
      'runbook-meta',
      '200',
      'https://node1.example.org/',
      '',
      '1',
      '@@rc',
      '0',
      '@@headers',
      'HTTP/1.1 301 Moved Permanently\r\nLocation: https://node1.example.org/\r\n\r\nHTTP/2 200\r\nContent-Type: text/html\r\nStrict-Transport-Security: max-age=31536000\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
      '@@body',
      Buffer.from('<html>ok</html>').toString('base64'),
    ].join('\n');
    const r = parseUriOutput(out);
    expect(r).toMatchObject({ curlRc: 0, status: 200, url: 'https://node1.example.org/', redirects: 1 });
    expect(r.headers).toEqual({ 'content-type': 'text/html', 'strict-transport-security': 'max-age=31536000', 'set-cookie': 'a=1, b=2' });
    expect(r.body.toString()).toBe('<html>ok</html>');
  });
});
