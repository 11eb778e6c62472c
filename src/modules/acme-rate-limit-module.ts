// acme_rate_limit: the rate-limit check as a task, for playbooks (run_once, before any
// certificate is requested). It collects every play host's planned names from hostvars (the
// `domain` variable by default) and skips hosts whose preflight found a valid certificate
// (`acme_certificate_needed: false`), then applies checkRateLimits. When the engine calls
// checkRateLimits itself before a play, this task is a cheap second look.
import type { Plan, PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { checkRateLimits, type PlannedCertificate } from './acme-rate-limit.js';

export interface RateLimitArgs {
  domains?: string[] | string;
  domain_var?: string;
  server?: string;
  staging?: boolean | string;
  override?: boolean | string;
  limit?: number;
  issued_this_week?: Record<string, number>;
}

/** Read `key` from a plain object or a lazy mapping (the engine's hostvars); undefined when missing. */
function read(obj: unknown, key: string): unknown {
  if (obj === null || obj === undefined) return undefined;
  try {
    const getter = (obj as { get?: unknown }).get;
    const v = typeof getter === 'function' ? (getter as (k: string) => unknown).call(obj, key) : (obj as Record<string, unknown>)[key];
    // the template layer represents a missing value by an object with a `hint` (Undefined)
    if (v && typeof v === 'object' && 'hint' in v && typeof (v as { fail?: unknown }).fail === 'function') return undefined;
    return v;
  } catch {
    return undefined;
  }
}

function keysOf(obj: unknown): string[] {
  if (!obj) return [];
  const k = (obj as { keys?: unknown }).keys;
  if (typeof k === 'function') return (k as () => string[]).call(obj);
  return Object.keys(obj);
}

/** Every play host's planned certificate, from the variables the engine gives a task. */
export function plannedFromVars(vars: Readonly<Record<string, unknown>>, domainVar = 'domain'): { planned: PlannedCertificate[]; note?: string } {
  const hostvars = vars.hostvars;
  const playHosts = [vars.ansible_play_hosts_all, vars.ansible_play_hosts, vars.play_hosts].find((v) => Array.isArray(v)) as string[] | undefined;
  const groupsAll = read(vars.groups, 'all');
  const hosts = playHosts ?? (Array.isArray(groupsAll) ? (groupsAll as string[]) : keysOf(hostvars));
  if (!hostvars || hosts.length === 0) {
    const own = toList(vars[domainVar]);
    const me = typeof vars.inventory_hostname === 'string' ? vars.inventory_hostname : undefined;
    return { planned: own.length ? [{ host: me, domains: own }] : [], note: 'hostvars not available: only this host counted' };
  }
  const planned: PlannedCertificate[] = [];
  for (const h of hosts) {
    const hv = read(hostvars, h);
    const names = toList(read(hv, domainVar));
    if (names.length === 0) continue;
    const needed = read(hv, 'acme_certificate_needed');
    planned.push({ host: h, domains: names, existing: needed === false });
  }
  return { planned, note: playHosts ? undefined : 'play hosts not known: counted every inventory host with a domain' };
}

export const acmeRateLimitModule = defineModule<RateLimitArgs, undefined>({
  name: 'acme_rate_limit',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      domains: listSchema("every planned certificate's name (one per host); default: each play host's `domain_var`"),
      domain_var: { type: 'string', default: 'domain', description: 'host variable holding the host’s domain' },
      server: { type: 'string', description: "ACME directory URL; default Let's Encrypt production" },
      staging: boolSchema("Let's Encrypt staging", false),
      override: boolSchema('continue even when a limit would be exceeded (Let’s Encrypt raised your limit)', false),
      limit: { type: 'integer', minimum: 1, description: 'new certificates per registered domain per week (default 50)' },
      issued_this_week: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 }, description: 'registered domain → certificates already issued this week' },
    },
    additionalProperties: false,
  },
  doc: {
    short: "Refuse a rollout that would exceed Let's Encrypt's weekly rate limits (run once, before issuing)",
    description:
      'Counts the new certificates the whole run would request per registered domain (eTLD+1) — hosts whose ' +
      '`acme_preflight` found a valid certificate are not counted — and fails with what to do when more than 50 ' +
      '(or 5 for the very same names) would be requested this week. Other ACME servers are not limited.',
    returns: { counts: 'per registered domain: planned, limit, hosts', violations: 'limits that would be exceeded', applies: "whether the server is Let's Encrypt" },
    example: "- acme_rate_limit:\n    staging: \"{{ acme_staging }}\"\n    override: \"{{ acme_rate_limit_override | default(false) }}\"\n  run_once: true",
  },
  // no probe: everything comes from the arguments and the play's variables
  plan: (args, _state, env) => planRateLimit(args, env),
});

/** The plan: count every play host's planned certificate, fail when a limit would be exceeded. */
export function planRateLimit(args: RateLimitArgs, env: Pick<PlanEnv, 'vars'>): Plan {
  const domainVar = args.domain_var ?? 'domain';
  const explicit = toList(args.domains);
  const { planned, note } = explicit.length ? { planned: explicit.map((d) => ({ domains: [d] })), note: undefined } : plannedFromVars(env.vars, domainVar);
  const report = checkRateLimits(planned, {
    server: args.server || undefined,
    staging: toBool(args.staging, false),
    override: toBool(args.override, false),
    limit: args.limit,
    issuedThisWeek: args.issued_this_week,
  });
  return {
    commands: [],
    changed: false,
    failed: !report.ok,
    msg: report.message,
    data: { counts: report.counts, violations: report.violations, applies: report.applies, planned: planned.length },
    warnings: [...(note ? [note] : []), ...(report.overridden ? [report.message] : [])],
  };
}
