// add_host / group_by results applied to the run's inventory (src/inventory/runtime.ts), as
// Ansible's strategy applies them after the action: the result is `changed` only when the
// inventory really changed; `groups` is refreshed, and later plays select from the changed
// inventory (run.ts calls plan.ts's playHosts at the start of each play).
import { addGroup, addHost, groupMembers } from '../inventory/runtime.js';
import type { ModuleResult } from '../modules/types.js';
import type { HostRun, RunState } from './run-state.js';

export function applyInventoryChange(run: RunState, h: HostRun, change: NonNullable<ModuleResult['inventory']>): boolean {
  let changed = false;
  if (change.addHost) changed = addHost(run.inventory, change.addHost) || changed;
  if (change.addGroup) changed = addGroup(run.inventory, { host: h.name, ...change.addGroup }) || changed;
  if (changed) {
    // groups only grow at run time: every key is rewritten, none goes away
    Object.assign(run.groups, groupMembers(run.inventory));
    run.stateVersion++;
  }
  return changed;
}
