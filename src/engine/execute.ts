// The task executor: one task on one host, from its task_start event to its task_result event.
// It resolves the module, runs the loop items and the retries (until/retries/delay), calls the
// module (src/engine/call-module.ts) and settles the outcome: register, set_fact, stale facts,
// handlers notified, ignore_errors, and the failure recorded (src/engine/outcome.ts).
import { getModule } from '../modules/registry.js';
import type { ModuleDefinition } from '../modules/types.js';
import type { FileDiff } from '../modules/types.js';
import { UnreachableError } from '../transport/errors.js';
import { callModule } from './call-module.js';
import { callAsync } from './async.js';
import { factsVia, ranOn, setFacts } from './delegate.js';
import { condition, truthy } from './conditions.js';
import { applyFacts, ensureFacts, gatherStep, hostUnreachable, recordFailure } from './host-state.js';
import { notify } from './handlers.js';
import { displayName, itemLabel, templateMessage, where } from './identity.js';
import type { Inherited } from './inherit.js';
import { sleep } from './lockstep.js';
import { failure, resultFields } from './outcome.js';
import type { StepOutcome, TaskOutcome } from './outcome.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import type { ModuleCall, TaskCall, TaskStep } from './task-call.js';
import { renderValue } from './templating.js';
import type { VarScope } from './templating.js';
import { taskScope } from './vars.js';
import { resolveKeywords } from './keywords.js';

/**
 * Run one task (or, with `gather`, the play's fact gathering) on one host and settle it.
 * `capture` sees the outcome before it is settled (run_once shares it with the batch).
 */
export async function executeTask(step: TaskStep, gather = false, capture?: (o: TaskOutcome) => void): Promise<StepOutcome> {
  const { run, host: h, batch: br, task, inh } = step;
  const ref = run.refs.get(task, br.plan.index, step.handler);
  const t0 = Date.now();
  // undefined: the engine's own fact gathering; null: no such module
  const module = gather ? undefined : ((run.options.getModule ?? getModule)(task.module) ?? null);
  try {
    if (module?.usesFacts && h.factsStale && h.facts) await ensureFacts(run, h, true);
    const scope = taskScope(run, h, br, inh);
    const name = displayName(task, scope);
    const shown = name === ref.name ? ref : { ...ref, name };
    run.emit({ type: 'task_start', host: h.name, task: shown });
    // templated keywords: a loop renders them per item (they may use the item), no_log first
    const resolved = resolveKeywords(inh, scope, task.loop !== undefined ? ['no_log'] : undefined);
    const callInh = resolved.ok ? resolved.inh : inh;
    // literals of one shape, not spreads of the step (a generic object copy per task and host)
    const call: TaskCall = { run, host: h, batch: br, task, inh: callInh, handler: step.handler, ref: shown, noLog: callInh.noLog ?? false };
    let o: TaskOutcome;
    if (module === undefined) o = await gatherStep(run, h, factsVia(run, h, inh));
    else if (module === null) o = failure(`${where(task)}: unknown module '${task.module}'`);
    else if (!resolved.ok) o = failure(`${where(task)}: ${resolved.msg}`);
    else if (task.loop !== undefined) o = await runLoop(moduleCall(call, module), scope);
    else o = await invoke(moduleCall(call, module), scope);
    capture?.(o);
    return settle(call, o, module ?? undefined, Date.now() - t0, scope);
  } catch (err) {
    if (err instanceof UnreachableError) {
      hostUnreachable(run, h);
      run.emit({ type: 'task_result', host: h.name, task: ref, status: 'unreachable', msg: err.message, durationMs: Date.now() - t0 });
      await h.transport?.close().catch(() => undefined);
      return 'unreachable';
    }
    throw err;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function moduleCall(c: TaskCall, module: ModuleDefinition<any>): ModuleCall {
  return { run: c.run, host: c.host, batch: c.batch, task: c.task, inh: c.inh, handler: c.handler, ref: c.ref, noLog: c.noLog, module };
}

/** The outcome becomes the host's: registered, reported, counted, handlers notified. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function settle(call: TaskCall, o: TaskOutcome, module: ModuleDefinition<any> | undefined, durationMs: number, scope: VarScope): StepOutcome {
  const { run, host: h, task, ref, noLog } = call;
  if (task.register) h.vars = { ...h.vars, [task.register]: o.result };
  setFacts(run, h, o);
  const ignored = o.status === 'failed' && ignoreErrors(run, h, call.batch, call.inh);
  run.emit({ type: 'task_result', host: h.name, task: ref, status: o.status, durationMs, ...(ignored ? { ignored: true } : {}), ...resultFields(o, noLog) });
  if (o.status === 'changed') {
    // in check mode nothing really changed: the facts are still true
    if (module && !module.controllerOnly && !(call.inh.checkMode ?? run.options.check ?? false)) ranOn(run, h, o).factsStale = true;
    notify(call, scope);
  }
  if (o.status === 'failed' && !ignored) {
    recordFailure(h, task, ref, o, noLog);
    // any_errors_fatal on the task or a block around it (the play's is checked at the host's end)
    const fatal = resolveKeywords(call.inh, scope, ['any_errors_fatal']);
    if (fatal.ok && fatal.inh.anyErrorsFatal === true && !call.batch.fatal) call.batch.fatal = `any_errors_fatal: ${h.name} failed`;
    return 'failed';
  }
  return 'ok';
}

export function ignoreErrors(run: RunState, h: HostRun, br: BatchRun, inh: Inherited): boolean {
  const v = inh.ignoreErrors;
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  try {
    return truthy(renderValue(v, taskScope(run, h, br, inh)));
  } catch {
    return false;
  }
}

async function runLoop(call: ModuleCall, scope: VarScope): Promise<TaskOutcome> {
  const { run, host: h, task, ref, noLog } = call;
  let items: unknown;
  try {
    items = renderValue(task.loop, scope);
  } catch (err) {
    return failure(templateMessage(err, task, 'loop'));
  }
  if (!Array.isArray(items)) return failure(`${where(task)}: loop must be a list, got ${typeOf(items)}`);
  const loopVar = task.loopControl?.loopVar ?? 'item';
  const indexVar = task.loopControl?.indexVar;
  const results: Array<Record<string, unknown>> = [];
  const warnings: string[] = [];
  const diffs: FileDiff[] = [];
  let facts: Record<string, unknown> | undefined;
  let firstFailure: TaskOutcome | undefined;
  const lc = task.loopControl;
  for (const [i, item] of items.entries()) {
    if (run.stopping && i > 0) {
      firstFailure ??= failure('interrupted (Ctrl-C) before the remaining loop items');
      break;
    }
    if (i > 0 && lc?.pause !== undefined && lc.pause > 0) {
      await sleep(lc.pause * 1000, run.stopped);
      if (run.stopping) {
        firstFailure ??= failure('interrupted (Ctrl-C) before the remaining loop items');
        break;
      }
    }
    const loopVars: Record<string, unknown> = {
      [loopVar]: item as unknown,
      ansible_loop_var: loopVar,
      ansible_loop: loopInfo(items, i, lc?.extended === true, lc?.extendedAllitems !== false),
    };
    if (indexVar) {
      loopVars[indexVar] = i;
      loopVars.ansible_index_var = indexVar;
    }
    const itemScope = taskScope(run, h, call.batch, call.inh, loopVars);
    const label = noLog ? '(censored)' : itemLabel(task, item, itemScope);
    const t0 = Date.now();
    run.emit({ type: 'task_start', host: h.name, task: ref, item: label });
    // templated keywords may use the item (`become_user: "{{ item.owner }}"`)
    const kw = resolveKeywords(call.inh, itemScope);
    const o = kw.ok ? await invoke({ ...call, inh: kw.inh }, itemScope) : failure(`${where(task)}: ${kw.msg}`);
    if (o.facts && o.delegateFacts) setFacts(run, h, o);
    else if (o.facts) {
      facts = { ...facts, ...o.facts };
      // later items see facts set by earlier ones
      applyFacts(h, o.facts);
    }
    run.emit({ type: 'task_result', host: h.name, task: ref, status: o.status, item: label, durationMs: Date.now() - t0, ...resultFields(o, noLog) });
    results.push({ ...o.result, item, ansible_loop_var: loopVar, ...(indexVar ? { [indexVar]: i } : {}) });
    if (o.warnings) warnings.push(...o.warnings);
    if (o.diff) diffs.push(...o.diff);
    if (o.status === 'failed') firstFailure ??= o;
    if (lc?.breakWhen !== undefined && o.status !== 'failed') {
      // break_when sees the item and, under the register name, this item's result (Ansible 2.18)
      const s = task.register ? itemScope.child({ name: 'result', kind: 'data', vars: { [task.register]: o.result } }) : itemScope;
      let stop: boolean;
      try {
        stop = lc.breakWhen.every((c) => condition(c, s));
      } catch (err) {
        firstFailure ??= failure(templateMessage(err, task, 'loop_control.break_when'));
        break;
      }
      if (stop) break;
    }
  }
  const changed = results.some((r) => r.changed === true);
  const allSkipped = results.length > 0 && results.every((r) => r.skipped === true);
  const failed = firstFailure !== undefined;
  const msg = failed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed';
  const result: Record<string, unknown> = { changed, failed, msg, results, ...(allSkipped || results.length === 0 ? { skipped: true } : {}) };
  return {
    status: failed ? 'failed' : allSkipped || results.length === 0 ? 'skipped' : changed ? 'changed' : 'ok',
    result,
    msg: failed ? `${msg}: ${firstFailure?.msg ?? ''}`.trim() : msg,
    ...(warnings.length ? { warnings } : {}),
    ...(diffs.length ? { diff: diffs } : {}),
    ...(firstFailure?.exitCode !== undefined ? { exitCode: firstFailure.exitCode } : {}),
    ...(firstFailure?.stderr ? { stderr: firstFailure.stderr } : {}),
    ...(firstFailure?.command ? { command: firstFailure.command } : {}),
    ...(facts ? { facts } : {}),
  };
}

/** One module run (one loop item): when, then the attempts (retries/until). */
async function invoke(call: ModuleCall, scope: VarScope): Promise<TaskOutcome> {
  const { run, task } = call;
  for (const cond of [...call.inh.when, ...(task.when ?? [])]) {
    let ok: boolean;
    try {
      ok = condition(cond, scope);
    } catch (err) {
      return failure(templateMessage(err, task, 'when'));
    }
    if (!ok) {
      return {
        status: 'skipped',
        result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: cond },
        msg: `skipped: condition is false: ${String(cond)}`,
      };
    }
  }
  const untilConds = task.until ?? [];
  const retries = call.inh.retries ?? task.retries;
  const delayS = call.inh.delay ?? task.delay ?? 5;
  const maxAttempts = untilConds.length > 0 || retries !== undefined ? Math.max(1, (retries ?? 3) + 1) : 1;
  const delayMs = delayS * 1000;
  let o: TaskOutcome = failure('not run');
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    o = task.async !== undefined && task.async > 0 ? await callAsync(call, scope) : await callModule(call, scope);
    if (maxAttempts > 1) o.result.attempts = attempt;
    if (maxAttempts === 1 || o.status === 'skipped') break;
    let done: boolean;
    if (untilConds.length > 0) {
      try {
        const s = task.register ? scope.child({ name: 'result', kind: 'data', vars: { [task.register]: o.result } }) : scope;
        done = untilConds.every((c) => condition(c, s));
      } catch (err) {
        o = failure(templateMessage(err, task, 'until'));
        break;
      }
    } else {
      done = o.status !== 'failed';
    }
    if (done) break;
    if (attempt === maxAttempts) {
      if (untilConds.length > 0 && o.status !== 'failed') {
        o = { ...o, status: 'failed', msg: `${o.msg ? `${o.msg}; ` : ''}"until" condition still false after ${attempt} attempts` };
        o.result.failed = true;
      }
      break;
    }
    if (run.stopping) break;
    run.emit({ type: 'progress', host: call.host.name, task: call.ref, msg: `retrying (attempt ${attempt + 1} of ${maxAttempts}) in ${delayS}s` });
    await sleep(delayMs, run.stopped);
    if (run.stopping) break;
  }
  return o;
}

/**
 * `ansible_loop`: index (from 1), index0, first, last, length always; with `extended` also
 * revindex, revindex0, previtem (not on the first item), nextitem (not on the last) and
 * allitems (unless `extended_allitems: false`), as Ansible's loop_control documents.
 */
export function loopInfo(items: readonly unknown[], i: number, extended: boolean, allitems: boolean): Record<string, unknown> {
  const n = items.length;
  const info: Record<string, unknown> = { index: i + 1, index0: i, first: i === 0, last: i === n - 1, length: n };
  if (!extended) return info;
  info.revindex = n - i;
  info.revindex0 = n - i - 1;
  if (i > 0) info.previtem = items[i - 1];
  if (i < n - 1) info.nextitem = items[i + 1];
  if (allitems) info.allitems = items;
  return info;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}
