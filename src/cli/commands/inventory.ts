// `runbook inventory`: the inventory as runbook reads it, in ansible-inventory's output shapes
// (--list JSON, --graph tree, --host JSON), so scripts written for ansible-inventory work.
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import type { Inventory } from '../../inventory/types.js';
import { UsageError } from '../../util/errors.js';
import { loadInventories, runSettings } from '../run-flags.js';
import { didYouMean } from '../../util/edit-distance.js';

export const inventoryCommand: Command = {
  name: 'inventory',
  help: `Usage: runbook inventory [-i INVENTORY]... --list | --graph [GROUP] | --host NAME

Prints the inventory as runbook reads it (every group, host and merged variable), in the
shapes ansible-inventory prints:
  --list         JSON: {"_meta": {"hostvars": {HOST: {VARS}}}, "all": {"children": [...]},
                 GROUP: {"hosts": [...], "children": [...]}}
  --graph [G]    the group tree from G (default all): @group: and |--host lines
  --host NAME    JSON: the host's variables (group and host variables merged)

Options:
  -i, --inventory FILE   inventory (repeatable; default from runbook.cfg/ansible.cfg or
                         RUNBOOK_INVENTORY, see 'runbook config')
      --list             every group and host as JSON
      --graph            the group tree (a GROUP positional starts it there)
      --host NAME        one host's variables as JSON
  -h, --help             this help

Examples:
  runbook inventory -i hosts.yml --graph
  runbook inventory -i hosts.yml --list | jq '._meta.hostvars | keys'
  runbook inventory -i hosts.yml --host node1
`,
  options: {
    inventory: { type: 'string', short: 'i', multiple: true },
    list: { type: 'boolean' },
    graph: { type: 'boolean' },
    host: { type: 'string' },
  },
  run: (args, io) => runInventory(args, io),
};

async function runInventory(args: ParsedArgs, io: CommandIo): Promise<number> {
  const v = args.values;
  const modes = [v.list === true, v.graph === true, typeof v.host === 'string'].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("runbook inventory: give one of --list, --graph or --host NAME (see 'runbook inventory --help')");
  const settings = runSettings({ values: { inventory: v.inventory }, positionals: [] }, io, 'inventory');
  const inventory = await loadInventories(settings.inventories, io.cwd);
  if (typeof v.host === 'string') {
    const h = inventory.hosts.get(v.host);
    if (!h) {
      const near = didYouMean(v.host, [...inventory.hosts.keys()]);
      throw new UsageError(`runbook inventory: no host '${v.host}' in ${inventory.source}${near !== undefined ? `; did you mean '${near}'?` : ''}`);
    }
    io.stdout.write(`${JSON.stringify(h.vars, null, 4)}\n`);
    return 0;
  }
  if (v.list === true) {
    io.stdout.write(`${JSON.stringify(inventoryList(inventory), null, 4)}\n`);
    return 0;
  }
  const start = args.positionals[0] ?? 'all';
  if (!inventory.groups.has(start)) {
    const near = didYouMean(start, [...inventory.groups.keys()]);
    throw new UsageError(`runbook inventory: no group '${start}' in ${inventory.source}${near !== undefined ? `; did you mean '${near}'?` : ''}`);
  }
  io.stdout.write(`${inventoryGraph(inventory, start).join('\n')}\n`);
  return 0;
}

/** Groups' children as the tree shows them: `all` holds every top-level group and `ungrouped`. */
function childrenOf(inventory: Inventory, group: string): string[] {
  const g = inventory.groups.get(group);
  return [...(g?.children ?? [])];
}

/** ansible-inventory --list */
export function inventoryList(inventory: Inventory): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {};
  for (const h of inventory.hosts.values()) if (!h.implicit) hostvars[h.name] = h.vars;
  const out: Record<string, unknown> = { _meta: { hostvars } };
  for (const g of inventory.groups.values()) {
    const entry: Record<string, unknown> = {};
    const children = childrenOf(inventory, g.name);
    if (children.length > 0) entry.children = children;
    // `all` lists no hosts of its own in ansible-inventory: they are under its children
    if (g.name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    if (Object.keys(entry).length > 0 || g.name === 'all') out[g.name] = entry;
  }
  return out;
}

/** ansible-inventory --graph */
export function inventoryGraph(inventory: Inventory, start: string): string[] {
  const lines: string[] = [];
  const walk = (group: string, depth: number, seen: Set<string>): void => {
    const pad = '  |'.repeat(depth);
    lines.push(`${depth === 0 ? '' : `${pad}--`}@${group}:`);
    if (seen.has(group)) return;
    const inner = new Set([...seen, group]);
    for (const c of childrenOf(inventory, group)) walk(c, depth + 1, inner);
    const g = inventory.groups.get(group);
    if (group !== 'all') for (const h of g?.hosts ?? []) lines.push(`${'  |'.repeat(depth + 1)}--${h}`);
  };
  walk(start, 0, new Set());
  return lines;
}
