// Handlers: a changed task notifies them (by name or `listen`); they run once, at the end of
// the batch or at `meta: flush_handlers`, in definition order, on the hosts that notified them.
// A handler runs through the same step walk as a task (`runTask`, passed in by the walk).
import type { TaskNode } from '../playbook/types.js';
import { hostFailed } from './host-state.js';
import { handlerName } from './identity.js';
import { fromPlay } from './inherit.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import type { RunTask, TaskCall } from './task-call.js';
import { render } from './templating.js';
import type { VarScope } from './templating.js';

/** A changed task notifies its handlers on its host (once each until they run). */
export function notify(call: TaskCall, scope: VarScope): void {
  const { run, host: h } = call;
  // a block's `notify` counts for each of its tasks (Ansible)
  for (const raw of call.inh.notify.length > 0 ? [...call.task.notify, ...call.inh.notify] : call.task.notify) {
    let name = raw;
    try {
      name = String(render(raw, scope));
    } catch {
      // keep the raw name: validation already checked that it names a handler
    }
    for (const [i, handler] of call.batch.play.handlers.entries()) {
      if (handler.name !== name && !(handler.listen ?? []).includes(name)) continue;
      if (!h.notified.has(i)) {
        h.notified.set(i, call.ref);
        run.emit({ type: 'handler_notified', host: h.name, handler: handlerName(handler), by: call.ref });
      }
    }
  }
}

/** Run the notified handlers on `among` (default: the batch); `endOfBatch` false inside flush_handlers. */
export async function runHandlers(run: RunState, br: BatchRun, runTask: RunTask, among: readonly HostRun[] = br.hosts, endOfBatch = true): Promise<void> {
  const play = br.play;
  if (play.handlers.length === 0 || run.stopping) return;
  const force = run.options.forceHandlers ?? false;
  if (br.fatal && !force) return;
  // handlers do not inherit the play's tags: --tags never filters them out
  const inh = fromPlay(play, []);
  const handlerBatch: BatchRun = { ...br, runOnce: new Map() };
  delete handlerBatch.lockstep;
  // a handler may notify another one: keep going while notifications appear (bounded)
  for (let pass = 0; pass < 10; pass++) {
    let ran = false;
    for (const [i, handler] of play.handlers.entries()) {
      if (run.stopping) return;
      const hosts = among.filter((h) => h.notified.has(i) && !h.ended && (h.state === 'ok' || (force && h.state === 'failed')));
      if (hosts.length === 0) continue;
      ran = true;
      await Promise.all(
        hosts.map(async (h) => {
          h.notified.delete(i);
          const outcome = await runTask({ run, host: h, batch: handlerBatch, task: handler, inh, handler: true });
          // a host that had failed already (--force-handlers) counts this failure too
          if (outcome === 'failed') hostFailed(run, h);
          // during flush_handlers the host's own run reports its end
          if (endOfBatch && (outcome === 'failed' || outcome === 'unreachable')) run.emit({ type: 'host_end', host: h.name, state: h.state });
        }),
      );
    }
    if (!ran) break;
  }
}

/** `meta: flush_handlers`. Under linear, every host of the batch reaches it together: one handler run for all. */
export function flushHandlers(run: RunState, br: BatchRun, h: HostRun, at: TaskNode, runTask: RunTask): Promise<void> {
  if (!br.lockstep) return runHandlers(run, br, runTask, [h], false);
  br.flushes ??= new Map();
  let p = br.flushes.get(at);
  if (!p) {
    p = runHandlers(run, br, runTask, br.hosts, false);
    br.flushes.set(at, p);
  }
  return p;
}

/** At the end of a batch: handlers still notified are listed in the recap as not run. */
export function pendingHandlers(run: RunState, br: BatchRun): void {
  for (const h of br.hosts) {
    if (h.notified.size === 0) continue;
    const names = [...h.notified.keys()].sort((x, y) => x - y).map((i) => handlerName(br.play.handlers[i]));
    run.emit({ type: 'handlers_pending', host: h.name, handlers: names });
    h.notified.clear();
  }
}
