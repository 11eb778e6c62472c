// Inventory changes during a run (`add_host`, `group_by`), as Ansible's strategy applies them:
// hosts and groups are added or joined in place, so plays after the change select from the
// changed inventory and `groups`, `group_names` and `hostvars` see it. Each change says whether
// it changed anything (Ansible reports `changed` only then: a re-run is ok, not changed).
//
// A host's variables here are already merged (src/inventory/build.ts). A host joining a group
// takes that group's variables (its inventory and group_vars/ values) under the variables it
// has, so its own host variables keep winning; the exact order between two groups of the same
// depth is not recomputed for a run-time join.
import { invalidatePatternCache } from './pattern.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';

export interface AddHostChange {
  name: string;
  groups: string[];
  vars: Record<string, unknown>;
}

export interface AddGroupChange {
  /** the host joining the group */
  host: string;
  group: string;
  /** groups the group becomes a child of (default `all`) */
  parents: string[];
}

function ensureGroup(inv: Inventory, name: string): { group: InventoryGroup; created: boolean } {
  const existing = inv.groups.get(name);
  if (existing) return { group: existing, created: false };
  const group: InventoryGroup = { name, hosts: [], children: [], vars: {} };
  inv.groups.set(name, group);
  const all = inv.groups.get('all');
  if (all && name !== 'all' && !all.children.includes(name)) all.children.push(name);
  return { group, created: true };
}

/** The group and its ancestors, nearest first (a cycle cannot loop here). */
function withAncestors(inv: Inventory, name: string): string[] {
  const out: string[] = [];
  const todo = [name];
  while (todo.length > 0) {
    const g = todo.shift()!;
    if (out.includes(g)) continue;
    out.push(g);
    for (const p of inv.groups.values()) if (p.children.includes(g)) todo.push(p.name);
  }
  return out;
}

/** Put a host in a group (and so in its ancestors); true when it was not in it yet. */
function join(inv: Inventory, host: InventoryHost, group: InventoryGroup): boolean {
  let changed = false;
  if (!group.hosts.includes(host.name)) {
    group.hosts.push(host.name);
    changed = true;
  }
  const ungrouped = inv.groups.get('ungrouped');
  if (group.name !== 'ungrouped' && group.name !== 'all' && ungrouped?.hosts.includes(host.name)) {
    ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
    host.groups = host.groups.filter((g) => g !== 'ungrouped');
  }
  for (const g of withAncestors(inv, group.name)) {
    if (host.groups.includes(g)) continue;
    host.groups.push(g);
    // the group's variables under the host's own (host variables win, as at load time)
    host.vars = { ...(inv.groups.get(g)?.vars ?? {}), ...host.vars };
    changed = true;
  }
  return changed;
}

/** `add_host`: a new host (or new groups/variables for a known one). */
export function addHost(inv: Inventory, change: AddHostChange): boolean {
  let changed = false;
  let host = inv.hosts.get(change.name);
  if (!host || host.implicit) {
    // a new host: in `all`, with `all`'s variables (and ungrouped until it joins a group)
    host = { name: change.name, vars: { ...(inv.groups.get('all')?.vars ?? {}) }, groups: ['all'] };
    inv.hosts.set(change.name, host);
    const all = ensureGroup(inv, 'all').group;
    if (!all.hosts.includes(change.name)) all.hosts.push(change.name);
    changed = true;
    if (change.groups.length === 0) join(inv, host, ensureGroup(inv, 'ungrouped').group);
  }
  for (const [k, v] of Object.entries(change.vars)) {
    if (!(k in host.vars) || JSON.stringify(host.vars[k]) !== JSON.stringify(v)) {
      host.vars = { ...host.vars, [k]: v };
      changed = true;
    }
  }
  for (const name of change.groups) {
    const { group, created } = ensureGroup(inv, name);
    if (join(inv, host, group) || created) changed = true;
  }
  if (changed) invalidatePatternCache(inv);
  return changed;
}

/** `group_by`: a host joins a group made (or found) at run time, under its parents. */
export function addGroup(inv: Inventory, change: AddGroupChange): boolean {
  const host = inv.hosts.get(change.host);
  if (!host) return false;
  let changed = false;
  const { group } = ensureGroup(inv, change.group);
  for (const p of change.parents) {
    const made = ensureGroup(inv, p);
    if (made.created) changed = true;
    if (p !== change.group && !made.group.children.includes(change.group) && !withAncestors(inv, p).includes(change.group)) {
      made.group.children.push(change.group);
      changed = true;
    }
  }
  if (join(inv, host, group)) changed = true;
  // a new parent link gives every member of the group its new ancestors
  for (const member of group.hosts) {
    const h = inv.hosts.get(member);
    if (h && h !== host) join(inv, h, group);
  }
  if (changed) invalidatePatternCache(inv);
  return changed;
}

/** group → its hosts (with its children's), in inventory order: the `groups` magic variable. */
export function groupMembers(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of inv.hosts.values()) {
    if (h.implicit) continue;
    for (const g of h.groups) (out[g] ??= []).push(h.name);
  }
  for (const g of inv.groups.keys()) out[g] ??= [];
  out.all ??= [];
  return out;
}
