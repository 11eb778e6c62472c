// The weekly certificate budget of a rollout: which hosts get their new certificate in this run
// and which are deferred, with the date from which each fits. Pure: hosts, their lineages'
// issue dates and the clock in, a schedule out.
//
// How the budget is counted, per registered domain (eTLD+1, as Let's Encrypt counts):
//   used = certificates issued in the last 7 days, read from the hosts' own certbot lineages
//          (every certificate in /etc/letsencrypt/archive/NAME/, by its notBefore date)
//        + the new certificates this run requests.
// Hosts whose valid certificate already covers their names (no new certificate needed) use
// nothing. Hosts are taken in inventory order; a host that does not fit is deferred to the
// moment enough earlier certificates have left the 7-day window, counting the deferred hosts
// before it as issued on their own dates. That is a sliding 7-day window: never earlier than
// Let's Encrypt's own refill (its limit is a token bucket that refills 50 per week), so a
// deferred host rerun on its date fits.
import { registeredDomain } from './acme-rate-limit.js';

export const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface BudgetCandidate {
  host: string;
  /** the names on its certificate */
  domains: string[];
  /** a new certificate is needed (no valid certificate for these names yet) */
  needed: boolean;
  /**
   * certificates in this host's lineages: their notBefore (ISO) and names (a bare date: the
   * host's own names)
   */
  issued?: Array<string | IssuedCertificate>;
}

export interface IssuedCertificate {
  names: string[];
  /** notBefore, ISO */
  at: string;
}

export interface Deferral {
  host: string;
  /** ISO time from which the host's certificate fits the budget */
  from: string;
  /** the registered domain(s) whose budget is used up */
  registeredDomains: string[];
  /** one line a person reads */
  reason: string;
}

export interface BudgetCount {
  registeredDomain: string;
  limit: number;
  /** issued in the last 7 days, from the lineages */
  issuedThisWeek: number;
  /** new certificates this run requests */
  planned: number;
  deferred: number;
}

export interface BudgetSchedule {
  fits: string[];
  deferred: Deferral[];
  counts: BudgetCount[];
  message: string;
}

/** YYYY-MM-DD HH:MM UTC: a date a person reads in a recap. */
export function whenText(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function scheduleBudget(candidates: readonly BudgetCandidate[], options: { limit: number; now: Date }): BudgetSchedule {
  const now = options.now.getTime();
  const limit = options.limit;
  // per registered domain: the times (ms) that occupy its window, kept sorted
  const occupied = new Map<string, number[]>();
  const counts = new Map<string, BudgetCount>();
  const count = (rd: string): BudgetCount => {
    let c = counts.get(rd);
    if (!c) {
      c = { registeredDomain: rd, limit, issuedThisWeek: 0, planned: 0, deferred: 0 };
      counts.set(rd, c);
    }
    return c;
  };
  const rdsOf = (c: BudgetCandidate): string[] => [...new Set(c.domains.map(registeredDomain))];

  // certificates already issued this week, each counted once (hosts may share a lineage's names)
  const seen = new Set<string>();
  for (const c of candidates) {
    for (const rd of rdsOf(c)) count(rd);
    for (const entry of c.issued ?? []) {
      const cert = typeof entry === 'string' ? { names: c.domains, at: entry } : entry;
      const t = Date.parse(cert.at);
      if (!Number.isFinite(t) || t <= now - WEEK_MS || t > now) continue;
      // one certificate counts once for each registered domain among its names
      for (const rd of new Set(cert.names.map(registeredDomain))) {
        const key = `${rd}\n${c.host}\n${cert.at}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const list = occupied.get(rd) ?? [];
        list.push(t);
        occupied.set(rd, list);
        count(rd).issuedThisWeek++;
      }
    }
  }
  for (const list of occupied.values()) list.sort((a, b) => a - b);

  // the earliest time >= now at which `rd` has a free slot: with n times in the window (sorted,
  // scheduled deferrals included), a slot frees once the (n - limit + 1)-th oldest has left it
  const freeAt = (rd: string): number => {
    const inWindow = (occupied.get(rd) ?? []).filter((t) => t > now - WEEK_MS);
    if (inWindow.length < limit) return now;
    return Math.max(now, (inWindow[inWindow.length - limit] ?? now) + WEEK_MS);
  };
  const occupy = (rd: string, t: number): void => {
    const list = occupied.get(rd) ?? [];
    list.push(t);
    list.sort((a, b) => a - b);
    occupied.set(rd, list);
  };

  const fits: string[] = [];
  const deferred: Deferral[] = [];
  for (const c of candidates) {
    if (!c.needed) continue;
    const rds = rdsOf(c);
    const freeAtBefore = new Map(rds.map((rd) => [rd, freeAt(rd) <= now]));
    const at = Math.max(now, ...rds.map(freeAt));
    for (const rd of rds) occupy(rd, at);
    if (at <= now) {
      fits.push(c.host);
      for (const rd of rds) count(rd).planned++;
      continue;
    }
    for (const rd of rds) count(rd).deferred++;
    const from = new Date(at).toISOString();
    const full = rds.filter((rd) => freeAtBefore.get(rd) === false);
    const names = (full.length ? full : rds).join(', ');
    deferred.push({ host: c.host, from, registeredDomains: full.length ? full : rds, reason: `the weekly budget of ${limit} new certificates under ${names} is used up: fits from ${whenText(from)}` });
  }

  const summary = [...counts.values()].map((c) => `${c.registeredDomain}: ${c.issuedThisWeek} issued this week + ${c.planned} now of ${c.limit}${c.deferred ? `, ${c.deferred} deferred` : ''}`).join('; ');
  const message = deferred.length
    ? `${fits.length} new certificate(s) fit this week's budget, ${deferred.length} host(s) deferred (${summary}); rerun with --limit @RETRYFILE from the dates given`
    : `within the weekly budget (${summary || 'no new certificates'})`;
  return { fits, deferred, counts: [...counts.values()], message };
}

/** A deferral as the engine takes it (ModuleResult.defer). */
export function deferrals(schedule: BudgetSchedule): Array<{ host: string; from: string; reason: string }> {
  return schedule.deferred.map((d) => ({ host: d.host, from: d.from, reason: d.reason }));
}

/**
 * `acme_certificates_issued` as the preflight sets it (a list of `{names, at}`), read leniently:
 * anything else counts as nothing issued.
 */
export function issuedFromFact(value: unknown): IssuedCertificate[] {
  if (!Array.isArray(value)) return [];
  const out: IssuedCertificate[] = [];
  for (const v of value) {
    if (!v || typeof v !== 'object') continue;
    const { names, at } = v as { names?: unknown; at?: unknown };
    if (typeof at === 'string' && Array.isArray(names)) out.push({ names: names.map(String), at });
  }
  return out;
}
