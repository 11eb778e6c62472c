// The per-host step walk: one host through a play's steps (fact gathering, pre_tasks, tasks,
// post_tasks), into blocks (rescue, always), with each task's gate: tags and --start-at-task,
// Ctrl-C and any_errors_fatal, the linear barrier, max_fail_percentage, end of play; then
// meta (src/engine/meta.ts), run_once, or the executor (src/engine/execute.ts) within `forks`.
import type { BlockNode, Step, TaskNode } from '../playbook/types.js';
import { getModule } from '../modules/registry.js';
import { isMeta } from './conditions.js';
import { executeTask, ignoreErrors } from './execute.js';
import { runInclude } from './include.js';
import { flushHandlers } from './handlers.js';
import { applyFacts, hostFailed, recordFailure } from './host-state.js';
import { fromPlay, inherit } from './inherit.js';
import type { Inherited } from './inherit.js';
import { endHost, runMeta } from './meta.js';
import type { StepOutcome, TaskOutcome } from './outcome.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import { tagsSelected } from './tags.js';
import type { TaskStep } from './task-call.js';
import { resolveKeywords } from './keywords.js';
import { taskScope } from './vars.js';

const PAUSE = new Set(['pause', 'ansible.builtin.pause', 'ansible.legacy.pause']);

/** One host's run of one batch's play; reports the host's end (host_end). */
export async function runHost(run: RunState, h: HostRun, br: BatchRun): Promise<void> {
  const play = br.play;
  const inh = fromPlay(play);
  let outcome: StepOutcome = 'ok';
  h.ended = false;
  try {
    if (play.gatherFacts) outcome = await gather(run, h, br, inh);
    const sections = [play.preTasks, play.tasks, play.postTasks] as const;
    for (const [i, steps] of sections.entries()) {
      if (outcome !== 'ok') break;
      outcome = await runSteps(run, h, br, steps, inh);
      // Ansible runs the notified handlers after pre_tasks and after roles+tasks (the end of
      // the batch runs them after post_tasks): roles see what pre_tasks' handlers did
      if (outcome === 'ok' && i < 2 && steps.length > 0 && sections.slice(i + 1).some((s) => s.length > 0)) {
        outcome = await sectionFlush(run, h, br, i === 0 ? 'pre_tasks' : 'tasks');
      }
    }
    // a handler run by meta: flush_handlers may have failed the host already
    if (outcome === 'failed' && h.state !== 'failed') hostFailed(run, h);
    if ((outcome === 'failed' || outcome === 'unreachable') && play.anyErrorsFatal && !br.fatal) {
      br.fatal = `any_errors_fatal: ${h.name} ${outcome === 'failed' ? 'failed' : 'was unreachable'}`;
    }
  } finally {
    br.lockstep?.leave(h.name);
    run.emit({ type: 'host_end', host: h.name, state: outcome === 'stopped' ? 'stopped' : h.state });
  }
}

/**
 * max_fail_percentage inside a batch, as Ansible's linear strategy does after each task:
 * once more than the share of the batch failed or is unreachable, no host of the batch
 * starts another task (under linear, every host has finished the previous task by now).
 */
export function checkMaxFail(br: BatchRun): void {
  const max = br.play.maxFailPercentage;
  if (max === undefined || br.fatal) return;
  // deferred hosts (weekly certificate budget) did not fail
  const bad = br.hosts.filter((x) => x.state === 'failed' || x.state === 'unreachable').length;
  const pct = (bad * 100) / br.hosts.length;
  if (pct > max) {
    br.fatal = `max_fail_percentage ${max}% exceeded in batch ${br.batchIndex + 1}: ${bad} of ${br.hosts.length} hosts failed or unreachable (${Math.round(pct)}%)`;
  }
}

async function runSteps(run: RunState, h: HostRun, br: BatchRun, steps: readonly Step[], inh: Inherited, handler = false): Promise<StepOutcome> {
  for (const step of steps) {
    const outcome = step.kind === 'block' ? await runBlock(run, h, br, step, inh, handler) : await runTask({ run, host: h, batch: br, task: step, inh, handler });
    if (outcome !== 'ok') return outcome;
  }
  return 'ok';
}

async function runBlock(run: RunState, h: HostRun, br: BatchRun, b: BlockNode, parent: Inherited, handler = false): Promise<StepOutcome> {
  const inh = inherit(parent, b);
  let outcome = await runSteps(run, h, br, b.block, inh, handler);
  if (outcome === 'failed' && b.rescue.length > 0) {
    // the failure is handled: Ansible counts it as rescued, not failed
    run.emit({ type: 'rescued', host: h.name });
    h.lastFailure = undefined;
    // Ansible: the failed task and its result are visible in the rescue tasks
    const failed = h.failedTask;
    const rescueInh: Inherited = failed ? { ...inh, rescueVars: { ansible_failed_task: failed.task, ansible_failed_result: failed.result } } : inh;
    outcome = await runSteps(run, h, br, b.rescue, rescueInh, handler);
  }
  if (outcome === 'ok' || outcome === 'failed') {
    const always = await runSteps(run, h, br, b.always, inh, handler);
    if (outcome === 'ok') outcome = always;
  }
  return outcome;
}

/** The implicit flush_handlers at the end of pre_tasks and of tasks (one per batch under linear). */
async function sectionFlush(run: RunState, h: HostRun, br: BatchRun, section: 'pre_tasks' | 'tasks'): Promise<StepOutcome> {
  if (br.play.handlers.length === 0) return 'ok';
  let last: number | undefined;
  for (const t of br.plan.tasks) if (t.section === section && (last === undefined || t.position > last)) last = t.position;
  // every host finishes the section's last task before the handlers run (linear)
  const gate = await passGate(run, h, br, last === undefined ? undefined : last + 0.5, true);
  if (gate !== undefined) return gate;
  await flushHandlers(run, br, h, sectionFlushTask(br, section), runTask);
  if (run.stopping || br.fatal) return 'stopped';
  // a failed handler failed the host: no more tasks for it
  return h.state === 'ok' ? 'ok' : 'ended';
}

const flushTasks = new WeakMap<object, Record<string, TaskNode>>();
function sectionFlushTask(br: BatchRun, section: 'pre_tasks' | 'tasks'): TaskNode {
  let m = flushTasks.get(br.play);
  if (!m) flushTasks.set(br.play, (m = {}));
  return (m[section] ??= { kind: 'task', name: `flush handlers after ${section}`, module: 'meta', args: { free_form: 'flush_handlers' }, notify: [], tags: ['always'], location: br.play.location, path: `${br.play.path}.${section}.flush` });
}

/** A task's gate, then meta, run_once or the executor. Handlers come here too (no tag or start-at filter). */
export async function runTask(parentStep: TaskStep): Promise<StepOutcome> {
  const { run, host: h, batch: br, task, handler } = parentStep;
  const inh = inherit(parentStep.inh, task);
  // a literal of one shape, not a spread (a spread of a step was a slow generic object copy, per task and host)
  const step: TaskStep = { run, host: h, batch: br, task, inh, handler };
  if (!handler) {
    if (!tagsSelected(inh.tags, run.options.tags ?? [], run.options.skipTags ?? [])) return 'ok';
    if (run.plan.beforeStart.has(task)) return 'ok';
  }
  const gate = await passGate(run, h, br, br.plan.positions.get(task), handler);
  if (gate !== undefined) return gate;
  if (!handler && isMeta(task.module)) return runMeta(step, () => flushHandlers(run, br, h, task, runTask));
  if (!handler && run.options.step && !(await stepAnswer(run, br, task))) return 'ok';
  // include_tasks/include_role/include_vars: resolved here, per host (src/engine/include.ts); the
  // included steps inherit what surrounds the include, not its own tags and when
  // (no fork is held: the include itself is controller work, and its tasks take forks of their own)
  if (task.include) return runInclude(step, parentStep.inh, (steps, childInh) => runSteps(run, h, br, steps, childInh, handler));
  // pause and add_host run once for the batch, as Ansible's (they bypass the host loop)
  if (inh.runOnce || PAUSE.has(task.module) || (run.options.getModule ?? getModule)(task.module)?.bypassHostLoop || (inh.dynamic.run_once !== undefined && runOnceWanted(step))) return runOnce(step);
  const endTurn = await run.throttles.acquire(task, inh.throttle);
  try {
    return await withFork(run, () => executeTask(step));
  } finally {
    endTurn();
  }
}

/** Fact gathering: an engine step of its own, before the play's tasks, tagged `always`. */
async function gather(run: RunState, h: HostRun, br: BatchRun, playInh: Inherited): Promise<StepOutcome> {
  const inh: Inherited = { ...playInh, tags: [...playInh.tags, 'always'] };
  if (!tagsSelected(inh.tags, run.options.tags ?? [], run.options.skipTags ?? [])) return 'ok';
  // position 0 is before every task: hosts gather without waiting for each other
  const gate = await passGate(run, h, br, undefined, false);
  if (gate !== undefined) return gate;
  return withFork(run, () => executeTask({ run, host: h, batch: br, task: gatherTask(br), inh, handler: false }, true));
}

/** What stops a host before a task: Ctrl-C, a fatal batch, the end of the play, the barrier. */
async function passGate(run: RunState, h: HostRun, br: BatchRun, pos: number | undefined, handler: boolean): Promise<StepOutcome | undefined> {
  if (run.stopping || br.fatal) return 'stopped';
  if (br.ended) return endHost(h);
  if (br.lockstep && pos !== undefined) await br.lockstep.arrive(h.name, pos);
  if (!handler) {
    checkMaxFail(br);
    run.checkRollout(br);
  }
  if (run.stopping || br.fatal) return 'stopped';
  if (br.ended) return endHost(h);
  if (h.state === 'unreachable') return 'unreachable';
  if (h.state === 'deferred') return endHost(h);
  return undefined;
}

/** `--step`: the first host of the batch to reach a task asks; the others share the answer. */
function stepAnswer(run: RunState, br: BatchRun, task: TaskNode): Promise<boolean> {
  br.steps ??= new Map();
  let answer = br.steps.get(task);
  if (answer === undefined && run.options.step) {
    answer = run.options.step(run.refs.get(task, br.plan.index));
    br.steps.set(task, answer);
  }
  return answer ?? Promise.resolve(true);
}

async function withFork(run: RunState, work: () => Promise<StepOutcome>): Promise<StepOutcome> {
  const release = await run.sem.acquire();
  try {
    if (run.stopping) return 'stopped';
    return await work();
  } finally {
    release();
  }
}

/** A templated `run_once`, rendered for this host (a bad value fails the task when it runs). */
function runOnceWanted(step: TaskStep): boolean {
  const r = resolveKeywords(step.inh, taskScope(step.run, step.host, step.batch, step.inh), ['run_once']);
  return r.ok && r.inh.runOnce === true;
}

/** run_once: the first host to get there runs it; every host of the batch gets its result. */
async function runOnce(step: TaskStep): Promise<StepOutcome> {
  const { run, host: h, batch: br, task, inh } = step;
  let shared = br.runOnce.get(task);
  if (!shared) {
    let captured: (TaskOutcome & { host: string }) | undefined;
    shared = (async () => {
      const release = await run.sem.acquire();
      try {
        const outcome = await executeTask(step, false, (o) => (captured = { ...o, host: h.name }));
        return captured ?? { status: outcome === 'ok' ? 'ok' : 'failed', result: {}, host: h.name };
      } finally {
        release();
      }
    })();
    br.runOnce.set(task, shared);
    const o = await shared;
    if (h.state === 'unreachable') return 'unreachable';
    return o.status === 'failed' && !ignoreErrors(run, h, br, inh) ? 'failed' : 'ok';
  }
  const o = await shared;
  if (task.register) h.vars = { ...h.vars, [task.register]: o.result };
  // delegate_facts: the facts went to the delegated host, not to each host of the batch
  if (o.facts && !o.delegateFacts) applyFacts(h, o.facts);
  if (o.status === 'failed' && !ignoreErrors(run, h, br, inh)) {
    const ref = run.refs.get(task, br.plan.index);
    recordFailure(h, task, ref, { status: 'failed', result: o.result, msg: `run_once task failed on ${o.host}: ${o.msg ?? ''}`.trim() });
    return 'failed';
  }
  return 'ok';
}

/** The TaskNode fact gathering is reported as (`Gathering Facts`, at the play's line). */
const gatherTasks = new WeakMap<object, TaskNode>();
function gatherTask(br: BatchRun): TaskNode {
  let t = gatherTasks.get(br.play);
  if (!t) {
    t = { kind: 'task', name: 'Gathering Facts', module: 'gather_facts', args: {}, notify: [], tags: ['always'], location: br.play.location, path: `${br.play.path}.gather_facts` };
    gatherTasks.set(br.play, t);
  }
  return t;
}
