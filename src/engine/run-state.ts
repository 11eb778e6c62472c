// What every role of the engine shares during one run: the run-wide state (RunState, made by
// src/engine/run.ts), a host's state across the run (HostRun) and a batch's (BatchRun).
// Types only: each role's code lives in its own file (see src/engine/README.md).
import type { HostFacts } from '../facts/types.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Play, RoleRef, TaskNode } from '../playbook/types.js';
import type { Transport } from '../transport/types.js';
import type { Semaphore } from '../util/semaphore.js';
import type { TaskRef } from './events.js';
import type { TaskRefs } from './identity.js';
import type { Lockstep } from './lockstep.js';
import type { TaskOutcome } from './outcome.js';
import type { PlayPlan, RunPlan } from './plan.js';
import type { EngineEvent, Failure } from './tally.js';
import type { Throttles } from './throttle.js';
import type { RunOptions } from './types.js';

/** A host's state for the whole run. */
export interface HostRun {
  name: string;
  inv: InventoryHost;
  /** failed or unreachable sit out the later plays (Ansible); deferred ones too (a module's `defer`) */
  state: 'ok' | 'failed' | 'unreachable' | 'deferred';
  transport?: Transport;
  connecting?: Promise<Transport>;
  facts?: HostFacts;
  /** the facts as template variables (ansible_facts, ansible_*) */
  factVars: Record<string, unknown>;
  /** facts modules returned under ansible_facts (service_facts' `services`, setup's `ansible_*`), names as returned */
  moduleFacts?: Record<string, unknown>;
  /** an earlier task changed the host: facts may be stale */
  factsStale: boolean;
  /** registered results and set_fact values (data: never re-rendered); they live for the whole run */
  vars: Record<string, unknown>;
  /** handler index → the task that notified it, for the current play */
  notified: Map<number, TaskRef>;
  /** the failure the recap lists if this host ends up failed (a rescue forgets it) */
  lastFailure?: Failure;
  /** include_vars results (values as written, rendered when read): above task vars, below set_fact, for the whole run */
  includeVars?: Record<string, unknown>;
  /** roles included with `public: true`: their defaults and vars are seen by the rest of the run on this host */
  publicRoles?: RoleRef[];
  /** the last task that failed on this host (not ignored): `ansible_failed_task`/`_result` in rescue */
  failedTask?: { task: Record<string, unknown>; result: Record<string, unknown> };
  /** `meta: end_host/end_play` ended the current play for this host: its handlers do not run */
  ended?: boolean;
  /** the magic variables of its last task, and what they were made of (src/engine/vars.ts) */
  magic?: { batch: BatchRun; version: number; roles: readonly RoleRef[] | undefined; groups: readonly string[]; vars: Record<string, unknown> };
}

/** One serial batch of one play. */
export interface BatchRun {
  plan: PlayPlan;
  play: Play;
  batchIndex: number;
  hosts: HostRun[];
  /** every host of the play still in the run at its start (all batches, after --limit): ansible_play_hosts_all */
  playHosts: string[];
  /** linear strategy: the barrier every host passes at each task */
  lockstep?: Lockstep;
  /** run_once: the first host's run of a task, shared by the batch */
  runOnce: Map<TaskNode, Promise<TaskOutcome & { host: string }>>;
  /** any_errors_fatal or max_fail_percentage tripped: no host starts another task */
  fatal?: string;
  /** play_hosts cache, valid while RunState.stateVersion is unchanged */
  active?: { version: number; names: string[] };
  /** `meta: end_play` (the rest of the play) or `end_batch` (this batch) */
  ended?: 'play' | 'batch';
  /** linear strategy: one handler run per `meta: flush_handlers` task, shared by the batch */
  flushes?: Map<TaskNode, Promise<void>>;
  /** `--step`: the batch's answer per task (asked once, by the first host to get there) */
  steps?: Map<TaskNode, Promise<boolean>>;
}

/** The run-wide state every role reads (src/engine/run.ts keeps it). */
export interface RunState {
  readonly options: RunOptions;
  readonly inventory: Inventory;
  readonly plan: RunPlan;
  /** `forks`: how many hosts run a task at once */
  readonly sem: Semaphore;
  /** aborted when running commands must stop (second Ctrl-C, or the grace period is over) */
  readonly kill: AbortSignal;
  /**
   * Call `fn` when `kill` aborts (at once if it has); returns the unsubscribe. One listener on
   * the signal for the whole run: an EventTarget listener added and removed per module call
   * was a measurable share of the controller's CPU per command.
   */
  onKill(fn: () => void): () => void;
  /** aborted on the first Ctrl-C: wakes retry delays */
  readonly stopped: AbortSignal;
  /** Ctrl-C: start nothing new */
  readonly stopping: boolean;
  /** text masked out of every event: passwords known now (become passwords found later join) */
  readonly secrets: string[];
  readonly refs: TaskRefs;
  readonly playbookDir: string;
  readonly readFile: (path: string) => Promise<string>;
  /** group → hosts, for the `groups` magic variable */
  readonly groups: Record<string, string[]>;
  /** the `hostvars` magic variable */
  readonly hostvars: unknown;
  /** the batch running now (hostvars of other hosts are read in its play) */
  readonly currentBatch: BatchRun | undefined;
  /** bumped whenever a host's state changes (cache key for play_hosts) */
  stateVersion: number;
  /** `throttle:` semaphores, one per task */
  readonly throttles: Throttles;
  /** the failure budget and fail_fast (src/engine/budget.ts): marks the batch fatal when the rollout must stop */
  checkRollout(br: BatchRun): void;
  host(name: string): HostRun;
  /** masks secrets, tells the reporter (public events) and the tally */
  emit<E extends EngineEvent>(event: E): E;
}
