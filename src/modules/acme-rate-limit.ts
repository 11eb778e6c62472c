// Let's Encrypt rate limits, checked before a rollout starts instead of discovered halfway
// through a fleet: at most 50 new certificates per registered domain (eTLD+1) per week, and 5
// certificates for the exact same set of names per week. Pure functions: the engine (or the
// `acme_rate_limit` module, run once) gives every host's planned names; nothing here talks to
// the network. Renewals of an existing certificate (same names) are exempt from the 50 limit.
import { isLetsEncrypt, LE_PRODUCTION, LE_STAGING } from './certbot-plan.js';

export const LE_NEW_CERTS_PER_REGISTERED_DOMAIN = 50;
export const LE_STAGING_NEW_CERTS_PER_REGISTERED_DOMAIN = 30_000;
export const LE_DUPLICATE_CERTS_PER_WEEK = 5;

/**
 * Public suffixes with more than one label that operators commonly use (a small, embedded
 * slice of the Public Suffix List: no network and no new dependency). Anything else is
 * treated as a one-label TLD (`org`, `de`, `test`), so `allmon.lab.test` → `lab.test`.
 */
const MULTI_LABEL_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'me.uk', 'ac.uk', 'gov.uk', 'ltd.uk', 'plc.uk', 'net.uk', 'sch.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au', 'id.au', 'asn.au',
  'co.nz', 'net.nz', 'org.nz', 'ac.nz', 'geek.nz',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'com.br', 'net.br', 'org.br', 'com.ar', 'com.mx', 'org.mx',
  'co.za', 'org.za', 'net.za', 'co.in', 'net.in', 'org.in', 'firm.in', 'gen.in', 'ind.in',
  'com.cn', 'net.cn', 'org.cn', 'com.hk', 'com.sg', 'com.tw', 'co.kr', 'or.kr', 'co.il', 'org.il',
  'com.tr', 'com.pl', 'net.pl', 'org.pl', 'co.at', 'or.at', 'com.es', 'org.es',
  // dynamic DNS and hosting platforms on the Public Suffix List (each subdomain is its own registered domain)
  'duckdns.org', 'dyndns.org', 'no-ip.org', 'ddns.net', 'noip.me', 'freeddns.org', 'dynu.net',
  'github.io', 'gitlab.io', 'netlify.app', 'vercel.app', 'pages.dev', 'herokuapp.com',
]);

/** The registered domain (eTLD+1) a name counts against: `node1.allstar.example.org` → `example.org`. */
export function registeredDomain(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '').replace(/^\*\./, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(n) || n.includes(':')) return n; // IP address certificates
  const labels = n.split('.');
  if (labels.length <= 2) return n;
  for (const take of [3, 2]) {
    const suffix = labels.slice(-take).join('.');
    if (MULTI_LABEL_SUFFIXES.has(suffix)) return labels.length > take ? labels.slice(-(take + 1)).join('.') : n;
  }
  return labels.slice(-2).join('.');
}

export interface PlannedCertificate {
  host?: string;
  /** the names on the certificate; the first is the certificate name */
  domains: string[];
  /** ACME directory it will be requested from (default: the options' server) */
  server?: string;
  /** the host already has a valid certificate for these names: no new certificate */
  existing?: boolean;
}

export interface RateLimitOptions {
  /** ACME directory URL (default Let's Encrypt production) */
  server?: string;
  /** shortcut for Let's Encrypt staging */
  staging?: boolean;
  /** certificates already issued this week per registered domain (e.g. from crt.sh), counted too */
  issuedThisWeek?: Record<string, number>;
  /** a raised limit granted by Let's Encrypt */
  limit?: number;
  /** the operator's explicit "I know": report, but do not refuse */
  override?: boolean;
  /** the variable that overrides, named in the message */
  overrideName?: string;
}

export interface RegisteredDomainCount {
  registeredDomain: string;
  /** new certificates this run would request */
  planned: number;
  issuedThisWeek: number;
  limit: number;
  hosts: string[];
}

export interface RateLimitReport {
  /** false: refuse to start */
  ok: boolean;
  /** limits known for the server (Let's Encrypt); other ACME servers are not checked */
  applies: boolean;
  server: string;
  counts: RegisteredDomainCount[];
  violations: string[];
  overridden: boolean;
  /** one paragraph a person reads */
  message: string;
}

function limitFor(server: string, opts: RateLimitOptions): number {
  if (opts.limit !== undefined) return opts.limit;
  return server === LE_STAGING ? LE_STAGING_NEW_CERTS_PER_REGISTERED_DOMAIN : LE_NEW_CERTS_PER_REGISTERED_DOMAIN;
}

/**
 * Count the new certificates a run would request per registered domain and compare with Let's
 * Encrypt's weekly limits. `planned` is one entry per host: a domain string (one-name
 * certificate) or a PlannedCertificate.
 */
export function checkRateLimits(planned: ReadonlyArray<string | PlannedCertificate>, opts: RateLimitOptions = {}): RateLimitReport {
  const defaultServer = opts.server || (opts.staging ? LE_STAGING : LE_PRODUCTION);
  const certs: PlannedCertificate[] = planned.map((p) => (typeof p === 'string' ? { domains: [p] } : p));
  const overrideName = opts.overrideName ?? 'acme_rate_limit_override';

  const counts = new Map<string, RegisteredDomainCount>();
  const dupes = new Map<string, { n: number; hosts: string[]; server: string }>();
  let applies = false;
  for (const c of certs) {
    const server = c.server || defaultServer;
    if (!isLetsEncrypt(server) || c.existing) continue;
    applies = true;
    const names = [...new Set(c.domains.map((d) => d.trim().toLowerCase()).filter(Boolean))];
    if (names.length === 0) continue;
    const host = c.host ?? names[0] ?? '';
    // one certificate counts once for each registered domain among its names
    for (const rd of new Set(names.map(registeredDomain))) {
      const key = `${server}\n${rd}`;
      const e = counts.get(key) ?? { registeredDomain: rd, planned: 0, issuedThisWeek: opts.issuedThisWeek?.[rd] ?? 0, limit: limitFor(server, opts), hosts: [] };
      e.planned++;
      if (!e.hosts.includes(host)) e.hosts.push(host);
      counts.set(key, e);
    }
    const setKey = `${server}\n${[...names].sort().join(',')}`;
    const d = dupes.get(setKey) ?? { n: 0, hosts: [], server };
    d.n++;
    d.hosts.push(host);
    dupes.set(setKey, d);
  }
  if (!applies) {
    const anyLe = certs.some((c) => isLetsEncrypt(c.server || defaultServer));
    return {
      ok: true,
      applies: anyLe,
      server: defaultServer,
      counts: [],
      violations: [],
      overridden: false,
      message: anyLe ? "no new Let's Encrypt certificates planned" : `no known rate limits for ${defaultServer}: not checked`,
    };
  }

  const violations: string[] = [];
  for (const e of counts.values()) {
    const total = e.planned + e.issuedThisWeek;
    if (total > e.limit) {
      const already = e.issuedThisWeek ? ` (+ ${e.issuedThisWeek} already issued this week)` : '';
      const list = e.hosts.length > 5 ? `${e.hosts.slice(0, 5).join(', ')} and ${e.hosts.length - 5} more` : e.hosts.join(', ');
      violations.push(
        `${e.planned} new certificates under ${e.registeredDomain}${already} exceed Let's Encrypt's limit of ${e.limit} per registered domain per week (hosts: ${list})`,
      );
    }
  }
  for (const [key, d] of dupes) {
    if (d.n > LE_DUPLICATE_CERTS_PER_WEEK) {
      violations.push(
        `${d.n} certificates for the same names (${key.split('\n')[1] ?? ''}) exceed Let's Encrypt's limit of ${LE_DUPLICATE_CERTS_PER_WEEK} duplicate certificates per week (hosts: ${d.hosts.join(', ')})`,
      );
    }
  }
  const summary = [...counts.values()].map((e) => `${e.registeredDomain}: ${e.planned + e.issuedThisWeek}/${e.limit}`).join(', ');
  if (violations.length === 0) {
    return { ok: true, applies, server: defaultServer, counts: [...counts.values()], violations, overridden: false, message: `within Let's Encrypt's weekly limits (${summary})` };
  }
  const fix =
    `Roll out in smaller runs a week apart (--limit), test against staging first (acme_staging: true), ` +
    `or, if Let's Encrypt raised your limit, set ${overrideName}: true`;
  const overridden = opts.override === true;
  return {
    ok: overridden,
    applies,
    server: defaultServer,
    counts: [...counts.values()],
    violations,
    overridden,
    message: overridden
      ? `rate limits would be exceeded, continuing because ${overrideName} is true: ${violations.join('; ')}`
      : `refusing to start: ${violations.join('; ')}. ${fix}`,
  };
}
