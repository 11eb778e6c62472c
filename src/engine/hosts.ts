// Which hosts a play runs on: its `hosts:` pattern, narrowed by `--limit` (patterns or
// `@retry-file`), in inventory order. The pattern language lives in src/inventory.
import type { Inventory } from '../inventory/types.js';
import { applyLimit, selectHosts } from '../inventory/pattern.js';

export async function limitedHosts(
  inv: Inventory,
  limits: readonly string[] | undefined,
  readFile: (path: string) => Promise<string>,
): Promise<Set<string> | undefined> {
  if (!limits || limits.length === 0) return undefined;
  const all = [...inv.hosts.keys()];
  const chosen = await applyLimit(inv, all, [...limits], readFile);
  return new Set(chosen);
}

export function playHosts(inv: Inventory, pattern: string, limit: Set<string> | undefined): string[] {
  const names = selectHosts(inv, pattern);
  return limit ? names.filter((n) => limit.has(n)) : names;
}
