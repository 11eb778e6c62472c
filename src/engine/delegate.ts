// Where a task's module runs, when that is not simply its host: `delegate_to` (an inventory
// host, an address, or localhost), `local_action` (the loader makes it delegate_to: localhost)
// and `connection: local` on a play, block or task. As Ansible: the module runs over the
// delegated host's connection (its ansible_host/port/user/key, its become settings), the
// task keeps its own host's variables for templating (`inventory_hostname` stays), and the
// result is registered on its own host; `delegate_facts: true` sends the facts it sets to the
// delegated host instead.
//
// Connections are pooled per delegated host, not per task host: delegating to an inventory host
// uses that host's own (one) connection; an address or an implicit localhost outside the
// inventory gets one pooled connection of its own, closed at the end of the run (closeDelegated).
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { applyFacts, connect, newHost } from './host-state.js';
import type { Inherited } from './inherit.js';
import type { TaskOutcome } from './outcome.js';
import type { HostRun, RunState } from './run-state.js';
import { createScope, renderValue } from './templating.js';
import type { VarScope } from './templating.js';

/** Ansible's implicit localhost names (C.LOCALHOST). */
const LOCALHOST = new Set(['localhost', '127.0.0.1', '::1']);

export interface Delegation {
  /** the rendered delegate_to (for connection: local without delegate_to: `localhost`) */
  name: string;
  /** the host the module runs on: its connection, its facts */
  target: HostRun;
  /** the delegated host's own variables (connection and become settings come from them) */
  vars: Record<string, unknown>;
  /** `delegate_facts: true`: facts the task sets go to `target` */
  facts: boolean;
  /** only `connection: local`: the task's host's variables stay in charge of become */
  connectionOnly: boolean;
}

/** Pooled hosts outside the inventory (addresses, an implicit localhost, connection: local). */
const pools = new WeakMap<RunState, Map<string, HostRun>>();

function pooled(run: RunState, key: string, inv: InventoryHost): HostRun {
  let pool = pools.get(run);
  if (!pool) pools.set(run, (pool = new Map<string, HostRun>()));
  let h = pool.get(key);
  if (!h) {
    h = newHost(run, inv.name, inv);
    pool.set(key, h);
  }
  return h;
}

/**
 * The host a delegate_to name stands for, as Ansible looks it up: an inventory host by name,
 * else an inventory host whose address (ansible_host) is that name, else Ansible's implicit
 * localhost for localhost/127.0.0.1/::1 (local connection), else a host of that address with
 * no variables (reached over ssh with the run's defaults).
 */
export function delegateHost(run: RunState, name: string): HostRun {
  const inv = run.inventory;
  const own = inv.hosts.get(name);
  if (own) return run.host(name);
  for (const h of inv.hosts.values()) if (!h.implicit && h.vars.ansible_host === name) return run.host(h.name);
  return pooled(run, `delegate:${name}`, outsideHost(inv, name));
}

function outsideHost(inv: Inventory, name: string): InventoryHost {
  if (LOCALHOST.has(name)) {
    return {
      name,
      vars: { ...(inv.groups.get('all')?.vars ?? {}), ansible_connection: 'local', ansible_host: name === '::1' ? '::1' : '127.0.0.1' },
      groups: [],
      implicit: true,
    };
  }
  return { name, vars: {}, groups: [] };
}

/**
 * The task's delegation on this host (for this loop item: delegate_to is rendered with the
 * item), or undefined when the module runs on the task's host as usual.
 */
export function resolveDelegation(run: RunState, h: HostRun, inh: Inherited, scope: VarScope): Delegation | undefined {
  if (inh.delegateTo !== undefined && inh.delegateTo !== null) {
    const rendered = renderValue(inh.delegateTo, scope);
    if (rendered !== undefined && rendered !== null && typeof rendered !== 'string' && typeof rendered !== 'number') {
      throw new TypeError(`delegate_to must name a host, got ${JSON.stringify(rendered)}`);
    }
    const name = rendered === undefined || rendered === null ? '' : String(rendered).trim();
    if (name !== '') {
      const target = delegateHost(run, name);
      const vars = target.inv.vars;
      // connection: local on the task wins unless the delegated host names its own connection
      if (inh.connection === 'local' && vars.ansible_connection === undefined) {
        return { name, target: localHost(run), vars, facts: inh.delegateFacts ?? false, connectionOnly: false };
      }
      return { name, target, vars, facts: inh.delegateFacts ?? false, connectionOnly: false };
    }
  }
  if (inh.connection === 'local' && h.inv.vars.ansible_connection !== 'local') {
    return { name: h.name, target: localHost(run), vars: h.inv.vars, facts: false, connectionOnly: true };
  }
  return undefined;
}

/** `connection: local`: the controller, one connection for every host that asks. */
function localHost(run: RunState): HostRun {
  return pooled(run, 'local', { name: 'localhost', vars: { ansible_connection: 'local', ansible_host: '127.0.0.1' }, groups: [], implicit: true });
}

/** The connection a task's module uses: the delegated host's (pooled) or the host's own. */
export function connectFor(run: RunState, h: HostRun, d: Delegation | undefined): Promise<Transport> {
  return connect(run, d ? d.target : h);
}

/**
 * Whose connection gathers a host's facts: under `connection: local` the controller's (Ansible
 * gathers the controller's facts under the host's name), else the host's own.
 */
export function factsVia(run: RunState, h: HostRun, inh: Inherited): HostRun {
  if (inh.connection === 'local' && h.inv.vars.ansible_connection !== 'local') return localHost(run);
  return h;
}

/** `ansible_delegated_vars` as Ansible sets it: the delegated host's variables under its name. */
export function delegatedVars(d: Delegation): Record<string, unknown> {
  const vars = d.target.inv.vars;
  return {
    ansible_delegated_vars: {
      [d.name]: {
        ...vars,
        inventory_hostname: d.target.name,
        inventory_hostname_short: d.target.name.split('.')[0] ?? d.target.name,
        ansible_host: vars.ansible_host ?? d.name,
        group_names: d.target.inv.groups.filter((g) => g !== 'all' && g !== 'ungrouped'),
        ...d.target.factVars,
      },
    },
  };
}

/** The delegated host's variables for its become settings (its inventory values, templated, -e on top). */
export function delegatedScope(run: RunState, d: Delegation): VarScope {
  return createScope([
    { name: 'delegated host', kind: 'template', vars: d.vars },
    { name: 'extra vars', kind: 'template', vars: run.options.extraVars ?? {} },
  ]);
}

/** Pooled connections outside the inventory, for the run's end. */
export function delegatedHosts(run: RunState): HostRun[] {
  return [...(pools.get(run)?.values() ?? [])];
}

/** The host a task's module ran on (its facts may be stale now). */
export function ranOn(run: RunState, h: HostRun, o: TaskOutcome): HostRun {
  return o.delegatedTo !== undefined ? delegateHost(run, o.delegatedTo) : h;
}

/** The facts a task set: on its host, or with delegate_facts on the delegated host. */
export function setFacts(run: RunState, h: HostRun, o: TaskOutcome): void {
  if (!o.facts) return;
  applyFacts(o.delegateFacts ? ranOn(run, h, o) : h, o.facts);
}
