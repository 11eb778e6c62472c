// `meta: ACTION`, a step kind of its own: it acts on the run (handlers, the play, the batch),
// never on the host, so it has no module call, no connection and no retries.
import { META_ACTIONS } from '../modules/meta.js';
import { condition } from './conditions.js';
import { ignoreErrors } from './execute.js';
import { templateMessage, where } from './identity.js';
import { recordFailure } from './host-state.js';
import { failure } from './outcome.js';
import type { StepOutcome } from './outcome.js';
import type { HostRun } from './run-state.js';
import type { TaskStep } from './task-call.js';
import { renderValue } from './templating.js';
import { taskScope } from './vars.js';

/** `meta: end_host` and friends: no more tasks this play for the host. */
export function endHost(h: HostRun): StepOutcome {
  h.ended = true;
  return 'ended';
}

/** `flush` runs the notified handlers now (src/engine/handlers.ts, through the walk). */
export async function runMeta(step: TaskStep, flush: () => Promise<void>): Promise<StepOutcome> {
  const { run, host: h, batch: br, task, inh } = step;
  const ref = run.refs.get(task, br.plan.index);
  const t0 = Date.now();
  const scope = taskScope(run, h, br, inh);
  run.emit({ type: 'task_start', host: h.name, task: ref });
  const done = (status: 'ok' | 'skipped', msg: string): void => {
    run.emit({ type: 'task_result', host: h.name, task: ref, status, msg, durationMs: Date.now() - t0 });
  };
  const fail = (msg: string): StepOutcome => {
    const o = failure(msg);
    const ignored = ignoreErrors(run, h, br, inh);
    run.emit({ type: 'task_result', host: h.name, task: ref, status: 'failed', msg, durationMs: Date.now() - t0, result: o.result, ...(ignored ? { ignored: true } : {}) });
    if (ignored) return 'ok';
    recordFailure(h, task, ref, o);
    return 'failed';
  };
  let action: string;
  try {
    const raw = task.args.action ?? task.args._raw_params ?? task.args.free_form;
    action = String(renderValue(raw ?? '', scope)).trim();
    for (const cond of [...inh.when, ...(task.when ?? [])]) {
      if (!condition(cond, scope)) {
        done('skipped', `skipped: condition is false: ${String(cond)}`);
        return 'ok';
      }
    }
  } catch (err) {
    return fail(templateMessage(err, task, 'meta'));
  }
  switch (action) {
    case 'noop':
      done('ok', 'noop');
      return 'ok';
    case 'flush_handlers': {
      done('ok', 'running the notified handlers now');
      await flush();
      if (run.stopping || br.fatal) return 'stopped';
      // a failed handler failed the host (counted by runHandlers): no more tasks for it
      if (h.state !== 'ok') return 'ended';
      return 'ok';
    }
    case 'end_host':
      done('ok', 'ending the play for this host');
      return endHost(h);
    case 'end_play':
    case 'end_batch':
      br.ended = action === 'end_play' ? 'play' : 'batch';
      // hosts waiting at the linear barrier move on to find the play ended
      br.lockstep?.release();
      done('ok', action === 'end_play' ? 'ending the play for every host' : 'ending the play for the hosts of this batch');
      return endHost(h);
    default:
      return fail(
        `${where(task)}: meta: ${action === '' ? '(no action)' : `'${action}'`} is not supported by runbook; ` +
          `supported: ${META_ACTIONS.join(', ')}`,
      );
  }
}
