import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeDns, judgeHost, judgePort80, ufwBlocks80 } from './preflight.js';
import { probePort, resolveDomain } from '../facts/network.js';
import { parseUfwStatus } from '../facts/ufw.js';
import { parseCertbotState } from '../facts/certbot.js';

// A tiny authoritative DNS server on loopback (like pebble-challtestsrv in the lab): A records
// from a table, NXDOMAIN for the rest, empty answers for AAAA.
function dnsServer(table: Record<string, string>): Promise<{ sock: UdpSocket; port: number }> {
  const sock = createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    let off = 12;
    const labels: string[] = [];
    while (q[off]) {
      const len = q[off] ?? 0;
      labels.push(q.subarray(off + 1, off + 1 + len).toString());
      off += len + 1;
    }
    const qtype = q.readUInt16BE(off + 1);
    const question = q.subarray(12, off + 5);
    const name = labels.join('.').toLowerCase();
    const ip = table[name];
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(ip === undefined ? 0x8183 : 0x8180, 2); // response, RD+RA, NXDOMAIN or NOERROR
    header.writeUInt16BE(1, 4);
    const answers: Buffer[] = [];
    if (ip !== undefined && qtype === 1) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
      answers.push(rr);
    }
    header.writeUInt16BE(answers.length, 6);
    sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve({ sock, port: sock.address().port })));
}

let dns: { sock: UdpSocket; port: number };
let http: Server;
let httpPort: number;
let closedPort: number;

beforeAll(async () => {
  dns = await dnsServer({ 'node1.lab.test': '10.213.1.10', 'other.lab.test': '10.213.9.9' });
  http = createServer((s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as { port: number }).port;
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as { port: number }).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});
afterAll(() => {
  dns.sock.close();
  http.close();
});

describe('resolveDomain through a given resolver IP:PORT', () => {
  it('finds the A record, and nothing for an unknown name', async () => {
    const ok = await resolveDomain('node1.lab.test', `127.0.0.1:${dns.port}`);
    expect(ok.a).toEqual(['10.213.1.10']);
    const none = await resolveDomain('missing.lab.test', `127.0.0.1:${dns.port}`);
    expect(none.a).toEqual([]);
    expect(none.error).toBe('ENOTFOUND');
  });
});

describe('judgeDns', () => {
  const host = ['10.213.1.10'];
  it('ok when an A record is the host', () => {
    expect(judgeDns('n.lab.test', { a: ['10.213.1.10'], aaaa: [] }, host, '127.0.0.1:8053')).toEqual([
      expect.objectContaining({ ok: true, msg: 'n.lab.test resolves to this host (10.213.1.10)' }),
    ]);
  });
  it('fails with the fix when it points elsewhere or nowhere', () => {
    const elsewhere = judgeDns('n.lab.test', { a: ['10.213.9.9'], aaaa: [] }, host, '127.0.0.1:8053');
    expect(elsewhere[0]).toMatchObject({ ok: false });
    expect(elsewhere[0]?.msg).toMatch(/resolves to 10\.213\.9\.9 \(asked 127\.0\.0\.1:8053\), not to this host \(10\.213\.1\.10\): point its A record/);
    const nowhere = judgeDns('n.lab.test', { a: [], aaaa: [], error: 'ENOTFOUND' }, host, undefined);
    expect(nowhere[0]?.msg).toMatch(/does not resolve: no A\/AAAA record \(ENOTFOUND\), asked the controller's resolver\. Create a DNS A record for n\.lab\.test pointing at this host \(10\.213\.1\.10\)/);
  });
  it('warns about an extra AAAA record that is not the host', () => {
    const r = judgeDns('n.lab.test', { a: ['10.213.1.10'], aaaa: ['2001:db8::1'] }, host, undefined);
    expect(r[1]).toMatchObject({ ok: true, warning: true });
    expect(r[1]?.msg).toMatch(/prefers IPv6/);
  });
});

describe('probePort + judgePort80 (loopback only)', () => {
  it('a web server answering HTTP for the name passes for apache', async () => {
    const p = await probePort('127.0.0.1', httpPort, 'node1.lab.test', 2000);
    expect(p).toEqual({ kind: 'open', status: 200, statusLine: 'HTTP/1.1 200 OK' });
    expect(judgePort80('node1.lab.test', '127.0.0.1', p, 'apache').ok).toBe(true);
  });
  it('a refused port is fine for standalone (certbot will listen) but not for apache', async () => {
    const p = await probePort('127.0.0.1', closedPort, undefined, 2000);
    expect(p).toEqual({ kind: 'refused' });
    expect(judgePort80('n', '127.0.0.1', p, 'standalone').ok).toBe(true);
    expect(judgePort80('n', '127.0.0.1', p, 'apache').msg).toMatch(/nothing answers on port 80.*service apache2 start/);
  });
  it('a timeout says to open the firewall', () => {
    expect(judgePort80('n', '192.0.2.1', { kind: 'timeout' }, 'standalone').msg).toMatch(/open 80\/tcp in the host's firewall/);
  });
});

describe('judgeHost', () => {
  const st = (apache: string, port80 = ''): ReturnType<typeof parseCertbotState> =>
    parseCertbotState(`@@certbot /usr/bin/certbot\n@@schedules\n@@port80\n${port80}@@initd\napache2\n@@apache\n${apache}@@end\n`);
  it('apache: not installed, not running, broken configuration each say what to fix', () => {
    expect(judgeHost(st(''), undefined, 'apache', true)[0]?.msg).toMatch(/Apache is not installed/);
    expect(judgeHost(st('installed\n'), { ok: true, output: 'Syntax OK' }, 'apache', true)[0]?.msg).toMatch(/service apache2 start/);
    const broken = judgeHost(st('installed\nrunning\n'), { ok: false, output: 'AH00526: Syntax error on line 3' }, 'apache', true);
    expect(broken[0]).toMatchObject({ ok: false });
    expect(broken[0]?.msg).toMatch(/configuration is broken.*AH00526/s);
  });
  it('standalone: port 80 held with free_port_80 false fails, true passes with the plan', () => {
    const held = st('', '"apache2",pid=42 unit=\n');
    expect(judgeHost(held, undefined, 'standalone', false)[0]).toMatchObject({ ok: false });
    expect(judgeHost(held, undefined, 'standalone', true)[0]?.msg).toMatch(/held by apache2: stopped during issuance/);
  });
});

describe('ufwBlocks80', () => {
  it('only an active ufw without an allow for 80/tcp blocks', () => {
    expect(ufwBlocks80(parseUfwStatus('@@missing'))).toBe(false);
    expect(ufwBlocks80(parseUfwStatus('Status: inactive'))).toBe(false);
    expect(ufwBlocks80(parseUfwStatus('Status: active\n\nTo Action From\n22/tcp                     ALLOW       Anywhere\n'))).toBe(true);
    expect(ufwBlocks80(parseUfwStatus('Status: active\n\n80/tcp                     ALLOW       Anywhere\n'))).toBe(false);
  });
});
