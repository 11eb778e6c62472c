// One call of one task on one host: everything the executor needs, in one object (rather
// than a tuple of values threaded through every function).
import type { ModuleDefinition } from '../modules/types.js';
import type { TaskNode } from '../playbook/types.js';
import type { TaskRef } from './events.js';
import type { Inherited } from './inherit.js';
import type { StepOutcome } from './outcome.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';

/** What the step walk hands the executor. */
export interface TaskStep {
  run: RunState;
  host: HostRun;
  batch: BatchRun;
  task: TaskNode;
  /** keywords from the play and the blocks around the task */
  inh: Inherited;
  /** a handler (not a task of the play) */
  handler: boolean;
}

/** A step the executor has resolved: the name shown and whether results are hidden. */
export interface TaskCall extends TaskStep {
  /** the TaskRef events show (a templated name rendered) */
  ref: TaskRef;
  /** `no_log: true` */
  noLog: boolean;
}

/** A call of a module (not the engine's own fact gathering). */
export interface ModuleCall extends TaskCall {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  module: ModuleDefinition<any>;
}

/** The step walk's entry for one task (src/engine/walk.ts), passed to the roles that run tasks. */
export type RunTask = (step: TaskStep) => Promise<StepOutcome>;
