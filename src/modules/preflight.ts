// acme_preflight: everything that would make an HTTP-01 issuance fail (and burn one of Let's
// Encrypt's 5 failed validations per hostname per hour) checked before anything is requested
// or changed: the domain resolves to this host (asked from the controller, optionally through
// the resolver the ACME server uses), port 80 is reachable from outside the host, a web server
// answers for the name (apache), Apache's configuration is valid, and port 80 can be freed
// (standalone). Also tells the rate-limit check whether this host needs a new certificate.
import { Resolver } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import { raw, sh } from '../transport/command.js';
import type { HostFacts } from '../facts/types.js';
import type { ModuleDefinition } from './types.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { certbotProbe, parseCertbotState, type CertbotHostState } from './certbot-state.js';
import { parseUfwStatus, UFW_PROBE, type UfwStatus } from './ufw.js';
import { daysLeft, findLineage, normaliseDomains, port80Hooks, serverUrl, type CertbotPlugin } from './certbot-plan.js';

export interface PreflightArgs {
  domains?: string[] | string;
  domain?: string;
  resolver?: string;
  addresses?: string[] | string;
  plugin?: CertbotPlugin;
  free_port_80?: boolean | string;
  check_port_80?: boolean | string;
  server?: string;
  staging?: boolean | string;
  min_days_left?: number;
  timeout?: number;
  firewall_opens?: boolean | string;
}

export interface CheckResult {
  check: 'dns' | 'port80' | 'http' | 'apache' | 'port80_holder';
  domain?: string;
  ok: boolean;
  /** what was found; for failures, also what to fix */
  msg: string;
  warning?: boolean;
}

export interface DnsAnswer {
  a: string[];
  aaaa: string[];
  /** resolver error code when nothing came back (ENOTFOUND, ETIMEOUT, ...) */
  error?: string;
}

/** Resolve A and AAAA, through `resolver` (`IP` or `IP:PORT`) or the controller's resolver. */
export async function resolveDomain(domain: string, resolver: string | undefined, timeoutMs = 3000): Promise<DnsAnswer> {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (resolver) r.setServers([resolver]);
  const settle = async (p: Promise<string[]>): Promise<{ v: string[]; e?: string }> => {
    try {
      return { v: await p };
    } catch (err) {
      return { v: [], e: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  };
  const [a, aaaa] = await Promise.all([settle(r.resolve4(domain)), settle(r.resolve6(domain))]);
  const answer: DnsAnswer = { a: a.v, aaaa: aaaa.v };
  if (a.v.length === 0 && aaaa.v.length === 0) answer.error = a.e ?? aaaa.e ?? 'ENODATA';
  return answer;
}

/** Pure: does the DNS answer point at the host? */
export function judgeDns(domain: string, answer: DnsAnswer, hostAddresses: readonly string[], resolver: string | undefined): CheckResult[] {
  const asked = resolver ? `asked ${resolver}` : "asked the controller's resolver";
  if (answer.a.length === 0 && answer.aaaa.length === 0) {
    const why = answer.error === 'ETIMEOUT' || answer.error === 'ECONNREFUSED' ? `the resolver did not answer (${answer.error})` : `no A/AAAA record (${answer.error ?? 'ENODATA'})`;
    return [
      {
        check: 'dns',
        domain,
        ok: false,
        msg: `${domain} does not resolve: ${why}, ${asked}. Create a DNS A record for ${domain} pointing at this host${hostAddresses[0] ? ` (${hostAddresses[0]})` : ''}`,
      },
    ];
  }
  if (hostAddresses.length === 0) {
    return [{ check: 'dns', domain, ok: true, warning: true, msg: `${domain} resolves to ${[...answer.a, ...answer.aaaa].join(', ')}; this host's addresses are unknown (no facts): not compared` }];
  }
  const out: CheckResult[] = [];
  const aMatch = answer.a.filter((x) => hostAddresses.includes(x));
  const aaaaMatch = answer.aaaa.filter((x) => hostAddresses.includes(x));
  if (aMatch.length === 0 && aaaaMatch.length === 0) {
    out.push({
      check: 'dns',
      domain,
      ok: false,
      msg:
        `${domain} resolves to ${[...answer.a, ...answer.aaaa].join(', ')} (${asked}), not to this host (${hostAddresses.join(', ')}): ` +
        `point its A record at this host, or give the host's public address in preflight addresses if it is behind NAT`,
    });
    return out;
  }
  out.push({ check: 'dns', domain, ok: true, msg: `${domain} resolves to this host (${[...aMatch, ...aaaaMatch].join(', ')})` });
  const strayA = answer.a.filter((x) => !hostAddresses.includes(x));
  const strayAAAA = answer.aaaa.filter((x) => !hostAddresses.includes(x));
  if (strayA.length || strayAAAA.length) {
    out.push({
      check: 'dns',
      domain,
      ok: true,
      warning: true,
      msg: `${domain} also resolves to ${[...strayA, ...strayAAAA].join(', ')}, not this host: the ACME server may validate there (it prefers IPv6) and fail`,
    });
  }
  return out;
}

export type PortProbe = { kind: 'open'; status?: number; statusLine?: string } | { kind: 'refused' } | { kind: 'timeout' } | { kind: 'error'; code: string };

/**
 * Connect to address:port from the controller; with `host`, send one HTTP/1.1 GET for that
 * name and read the status line (a web server answers for the name).
 */
export function probePort(address: string, port: number, host: string | undefined, timeoutMs = 5000): Promise<PortProbe> {
  return new Promise((resolve) => {
    const s = new Socket();
    let done = false;
    let buf = '';
    const finish = (p: PortProbe): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(p);
    };
    s.setTimeout(timeoutMs, () => finish(buf ? statusOf(buf) : { kind: 'timeout' }));
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (buf) finish(statusOf(buf));
      else if (err.code === 'ECONNREFUSED') finish({ kind: 'refused' });
      else if (err.code === 'ETIMEDOUT') finish({ kind: 'timeout' });
      else finish({ kind: 'error', code: err.code ?? err.message });
    });
    s.connect(port, address, () => {
      if (!host) return finish({ kind: 'open' });
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: runbook-preflight\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) finish(statusOf(buf));
    });
    s.on('end', () => finish(statusOf(buf)));
  });
}

function statusOf(buf: string): PortProbe {
  const line = buf.split('\r\n')[0] ?? '';
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line);
  return m ? { kind: 'open', status: Number(m[1]), statusLine: line } : { kind: 'open', statusLine: line.slice(0, 80) };
}

/** Pure: what the port-80 probe means for the chosen plugin. */
export function judgePort80(domain: string, address: string, p: PortProbe, plugin: CertbotPlugin): CheckResult {
  const where = `${address}:80 (${domain})`;
  if (p.kind === 'timeout' || p.kind === 'error') {
    return {
      check: 'port80',
      domain,
      ok: false,
      msg: `port 80 at ${where} cannot be reached from the controller (${p.kind === 'timeout' ? 'timed out' : p.code}): open 80/tcp in the host's firewall and any router/NAT in front of it`,
    };
  }
  if (p.kind === 'refused') {
    if (plugin === 'standalone') return { check: 'port80', domain, ok: true, msg: `port 80 at ${where} is reachable and free (connection refused): certbot will listen on it` };
    return {
      check: 'port80',
      domain,
      ok: false,
      msg: `nothing answers on port 80 at ${where} (connection refused): start the web server${plugin === 'apache' ? ' (service apache2 start)' : ''} and make it listen on port 80`,
    };
  }
  if (plugin === 'standalone') return { check: 'port80', domain, ok: true, msg: `port 80 at ${where} is reachable` };
  if (p.status === undefined) {
    return { check: 'http', domain, ok: false, msg: `something listens on port 80 at ${where}, but it does not answer HTTP (${p.statusLine || 'no answer'}): port 80 must be served by the web server` };
  }
  return { check: 'http', domain, ok: true, msg: `a web server answers for ${domain} on port 80 (${p.statusLine ?? p.status})` };
}

/** Pure: host-side checks from the probe (Apache state, port 80 holders). */
export function judgeHost(state: CertbotHostState, configtest: { ok: boolean; output: string } | undefined, plugin: CertbotPlugin, freePort80: boolean): CheckResult[] {
  const out: CheckResult[] = [];
  if (plugin === 'apache') {
    if (!state.apache.installed) out.push({ check: 'apache', ok: false, msg: 'Apache is not installed (apache2ctl not found): install apache2 (the node should already serve its dashboard with it)' });
    else {
      if (configtest && !configtest.ok) {
        out.push({ check: 'apache', ok: false, msg: `Apache's configuration is broken (apache2ctl configtest): fix it first:\n${configtest.output}` });
      }
      if (!state.apache.running) out.push({ check: 'apache', ok: false, msg: 'Apache is installed but not running: start it (service apache2 start)' });
      if (out.length === 0) out.push({ check: 'apache', ok: true, msg: 'Apache is installed, running, and its configuration passes configtest' });
    }
  }
  if (plugin === 'standalone') {
    const hooks = port80Hooks(state, { freePort80 });
    if (hooks.error) out.push({ check: 'port80_holder', ok: false, msg: hooks.error });
    else if (hooks.services.length) {
      out.push({ check: 'port80_holder', ok: true, msg: `port 80 is held by ${hooks.services.join(', ')}: stopped during issuance and renewals, started again after` });
    } else out.push({ check: 'port80_holder', ok: true, msg: 'nothing listens on port 80 on the host' });
  }
  return out;
}

function hostAddresses(facts: HostFacts | undefined, vars: Readonly<Record<string, unknown>>): string[] {
  const out = new Set<string>();
  for (const a of [...(facts?.ipv4 ?? []), ...(facts?.ipv6 ?? [])]) out.add(a);
  if (facts?.defaultIpv4) out.add(facts.defaultIpv4);
  const ah = vars.ansible_host;
  if (typeof ah === 'string' && isIP(ah)) out.add(ah);
  return [...out].filter((a) => a !== '127.0.0.1' && a !== '::1');
}

/** Pure: ufw is active and has no rule allowing 80/tcp from anywhere. */
export function ufwBlocks80(status: UfwStatus): boolean {
  return status.kind === 'active' && !status.rules.some((r) => (r.to === '80/tcp' || r.to === '80') && r.action === 'allow' && r.from === 'Anywhere');
}

export const preflightModule: ModuleDefinition<PreflightArgs> = {
  name: 'acme_preflight',
  aliases: ['preflight'],
  usesFacts: true,
  schema: {
    type: 'object',
    properties: {
      domains: listSchema('names the certificate will cover'),
      domain: { type: 'string', description: 'one name (added to domains)' },
      resolver: { type: 'string', description: "DNS server (`IP` or `IP:PORT`) to ask; default the controller's resolver. Use the one the ACME server uses" },
      addresses: listSchema("this host's addresses the names must point at; default: from facts and ansible_host"),
      plugin: { type: 'string', enum: ['apache', 'standalone', 'webroot'], default: 'standalone', description: 'the certbot plugin that will be used' },
      free_port_80: boolSchema('standalone: the service holding port 80 may be stopped during issuance', true),
      check_port_80: boolSchema('connect to port 80 of the resolved address from the controller', true),
      server: { type: 'string', description: 'ACME directory URL (to tell whether the existing certificate is from it)' },
      staging: boolSchema("Let's Encrypt staging", false),
      min_days_left: { type: 'integer', minimum: 0, default: 30, description: 'fewer days left: a new certificate is needed' },
      timeout: { type: 'number', minimum: 0.1, default: 5, description: 'seconds for each DNS query and connection' },
      firewall_opens: boolSchema('a later task opens 80/tcp in ufw: port 80 blocked by an active ufw is not a failure', false),
    },
    additionalProperties: false,
  },
  doc: {
    short: 'Check, before requesting a certificate, that issuance can succeed (DNS, port 80, web server, Apache config)',
    description:
      'Fails with one message per problem, each saying what to fix, and changes nothing. Sets the fact ' +
      '`acme_certificate_needed` (false when a valid certificate for the names already exists), which ' +
      '`acme_rate_limit` uses to count only new certificates.',
    returns: {
      checks: 'every check: {check, domain, ok, msg}',
      resolved: 'domain → addresses found',
      addresses: "the host's addresses compared with",
      certificate_needed: 'whether a new certificate must be requested',
    },
    example: '- acme_preflight:\n    domains: ["{{ domain }}"]\n    plugin: apache\n    resolver: "{{ preflight_resolver | default(omit) }}"',
  },

  async run(ctx, args) {
    const domains = normaliseDomains([...toList(args.domains), ...toList(args.domain)]);
    if (domains.length === 0) return { changed: false, failed: true, msg: 'no domain given: set domain (the name of this host) or domains' };
    const plugin = args.plugin ?? 'standalone';
    const timeoutMs = Math.round((args.timeout ?? 5) * 1000);
    const resolver = args.resolver || undefined;
    let facts: HostFacts | undefined;
    try {
      facts = await ctx.facts();
    } catch {
      facts = undefined;
    }
    const expected = args.addresses !== undefined ? toList(args.addresses) : hostAddresses(facts, ctx.vars);

    // host side, one round trip: lineages, port 80 holders, Apache state and configtest
    const probeCmd = sh`${certbotProbe()}; echo @@configtest; ${raw('if command -v apache2ctl >/dev/null 2>&1; then apache2ctl configtest 2>&1; echo "@@rc $?"; fi')}; echo @@ufw; ${UFW_PROBE}`;
    const probe = await ctx.exec(probeCmd);
    const ufw = parseUfwStatus(probe.stdout.split('@@ufw\n')[1] ?? '@@missing');
    const opening = toBool(args.firewall_opens, false) ? ufwBlocks80(ufw) : false;
    const state = parseCertbotState(probe.stdout);
    const ct = /@@configtest\n([\s\S]*?)@@rc (\d+)/.exec(probe.stdout);
    const configtest = ct ? { ok: ct[2] === '0', output: (ct[1] ?? '').trim() } : undefined;

    const checks: CheckResult[] = [];
    const resolved: Record<string, string[]> = {};
    for (const d of domains) {
      const answer = await resolveDomain(d, resolver, timeoutMs);
      resolved[d] = [...answer.a, ...answer.aaaa];
      const dns = judgeDns(d, answer, expected, resolver);
      checks.push(...dns);
      if (!dns.every((c) => c.ok) || !toBool(args.check_port_80, true)) continue;
      const address = answer.a.find((x) => expected.includes(x)) ?? answer.aaaa.find((x) => expected.includes(x)) ?? answer.a[0] ?? answer.aaaa[0];
      if (!address) continue;
      const p = await probePort(address, 80, plugin === 'standalone' ? undefined : d, timeoutMs);
      const judged = judgePort80(d, address, p, plugin);
      if (!judged.ok && opening && (p.kind === 'timeout' || p.kind === 'error')) {
        // ufw drops port 80 now, and the playbook's firewall step opens it before issuance
        checks.push({ check: 'port80', domain: d, ok: true, warning: true, msg: `port 80 at ${address} is blocked by ufw now; the firewall step opens 80/tcp before the certificate is requested` });
      } else checks.push(judged);
    }
    checks.push(...judgeHost(state, configtest, plugin, toBool(args.free_port_80, true)));

    const server = serverUrl({ server: args.server || undefined, staging: toBool(args.staging, false) });
    const lineage = findLineage(state, { domains });
    const left = daysLeft(lineage?.notAfter, new Date());
    const sameNames = lineage !== undefined && lineage.domains.length === domains.length && domains.every((d) => lineage.domains.includes(d));
    const sameServer = lineage?.server === undefined || lineage.server.replace(/\/+$/, '') === server.replace(/\/+$/, '');
    const certificateNeeded = !(sameNames && sameServer && left !== undefined && left >= (args.min_days_left ?? 30));

    const failed = checks.filter((c) => !c.ok);
    const warnings = checks.filter((c) => c.ok && c.warning).map((c) => c.msg);
    const data = { checks, resolved, addresses: expected, certificate_needed: certificateNeeded };
    if (failed.length > 0) {
      return { changed: false, failed: true, msg: `preflight failed, nothing was changed:\n- ${failed.map((c) => c.msg).join('\n- ')}`, data, warnings };
    }
    return {
      changed: false,
      msg: `ready for issuance: ${checks.filter((c) => !c.warning).map((c) => c.msg).join('; ')}${certificateNeeded ? '' : ' (a valid certificate already exists)'}`,
      data,
      warnings,
      facts: { acme_certificate_needed: certificateNeeded },
    };
  },
};
