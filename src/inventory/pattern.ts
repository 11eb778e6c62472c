// Host patterns with Ansible's semantics (`hosts:` of a play, `--limit`):
//
//   all  *               every host of the inventory
//   web  web1.example    a group (its hosts and its children's), or a host
//   web:db  web,db       union
//   web:!staging         exclusion           web:&eu   intersection
//   web*  *.example.org  shell-style wildcard on group and host names
//   ~web\d+              regular expression (matched from the start of the name)
//   web[0]  web[-1]  web[1:3]  web[2:]   a subscript of the group's hosts (end inclusive)
//
// Terms are applied in Ansible's order whatever their position: unions first, then
// intersections, then exclusions; a pattern with only `!`/`&` terms starts from `all`.
// The result is in inventory order without duplicates. A name that matches nothing adds
// nothing (see unmatchedPatterns for warnings). `localhost` (or 127.0.0.1, ::1) names
// Ansible's implicit localhost when the inventory has no such host.
import { isIPv6 } from 'node:net';
import { UsageError } from '../util/errors.js';
import { globToRegExp } from '../util/glob.js';
import type { Inventory, InventoryHost } from './types.js';

const LOCALHOST = new Set(['localhost', '127.0.0.1', '::1']);

/** Split a pattern into terms: on commas, and on colons outside `[...]` (IPv6 kept whole). */
export function splitPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitPattern(p));
  const out: string[] = [];
  for (const piece of pattern.split(',')) {
    const p = piece.trim();
    if (p === '') continue;
    const bare = p.replace(/^[!&]/, '');
    if (isIPv6(bare)) {
      out.push(p);
      continue;
    }
    let cur = '';
    let depth = 0;
    for (const ch of p) {
      if (ch === '[') depth++;
      if (ch === ']') depth = Math.max(0, depth - 1);
      if (ch === ':' && depth === 0) {
        if (cur.trim() !== '') out.push(cur.trim());
        cur = '';
      } else cur += ch;
    }
    if (cur.trim() !== '') out.push(cur.trim());
  }
  return out;
}

function matcher(pattern: string): (name: string) => boolean {
  if (pattern.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${pattern.slice(1)})`);
    } catch (e) {
      throw new UsageError(`invalid regular expression in host pattern '${pattern}': ${(e as Error).message}`);
    }
    return (name) => re.test(name);
  }
  const re = globToRegExp(pattern);
  return (name) => re.test(name);
}

/** Hosts of a group (with its children's) in inventory order; cached per inventory. */
const groupHostsCache = new WeakMap<Inventory, Map<string, string[]>>();
function groupHosts(inv: Inventory, group: string): string[] {
  let cache = groupHostsCache.get(inv);
  if (!cache) {
    cache = new Map();
    for (const h of inv.hosts.values()) {
      for (const g of h.groups) (cache.get(g) ?? cache.set(g, []).get(g)!).push(h.name);
    }
    groupHostsCache.set(inv, cache);
  }
  return cache.get(group) ?? [];
}

/** The inventory changed at run time (add_host, group_by): group members are read again. */
export function invalidatePatternCache(inv: Inventory): void {
  groupHostsCache.delete(inv);
}

/** Ansible's implicit localhost: local connection, `all` vars, in no group. */
function implicitLocalhost(inv: Inventory, name: string): string {
  const existing = inv.hosts.get(name);
  if (existing) return name;
  const host: InventoryHost = {
    name,
    vars: { ...(inv.groups.get('all')?.vars ?? {}), ansible_connection: 'local', ansible_host: name === '::1' ? '::1' : '127.0.0.1' },
    groups: [],
    implicit: true,
  };
  inv.hosts.set(name, host);
  groupHostsCache.delete(inv);
  return name;
}

function splitSubscript(term: string): { name: string; subscript?: [number, number | undefined] } {
  if (term.startsWith('~')) return { name: term };
  const m = /^(.+)\[(?:(-?\d+)|(\d+):(-?\d+)?)\]$/.exec(term);
  if (!m) return { name: term };
  if (m[2] !== undefined) return { name: m[1]!, subscript: [Number(m[2]), undefined] };
  return { name: m[1]!, subscript: [Number(m[3]), m[4] === undefined ? -1 : Number(m[4])] };
}

function applySubscript(hosts: string[], subscript: [number, number | undefined] | undefined): string[] {
  if (!subscript) return hosts;
  const [start, end] = subscript;
  if (end === undefined) {
    const i = start < 0 ? hosts.length + start : start;
    return i >= 0 && i < hosts.length ? [hosts[i]!] : [];
  }
  const last = end === -1 ? hosts.length - 1 : end;
  return hosts.slice(start, last + 1);
}

/** The hosts one term (without its !/& prefix) names. */
function matchTerm(inv: Inventory, term: string): string[] {
  const { name, subscript } = splitSubscript(term);
  const results: string[] = [];
  const seen = new Set<string>();
  const add = (h: string): void => {
    if (!seen.has(h)) {
      seen.add(h);
      results.push(h);
    }
  };
  const special = name.startsWith('~') || /[.?*[]/.test(name);
  let groupMatched = false;
  if (!special) {
    // plain names: a group wins over a host of the same name (Ansible's order)
    if (inv.groups.has(name)) {
      groupMatched = true;
      groupHosts(inv, name).forEach(add);
    }
  } else {
    const test = matcher(name);
    for (const g of inv.groups.keys()) {
      if (test(g)) {
        groupMatched = true;
        groupHosts(inv, g).forEach(add);
      }
    }
  }
  if (!groupMatched || special) {
    if (!special) {
      if (inv.hosts.has(name) && !inv.hosts.get(name)!.implicit) add(name);
    } else {
      const test = matcher(name);
      for (const h of inv.hosts.values()) if (!h.implicit && test(h.name)) add(h.name);
    }
  }
  if (results.length === 0 && LOCALHOST.has(name)) add(implicitLocalhost(inv, name));
  return applySubscript(results, subscript);
}

function orderTerms(terms: string[]): string[] {
  const regular = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const inter = terms.filter((t) => t.startsWith('&'));
  const excl = terms.filter((t) => t.startsWith('!'));
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

function evaluate(inv: Inventory, terms: string[]): string[] {
  let hosts: string[] = [];
  for (const t of orderTerms(terms)) {
    if (t.startsWith('!')) {
      const that = new Set(matchTerm(inv, t.slice(1)));
      hosts = hosts.filter((h) => !that.has(h));
    } else if (t.startsWith('&')) {
      const that = new Set(matchTerm(inv, t.slice(1)));
      hosts = hosts.filter((h) => that.has(h));
    } else {
      const have = new Set(hosts);
      for (const h of matchTerm(inv, t)) if (!have.has(h)) hosts.push(h);
    }
  }
  // inventory order (an implicit localhost, added last, sorts last)
  const index = new Map<string, number>();
  let i = 0;
  for (const name of inv.hosts.keys()) index.set(name, i++);
  return hosts.sort((a, b) => index.get(a)! - index.get(b)!);
}

/** The hosts a pattern selects, in inventory order, each once. */
export function selectHosts(inventory: Inventory, pattern: string | readonly string[]): string[] {
  const terms = splitPattern(pattern);
  // an empty pattern selects nothing (Ansible would read it as `all`: too easy to hit by accident)
  return terms.length === 0 ? [] : evaluate(inventory, terms);
}

/** Terms of a pattern that match no host (for "pattern matches nothing" warnings). */
export function unmatchedPatterns(inventory: Inventory, pattern: string | readonly string[]): string[] {
  return splitPattern(pattern).filter((t) => matchTerm(inventory, t.replace(/^[!&]/, '')).length === 0);
}

function limitTerms(limits: readonly string[]): { terms: string[]; files: string[] } {
  const terms: string[] = [];
  const files: string[] = [];
  for (const limit of limits) {
    // `@file` is taken whole (a path may hold ':' or ',')
    if (limit.trim().startsWith('@')) {
      files.push(limit.trim().slice(1));
      continue;
    }
    for (const t of splitPattern(limit)) {
      if (t.startsWith('@')) files.push(t.slice(1));
      else terms.push(t);
    }
  }
  return { terms, files };
}

function retryHosts(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Narrow `hosts` to those the `--limit` values select. A value is a pattern, or `@path`
 * naming a retry file (one host per line). Returns a Promise when `readFile` does.
 */
export function applyLimit(inventory: Inventory, hosts: readonly string[], limits: readonly string[], readFile: (path: string) => string): string[];
export function applyLimit(inventory: Inventory, hosts: readonly string[], limits: readonly string[], readFile: (path: string) => Promise<string>): Promise<string[]>;
export function applyLimit(
  inventory: Inventory,
  hosts: readonly string[],
  limits: readonly string[],
  readFile: (path: string) => string | Promise<string>,
): string[] | Promise<string[]> {
  if (limits.length === 0) return [...hosts];
  const { terms, files } = limitTerms(limits);
  const finish = (texts: string[]): string[] => {
    const all = [...terms, ...texts.flatMap(retryHosts)];
    if (all.length === 0) return [];
    const allowed = new Set(evaluate(inventory, all));
    return hosts.filter((h) => allowed.has(h));
  };
  const failed = (path: string, e: unknown): never => {
    throw new UsageError(`cannot read limit file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  };
  const texts: Array<string | Promise<string>> = files.map((f) => {
    try {
      const t = readFile(f);
      return typeof t === 'string' ? t : t.catch((e: unknown) => failed(f, e));
    } catch (e) {
      return failed(f, e);
    }
  });
  if (texts.every((t): t is string => typeof t === 'string')) return finish(texts);
  return Promise.all(texts.map((t) => Promise.resolve(t))).then(finish);
}
