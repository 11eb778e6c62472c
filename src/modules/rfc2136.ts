// DNS-01 through certbot's RFC 2136 plugin: what the playbooks need around it, with the
// variables named as certbot's own credentials file keys (dns_rfc2136_server, _port, _name,
// _secret, _algorithm).
//
// The preflight asks the DNS server, from the controller, the two things that make a DNS-01
// issuance fail: does it answer (and for which zone is it authoritative), and may the key
// update `_acme-challenge.DOMAIN` there. It does what certbot's plugin will do: an SOA walk up
// from the name to find the zone, then a TSIG-signed UPDATE (over TCP, as the plugin sends its
// updates) that adds a throwaway TXT record at `_acme-challenge.DOMAIN` and deletes exactly that
// record again. The secret stays in memory: it is never part of a command line, a message or
// an error.
import { createHmac, randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { ControllerFact } from '../facts/types.js';

export interface Rfc2136Settings {
  server: string;
  port: number;
  name: string;
  secret: string;
  algorithm: string;
}

/** certbot's algorithm names (its `dns_rfc2136_algorithm`) → TSIG algorithm names and digests. */
const ALGORITHMS: Record<string, { wire: string; digest: string }> = {
  'HMAC-MD5': { wire: 'hmac-md5.sig-alg.reg.int', digest: 'md5' },
  'HMAC-SHA1': { wire: 'hmac-sha1', digest: 'sha1' },
  'HMAC-SHA224': { wire: 'hmac-sha224', digest: 'sha224' },
  'HMAC-SHA256': { wire: 'hmac-sha256', digest: 'sha256' },
  'HMAC-SHA384': { wire: 'hmac-sha384', digest: 'sha384' },
  'HMAC-SHA512': { wire: 'hmac-sha512', digest: 'sha512' },
};

export const RFC2136_ALGORITHMS = Object.keys(ALGORITHMS);

/** The credentials file certbot's plugin reads (INI, the plugin's own keys). */
export function credentialsIni(s: Rfc2136Settings): string {
  return [
    '# written by runbook: TSIG key for certbot-dns-rfc2136 (root only)',
    `dns_rfc2136_server = ${s.server}`,
    `dns_rfc2136_port = ${s.port}`,
    `dns_rfc2136_name = ${s.name}`,
    `dns_rfc2136_secret = ${s.secret}`,
    `dns_rfc2136_algorithm = ${s.algorithm.toUpperCase()}`,
    '',
  ].join('\n');
}

// ---- DNS wire format (RFC 1035, 2136, 8945): only what the two exchanges need ----

const TYPE = { TXT: 16, SOA: 6, TSIG: 250 } as const;
const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};
const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A name in wire form, lowercased (TSIG's canonical form; DNS compares names case-insensitively). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`DNS label too long in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rr(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

function txtRdata(text: string): Buffer {
  const b = Buffer.from(text, 'ascii');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function header(id: number, flags: number, counts: [number, number, number, number]): Buffer {
  return Buffer.concat([u16(id), u16(flags), ...counts.map(u16)]);
}

/** Sign a message (whose ARCOUNT does not yet count the TSIG record): the message with TSIG appended. */
export function signTsig(message: Buffer, key: { name: string; secret: Buffer; algorithm: string }, timeSigned: number, fudge = 300): Buffer {
  const alg = ALGORITHMS[key.algorithm.toUpperCase()];
  if (!alg) throw new Error(`unknown TSIG algorithm ${key.algorithm}`);
  const time = Buffer.alloc(6);
  time.writeUIntBE(timeSigned, 0, 6);
  const variables = Buffer.concat([encodeName(key.name), u16(CLASS.ANY), u32(0), encodeName(alg.wire), time, u16(fudge), u16(0), u16(0)]);
  const mac = createHmac(alg.digest, key.secret).update(Buffer.concat([message, variables])).digest();
  const id = message.readUInt16BE(0);
  const rdata = Buffer.concat([encodeName(alg.wire), time, u16(fudge), u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const out = Buffer.concat([message, rr(key.name, TYPE.TSIG, CLASS.ANY, 0, rdata)]);
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return out;
}

/** An UPDATE (opcode 5) for `zone` that adds (or deletes) one TXT record. */
export function txtUpdate(id: number, zone: string, name: string, value: string, op: 'add' | 'delete'): Buffer {
  const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE.SOA), u16(CLASS.IN)]);
  // RFC 2136 2.5.1 adds with class IN and a TTL; 2.5.4 deletes one RR with class NONE and TTL 0
  const update = op === 'add' ? rr(name, TYPE.TXT, CLASS.IN, 60, txtRdata(value)) : rr(name, TYPE.TXT, CLASS.NONE, 0, txtRdata(value));
  return Buffer.concat([header(id, 5 << 11, [1, 0, 1, 0]), zoneSection, update]);
}

/** A standard, non-recursive SOA query. */
export function soaQuery(id: number, name: string): Buffer {
  return Buffer.concat([header(id, 0, [1, 0, 0, 0]), encodeName(name), u16(TYPE.SOA), u16(CLASS.IN)]);
}

/** Skip a (possibly compressed) name; the offset after it. */
function skipName(buf: Buffer, offset: number): number {
  let o = offset;
  for (;;) {
    const len = buf[o];
    if (len === undefined) throw new Error('truncated DNS name');
    if ((len & 0xc0) === 0xc0) return o + 2;
    if (len === 0) return o + 1;
    o += len + 1;
  }
}

export interface DnsResponse {
  id: number;
  rcode: number;
  authoritative: boolean;
  /** answer records: their types */
  answerTypes: number[];
  /** the TSIG record's error, when the response carries one (BADKEY, BADSIG, BADTIME) */
  tsigError?: number;
}

export function parseResponse(buf: Buffer): DnsResponse {
  if (buf.length < 12) throw new Error('short DNS response');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o)) as [number, number, number, number];
  let o = 12;
  for (let i = 0; i < qd; i++) o = skipName(buf, o) + 4;
  const answerTypes: number[] = [];
  let tsigError: number | undefined;
  for (let i = 0; i < an + ns + ar; i++) {
    o = skipName(buf, o);
    const type = buf.readUInt16BE(o);
    const rdlen = buf.readUInt16BE(o + 8);
    const rdata = o + 10;
    if (i < an) answerTypes.push(type);
    if (type === TYPE.TSIG) tsigError = readTsigError(buf, rdata);
    o = rdata + rdlen;
  }
  return { id, rcode: flags & 0x0f, authoritative: (flags & 0x0400) !== 0, answerTypes, ...(tsigError !== undefined ? { tsigError } : {}) };
}

function readTsigError(buf: Buffer, rdata: number): number {
  let r = skipName(buf, rdata); // algorithm
  r += 6 + 2; // time signed, fudge
  const macSize = buf.readUInt16BE(r);
  r += 2 + macSize + 2; // MAC, original id
  return buf.readUInt16BE(r);
}

/** One request over TCP (2-byte length prefix), the response parsed. */
export function exchangeTcp(server: string, port: number, message: Buffer, timeoutMs: number): Promise<DnsResponse> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | undefined, value?: DnsResponse): void => {
      if (settled) return;
      settled = true;
      s.destroy();
      if (err) reject(err);
      else if (value) resolve(value);
    };
    s.setTimeout(timeoutMs, () => done(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    s.on('error', (err) => done(err));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        try {
          done(undefined, parseResponse(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        } catch (e) {
          done(e as Error);
        }
      }
    });
    s.on('end', () => done(Object.assign(new Error('connection closed without an answer'), { code: 'ECONNRESET' })));
    s.connect(port, server, () => s.write(Buffer.concat([u16(message.length), message])));
  });
}

// ---- the preflight check ----

export interface Rfc2136Check {
  ok: boolean;
  /** what was found; for failures, what to fix */
  msg: string;
  /** the zone the server is authoritative for (found by the SOA walk) */
  zone?: string;
}

/** Parent names of `name`, itself first: a.b.example.org → a.b.example.org, b.example.org, example.org, org. */
function ancestors(name: string): string[] {
  const labels = name.replace(/\.$/, '').split('.');
  return labels.map((_, i) => labels.slice(i).join('.')).filter((n) => n.length > 0);
}

function unreachable(s: Rfc2136Settings, err: unknown, timeoutMs: number): Rfc2136Check {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const why =
    code === 'ETIMEDOUT'
      ? `no answer within ${timeoutMs / 1000}s`
      : code === 'ECONNREFUSED'
        ? 'connection refused: nothing listens there'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? `no route to it (${code})`
          : `${code || 'error'}: ${(err as Error).message}`;
  return {
    ok: false,
    msg: `the DNS server ${s.server} port ${s.port} (dns_rfc2136_server, dns_rfc2136_port) does not answer over TCP (${why}): check the address and port, that the server runs, and that a firewall lets TCP port ${s.port} through`,
  };
}

/**
 * Does the server answer, for which zone is it authoritative, and may the key update
 * `_acme-challenge.DOMAIN` there? Adds a throwaway TXT record and deletes it again. Messages
 * name the variable to fix and never contain the secret.
 */
export async function checkRfc2136(s: Rfc2136Settings, domain: string, options: { timeoutMs?: number; now?: () => number } = {}): Promise<Rfc2136Check> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const alg = ALGORITHMS[s.algorithm.toUpperCase()];
  if (!alg) return { ok: false, msg: `dns_rfc2136_algorithm ${s.algorithm} is not one certbot knows: use one of ${RFC2136_ALGORITHMS.join(', ')}` };
  const secret = Buffer.from(s.secret, 'base64');
  if (secret.length === 0 || secret.toString('base64').replace(/=+$/, '') !== s.secret.trim().replace(/=+$/, '')) {
    return { ok: false, msg: `dns_rfc2136_secret for key ${s.name} is not base64 (as in the server's key statement \`secret "...";\`): copy it from the server's key file` };
  }
  const record = `_acme-challenge.${domain.replace(/\.$/, '')}`;

  // the zone: the closest enclosing name the server answers SOA for, authoritatively
  let zone: string | undefined;
  for (const candidate of ancestors(record)) {
    let r: DnsResponse;
    try {
      r = await exchangeTcp(s.server, s.port, soaQuery(randomBytes(2).readUInt16BE(0), candidate), timeoutMs);
    } catch (err) {
      return unreachable(s, err, timeoutMs);
    }
    if (r.rcode === 0 && r.authoritative && r.answerTypes.includes(TYPE.SOA)) {
      zone = candidate;
      break;
    }
  }
  if (!zone) {
    return {
      ok: false,
      msg: `the DNS server ${s.server} port ${s.port} answers but is authoritative for no zone holding ${record}: point dns_rfc2136_server at the primary server of ${domain}'s zone`,
    };
  }

  const value = `runbook-preflight-${randomBytes(6).toString('hex')}`;
  const key = { name: s.name, secret, algorithm: s.algorithm };
  const now = options.now ?? ((): number => Math.floor(Date.now() / 1000));
  const send = async (op: 'add' | 'delete'): Promise<DnsResponse> =>
    exchangeTcp(s.server, s.port, signTsig(txtUpdate(randomBytes(2).readUInt16BE(0), zone ?? '', record, value, op), key, now()), timeoutMs);
  let added: DnsResponse;
  try {
    added = await send('add');
  } catch (err) {
    return unreachable(s, err, timeoutMs);
  }
  const tsig = added.tsigError !== undefined ? TSIG_ERRORS[added.tsigError] ?? String(added.tsigError) : undefined;
  if (added.rcode === 0) {
    try {
      const removed = await send('delete');
      if (removed.rcode !== 0) {
        return { ok: true, zone, msg: `key ${s.name} may update ${record} in zone ${zone}, but the test record ${value} could not be deleted (${RCODE_NAMES[removed.rcode] ?? removed.rcode}): delete it by hand` };
      }
    } catch (err) {
      return { ok: true, zone, msg: `key ${s.name} may update ${record} in zone ${zone}; deleting the test record ${value} failed (${(err as Error).message}): delete it by hand` };
    }
    return { ok: true, zone, msg: `the DNS server ${s.server}:${s.port} is authoritative for ${zone} and key ${s.name} may update ${record} (a test TXT record was added and deleted)` };
  }
  if (tsig === 'BADKEY') {
    return { ok: false, zone, msg: `the DNS server ${s.server} does not know the TSIG key ${s.name}: check dns_rfc2136_name (it must match the server's key statement, e.g. BIND's \`key "${s.name}" { ... }\`)` };
  }
  if (tsig === 'BADSIG') {
    return { ok: false, zone, msg: `the DNS server ${s.server} rejects the signature of key ${s.name} (BADSIG): dns_rfc2136_secret or dns_rfc2136_algorithm (${s.algorithm}) do not match the server's key` };
  }
  if (tsig === 'BADTIME') {
    return { ok: false, zone, msg: `the DNS server ${s.server} rejects the signing time (BADTIME): this controller's clock and the server's differ by more than 5 minutes: fix the clocks (NTP)` };
  }
  if (added.rcode === 5) {
    return {
      ok: false,
      zone,
      msg: `key ${s.name} may not update ${record} in zone ${zone} (REFUSED): allow it on the DNS server, e.g. BIND's update-policy { grant ${s.name} name ${record}. TXT; };`,
    };
  }
  if (added.rcode === 9 || added.rcode === 10) {
    return { ok: false, zone, msg: `the DNS server ${s.server} is not the primary for zone ${zone} (${RCODE_NAMES[added.rcode] ?? added.rcode}): point dns_rfc2136_server at the server that takes updates for ${zone}` };
  }
  return { ok: false, zone, msg: `the DNS server ${s.server} refused the test update of ${record} in zone ${zone} (${RCODE_NAMES[added.rcode] ?? added.rcode}${tsig ? `, TSIG ${tsig}` : ''})` };
}

/**
 * The check as a controller-side fact for acme_preflight: every name asked in turn (each adds
 * and deletes its own throwaway record).
 */
export function rfc2136Fact(s: Rfc2136Settings, domains: readonly string[], timeoutMs: number): ControllerFact<Array<{ domain: string; check: Rfc2136Check }>> {
  return {
    name: 'rfc2136',
    controller: true,
    async read() {
      const out: Array<{ domain: string; check: Rfc2136Check }> = [];
      for (const domain of domains) out.push({ domain, check: await checkRfc2136(s, domain, { timeoutMs }) });
      return out;
    },
  };
}
