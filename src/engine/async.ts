// A task with `async: N` (Ansible's asynchronous actions): the module's command starts as a job
// on the host (src/modules/async-status.ts) and then
// - `poll: 0`: the task ends at once with `started: 1, finished: 0, ansible_job_id, results_file`
//   (changed, as Ansible reports it); a later `async_status` task reads the job;
// - `poll: P` (default 15): every P seconds the job is read with async_status, at most N/P
//   times, as Ansible's task executor counts; a finished job's result is the task's result
//   (changed_when/failed_when judge it), an unfinished one fails the task with Ansible's
//   "async task did not complete within the requested time - Ns" (the host's watchdog kills it).
// Every call goes through callModule, so become, environment, delegation and the connection are
// the task's own, for starting and for each poll.
import type { ModuleDefinition } from '../modules/types.js';
import { asyncStatusModule, startAsyncJob } from '../modules/async-status.js';
import type { CommandKind } from '../modules/command.js';
import { callModule, judgeResult } from './call-module.js';
import { sleep } from './lockstep.js';
import { failure, type TaskOutcome } from './outcome.js';
import type { ModuleCall } from './task-call.js';
import type { VarScope } from './templating.js';

/** Ansible's DEFAULT_POLL_INTERVAL */
export const DEFAULT_POLL_S = 15;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ModuleDefinition<any>;

/** The task's module with its run replaced by "start it as a job" (same schema, same arguments). */
function launcher(module: AnyModule, limitS: number): AnyModule {
  return { ...module, run: (ctx, args: Record<string, unknown>) => startAsyncJob(ctx, module.name as CommandKind, module.schema, args, limitS) };
}

export async function callAsync(call: ModuleCall, scope: VarScope): Promise<TaskOutcome> {
  const { run, task } = call;
  const limitS = task.async ?? 0;
  const pollS = task.poll ?? DEFAULT_POLL_S;
  if (call.inh.checkMode ?? run.options.check ?? false) return failure('check mode and async cannot be used on same task.');
  if (pollS === 0) return callModule({ ...call, module: launcher(call.module, limitS) }, scope);
  // starting and polling are not judged by the task's changed_when/failed_when: the job's result is
  const { changedWhen: _c, failedWhen: _f, ...bare } = task;
  const started = await callModule({ ...call, task: bare, module: launcher(call.module, limitS) }, scope);
  const jid = started.result.ansible_job_id;
  if (started.status === 'failed' || typeof jid !== 'string') return started;
  const statusCall: ModuleCall = { ...call, task: { ...bare, module: 'async_status', args: { jid } }, module: asyncStatusModule };
  let last: TaskOutcome = started;
  let timeLeft = limitS;
  while (timeLeft > 0) {
    await sleep(pollS * 1000, run.stopped);
    if (run.stopping) return failure(`interrupted (Ctrl-C) while waiting for async job ${jid} (it goes on on the host)`);
    last = await callModule(statusCall, scope);
    if (last.result.finished === 1 || last.status === 'failed') break;
    timeLeft -= pollS;
    run.emit({ type: 'progress', host: call.host.name, task: call.ref, msg: `ASYNC POLL on ${call.host.name}: jid=${jid} started=${String(last.result.started)} finished=${String(last.result.finished)}` });
  }
  if (last.result.finished !== 1) {
    const msg = `async task did not complete within the requested time - ${limitS}s`;
    return { status: 'failed', msg, result: { changed: false, failed: true, msg, async_result: last.result } };
  }
  const { changed, failed, msg, skipped, ...data } = last.result;
  return judgeResult(
    call,
    { changed: changed === true, ...(failed === true ? { failed: true } : {}), ...(typeof msg === 'string' ? { msg } : {}), ...(skipped === true ? { skipped: true } : {}), data },
    scope,
    undefined,
  );
}
