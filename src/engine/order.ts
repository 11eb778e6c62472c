// The play keyword `order` (Ansible): the order a play takes its hosts in, and so which hosts
// fall into which serial batch. inventory (default), reverse_inventory, sorted and
// reverse_sorted (by name), shuffle (a new random order on every run; --resume replays the
// order the interrupted run recorded instead of drawing a new one).
import type { Play } from '../playbook/types.js';

export type HostOrder = NonNullable<Play['order']>;

export function orderHosts(hosts: readonly string[], order: HostOrder | undefined, random: () => number = Math.random): string[] {
  switch (order) {
    case undefined:
    case 'inventory':
      return [...hosts];
    case 'reverse_inventory':
      return [...hosts].reverse();
    case 'sorted':
      return [...hosts].sort(byName);
    case 'reverse_sorted':
      return [...hosts].sort(byName).reverse();
    case 'shuffle': {
      // Fisher-Yates
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j] as string, out[i] as string];
      }
      return out;
    }
  }
}

/** Ansible sorts names as strings (Python's sorted), not in a locale's order. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
