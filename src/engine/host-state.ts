// A host during a run: made on first use, its one connection (opened on the first task that
// needs it), its facts (gathered once, again when a task changed the host and a module reads
// them), and its state changes (failed, unreachable) as the tally hears of them.
import type { HostFacts } from '../facts/types.js';
import type { InventoryHost } from '../inventory/types.js';
import type { TaskNode } from '../playbook/types.js';
import { ExecError, UnreachableError, stderrExcerpt } from '../transport/errors.js';
import type { Transport } from '../transport/types.js';
import { InterruptedError } from '../util/errors.js';
import { factVars } from '../facts/facts-vars.js';
import { execFailure, failure, NO_LOG_MSG } from './outcome.js';
import type { TaskOutcome } from './outcome.js';
import type { TaskRef } from './events.js';
import type { HostRun, RunState } from './run-state.js';

/** Running work was stopped by Ctrl-C (not the host's fault: never "unreachable"). */
const interrupted = (): InterruptedError => new InterruptedError('interrupted (Ctrl-C) and stopped');

export function newHost(run: Pick<RunState, 'inventory'>, name: string, inv?: InventoryHost): HostRun {
  return {
    name,
    inv: inv ?? run.inventory.hosts.get(name) ?? { name, vars: {}, groups: ['all'] },
    state: 'ok',
    factVars: {},
    factsStale: false,
    vars: {},
    notified: new Map(),
  };
}

/** The host failed (its play, or a handler): counted once, its last failure listed in the recap. */
export function hostFailed(run: RunState, h: HostRun): void {
  h.state = 'failed';
  run.stateVersion++;
  run.emit({ type: 'host_failed', host: h.name, ...(h.lastFailure ? { failure: h.lastFailure } : {}) });
  h.lastFailure = undefined;
}

/** A module deferred the host (weekly certificate budget): it ends its plays, reported with the time it fits. */
export function hostDeferred(run: RunState, h: HostRun, from: string, reason: string): void {
  if (h.state !== 'ok') return;
  h.state = 'deferred';
  run.stateVersion++;
  run.emit({ type: 'host_deferred', host: h.name, from, reason });
}

export function hostUnreachable(run: RunState, h: HostRun): void {
  h.state = 'unreachable';
  run.stateVersion++;
}

/** Rejects with InterruptedError when running commands are being stopped (Ctrl-C). */
function abortable<T>(run: RunState, p: Promise<T>): Promise<T> {
  const signal = run.kill;
  if (signal.aborted) return Promise.reject(interrupted());
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => reject(interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The host's one connection; UnreachableError when it cannot be opened, InterruptedError on Ctrl-C. */
export function connect(run: RunState, h: HostRun): Promise<Transport> {
  h.connecting ??= (async () => {
    const t0 = Date.now();
    try {
      // wait_for_connection may have made (and opened) the transport already: the same one
      const t = transportOf(run, h);
      await abortable(run, t.connect());
      run.emit({ type: 'host_connect', host: h.name, status: 'ok', durationMs: Date.now() - t0 });
      return t;
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      const e =
        err instanceof UnreachableError
          ? err
          : new UnreachableError(h.name, 'other', `${h.name}: cannot connect: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      run.emit({ type: 'host_connect', host: h.name, status: 'unreachable', msg: e.message, durationMs: Date.now() - t0 });
      throw e;
    }
  })();
  return h.connecting;
}

/** The host's transport, created but not opened (a module that opens it itself: wait_for_connection). */
export function transportOf(run: RunState, h: HostRun): Transport {
  return (h.transport ??= run.options.transportFactory(h.inv));
}

/**
 * The host's facts: gathered on first need, again when stale and `refreshIfStale`; over `via`'s
 * connection when that is not the host's own (`connection: local` gathers the controller's).
 */
export async function ensureFacts(run: RunState, h: HostRun, refreshIfStale: boolean, via: HostRun = h): Promise<HostFacts> {
  if (h.facts && !(refreshIfStale && h.factsStale)) return h.facts;
  const gather = run.options.gatherFacts;
  if (!gather) throw new Error('facts are not available: no fact gatherer configured');
  const t = await connect(run, via);
  h.facts = await abortable(run, gather(t));
  // what gathering just answered is newer than what a module (setup) returned earlier
  if (h.moduleFacts) for (const k of Object.keys(factVars(h.facts))) delete h.moduleFacts[k];
  h.factVars = factVars(h.facts, h.moduleFacts);
  h.factsStale = false;
  return h.facts;
}

/**
 * Facts a task set on a host: a module's `ansible_facts` (setup, service_facts, ...) join the
 * host's facts (ansible_facts.X and the top-level name, as Ansible injects them); the rest
 * (set_fact) are host variables.
 */
export function applyFacts(h: HostRun, facts: Readonly<Record<string, unknown>>): void {
  const { ansible_facts: af, ...rest } = facts;
  if (af && typeof af === 'object' && !Array.isArray(af)) {
    h.moduleFacts = { ...h.moduleFacts, ...(af as Record<string, unknown>) };
    h.factVars = factVars(h.facts, h.moduleFacts);
  }
  if (Object.keys(rest).length > 0) h.vars = { ...h.vars, ...rest };
}

/** The play's fact-gathering step (`gather_facts: true`) as a task outcome. */
export async function gatherStep(run: RunState, h: HostRun, via: HostRun = h): Promise<TaskOutcome> {
  try {
    const facts = await ensureFacts(run, h, true, via);
    return { status: 'ok', result: { changed: false, failed: false, ansible_facts: factVars(facts).ansible_facts } };
  } catch (err) {
    if (err instanceof UnreachableError) throw err;
    if (err instanceof ExecError) return execFailure(err.result);
    if (err instanceof InterruptedError) return failure(err.message);
    return failure(`gathering facts failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A failed task (not ignored) on a host: what rescue sees and what the recap lists if the host fails. */
export function recordFailure(h: HostRun, task: TaskNode, ref: TaskRef, o: TaskOutcome, noLog = false): void {
  h.failedTask = {
    task: {
      // the task's own name, as Ansible serialises it: no `ROLE : ` prefix (that is display only)
      name: task.name ?? task.module,
      action: task.module,
      args: task.args,
      tags: task.tags,
      ...(task.when ? { when: task.when } : {}),
      ...(task.register ? { register: task.register } : {}),
      where: ref.where,
    },
    result: o.result,
  };
  h.lastFailure = {
    host: h.name,
    task: ref.name,
    where: ref.where,
    msg: noLog ? NO_LOG_MSG : (o.msg ?? 'failed'),
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
    ...(o.stderr && !noLog ? { stderr: stderrExcerpt(o.stderr) } : {}),
  };
}
