// acme_rate_limit: the rate-limit check as a task, for playbooks (run_once, before any
// certificate is requested). It collects every play host's planned names from hostvars (the
// `domain` variable by default) and skips hosts whose preflight found a valid certificate
// (`acme_certificate_needed: false`), then applies checkRateLimits. When the engine calls
// checkRateLimits itself before a play, this task is a cheap second look.
//
// exceed: defer certifies what fits the weekly budget and defers the other hosts (not failed,
// not skipped): the engine ends their plays, reports them with the date from which they fit
// and writes them to the retry file (acme-budget.ts counts: certificates of the last 7 days in
// the hosts' own lineages, as acme_preflight reports them, plus this run's).
import type { Plan, PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { checkRateLimits, LE_NEW_CERTS_PER_REGISTERED_DOMAIN, LE_STAGING_NEW_CERTS_PER_REGISTERED_DOMAIN, type PlannedCertificate } from './acme-rate-limit.js';
import { deferrals, issuedFromFact, scheduleBudget } from './acme-budget.js';
import { isLetsEncrypt, LE_STAGING, serverUrl } from './certbot-plan.js';

export interface RateLimitArgs {
  domains?: string[] | string;
  domain_var?: string;
  server?: string;
  staging?: boolean | string;
  override?: boolean | string;
  limit?: number | string;
  issued_this_week?: Record<string, number>;
  exceed?: 'fail' | 'defer';
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
      limit: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[1-9][0-9]*$' }], description: "new certificates per registered domain per week (default: Let's Encrypt's 50); when given, it applies to any ACME server" },
      exceed: {
        type: 'string',
        enum: ['fail', 'defer'],
        default: 'fail',
        description: 'fail: refuse the whole rollout; defer: certify what fits, defer the other hosts with the date from which they fit (run exit code 8, retry file)',
      },
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
    returns: {
      counts: 'per registered domain: planned, limit, hosts (defer: issued this week, planned, deferred)',
      violations: 'limits that would be exceeded',
      applies: "whether the server is Let's Encrypt",
      fits: 'defer: the hosts certified in this run',
      deferred: 'defer: every deferred host with the time it fits ({host, from, reason})',
    },
    example: "- acme_rate_limit:\n    staging: \"{{ acme_staging }}\"\n    override: \"{{ acme_rate_limit_override | default(false) }}\"\n  run_once: true",
  },
  // no probe: everything comes from the arguments and the play's variables
  plan: (args, _state, env) => planRateLimit(args, env),
});

/** The plan: count every play host's planned certificate, fail when a limit would be exceeded. */
export function planRateLimit(args: RateLimitArgs, env: Pick<PlanEnv, 'vars' | 'now'>): Plan {
  const domainVar = args.domain_var ?? 'domain';
  const explicit = toList(args.domains);
  const { planned, note } = explicit.length ? { planned: explicit.map((d) => ({ domains: [d] })), note: undefined } : plannedFromVars(env.vars, domainVar);
  if (args.exceed === 'defer' && !toBool(args.override, false)) return planBudget(args, env, planned, note);
  const report = checkRateLimits(planned, {
    server: args.server || undefined,
    staging: toBool(args.staging, false),
    override: toBool(args.override, false),
    limit: args.limit === undefined ? undefined : Number(args.limit),
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

/** exceed: defer — the weekly budget over every play host; the ones beyond it are deferred. */
function planBudget(args: RateLimitArgs, env: Pick<PlanEnv, 'vars' | 'now'>, planned: PlannedCertificate[], note: string | undefined): Plan {
  const server = serverUrl({ server: args.server || undefined, staging: toBool(args.staging, false) });
  const limit =
    args.limit !== undefined
      ? Number(args.limit)
      : isLetsEncrypt(server)
        ? server === LE_STAGING
          ? LE_STAGING_NEW_CERTS_PER_REGISTERED_DOMAIN
          : LE_NEW_CERTS_PER_REGISTERED_DOMAIN
        : undefined;
  if (limit === undefined) {
    return { commands: [], changed: false, msg: `no weekly budget known for ${server} (not Let's Encrypt, no limit given): every host goes ahead`, data: { applies: false, planned: planned.length } };
  }
  const candidates = planned.map((p) => {
    const host = p.host ?? p.domains[0] ?? '';
    return { host, domains: p.domains, needed: !p.existing, issued: issuedFromFact(read(read(env.vars.hostvars, host), 'acme_certificates_issued')) };
  });
  const s = scheduleBudget(candidates, { limit, now: env.now });
  return {
    commands: [],
    changed: false,
    msg: s.message,
    data: { applies: true, counts: s.counts, fits: s.fits, deferred: s.deferred, planned: planned.length },
    defer: deferrals(s),
    warnings: note ? [note] : [],
  };
}
