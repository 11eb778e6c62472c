// The DNS-01 preflight's TSIG update against a real BIND (Debian's named), started by the test
// on a loopback address with a zone, a key allowed to update `_acme-challenge.node.lab.test`,
// and a key it knows but allows nothing. Proves: a right key passes and leaves no record
// behind; a wrong secret, an unknown key name, a key that may not update the zone and a server
// that does not answer each fail with a message naming what to fix, never the secret.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRfc2136, credentialsIni, type Rfc2136Settings } from '../../src/modules/rfc2136.js';

const NAMED = '/usr/sbin/named';
const ADDR = '127.0.0.1';
// a port of its own, so the test never meets a DNS server of the machine
const PORT = 20000 + (process.pid % 20000);
const skip = !existsSync(NAMED) || process.getuid?.() !== 0 ? 'needs root and BIND (named)' : false;

const GOOD = Buffer.from('runbook-lab-good-key-0123456789abcdef0123456789abcdef').toString('base64');
const OTHER = Buffer.from('runbook-lab-other-key-0123456789abcdef0123456789abcde').toString('base64');

describe.skipIf(skip)('DNS-01 preflight against BIND (TSIG update of a throwaway TXT record)', () => {
  let named: ChildProcess | undefined;
  let dir = '';
  const good: Rfc2136Settings = { server: ADDR, port: PORT, name: 'certbot-node', secret: GOOD, algorithm: 'HMAC-SHA512' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-named-'));
    writeFileSync(
      join(dir, 'named.conf'),
      `options { directory "${dir}"; listen-on port ${PORT} { ${ADDR}; }; listen-on-v6 { none; }; recursion no; pid-file "${dir}/named.pid"; };
key "certbot-node" { algorithm hmac-sha512; secret "${GOOD}"; };
key "other" { algorithm hmac-sha512; secret "${OTHER}"; };
zone "lab.test" { type primary; file "${dir}/lab.test.zone"; update-policy { grant certbot-node name _acme-challenge.node.lab.test. TXT; }; };
`,
    );
    writeFileSync(join(dir, 'lab.test.zone'), '$TTL 60\n@ IN SOA ns.lab.test. hostmaster.lab.test. 1 60 60 600 60\n@ IN NS ns.lab.test.\nns IN A 127.0.0.1\nnode IN A 10.0.0.5\n');
    named = spawn(NAMED, ['-g', '-u', 'root', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    named.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 100 && !/running/.test(log); i++) await new Promise((r) => setTimeout(r, 100));
    expect(log, log).toMatch(/running/);
    // named logs "running" before its TCP listener is always bound (seen: connection refused
    // right after it on a busy machine): wait until TCP accepts, as the preflight uses TCP
    let listening = false;
    for (let i = 0; i < 100 && !listening; i++) {
      listening = await new Promise<boolean>((r) => {
        const s = connect({ host: ADDR, port: PORT }, () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(false));
      });
      if (!listening) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listening, `named accepts TCP on ${ADDR}:${PORT}`).toBe(true);
  });

  afterAll(() => {
    if (named?.pid) process.kill(named.pid, 'SIGTERM');
  });

  const txt = (): string => execFileSync('dig', ['+short', '-p', String(PORT), `@${ADDR}`, 'TXT', '_acme-challenge.node.lab.test']).toString().trim();

  it('the right key may update the record: passes, names the zone, and leaves no record behind', async () => {
    const r = await checkRfc2136(good, 'node.lab.test');
    expect(r).toMatchObject({ ok: true, zone: 'lab.test' });
    expect(r.msg).toMatch(/authoritative for lab\.test and key certbot-node may update _acme-challenge\.node\.lab\.test/);
    expect(txt()).toBe('');
  });

  it('a wrong secret: BADSIG, names dns_rfc2136_secret, never prints the secret', async () => {
    const wrong = { ...good, secret: OTHER };
    const r = await checkRfc2136(wrong, 'node.lab.test');
    expect(r.ok).toBe(false);
    expect(r.msg).toMatch(/rejects the signature of key certbot-node \(BADSIG\): dns_rfc2136_secret or dns_rfc2136_algorithm/);
    expect(r.msg).not.toContain(OTHER);
    expect(r.msg).not.toContain(GOOD);
  });

  it('an unknown key name: names dns_rfc2136_name', async () => {
    const r = await checkRfc2136({ ...good, name: 'no-such-key' }, 'node.lab.test');
    expect(r.ok).toBe(false);
    expect(r.msg).toMatch(/does not know the TSIG key no-such-key: check dns_rfc2136_name/);
  });

  it('a key the server knows but that may not update the zone: REFUSED, with the update-policy to add', async () => {
    const r = await checkRfc2136({ ...good, name: 'other', secret: OTHER }, 'node.lab.test');
    expect(r.ok).toBe(false);
    expect(r.msg).toMatch(/key other may not update _acme-challenge\.node\.lab\.test in zone lab\.test \(REFUSED\).*grant other name _acme-challenge\.node\.lab\.test\. TXT/);
    // the right key, but for a name its grant does not cover
    const r2 = await checkRfc2136(good, 'other.lab.test');
    expect(r2.msg).toMatch(/key certbot-node may not update _acme-challenge\.other\.lab\.test/);
  });

  it('a zone the server does not serve, and a server that does not answer', async () => {
    const r = await checkRfc2136(good, 'node.example.org');
    expect(r.msg).toMatch(/authoritative for no zone holding _acme-challenge\.node\.example\.org: point dns_rfc2136_server/);
    const dead = await checkRfc2136({ ...good, port: PORT + 1 }, 'node.lab.test', { timeoutMs: 1000 });
    expect(dead.ok).toBe(false);
    expect(dead.msg).toMatch(new RegExp(`the DNS server ${ADDR} port ${PORT + 1} \\(dns_rfc2136_server, dns_rfc2136_port\\) does not answer over TCP \\(connection refused`));
  });

  it('the credentials file has certbot\'s keys', () => {
    expect(credentialsIni(good)).toMatch(/^dns_rfc2136_server = 127\.0\.0\.1\ndns_rfc2136_port = \d+\ndns_rfc2136_name = certbot-node\ndns_rfc2136_secret = \S+\ndns_rfc2136_algorithm = HMAC-SHA512\n$/m);
  });
});
