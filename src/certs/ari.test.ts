// The ARI client (RFC 9773) against a small local ACME-ish server that answers as the RFC says:
// a directory with (or without) `renewalInfo`, and GET renewalInfo/{CertID} with a suggested
// window and Retry-After. Certificates are made here with openssl, one of them with the RFC's
// own example AKI and serial, so the CertID is checked against the RFC's example value.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriClient, parseRenewalInfo, parseResolve, probeTls } from './probe.js';
import { parseCertificate } from './x509.js';
import { timing, DEFAULT_THRESHOLDS } from './conditions.js';

let dir: string;
let caPem: string;
let rfcLeaf: string;
let server: Server;
let port: number;
const requests: string[] = [];
const nextWindow: { start: string; end: string } = { start: '2027-01-03T00:00:00Z', end: '2027-01-07T00:00:00Z' };

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-ari-'));
  // a CA whose Subject Key Identifier is the RFC 9773 §4.1 example's AKI keyIdentifier
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=ARI test CA', '-out', 'ca.csr']);
  openssl(['x509', '-req', '-in', 'ca.csr', '-signkey', 'ca.key', '-days', '30', '-extfile', 'ca.ext', '-out', 'ca.pem']);
  writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\nsubjectAltName=DNS:acme.test,DNS:node.example,IP:127.0.0.1\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-subj', '/CN=acme.test', '-out', 'leaf.csr']);
  // the RFC's example serial 0x0087654321: DER INTEGER 00 87 65 43 21
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x87654321', '-days', '10', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
  caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  rfcLeaf = readFileSync(join(dir, 'leaf.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'leaf.key')), cert: rfcLeaf }, (req, res) => {
    requests.push(req.url ?? '');
    const base = `https://acme.test:${port}`;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/dir') return send(200, { newNonce: `${base}/nonce`, newAccount: `${base}/acct`, newOrder: `${base}/order`, renewalInfo: `${base}/renewal-info` });
    if (req.url === '/dir-no-ari') return send(200, { newNonce: `${base}/nonce`, newOrder: `${base}/order` });
    const m = /^\/renewal-info\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    if (m?.[1] === 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE') return send(200, { suggestedWindow: nextWindow, explanationURL: 'https://acme.test/docs/ari' }, { 'retry-after': '21600' });
    // RFC 9773 §4.2: an unknown certificate is a 404
    return send(404, { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown certificate' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (): AriClient => new AriClient({ ca: [caPem], resolve: parseResolve([`acme.test:${port}:127.0.0.1`]) });

describe('ARI (RFC 9773)', () => {
  it('CertID of the RFC example: base64url(AKI keyIdentifier) . base64url(serial DER bytes)', () => {
    expect(parseCertificate(rfcLeaf).ariCertId).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(parseCertificate(rfcLeaf).serial).toBe('87654321');
  });

  it('offered: the suggested window, Retry-After and explanation; the directory is fetched once', async () => {
    requests.length = 0;
    const c = client();
    const a = await c.renewalInfo(`https://acme.test:${port}/dir`, 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(a).toEqual({
      status: 'offered',
      directory: `https://acme.test:${port}/dir`,
      windowStart: '2027-01-03T00:00:00.000Z',
      windowEnd: '2027-01-07T00:00:00.000Z',
      explanationUrl: 'https://acme.test/docs/ari',
      retryAfter: 21600,
    });
    await c.renewalInfo(`https://acme.test:${port}/dir`, 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(requests.filter((r) => r === '/dir')).toHaveLength(1);
  });

  it('not offered: a directory without renewalInfo (as Pebble 2.4)', async () => {
    expect(await client().renewalInfo(`https://acme.test:${port}/dir-no-ari`, 'x.y')).toMatchObject({ status: 'not-offered', message: 'ARI not offered' });
  });

  it('errors are reported, never thrown: unknown certificate, untrusted server, unreachable server', async () => {
    expect(await client().renewalInfo(`https://acme.test:${port}/dir`, 'AAAA.AAAA')).toMatchObject({ status: 'error', message: expect.stringMatching(/HTTP 404/) as unknown });
    const untrusted = await new AriClient({ resolve: parseResolve([`acme.test:${port}:127.0.0.1`]) }).renewalInfo(`https://acme.test:${port}/dir`, 'x.y');
    expect(untrusted).toMatchObject({ status: 'error', message: expect.stringMatching(/certificate/) as unknown });
    const closed = await new AriClient({ ca: [caPem], resolve: parseResolve(['acme.test:1:127.0.0.1']), timeoutMs: 2000 }).renewalInfo('https://acme.test:1/dir', 'x.y');
    expect(closed).toMatchObject({ status: 'error', message: expect.stringMatching(/ECONNREFUSED/) as unknown });
  });

  it('a window that ends before it starts, or no window, is invalid (§4.2)', () => {
    expect(parseRenewalInfo('{"suggestedWindow":{"start":"2027-01-07T00:00:00Z","end":"2027-01-03T00:00:00Z"}}', undefined)).toMatchObject({ status: 'error' });
    expect(parseRenewalInfo('{}', undefined)).toMatchObject({ status: 'error' });
    expect(parseRenewalInfo('not json', undefined)).toMatchObject({ status: 'error' });
  });

  it('the window moves the renewal: due at its start when earlier than 2/3, overdue at its end', () => {
    const nb = '2026-12-01T00:00:00.000Z';
    const na = '2027-03-01T00:00:00.000Z'; // 90 days
    const plain = timing(nb, na, new Date('2027-01-05T00:00:00Z'), DEFAULT_THRESHOLDS);
    expect(plain.dueAt).toBe('2027-01-30T00:00:00.000Z');
    const ari = timing(nb, na, new Date('2027-01-05T00:00:00Z'), DEFAULT_THRESHOLDS, { status: 'offered', windowStart: '2027-01-03T00:00:00Z', windowEnd: '2027-01-07T00:00:00Z' });
    expect(ari.dueAt).toBe('2027-01-03T00:00:00.000Z');
    expect(ari.overdueAt).toBe('2027-01-07T00:00:00.000Z');
  });

  it('TLS probe: the served certificate, verified against a bundle, and the name checked', async () => {
    const ok = await probeTls('127.0.0.1', port, 'node.example', { ca: [caPem] });
    expect(ok).toMatchObject({ verified: true, cert: { serial: '87654321' } });
    const wrongName = await probeTls('127.0.0.1', port, 'other.example', { ca: [caPem] });
    expect(wrongName).toMatchObject({ verified: false, verifyError: expect.stringMatching(/not valid for other\.example/) as unknown });
    const systemStore = await probeTls('127.0.0.1', port, 'node.example');
    expect(systemStore.verified).toBe(false);
    expect(await probeTls('127.0.0.1', 1, 'node.example')).toEqual({ error: 'connection refused' });
  });
});
