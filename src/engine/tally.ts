// The recap, the per-host stats and the exit code, as a reducer over the run's events. Most
// of what the recap counts is in the public events (task results, batches, host ends); three
// facts no reporter needs are engine-internal events that go to the tally only (TallyEvent).
// The tally never touches the disk: the caller writes the retry file from `retryHosts`.
import { EXIT } from '../util/errors.js';
import type { HostStats, RecapEvent, RunEvent } from './events.js';

/** One failure as the recap repeats it. */
export type Failure = RecapEvent['failures'][number];

/** Events that exist for the tally only: never sent to a reporter. */
export type TallyEvent =
  /** the host failed (its play, or a handler): counted once as `failed`, its failure listed */
  | { type: 'host_failed'; host: string; failure?: Failure }
  /** a block's rescue handled a failure: counted as rescued, not failed */
  | { type: 'rescued'; host: string }
  /** handlers notified but not run at the end of a batch */
  | { type: 'handlers_pending'; host: string; handlers: string[] }
  /** Ctrl-C: the run stops starting tasks */
  | { type: 'interrupted' };

export type EngineEvent = RunEvent | TallyEvent;

const TALLY_ONLY: ReadonlySet<string> = new Set<TallyEvent['type']>(['host_failed', 'rescued', 'handlers_pending', 'interrupted']);

/** A public event (for reporters), not one of the tally's own. */
export function isRunEvent(e: EngineEvent): e is RunEvent {
  return !TALLY_ONLY.has(e.type);
}

export interface Tally {
  add(event: EngineEvent): void;
  /** the recap of what was added so far (retryFile and outputs are the caller's) */
  recap(extra: { durationMs: number; retryFile?: string; outputs?: Record<string, Record<string, unknown>> }): RecapEvent;
  /**
   * Hosts a re-run with `--limit @retry-file` must cover: failed, unreachable and deferred ones; after
   * Ctrl-C also every host that stopped early or never started. Inventory order.
   */
  retryHosts(): string[];
}

const META = new Set(['meta', 'ansible.builtin.meta']);

export function createTally(): Tally {
  /** run_start's hosts: every selected host, inventory order */
  let selected: string[] = [];
  const started = new Set<string>();
  const stopped = new Set<string>();
  const stats = new Map<string, HostStats>();
  const failures: Failure[] = [];
  const pending: Record<string, string[]> = {};
  const deferred = new Map<string, { host: string; from: string; reason: string }>();
  let interrupted = false;

  const of = (host: string): HostStats => {
    let s = stats.get(host);
    if (!s) {
      s = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
      stats.set(host, s);
    }
    return s;
  };
  const bad = (host: string): boolean => {
    const s = stats.get(host);
    return s !== undefined && (s.failed > 0 || s.unreachable > 0);
  };

  return {
    add(e) {
      switch (e.type) {
        case 'run_start':
          selected = e.hosts;
          break;
        case 'batch_start':
          for (const h of e.hosts) {
            started.add(h);
            of(h);
          }
          break;
        case 'task_result': {
          // a loop item's result is part of its task's; the task's own result counts
          if (e.item !== undefined) break;
          const s = of(e.host);
          if (e.status === 'ok') {
            // a meta task acts on the run, not on the host: only its skip or failure counts
            if (!META.has(e.task.module)) s.ok++;
          } else if (e.status === 'changed') {
            s.ok++;
            s.changed++;
          } else if (e.status === 'skipped') s.skipped++;
          else if (e.status === 'failed') {
            // not ignored: counted once per host by host_failed, unless a rescue handles it
            if (e.ignored) s.ignored++;
          } else {
            s.unreachable++;
            failures.push({ host: e.host, task: e.task.name, where: e.task.where, msg: e.msg ?? 'unreachable' });
          }
          break;
        }
        case 'host_end':
          if (e.state === 'stopped') stopped.add(e.host);
          break;
        case 'host_failed':
          of(e.host).failed++;
          if (e.failure) failures.push(e.failure);
          break;
        case 'rescued':
          of(e.host).rescued++;
          break;
        case 'host_deferred':
          deferred.set(e.host, { host: e.host, from: e.from, reason: e.reason });
          break;
        case 'handlers_pending':
          (pending[e.host] ??= []).push(...e.handlers);
          break;
        case 'interrupted':
          interrupted = true;
          break;
        default:
          break;
      }
    },

    recap(extra) {
      const hosts: Record<string, HostStats> = {};
      for (const h of selected) {
        const s = stats.get(h);
        if (s && started.has(h)) hosts[h] = s;
      }
      const all = Object.values(hosts);
      const exitCode = interrupted
        ? EXIT.interrupted
        : all.some((s) => s.failed > 0)
          ? EXIT.hostFailed
          : all.some((s) => s.unreachable > 0)
            ? EXIT.hostUnreachable
            : deferred.size > 0
              ? EXIT.partlyDeferred
              : EXIT.ok;
      return {
        type: 'recap',
        hosts,
        notStarted: selected.filter((h) => !started.has(h)),
        pendingHandlers: pending,
        failures,
        interrupted,
        durationMs: extra.durationMs,
        exitCode,
        ...(extra.retryFile ? { retryFile: extra.retryFile } : {}),
        ...(deferred.size ? { deferred: selected.filter((h) => deferred.has(h)).map((h) => deferred.get(h)!) } : {}),
        ...(extra.outputs && Object.keys(extra.outputs).length ? { outputs: extra.outputs } : {}),
      };
    },

    retryHosts() {
      // after Ctrl-C everything that did not finish, so `--limit @retry` picks the rollout up where it stopped
      if (interrupted) return selected.filter((h) => bad(h) || deferred.has(h) || stopped.has(h) || !started.has(h));
      // deferred hosts too: `--limit @retry` from their date certifies exactly them
      return selected.filter((h) => (started.has(h) && bad(h)) || deferred.has(h));
    },
  };
}
