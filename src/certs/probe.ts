// From the controller: what a node really serves (a TLS handshake to its port 443 with each
// name as SNI), and the ACME server's renewal window for a certificate (ARI, RFC 9773).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as tlsConnect, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { isIP, type LookupFunction } from 'node:net';
import { parseCertificate, type CertInfo } from './x509.js';
import type { AriInfo } from './types.js';

export interface TlsResult {
  cert?: CertInfo;
  verified?: boolean;
  verifyError?: string;
  error?: string;
}

export interface ProbeOptions {
  /** PEM bundle replacing the system store (a private ACME CA, the lab's Pebble) */
  ca?: string[];
  timeoutMs?: number;
}

// Building a context parses every CA of the bundle (the system store is ~150 certificates): done
// once per bundle, not once per handshake, which at 200 hosts x 4 names was most of the CPU and
// memory of a report.
const contexts = new WeakMap<readonly string[], SecureContext>();

function contextFor(ca: readonly string[]): SecureContext {
  let c = contexts.get(ca);
  if (!c) {
    c = createSecureContext({ ca: [...ca] });
    contexts.set(ca, c);
  }
  return c;
}

/** One TLS handshake to address:port with `servername` as SNI; never throws. */
export function probeTls(address: string, port: number, servername: string, o: ProbeOptions = {}): Promise<TlsResult> {
  return new Promise((resolveResult) => {
    let settled = false;
    const done = (r: TlsResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolveResult(r);
    };
    const socket = tlsConnect({
      host: address,
      port,
      ...(isIP(servername) ? {} : { servername }),
      // we verify ourselves below, to report a bad chain instead of refusing to look
      rejectUnauthorized: false,
      ...(o.ca ? { secureContext: contextFor(o.ca) } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => done({ error: `no TLS answer within ${(o.timeoutMs ?? 5000) / 1000} s` }), o.timeoutMs ?? 5000);
    socket.once('secureConnect', () => {
      try {
        const x = socket.getPeerX509Certificate();
        if (!x) return done({ error: 'the server sent no certificate' });
        const cert = parseCertificate(x);
        let verified = socket.authorized;
        let verifyError = socket.authorizationError ? String(socket.authorizationError) : undefined;
        const nameMismatch = `the certificate is not valid for ${servername} (names: ${cert.names.join(', ') || 'none'})`;
        if (verifyError === 'ERR_TLS_CERT_ALTNAME_INVALID') verifyError = nameMismatch;
        if (verified) {
          // the chain is good; the name must be in it too (what a browser checks next)
          const matches = isIP(servername) ? x.checkIP(servername) !== undefined : x.checkHost(servername) !== undefined;
          if (!matches) {
            verified = false;
            verifyError = nameMismatch;
          }
        }
        done({ cert, verified, ...(verifyError ? { verifyError } : {}) });
      } catch (e) {
        done({ error: e instanceof Error ? e.message : String(e) });
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code === 'ECONNREFUSED' ? 'connection refused' : e.message }));
  });
}

export interface HttpOptions {
  ca?: string[];
  /** connections to reuse (AriClient's own: never shared with a client that trusts other CAs) */
  agent?: HttpsAgent;
  /** NAME:PORT:ADDRESS overrides of name resolution, as curl --resolve */
  resolve?: Map<string, string>;
  timeoutMs?: number;
}

/** curl-style `--resolve NAME:PORT:ADDR` entries → a lookup for node:https */
function lookupWith(resolve: Map<string, string> | undefined, port: string): LookupFunction | undefined {
  if (!resolve || resolve.size === 0) return undefined;
  return ((hostname: string, options: { all?: boolean }, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    const addr = resolve.get(`${hostname}:${port}`) ?? resolve.get(`${hostname}:*`);
    if (addr === undefined) {
      dnsLookup(hostname, options, cb as never);
      return;
    }
    const family = isIP(addr) === 6 ? 6 : 4;
    if (options.all) cb(null, [{ address: addr, family }]);
    else cb(null, addr, family);
  });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const rootsAdded = new WeakMap<readonly string[], readonly string[]>();

/** node's roots plus a private CA bundle, the same array for the same bundle (so its context is cached) */
function withRoots(ca: readonly string[]): readonly string[] {
  let all = rootsAdded.get(ca);
  if (!all) {
    all = [...rootCertificates, ...ca];
    rootsAdded.set(ca, all);
  }
  return all;
}

/** GET over HTTPS with a size cap; throws with a message fit for a report. */
export function httpsGet(url: string, o: HttpOptions = {}): Promise<HttpResponse> {
  return new Promise((resolveRes, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new Error(`not a URL: ${url}`));
      return;
    }
    if (u.protocol !== 'https:') {
      reject(new Error(`not an https URL: ${url}`));
      return;
    }
    const lookup = lookupWith(o.resolve, u.port || '443');
    const req = httpsRequest(
      u,
      {
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'runbook-certs' },
        // with an agent, the trust store is the agent's; without, this request's own connection
        ...(o.agent ? { agent: o.agent } : o.ca ? { secureContext: contextFor(withRoots(o.ca)), agent: false } : {}),
        ...(lookup ? { lookup } : {}),
        timeout: o.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.length > 256 * 1024) req.destroy(new Error('answer larger than 256 KiB'));
        });
        res.on('end', () => resolveRes({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${(o.timeoutMs ?? 5000) / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * ARI client: directory → renewalInfo URL (absent: "ARI not offered") → the certificate's
 * suggested window. One directory fetch per ACME server per report.
 */
export class AriClient {
  private readonly directories = new Map<string, Promise<{ renewalInfo?: string; error?: string }>>();
  private readonly o: HttpOptions;
  constructor(o: HttpOptions = {}) {
    // kept-alive connections, the trust store parsed once; a pool of its own so a connection
    // made under one client's CAs never serves another client (the global agent's pool key
    // does not see a secureContext)
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(o.ca ? { secureContext: contextFor(withRoots(o.ca)) } : {}) });
    this.o = { ...o, agent };
  }

  /** Close the kept-alive connections (the report is done). */
  close(): void {
    this.o.agent?.destroy();
  }

  private directory(url: string): Promise<{ renewalInfo?: string; error?: string }> {
    let p = this.directories.get(url);
    if (!p) {
      p = httpsGet(url, this.o).then(
        (r) => {
          if (r.status !== 200) return { error: `directory ${url} answered HTTP ${r.status}` };
          try {
            const dir = JSON.parse(r.body) as Record<string, unknown>;
            return typeof dir.renewalInfo === 'string' ? { renewalInfo: dir.renewalInfo } : {};
          } catch {
            return { error: `directory ${url} is not JSON` };
          }
        },
        (e: unknown) => ({ error: `directory ${url}: ${e instanceof Error ? e.message : String(e)}` }),
      );
      this.directories.set(url, p);
    }
    return p;
  }

  async renewalInfo(directoryUrl: string, certId: string | undefined): Promise<AriInfo> {
    const dir = await this.directory(directoryUrl);
    if (dir.error) return { status: 'error', directory: directoryUrl, message: dir.error };
    if (!dir.renewalInfo) return { status: 'not-offered', directory: directoryUrl, message: 'ARI not offered' };
    if (!certId) return { status: 'error', directory: directoryUrl, message: 'the certificate has no Authority Key Identifier: no ARI CertID' };
    const url = `${dir.renewalInfo.replace(/\/+$/, '')}/${certId}`;
    let r: HttpResponse;
    try {
      r = await httpsGet(url, this.o);
    } catch (e) {
      return { status: 'error', directory: directoryUrl, message: `${url}: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (r.status !== 200) return { status: 'error', directory: directoryUrl, message: `${url} answered HTTP ${r.status}` };
    return parseRenewalInfo(r.body, r.headers['retry-after'], directoryUrl);
  }
}

/** RFC 9773 §4.2: {"suggestedWindow": {"start", "end"}, "explanationURL"?}; Retry-After header. */
export function parseRenewalInfo(body: string, retryAfter: string | string[] | undefined, directory?: string): AriInfo {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { status: 'error', ...(directory ? { directory } : {}), message: 'renewalInfo is not JSON' };
  }
  const w = (data as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
  const start = typeof w?.start === 'string' ? Date.parse(w.start) : NaN;
  const end = typeof w?.end === 'string' ? Date.parse(w.end) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) return { status: 'error', ...(directory ? { directory } : {}), message: 'renewalInfo has no valid suggestedWindow' };
  // §4.2: a window whose end is not after its start is invalid
  if (end <= start) return { status: 'error', ...(directory ? { directory } : {}), message: 'renewalInfo suggestedWindow ends before it starts' };
  const out: AriInfo = { status: 'offered', windowStart: new Date(start).toISOString(), windowEnd: new Date(end).toISOString(), ...(directory ? { directory } : {}) };
  const explanation = (data as { explanationURL?: unknown }).explanationURL;
  if (typeof explanation === 'string') out.explanationUrl = explanation;
  const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (ra !== undefined) {
    const secs = /^\d+$/.test(ra.trim()) ? Number(ra) : Math.round((Date.parse(ra) - Date.now()) / 1000);
    if (Number.isFinite(secs) && secs >= 0) out.retryAfter = secs;
  }
  return out;
}

/** `NAME:PORT:ADDRESS` (curl --resolve) → map key `NAME:PORT` */
export function parseResolve(entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const m = /^([^:]+):(\d+|\*):(.+)$/.exec(e.trim());
    if (!m?.[1] || !m[3]) throw new Error(`--resolve ${e}: expected NAME:PORT:ADDRESS (as curl's --resolve)`);
    out.set(`${m[1].toLowerCase()}:${m[2] ?? '*'}`, m[3].replace(/^\[|\]$/g, ''));
  }
  return out;
}
