// Dynamic includes, resolved per host when the step walk reaches them (Ansible's include_tasks,
// include_role, include_vars; import_* were inserted when the playbook was loaded):
//
//  - the include's own `loop`, `when` and `vars` are evaluated for this host (and item); its
//    `tags`/`when` belong to the include itself, as in Ansible: included tasks only get keywords
//    through `apply:`; the include's `vars:` and loop variable reach them as include params;
//  - the file or role name is rendered, looked for along the search path and validated exactly
//    as at load time (file:line:col), once per run and file: every host runs the same task
//    objects. A file that is missing or has errors fails the include on that host, naming the
//    host, the rendered name and the paths tried (ignore_errors applies);
//  - the include's events (one result per item: "included: FILE") all come before the
//    included tasks run, then each item's tasks run through the step walk (`runSteps`).
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { allModuleNames, getModule } from '../modules/registry.js';
import { findRoleFor, loadIncludedRole, loadIncludedTasks, loadVarsFile, taskFileCandidates, varsFileCandidates } from '../playbook/load.js';
import type { IncludeLoadOptions, IncludeLoadResult, RoleFrom } from '../playbook/load.js';
import { isDir, isFile } from '../playbook/roles.js';
import { notFoundMessage, searchCandidates, taskSearchPath } from '../playbook/search-path.js';
import type { BlockNode, RoleRef, Step, TaskNode } from '../playbook/types.js';
import type { Diagnostic } from '../util/diagnostic.js';
import { condition, truthy } from './conditions.js';
import { ignoreErrors } from './execute.js';
import { recordFailure } from './host-state.js';
import { displayName, itemLabel, templateMessage, where } from './identity.js';
import { inherit } from './inherit.js';
import type { Inherited } from './inherit.js';
import { failure } from './outcome.js';
import type { StepOutcome, TaskOutcome } from './outcome.js';
import type { RunState } from './run-state.js';
import type { TaskStep } from './task-call.js';
import { renderValue } from './templating.js';
import type { VarScope } from './templating.js';
import { taskScope } from './vars.js';

/** The step walk, for the included steps (src/engine/walk.ts passes its own). */
export type RunSteps = (steps: readonly Step[], inh: Inherited) => Promise<StepOutcome>;

/** An include_tasks that includes itself (with a condition that never turns false) stops here. */
const MAX_INCLUDE_DEPTH = 64;

/** One item's work: what to run after the include's events, or the failure. */
interface Planned {
  item?: unknown;
  label?: string;
  outcome: TaskOutcome;
  run?: { steps: readonly Step[]; inh: Inherited };
}

/**
 * Run an include task on a host. `outer` is what the include's parent passes down (without the
 * include's own tags and when: they are not inherited by the included tasks).
 */
export async function runInclude(step: TaskStep, outer: Inherited, runSteps: RunSteps): Promise<StepOutcome> {
  const { run, host: h, batch: br, task, inh } = step;
  const spec = task.include;
  if (!spec) return 'ok';
  const ref = run.refs.get(task, br.plan.index, step.handler);
  const t0 = Date.now();
  const scope = taskScope(run, h, br, inh);
  const name = displayName(task, scope);
  const shown = name === ref.name ? ref : { ...ref, name };
  run.emit({ type: 'task_start', host: h.name, task: shown });
  const noLog = inh.noLog ?? false;

  const planned: Planned[] = [];
  let whole: TaskOutcome | undefined;
  if ((inh.includeDepth ?? 0) >= MAX_INCLUDE_DEPTH) {
    whole = failure(`${where(task)}: ${task.module} nested more than ${MAX_INCLUDE_DEPTH} deep on ${h.name} (does a file include itself without an end?)`);
  } else if (task.loop !== undefined) {
    let items: unknown;
    try {
      items = renderValue(task.loop, scope);
    } catch (err) {
      whole = failure(templateMessage(err, task, 'loop'));
    }
    if (!whole && !Array.isArray(items)) whole = failure(`${where(task)}: loop must be a list, got ${items === null ? 'null' : typeof items}`);
    if (!whole && Array.isArray(items)) {
      const loopVar = task.loopControl?.loopVar ?? 'item';
      for (const [i, item] of items.entries()) {
        const loopVars: Record<string, unknown> = {
          [loopVar]: item as unknown,
          ansible_loop_var: loopVar,
          ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length },
          ...(task.loopControl?.indexVar ? { [task.loopControl.indexVar]: i } : {}),
        };
        const itemScope = taskScope(run, h, br, inh, loopVars);
        const p = await planOne(step, outer, itemScope, loopVars);
        planned.push({ ...p, item, label: noLog ? '(censored)' : itemLabel(task, item, itemScope) });
      }
    }
  } else {
    planned.push(await planOne(step, outer, scope, undefined));
  }

  // the include's events, all before any included task runs
  if (!whole && task.loop !== undefined) {
    for (const p of planned) {
      run.emit({ type: 'task_start', host: h.name, task: shown, ...(p.label !== undefined ? { item: p.label } : {}) });
      run.emit({ type: 'task_result', host: h.name, task: shown, status: p.outcome.status, ...(p.label !== undefined ? { item: p.label } : {}), durationMs: 0, ...fields(p.outcome, noLog) });
    }
    const failed = planned.find((p) => p.outcome.status === 'failed');
    const results = planned.map((p) => ({ ...p.outcome.result, item: p.item }));
    const allSkipped = planned.length === 0 || planned.every((p) => p.outcome.status === 'skipped');
    const changed = planned.some((p) => p.outcome.status === 'changed');
    whole = {
      status: failed ? 'failed' : allSkipped ? 'skipped' : changed ? 'changed' : 'ok',
      result: { changed, failed: failed !== undefined, results, msg: failed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed', ...(allSkipped ? { skipped: true } : {}) },
      msg: failed ? `One or more items failed: ${failed.outcome.msg ?? ''}`.trim() : planned.map((p) => p.outcome.msg).filter((m) => m !== undefined).join('; ') || 'no items',
    };
  }
  whole ??= planned[0]?.outcome ?? failure('nothing to include');
  if (task.register) h.vars = { ...h.vars, [task.register]: whole.result };
  const ignored = whole.status === 'failed' && ignoreErrors(run, h, br, inh);
  run.emit({ type: 'task_result', host: h.name, task: shown, status: whole.status, durationMs: Date.now() - t0, ...(ignored ? { ignored: true } : {}), ...fields(whole, noLog) });
  if (whole.status === 'failed' && !ignored) {
    recordFailure(h, task, ref, whole, noLog);
    return 'failed';
  }
  if (whole.status === 'failed') return 'ok';
  for (const p of planned) {
    if (!p.run) continue;
    const outcome = await runSteps(p.run.steps, p.run.inh);
    if (outcome !== 'ok') return outcome;
  }
  return 'ok';
}

function fields(o: TaskOutcome, noLog: boolean): { msg?: string; result?: Record<string, unknown> } {
  if (noLog) return { msg: 'the output has been hidden due to the fact that no_log: true was specified for this result' };
  return { ...(o.msg !== undefined ? { msg: o.msg } : {}), result: o.result };
}

const skipped = (cond: string | boolean): TaskOutcome => ({
  status: 'skipped',
  result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: cond },
  msg: `skipped: condition is false: ${String(cond)}`,
});

/** One item of an include on one host: when, then the file/role/vars resolved and loaded. */
async function planOne(step: TaskStep, outer: Inherited, scope: VarScope, loopVars: Record<string, unknown> | undefined): Promise<Planned> {
  const { task, inh } = step;
  for (const cond of [...inh.when, ...(task.when ?? [])]) {
    try {
      if (!condition(cond, scope)) return { outcome: skipped(cond) };
    } catch (err) {
      return { outcome: failure(templateMessage(err, task, 'when')) };
    }
  }
  let args: Record<string, unknown>;
  try {
    args = renderValue(task.args, scope) as Record<string, unknown>;
  } catch (err) {
    return { outcome: failure(templateMessage(err, task, 'arguments')) };
  }
  switch (task.include?.action) {
    case 'include_vars':
      return { outcome: await includeVars(step, args) };
    case 'include_role':
      return includeRole(step, outer, args, loopVars);
    default:
      return includeTasks(step, outer, args, loopVars);
  }
}

/** What the included steps inherit: the include's surroundings, its vars (and loop variable) as include params, `apply:`. */
function childInherited(step: TaskStep, outer: Inherited, loopVars: Record<string, unknown> | undefined, role?: RoleRef): Inherited {
  const { task } = step;
  const params = [...(outer.includeParams ?? [])];
  if (task.vars) params.push({ vars: task.vars, kind: 'template' });
  if (loopVars) params.push({ vars: loopVars, kind: 'data' });
  let inh: Inherited = { ...outer, includeParams: params, includeDepth: (outer.includeDepth ?? 0) + 1 };
  // the include's role (include_tasks inside a role): its tasks stay in the role
  if (task.role && task.role.path !== inh.roles?.[0]?.path) inh = { ...inh, roles: [task.role, ...(inh.roles ?? [])] };
  if (task.include?.apply) inh = inherit(inh, applyBlock(task));
  if (role && role.path !== inh.roles?.[0]?.path) inh = { ...inh, roles: [role, ...(inh.roles ?? [])] };
  return inh;
}

const applyBlocks = new WeakMap<TaskNode, BlockNode>();
function applyBlock(task: TaskNode): BlockNode {
  let b = applyBlocks.get(task);
  if (!b) {
    b = { ...(task.include?.apply ?? { tags: [], location: task.location, path: task.path }), kind: 'block', block: [], rescue: [], always: [] };
    applyBlocks.set(task, b);
  }
  return b;
}

function loadOptions(step: TaskStep): IncludeLoadOptions {
  const { run, batch: br, task, inh } = step;
  const get = run.options.getModule ?? getModule;
  return {
    baseDir: dirname(br.play.location.file),
    modules: { get: (n) => get(n), names: allModuleNames },
    ...(run.options.rolesPath ? { rolesPath: run.options.rolesPath } : {}),
    ...(task.role ?? inh.roles?.[0] ? { role: task.role ?? inh.roles?.[0] } : {}),
    site: task.location,
  };
}

/** The search path of the include itself (its role, then the playbook directory). */
function searchPathOf(step: TaskStep): string[] {
  const roles = step.inh.roles ?? (step.task.role ? [step.task.role] : []);
  return taskSearchPath(step.run.playbookDir, roles);
}

function describeErrors(errors: readonly Diagnostic[]): string {
  const shown = errors.slice(0, 10).map((d) => `  ${d.location.file}:${d.location.line}:${d.location.col}: ${d.code}: ${d.message}`);
  if (errors.length > 10) shown.push(`  ... and ${errors.length - 10} more`);
  return shown.join('\n');
}

/** Run-time loads are shared by every host and item of a run: the same file gives the same task objects. */
const loads = new WeakMap<RunState, Map<string, Promise<IncludeLoadResult<object>>>>();
function cached<T extends object>(run: RunState, key: string, load: () => Promise<IncludeLoadResult<T>>): Promise<IncludeLoadResult<T>> {
  let m = loads.get(run);
  if (!m) loads.set(run, (m = new Map<string, Promise<IncludeLoadResult<object>>>()));
  let p = m.get(key) as Promise<IncludeLoadResult<T>> | undefined;
  if (!p) {
    p = load();
    m.set(key, p);
  }
  return p;
}

async function includeTasks(step: TaskStep, outer: Inherited, args: Record<string, unknown>, loopVars: Record<string, unknown> | undefined): Promise<Planned> {
  const { run, host: h, task } = step;
  const spec = task.include;
  if (!spec) return { outcome: failure('not an include') };
  const name = typeof args.file === 'string' ? args.file : '';
  if (name === '') return { outcome: failure(`${where(task)}: include_tasks on ${h.name}: the file name rendered empty`) };
  let file: string | undefined;
  let steps: readonly Step[] | undefined;
  if (spec.file !== undefined && spec.steps !== undefined && name === task.args.file) {
    // the literal name loaded (and validated) with the playbook
    file = spec.file;
    steps = spec.steps;
  } else {
    const candidates = taskFileCandidates(spec.baseDir, searchPathOf(step), name);
    file = candidates.find(isFile);
    if (file === undefined) return { outcome: failure(`${where(task)}: include_tasks on ${h.name}: ${notFoundMessage('file', name, candidates)}`) };
    const at = file;
    const r = await cached(run, `tasks\0${at}\0${task.role?.path ?? ''}`, () => loadIncludedTasks(at, loadOptions(step)));
    if (!r.ok) return { outcome: failure(`${where(task)}: include_tasks '${name}' on ${h.name}: ${at} is not a valid task file:\n${describeErrors(r.errors)}`) };
    steps = (r as { steps: Step[] }).steps;
  }
  const shown = relative(run.playbookDir, file) || file;
  return {
    outcome: { status: 'ok', result: { changed: false, include: name, file }, msg: `included: ${shown}` },
    run: { steps, inh: childInherited(step, outer, loopVars) },
  };
}

async function includeRole(step: TaskStep, outer: Inherited, args: Record<string, unknown>, loopVars: Record<string, unknown> | undefined): Promise<Planned> {
  const { run, host: h, batch: br, task } = step;
  const spec = task.include;
  const raw = args.name ?? args.role;
  const name = typeof raw === 'string' ? raw : '';
  if (name === '') return { outcome: failure(`${where(task)}: include_role on ${h.name}: the role name rendered empty`) };
  const from: RoleFrom = {};
  for (const f of ['tasks', 'vars', 'defaults', 'handlers'] as const) {
    const v = args[`${f}_from`];
    if (typeof v === 'string' && v !== '') from[f] = v;
  }
  let ref: RoleRef;
  let steps: readonly Step[];
  const literal = name === (task.args.name ?? task.args.role) && (['tasks', 'vars', 'defaults', 'handlers'] as const).every((f) => from[f] === task.args[`${f}_from`]);
  if (spec?.role && spec.steps && literal) {
    ref = spec.role;
    steps = spec.steps;
  } else {
    const o = loadOptions(step);
    const where_ = findRoleFor(name, o);
    if (where_.found === undefined) return { outcome: failure(`${where(task)}: include_role on ${h.name}: role '${name}' not found; looked in: ${where_.tried.join(', ')}`) };
    const r = await cached(run, `role\0${where_.found}\0${JSON.stringify(from)}\0${o.role?.path ?? ''}`, () => loadIncludedRole(name, from, o));
    if (!r.ok) return { outcome: failure(`${where(task)}: include_role '${name}' on ${h.name}: the role has errors:\n${describeErrors(r.errors)}`) };
    const loaded = r as { ref: RoleRef; steps: Step[]; handlers: TaskNode[] };
    ref = loaded.ref;
    steps = loaded.steps;
    // its handlers join the play's (once: the load is shared by every host)
    for (const hd of loaded.handlers) if (!br.play.handlers.includes(hd)) br.play.handlers.push(hd);
  }
  const pub = args.public === undefined ? false : truthy(args.public);
  if (pub && !(h.publicRoles ?? []).includes(ref)) h.publicRoles = [...(h.publicRoles ?? []), ref];
  return {
    outcome: { status: 'ok', result: { changed: false, include: name, role_path: ref.path }, msg: `included role: ${name}` },
    run: { steps, inh: childInherited(step, outer, loopVars, ref) },
  };
}

const DEFAULT_EXTENSIONS = ['yaml', 'yml', 'json'];

/** include_vars: a file (or a directory's files) read, validated, and kept as this host's include_vars. */
async function includeVars(step: TaskStep, args: Record<string, unknown>): Promise<TaskOutcome> {
  const { host: h, task } = step;
  const spec = task.include;
  if (!spec) return failure('not an include');
  const o = loadOptions(step);
  const sp = searchPathOf(step);
  const at = `${where(task)}: include_vars on ${h.name}`;
  let files: string[];
  if (typeof args.dir === 'string') {
    const candidates = [...new Set([...searchCandidates(sp, 'vars', args.dir), join(spec.baseDir, args.dir)])].map((p) => (p.startsWith('/') ? p : join(spec.baseDir, p)));
    const dir = candidates.find(isDir);
    if (dir === undefined) return failure(`${at}: ${notFoundMessage('directory', args.dir, candidates)}`);
    const depth = Number(args.depth ?? 0);
    const exts = Array.isArray(args.extensions) ? args.extensions.map(String) : DEFAULT_EXTENSIONS;
    let matching: RegExp | undefined;
    try {
      matching = typeof args.files_matching === 'string' && args.files_matching !== '' ? new RegExp(args.files_matching) : undefined;
    } catch (err) {
      return failure(`${at}: files_matching is not a valid regular expression: ${(err as Error).message}`);
    }
    // Ansible: each entry is a regular expression matched at the end of the file name
    const ignore = (Array.isArray(args.ignore_files) ? args.ignore_files : args.ignore_files === undefined ? [] : [args.ignore_files]).map((x) => endPattern(String(x)));
    files = walkVarsDir(dir, depth, 1).filter((f) => {
      const base = f.split('/').pop() ?? f;
      const ext = base.includes('.') ? base.split('.').pop() ?? '' : '';
      if (!exts.includes(ext)) return false;
      if (matching && !matching.test(base)) return false;
      return !ignore.some((re) => re.test(base));
    });
  } else {
    const name = typeof args.file === 'string' ? args.file : '';
    const candidates = varsFileCandidates(spec.baseDir, sp, name);
    const found = candidates.find(isFile);
    if (found === undefined) return failure(`${at}: ${notFoundMessage('file', name, candidates)}`);
    files = [found];
  }
  let merged: Record<string, unknown> = {};
  for (const f of files) {
    const r = await loadVarsFile(f, o);
    if (!r.ok) return failure(`${at}: ${f} is not a valid vars file:\n${describeErrors(r.errors)}`);
    const vars = (r as { vars: Record<string, unknown> }).vars;
    merged = args.hash_behaviour === 'merge' ? deepMerge(merged, vars) : { ...merged, ...vars };
  }
  const named = typeof args.name === 'string' && args.name !== '' ? { [args.name]: merged } : merged;
  h.includeVars = { ...(h.includeVars ?? {}), ...named };
  return { status: 'ok', result: { changed: false, ansible_facts: named, ansible_included_var_files: files }, msg: `loaded ${files.length === 1 ? (files[0] ?? '') : `${files.length} files`}` };
}

/** A directory's files, sorted, then its subdirectories' (depth 0: every level), as Ansible walks them. */
function walkVarsDir(dir: string, maxDepth: number, depth: number): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) if (e.isFile()) out.push(join(dir, e.name));
  for (const e of entries) {
    if (e.isDirectory() && (maxDepth === 0 || depth < maxDepth)) out.push(...walkVarsDir(join(dir, e.name), maxDepth, depth + 1));
  }
  return out;
}

function endPattern(x: string): RegExp {
  try {
    return new RegExp(`${x}$`);
  } catch {
    return new RegExp(`${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  }
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    out[k] = isMapping(old) && isMapping(v) ? deepMerge(old, v) : v;
  }
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
