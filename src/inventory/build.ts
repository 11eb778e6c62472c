// From raw inventory sources to the Inventory contract: group tree checked for cycles,
// ungrouped hosts, each host's groups, and each host's merged variables.
//
// Variable precedence, exactly as Ansible's VariableManager builds host vars from the
// inventory (lowest first; later wins, top-level keys replace, no deep merge):
//
//   1. `all` group vars from inventory files
//   2. group_vars/all beside the inventory
//   3. group_vars/all beside the playbook (options.playbookDir)
//   4. every other group of the host, vars from inventory files
//   5. those groups' group_vars/ files beside the inventory
//   6. those groups' group_vars/ files beside the playbook
//   7. host vars from inventory files
//   8. host_vars/ files beside the inventory
//   9. host_vars/ files beside the playbook
//
// In 4–6 the groups are taken in Ansible's order: by depth (distance from `all`; a child
// group is deeper than its parent, so it wins), then `ansible_group_priority` (default 1,
// higher wins; read from inventory-file vars only, as in Ansible), then name (alphabetical,
// later wins). So: all < parent group < child group < host, and a group_vars file beats
// inventory-file vars at the same level. Note the Ansible rule this implies: every
// group_vars file (5) beats every inventory-file group var (4), even of a deeper group.
import type { Diagnostic } from '../util/diagnostic.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';
import type { RawInventory } from './raw.js';

/** Vars from group_vars/ and host_vars/ of one place (inventory dir or playbook dir). */
export interface VarsLevel {
  groups: Map<string, Record<string, unknown>>;
  hosts: Map<string, Record<string, unknown>>;
}

function priorityOf(vars: Record<string, unknown>): number {
  const p = vars.ansible_group_priority;
  const n = typeof p === 'number' ? p : typeof p === 'string' ? Number(p) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : 1;
}

/** Break cycles (reporting each) so the rest of the build works on a tree-like DAG. */
function removeCycles(raw: RawInventory): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    const g = raw.groups.get(name);
    for (const child of [...(g?.children ?? [])]) {
      const s = state.get(child);
      if (s === 'visiting') {
        const loop = [...stack.slice(stack.indexOf(child)), child].join(' → ');
        const location = g!.childLocations.get(child) ?? g!.location;
        raw.diag('error', location, '', 'inventory-cycle', `group '${child}' is its own ancestor (a cycle): ${loop}`, `remove '${child}' from the children of '${name}'`);
        g!.children = g!.children.filter((c) => c !== child);
      } else if (s === undefined) {
        visit(child);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  visit('all');
  for (const name of raw.groups.keys()) if (!state.has(name)) visit(name);
}

export function buildInventory(raw: RawInventory, source: string, levels: VarsLevel[]): { inventory: Inventory; diagnostics: Diagnostic[] } {
  const here = { file: source, line: 1, col: 1 };
  raw.group('all', here);
  raw.group('ungrouped', here);

  // parentless groups hang under `all`
  const parents = new Map<string, string[]>();
  const refreshParents = (): void => {
    parents.clear();
    for (const g of raw.groups.values()) for (const c of g.children) (parents.get(c) ?? parents.set(c, []).get(c)!).push(g.name);
  };
  refreshParents();
  // `all` must stay the root even if someone listed it as a child elsewhere
  for (const p of parents.get('all') ?? []) {
    const g = raw.groups.get(p)!;
    raw.diag('error', g.childLocations.get('all') ?? g.location, '', 'inventory-cycle', `group 'all' cannot be a child of '${p}': every group is already inside 'all'`, `remove 'all' from the children of '${p}'`);
    g.children = g.children.filter((c) => c !== 'all');
  }
  removeCycles(raw);
  refreshParents();
  const all = raw.groups.get('all')!;
  for (const name of raw.groups.keys()) {
    if (name !== 'all' && !parents.has(name)) all.children.push(name);
  }
  refreshParents();

  // depth: longest distance from `all` (Ansible raises a child's depth below each parent)
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string> = new Set()): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || seen.has(name)) return 0;
    seen.add(name);
    const d = Math.max(0, ...(parents.get(name) ?? ['all']).map((p) => depthOf(p, seen) + 1));
    depth.set(name, d);
    return d;
  };
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (name: string): Set<string> => {
    let a = ancestors.get(name);
    if (a) return a;
    a = new Set<string>();
    ancestors.set(name, a);
    for (const p of parents.get(name) ?? []) {
      a.add(p);
      for (const x of ancestorsOf(p)) a.add(x);
    }
    return a;
  };

  // hosts that are in no group but all/ungrouped are `ungrouped`
  const direct = new Map<string, Set<string>>();
  for (const g of raw.groups.values()) for (const h of g.hosts) (direct.get(h) ?? direct.set(h, new Set()).get(h)!).add(g.name);
  // (and, as Ansible reconciles, a host listed as ungrouped but also in a real group is not)
  const ungrouped = raw.groups.get('ungrouped')!;
  for (const h of raw.hosts.keys()) {
    const gs = direct.get(h) ?? new Set<string>();
    if ([...gs].every((g) => g === 'all' || g === 'ungrouped')) {
      if (!ungrouped.hostSet.has(h)) {
        ungrouped.hostSet.add(h);
        ungrouped.hosts.push(h);
      }
      gs.add('ungrouped');
      direct.set(h, gs);
    } else if (gs.has('ungrouped')) {
      gs.delete('ungrouped');
      ungrouped.hostSet.delete(h);
    }
  }
  ungrouped.hosts = ungrouped.hosts.filter((x) => ungrouped.hostSet.has(x));

  const priority = new Map<string, number>();
  for (const g of raw.groups.values()) priority.set(g.name, priorityOf(g.vars));
  const order = (a: string, b: string): number =>
    depthOf(a) - depthOf(b) || priority.get(a)! - priority.get(b)! || (a < b ? -1 : a > b ? 1 : 0);

  const groups = new Map<string, InventoryGroup>();
  for (const g of raw.groups.values()) {
    const vars: Record<string, unknown> = { ...g.vars };
    for (const level of levels) Object.assign(vars, level.groups.get(g.name));
    groups.set(g.name, { name: g.name, hosts: [...g.hosts], children: [...g.children], vars });
  }

  const hosts = new Map<string, InventoryHost>();
  for (const h of raw.hosts.values()) {
    const member = new Set<string>();
    for (const g of direct.get(h.name) ?? []) {
      member.add(g);
      for (const a of ancestorsOf(g)) member.add(a);
    }
    member.delete('all');
    const sorted = [...member].sort(order);
    const vars: Record<string, unknown> = {};
    Object.assign(vars, raw.groups.get('all')!.vars);
    for (const level of levels) Object.assign(vars, level.groups.get('all'));
    for (const g of sorted) Object.assign(vars, raw.groups.get(g)!.vars);
    for (const level of levels) for (const g of sorted) Object.assign(vars, level.groups.get(g));
    Object.assign(vars, h.vars);
    for (const level of levels) Object.assign(vars, level.hosts.get(h.name));
    hosts.set(h.name, { name: h.name, vars, groups: ['all', ...sorted] });
  }

  return { inventory: { source, hosts, groups }, diagnostics: raw.diagnostics };
}
