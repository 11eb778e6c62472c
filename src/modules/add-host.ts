// add_host and group_by: change the run's inventory (Ansible's in-memory inventory plugins
// actions). The modules only say what to change (ModuleResult.inventory); the engine applies it
// (src/inventory/runtime.ts) and reports `changed` when the inventory really changed, as
// Ansible's strategy does, so a second run of the same play is ok, not changed.
import type { ModuleDefinition } from './types.js';
import { defineModule } from './runner.js';
import { moduleSchema } from './util/schema.js';

interface AddHostArgs {
  name: string;
  groups?: string | string[];
  [variable: string]: unknown;
}

/** `host:port` and `[v6]:port` → name and port (Ansible's parse_address, without ranges). */
export function splitHostPort(value: string): { name: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (v6) return { name: v6[1] ?? value, ...(v6[2] !== undefined ? { port: Number(v6[2]) } : {}) };
  const m = /^([^:]+):(\d+)$/.exec(value);
  if (m) return { name: m[1] ?? value, port: Number(m[2]) };
  return { name: value };
}

function groupList(v: unknown): string[] {
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [];
  return [...new Set(list.map((g) => g.trim()).filter((g) => g !== ''))];
}

export const addHostModule: ModuleDefinition<AddHostArgs> = defineModule({
  name: 'add_host',
  controllerOnly: true,
  bypassHostLoop: true,
  // connection passwords given as host variables are masked like the inventory's
  secretArgs: ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_password', 'ansible_become_pass'],
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, aliases: ['host', 'hostname'], description: 'the host to add (`host:port` sets ansible_port)' },
      groups: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        aliases: ['group', 'groupname'],
        description: 'groups to put the host in (a list or a comma-separated string); made when missing',
      },
    },
    required: ['name'],
    // every other argument is a variable of the host (ansible_host, ansible_user, ...)
    additionalProperties: true,
  }),
  doc: {
    short: 'Add a host (and groups) to the inventory of this run, for the plays after it',
    description:
      'Runs once per batch (Ansible bypasses the host loop for it); use `loop` to add several hosts. Arguments other than `name` and `groups` become variables of the host. The host is in `hostvars`, `groups` and host patterns from then on; a later play selects it.',
    returns: { add_host: '`host_name`, `groups` and `host_vars` of the change', changed: 'true when the host, one of its groups or a variable was new' },
    example: '- add_host:\n    name: "{{ new_ip }}"\n    groups: [fresh]\n    ansible_user: admin',
    notes: ['A host added this way is not selected under `--limit` unless the limit names it (Ansible computes the limit once, at the start).'],
  },
  run(_ctx, args) {
    const { name: raw, groups, group: _g, groupname: _gn, host: _h, hostname: _hn, ...rest } = args;
    const { name, port } = splitHostPort(String(raw));
    const vars: Record<string, unknown> = { ...rest };
    if (port !== undefined) vars.ansible_port = port;
    const change = { name, groups: groupList(groups), vars };
    return Promise.resolve({
      changed: true,
      data: { add_host: { host_name: name, groups: change.groups, host_vars: vars } },
      inventory: { addHost: change },
    });
  },
});

interface GroupByArgs {
  key: string;
  parents?: string | string[];
}

export const groupByModule: ModuleDefinition<GroupByArgs> = defineModule({
  name: 'group_by',
  controllerOnly: true,
  schema: moduleSchema({
    properties: {
      key: { type: 'string', minLength: 1, description: 'the group to put the host in (usually a template: `os_{{ ansible_distribution }}`); spaces become `-`' },
      parents: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        default: ['all'],
        description: 'groups the new group is a child of (default `all`)',
      },
    },
    required: ['key'],
  }),
  doc: {
    short: 'Put each host in a group named from its variables, for the plays after it',
    description: 'Runs for every host. The group (and its parents) are made when missing; a later play can target them.',
    returns: { add_group: 'the group', parent_groups: 'its parents', changed: 'true when the host was not in the group yet' },
    example: '- group_by:\n    key: "os_{{ ansible_distribution }}"',
  },
  run(_ctx, args) {
    const group = args.key.replace(/ /g, '-');
    const parents = (Array.isArray(args.parents) ? args.parents : [args.parents ?? 'all']).map((p) => p.replace(/ /g, '-'));
    return Promise.resolve({ changed: false, data: { add_group: group, parent_groups: parents }, inventory: { addGroup: { group, parents } } });
  },
});
