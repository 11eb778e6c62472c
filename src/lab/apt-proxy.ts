// The lab's apt proxy: lab hosts have no route off the machine (no NAT, no forwarding), so
// apt inside a full host reaches the Debian mirror only through this HTTP forward proxy on
// the lab bridge. It forwards GET and HEAD, on port 80, to the mirror hosts named in this
// machine's apt sources and nothing else; downloaded .deb files (immutable by name) are
// cached so rebuilding images and hosts is fast. It runs as a detached node process
// (apt-proxy-main.ts), started and recorded by PID.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, normalize } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Sources of this machine's apt: deb822 `*.sources` and one-line `*.list` / sources.list. */
export function readAptSources(root = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const dir = join(root, 'sources.list.d');
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
  for (const f of [join(root, 'sources.list'), ...files]) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    if (f.endsWith('.sources')) out.push(...parseDeb822(text));
    else if (f.endsWith('.list')) out.push(...parseOneLine(text));
  }
  return out;
}

export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    const components = (fields.get('components') ?? 'main').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites, components });
  }
  return out;
}

export function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [options] uri suite component...
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m?.[1] && m[2]) out.push({ uri: m[1], suites: [m[2]], components: (m[3] ?? '').split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** Host names the proxy may forward to. */
export function mirrorHosts(sources: readonly AptSource[]): string[] {
  const hosts = new Set<string>();
  for (const s of sources) {
    try {
      const u = new URL(s.uri);
      if (u.protocol === 'http:' || u.protocol === 'https:') hosts.add(u.hostname);
    } catch {
      // not a URL (cdrom:, file:): nothing to allow
    }
  }
  return [...hosts];
}

export type ProxyDecision = { ok: true; url: URL } | { ok: false; status: number; reason: string };

/** The whole policy: GET/HEAD, absolute http:// URL, port 80, an allowed mirror host. */
export function decide(method: string | undefined, target: string | undefined, allowed: ReadonlySet<string>): ProxyDecision {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: `method ${method ?? '?'} not allowed` };
  let url: URL;
  try {
    url = new URL(target ?? '');
  } catch {
    return { ok: false, status: 400, reason: 'not an absolute URL (this is a forward proxy)' };
  }
  if (url.protocol !== 'http:') return { ok: false, status: 403, reason: 'only http:// is forwarded' };
  if (url.port !== '' && url.port !== '80') return { ok: false, status: 403, reason: 'only port 80 is forwarded' };
  if (!allowed.has(url.hostname)) return { ok: false, status: 403, reason: `destination ${url.hostname} not allowed` };
  return { ok: true, url };
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

/** Cache path of a .deb (immutable by name), or undefined when the response is not cacheable. */
export function cachePath(cacheDir: string, url: URL, method: string, headers: http.IncomingHttpHeaders): string | undefined {
  if (method !== 'GET' || !url.pathname.endsWith('.deb') || headers.range !== undefined || url.search !== '') return undefined;
  const p = normalize(decodeURIComponent(url.pathname));
  if (p.includes('..')) return undefined;
  return join(cacheDir, url.hostname, p);
}

export function createAptProxy(opts: { allowed: ReadonlySet<string>; cacheDir: string; log?: (line: string) => void }): http.Server {
  const log = opts.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    const d = decide(req.method, req.url, opts.allowed);
    if (!d.ok) {
      log(`${req.socket.remoteAddress ?? '?'} ${req.method ?? '?'} ${req.url ?? ''} -> ${d.status} ${d.reason}`);
      res.writeHead(d.status, { 'content-type': 'text/plain' }).end(`runbook lab apt proxy: ${d.reason}\n`);
      return;
    }
    const url = d.url;
    const method = req.method ?? 'GET';
    const cpath = cachePath(opts.cacheDir, url, method, req.headers);
    if (cpath && existsSync(cpath)) {
      res.writeHead(200, { 'content-length': statSync(cpath).size, 'content-type': 'application/vnd.debian.binary-package', 'x-lab-cache': 'HIT' });
      createReadStream(cpath).pipe(res);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    const up = http.request({ host: url.hostname, port: 80, path: `${url.pathname}${url.search}`, method, headers, timeout: 60_000 }, (ur) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, out);
      if (cpath && ur.statusCode === 200) {
        mkdirSync(dirname(cpath), { recursive: true });
        const tmp = `${cpath}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
        const file = createWriteStream(tmp);
        ur.on('data', (c: Buffer) => file.write(c));
        ur.on('end', () => {
          file.end(() => {
            if (ur.complete) renameSync(tmp, cpath);
            else rmSync(tmp, { force: true });
          });
        });
        ur.on('error', () => rmSync(tmp, { force: true }));
      }
      // An upstream that dies mid-body must not leave apt waiting on a response that never
      // ends (pipe() does not end the client's side on an error): the client sees the
      // connection drop and retries or fails.
      ur.on('close', () => {
        if (!ur.complete) res.destroy();
      });
      ur.pipe(res);
    });
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', (e) => {
      log(`upstream error for ${url.href}: ${e.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`runbook lab apt proxy: upstream error: ${e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  });
  // Node closes an idle keep-alive connection after 5 s; apt keeps its connection to the proxy
  // across the gaps of an update (a signature check, the next index), and a close that races
  // apt's next request is one more way for it to fail. An `apt-get update` through the proxy once
  // hung until a test's 600 s timeout with its connection closed by the proxy this way (whether
  // that caused the hang is not known); apt closes its connections itself when it is done.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  // CONNECT (https tunnels) is refused: only the mirror's plain http is allowed
  server.on('connect', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  return server;
}
