// Variable scopes: what a task on a host sees, layer by layer, in src/template/scope.ts's
// documented precedence (lowest first), plus Ansible's magic variables and `hostvars`.
import type { RoleRef } from '../playbook/types.js';
import type { Inherited } from './inherit.js';
import { NOTHING_INHERITED } from './inherit.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import { taskSearchPath } from '../playbook/search-path.js';
import { createScope } from './templating.js';
import type { VarScope } from './templating.js';

type Layer = { name: string; vars: Record<string, unknown>; kind: 'template' | 'data' };

/** The layers of `what` of each role, in order, onto `out`. */
function pushRoleLayers(out: Layer[], what: 'defaults' | 'vars' | 'params', roles: readonly RoleRef[]): void {
  for (let i = 0; i < roles.length; i++) {
    const r = roles[i] as RoleRef;
    const vars = r[what];
    if (vars) out.push({ name: `role ${what === 'params' ? 'params' : what} (${r.name})`, kind: 'template', vars });
  }
}

// Built with push and indexed loops: this runs per task and host, and in code V8 has not
// optimised every spread and for-of is an iterator and a result object per element.
export function taskScope(run: RunState, h: HostRun, br: BatchRun, inh: Inherited, loopVars?: Record<string, unknown>): VarScope {
  const play = br.play;
  // the play's public roles (roles:, import_role, include_role public), then the roles the task is in, outer to inner
  const shared = h.publicRoles ? [...(play.roles ?? []), ...h.publicRoles] : (play.roles ?? []);
  const chain = inh.roles ? [...inh.roles].reverse() : [];
  const layers: Layer[] = [];
  pushRoleLayers(layers, 'defaults', shared);
  pushRoleLayers(layers, 'defaults', chain);
  layers.push({ name: 'inventory', kind: 'template', vars: h.inv.vars });
  layers.push({ name: 'magic variables', kind: 'data', vars: magic(run, h, br, inh) });
  layers.push({ name: 'facts', kind: 'data', vars: h.factVars });
  layers.push({ name: 'play vars', kind: 'template', vars: play.vars });
  for (let i = 0; i < play.varsFiles.length; i++) {
    const vf = play.varsFiles[i] as (typeof play.varsFiles)[number];
    layers.push({ name: `vars_files ${vf.file}`, kind: 'template', vars: vf.vars });
  }
  pushRoleLayers(layers, 'vars', shared);
  pushRoleLayers(layers, 'vars', chain);
  for (let i = 0; i < inh.vars.length; i++) layers.push({ name: 'task vars', kind: 'template', vars: inh.vars[i] as Record<string, unknown> });
  if (h.includeVars) layers.push({ name: 'include_vars', kind: 'template', vars: h.includeVars });
  if (inh.rescueVars) layers.push({ name: 'rescue', kind: 'data', vars: inh.rescueVars });
  if (loopVars) layers.push({ name: 'loop', kind: 'data', vars: loopVars });
  layers.push({ name: 'registered and set_fact', kind: 'data', vars: h.vars });
  pushRoleLayers(layers, 'params', chain);
  const params = inh.includeParams;
  // most tasks have none: no empty array made per task and host for them
  if (params) {
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as (typeof params)[number];
      layers.push({ name: 'include params', kind: p.kind, vars: p.vars });
    }
  }
  layers.push({ name: 'extra vars', kind: 'template', vars: run.options.extraVars ?? {} });
  return createScope(layers);
}

/**
 * The magic variables, made once per host for as long as what they are made of holds: the
 * batch, the run's state (play_hosts changes when a host fails), the roles the task is in
 * and the host's groups. A data layer is never changed by its readers, so tasks share it.
 */
function magic(run: RunState, h: HostRun, br: BatchRun, inh: Inherited): Record<string, unknown> {
  const c = h.magic;
  if (c !== undefined && c.batch === br && c.version === run.stateVersion && c.roles === inh.roles && c.groups === h.inv.groups) return c.vars;
  const vars = makeMagic(run, h, br, inh);
  h.magic = { batch: br, version: run.stateVersion, roles: inh.roles, groups: h.inv.groups, vars };
  return vars;
}

function makeMagic(run: RunState, h: HostRun, br: BatchRun, inh: Inherited): Record<string, unknown> {
  // the active host list changes only when a host fails: cache it per batch
  if (!br.active || br.active.version !== run.stateVersion) {
    br.active = { version: run.stateVersion, names: br.hosts.filter((x) => x.state === 'ok').map((x) => x.name) };
  }
  const active = br.active.names;
  const o = run.options;
  return {
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0] ?? h.name,
    group_names: h.inv.groups.filter((g) => g !== 'all' && g !== 'ungrouped'),
    groups: run.groups,
    hostvars: run.hostvars,
    play_hosts: active,
    ansible_play_hosts: active,
    ansible_play_batch: active,
    ansible_play_hosts_all: br.playHosts,
    ansible_play_name: br.play.name,
    ansible_check_mode: o.check ?? false,
    ansible_diff_mode: o.diff ?? false,
    ansible_verbosity: o.verbosity ?? 0,
    ansible_run_tags: o.tags?.length ? o.tags : ['all'],
    ansible_skip_tags: o.skipTags ?? [],
    playbook_dir: run.playbookDir,
    ...roleMagic(run, inh),
    // Ansible: defined (empty) before facts are gathered; the facts layer above replaces it
    ansible_facts: {},
  };
}

/** role_name, role_path and the search path of a task inside a role (Ansible's magic variables). */
function roleMagic(run: RunState, inh: Inherited): Record<string, unknown> {
  const roles = inh.roles ?? [];
  const inner = roles[0];
  return {
    ansible_search_path: taskSearchPath(run.playbookDir, roles),
    ...(inner
      ? {
          role_name: inner.name,
          role_path: inner.path,
          ansible_role_name: inner.name,
          ansible_parent_role_names: roles.slice(1).map((r) => r.name),
          ansible_parent_role_paths: roles.slice(1).map((r) => r.path),
        }
      : {}),
  };
}

/** `hostvars[name]`: that host's variables as known now, in the current play. */
export function hostScope(run: RunState, name: string): VarScope | undefined {
  if (!run.inventory.hosts.has(name)) return undefined;
  const br = run.currentBatch;
  const h = run.host(name);
  if (!br) return createScope([{ name: 'inventory', kind: 'template', vars: h.inv.vars }]);
  return taskScope(run, h, br, NOTHING_INHERITED);
}
