// acme_preflight: everything that would make an HTTP-01 issuance fail (and burn one of Let's
// Encrypt's 5 failed validations per hostname per hour) checked before anything is requested
// or changed: the domain resolves to this host (asked from the controller, optionally through
// the resolver the ACME server uses), port 80 is reachable from outside the host, a web server
// answers for the name (apache), Apache's configuration is valid, and port 80 can be freed
// (standalone). Also tells the rate-limit check whether this host needs a new certificate, and
// which certificates its lineages hold (the weekly budget counts those of the last 7 days).
//
// DNS-01 (challenge: dns-01, certbot's dns_rfc2136_* keys) asks what matters there instead of
// port 80: the DNS server answers, is authoritative for the zone of _acme-challenge.DOMAIN, and
// the TSIG key may update it (a throwaway TXT record added and deleted, from the controller:
// rfc2136.ts). The name need not point at the host (NAT): that is a warning, not a failure.
import { isIP } from 'node:net';
import { gatheredFacts, known, type ControllerFact, type Fact, type HostFacts } from '../facts/types.js';
import { combineFacts } from '../facts/combine.js';
import { certbotFact, type CertbotHostState } from '../facts/certbot.js';
import { configtestFact, type Configtest } from '../facts/apache.js';
import { dnsFact, portFact, type DnsAnswer, type PortProbe, type PortTarget } from '../facts/network.js';
import { ufwFact, type UfwStatus } from '../facts/ufw.js';
import { firewalldFact, nodeZone, type FirewalldState } from '../facts/firewalld.js';
import { rfc2136Fact, type Rfc2136Check } from './rfc2136.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { failPlan, step, type Plan, type PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
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
  challenge?: 'http-01' | 'dns-01';
  dns_rfc2136_server?: string;
  dns_rfc2136_port?: number | string;
  dns_rfc2136_name?: string;
  dns_rfc2136_secret?: string;
  dns_rfc2136_algorithm?: string;
}

/** What the host tells in one round trip: its certificates, Apache's configtest, ufw, firewalld. */
export interface PreflightHost {
  certbot: CertbotHostState;
  configtest?: Configtest;
  ufw: UfwStatus;
  firewalld?: FirewalldState;
}

export function preflightHostFact(): Fact<PreflightHost> {
  const all = combineFacts([certbotFact(), configtestFact, ufwFact, firewalldFact] as const);
  return {
    name: 'preflight',
    command: all.command,
    parse(stdout, stderr, code) {
      const [certbot, configtest, ufw, firewalld] = all.parse(stdout, stderr, code);
      return { certbot, configtest, ufw, firewalld };
    },
  };
}

export interface CheckResult {
  check: 'dns' | 'port80' | 'http' | 'apache' | 'port80_holder' | 'dns01';
  domain?: string;
  ok: boolean;
  /** what was found; for failures, also what to fix */
  msg: string;
  warning?: boolean;
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

/** Pure: firewalld runs and the node's zone allows neither the http service nor 80/tcp. */
export function firewalldBlocks80(st: FirewalldState | undefined): boolean {
  if (st?.kind !== 'running') return false;
  const zone = st.runtime[nodeZone(st).zone];
  return !zone || !(zone.services.includes('http') || zone.ports.includes('80/tcp'));
}

/** Pure: ufw is active and has no rule allowing 80/tcp from anywhere. */
export function ufwBlocks80(status: UfwStatus): boolean {
  return status.kind === 'active' && !status.rules.some((r) => (r.to === '80/tcp' || r.to === '80') && r.action === 'allow' && r.from === 'Anywhere');
}

export const preflightModule = defineModule<PreflightArgs, PreflightHost | undefined>({
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
      firewall_opens: boolSchema('a later task opens 80/tcp in the host firewall (ufw or firewalld): port 80 blocked by it is not a failure', false),
      challenge: { type: 'string', enum: ['http-01', 'dns-01'], default: 'http-01', description: 'dns-01: check the DNS server and TSIG key (dns_rfc2136_*) instead of port 80; the name need not point at the host' },
      dns_rfc2136_server: { type: 'string', description: 'dns-01: the DNS server that takes the updates (certbot\'s dns_rfc2136_server)' },
      dns_rfc2136_port: { anyOf: [{ type: 'integer' }, { type: 'string' }], default: 53, description: 'dns-01: its port' },
      dns_rfc2136_name: { type: 'string', description: 'dns-01: TSIG key name' },
      dns_rfc2136_secret: { type: 'string', description: 'dns-01: TSIG key (base64); never shown' },
      dns_rfc2136_algorithm: { type: 'string', default: 'HMAC-SHA512', description: 'dns-01: TSIG algorithm (HMAC-SHA256, HMAC-SHA512, ...)' },
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
      issued: "certificates in the host's lineages issued in the last 7 days: {names, at}",
    },
    example: '- acme_preflight:\n    domains: ["{{ domain }}"]\n    plugin: apache\n    resolver: "{{ preflight_resolver | default(omit) }}"',
  },

  probe(args) {
    return domainsOf(args).length > 0 ? preflightHostFact() : undefined;
  },
  plan: planPreflight,
});

function domainsOf(args: PreflightArgs): string[] {
  return normaliseDomains([...toList(args.domains), ...toList(args.domain)]);
}

/**
 * The checks as a chain of pure steps: the host's state, then the addresses it should have
 * (facts), then what DNS answers, then whether port 80 is reachable at the address found.
 */
export function planPreflight(args: PreflightArgs, host: PreflightHost | undefined, env: PlanEnv): Plan {
  const domains = domainsOf(args);
  if (domains.length === 0 || !host) return failPlan('no domain given: set domain (the name of this host) or domains');
  const timeoutMs = Math.round((args.timeout ?? 5) * 1000);
  const resolver = args.resolver || undefined;
  const factsProbe = args.addresses !== undefined ? known<HostFacts | undefined>(undefined) : gatheredFacts;
  return {
    commands: [],
    msg: 'reading the host\'s addresses',
    next: step(factsProbe, (facts) => {
      const expected = args.addresses !== undefined ? toList(args.addresses) : hostAddresses(facts, env.vars);
      return {
        commands: [],
        msg: 'asking DNS',
        next: step(dnsFact(domains, resolver, timeoutMs), (answers) => planPort80(args, host, env, expected, answers)),
      };
    }),
  };
}

function planPort80(args: PreflightArgs, host: PreflightHost, env: PlanEnv, expected: string[], answers: Record<string, DnsAnswer>): Plan {
  const plugin = args.plugin ?? 'standalone';
  const resolver = args.resolver || undefined;
  const dns01 = args.challenge === 'dns-01';
  const perDomain = domainsOf(args).map((d) => {
    const answer = answers[d] ?? { a: [], aaaa: [], error: 'ENODATA' };
    // DNS-01 validates through TXT records: a name that does not point at the host (NAT) is no failure
    const dns = judgeDns(d, answer, expected, resolver).map((c) =>
      dns01 && !c.ok ? { ...c, ok: true, warning: true, msg: `${c.msg} (DNS-01 does not need it, but people reach the site by this name)` } : c,
    );
    let target: PortTarget | undefined;
    if (!dns01 && dns.every((c) => c.ok) && toBool(args.check_port_80, true)) {
      const address = answer.a.find((x) => expected.includes(x)) ?? answer.aaaa.find((x) => expected.includes(x)) ?? answer.a[0] ?? answer.aaaa[0];
      if (address) target = { address, port: 80, host: plugin === 'standalone' ? undefined : d };
    }
    return { domain: d, answer, dns, target };
  });
  const targets = perDomain.flatMap((x) => (x.target ? [x.target] : []));
  return {
    commands: [],
    msg: 'probing port 80',
    next: step(portFact(targets, Math.round((args.timeout ?? 5) * 1000)), (probes) => {
      const checks: CheckResult[] = [];
      const resolved: Record<string, string[]> = {};
      // a later firewall step opens 80/tcp: a port ufw or firewalld blocks now is not a failure
      const opening = toBool(args.firewall_opens, false) ? ufwBlocks80(host.ufw) || firewalldBlocks80(host.firewalld) : false;
      let at = 0;
      for (const x of perDomain) {
        resolved[x.domain] = [...x.answer.a, ...x.answer.aaaa];
        checks.push(...x.dns);
        if (!x.target) continue;
        const p = probes[at++] ?? { kind: 'error', code: 'not probed' };
        const judged = judgePort80(x.domain, x.target.address, p, plugin);
        if (!judged.ok && opening && (p.kind === 'timeout' || p.kind === 'error')) {
          checks.push({ check: 'port80', domain: x.domain, ok: true, warning: true, msg: `port 80 at ${x.target.address} is blocked by the host firewall now; the firewall step opens 80/tcp before the certificate is requested` });
        } else checks.push(judged);
      }
      if (!dns01) return verdict(args, host, env, checks, resolved, expected);
      return { commands: [], msg: 'asking the DNS server (test update)', next: step(dns01Probe(args), (found) => verdict(args, host, env, [...checks, ...dns01Checks(args, found)], resolved, expected)) };
    }),
  };
}

/** DNS-01: the RFC 2136 check of every name (controller side), or why it cannot be asked. */
function dns01Probe(args: PreflightArgs): ControllerFact<Array<{ domain: string; check?: Rfc2136Check; missing?: string }>> {
  const missing = (['dns_rfc2136_server', 'dns_rfc2136_name', 'dns_rfc2136_secret'] as const).filter((k) => !args[k]);
  const domains = domainsOf(args);
  if (missing.length) return known(domains.map((domain) => ({ domain, missing: missing.join(', ') })));
  const settings = {
    server: args.dns_rfc2136_server ?? '',
    port: Number(args.dns_rfc2136_port ?? 53),
    name: args.dns_rfc2136_name ?? '',
    secret: args.dns_rfc2136_secret ?? '',
    algorithm: args.dns_rfc2136_algorithm ?? 'HMAC-SHA512',
  };
  return rfc2136Fact(settings, domains, Math.round((args.timeout ?? 5) * 1000));
}

function dns01Checks(args: PreflightArgs, found: Array<{ domain: string; check?: Rfc2136Check; missing?: string }>): CheckResult[] {
  return found.map((f) =>
    f.missing
      ? { check: 'dns01', domain: f.domain, ok: false, msg: `challenge dns-01 needs ${f.missing}: the DNS server that takes the updates and the TSIG key it accepts` }
      : { check: 'dns01', domain: f.domain, ok: f.check?.ok ?? false, msg: f.check?.msg ?? 'not checked' },
  );
}

function verdict(args: PreflightArgs, host: PreflightHost, env: PlanEnv, checks: CheckResult[], resolved: Record<string, string[]>, expected: string[]): Plan {
  const domains = domainsOf(args);
  const hostChecks = judgeHost(host.certbot, host.configtest, args.plugin ?? 'standalone', toBool(args.free_port_80, true));
  // DNS-01 never stops what holds port 80
  checks.push(...(args.challenge === 'dns-01' ? hostChecks.filter((c) => c.check !== 'port80_holder') : hostChecks));
  const server = serverUrl({ server: args.server || undefined, staging: toBool(args.staging, false) });
  const lineage = findLineage(host.certbot, { domains });
  const left = daysLeft(lineage?.notAfter, env.now);
  const sameNames = lineage !== undefined && lineage.domains.length === domains.length && domains.every((d) => lineage.domains.includes(d));
  const sameServer = lineage?.server === undefined || lineage.server.replace(/\/+$/, '') === server.replace(/\/+$/, '');
  const certificateNeeded = !(sameNames && sameServer && left !== undefined && left >= (args.min_days_left ?? 30));

  const failed = checks.filter((c) => !c.ok);
  const warnings = checks.filter((c) => c.ok && c.warning).map((c) => c.msg);
  // the certificates issued to this host in the last 7 days, for the weekly budget (acme_rate_limit)
  const weekAgo = env.now.getTime() - 7 * 86_400_000;
  const issued = host.certbot.lineages.flatMap((l) => (l.issued ?? []).filter((d) => d.getTime() > weekAgo).map((d) => ({ names: l.domains, at: d.toISOString() })));
  const data = { checks, resolved, addresses: expected, certificate_needed: certificateNeeded, issued };
  if (failed.length > 0) {
    return { commands: [], failed: true, msg: `preflight failed, nothing was changed:\n- ${failed.map((c) => c.msg).join('\n- ')}`, data, warnings };
  }
  return {
    commands: [],
    msg: `ready for issuance: ${checks.filter((c) => !c.warning).map((c) => c.msg).join('; ')}${certificateNeeded ? '' : ' (a valid certificate already exists)'}`,
    data,
    warnings,
    facts: { acme_certificate_needed: certificateNeeded, acme_certificates_issued: issued },
  };
}
