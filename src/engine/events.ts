// Every run is a stream of events: what the engine emits, and all a reporter (listr2 tree,
// plain lines, NDJSON, log file, recap) gets. The engine owns these types (it makes the events;
// src/report renders them, src/report/events.ts re-exports them). Events carry only masked text.
// Their published JSON Schema is src/report/schema.ts (schemas/events.schema.json).
import type { FileDiff } from '../modules/types.js';

export type TaskStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface TaskRef {
  /** stable id within the run, e.g. `p0.tasks.3` */
  id: string;
  name: string;
  module: string;
  /** file:line of the task */
  where: string;
  handler?: boolean;
}

export interface TaskResultEvent {
  type: 'task_result';
  host: string;
  task: TaskRef;
  status: TaskStatus;
  /** failed but ignore_errors: counted as ignored */
  ignored?: boolean;
  /** the module ran on this host for `host` (delegate_to, local_action): Ansible's `host -> other` */
  delegatedTo?: string;
  msg?: string;
  /** failed command's details, masked */
  exitCode?: number | null;
  stderr?: string;
  command?: string;
  diff?: FileDiff[];
  warnings?: string[];
  /** loop item label, when inside a loop */
  item?: string;
  durationMs: number;
  /** registered data (omitted when no_log) */
  result?: Record<string, unknown>;
}

export type RunEvent =
  | { type: 'run_start'; playbook: string; hosts: string[]; check: boolean; time: string }
  | {
      type: 'play_start';
      play: string;
      index: number;
      hosts: string[];
      /** tasks in the play (incl. fact gathering, rescue/always), for per-host progress; added by the engine */
      tasks?: number;
    }
  | { type: 'batch_start'; play: string; batch: number; batches: number; hosts: string[] }
  | { type: 'host_connect'; host: string; status: 'ok' | 'unreachable'; msg?: string; durationMs: number }
  | { type: 'task_start'; host: string; task: TaskRef; item?: string }
  | TaskResultEvent
  | { type: 'output'; host: string; task: TaskRef; stream: 'stdout' | 'stderr'; chunk: string }
  | { type: 'progress'; host: string; task: TaskRef; msg: string }
  | { type: 'warning'; host?: string; msg: string }
  | { type: 'handler_notified'; host: string; handler: string; by: TaskRef }
  /** a host finished its tasks in the batch (handlers may follow); `failed`/`unreachable` are final for the play */
  | { type: 'host_end'; host: string; state: 'ok' | 'failed' | 'unreachable' | 'stopped' | 'deferred' }
  /** a task took the host out of this run for now (weekly certificate budget): it fits from `from` (ISO time) */
  | { type: 'host_deferred'; host: string; from: string; reason: string }
  | { type: 'play_end'; play: string; index: number; stopped?: string }
  /** a serial batch ended (its handlers too): how each host ended, and why the rollout stops here if it does */
  | { type: 'batch_end'; play: string; batch: number; batches: number; hosts: Record<string, 'ok' | 'failed' | 'unreachable' | 'stopped' | 'deferred'>; stopped?: string }
  /** the rollout asked for approval after a batch: the decision, who made it, how long it waited */
  | { type: 'approval'; play: string; batch: number; decision: 'continue' | 'stop'; by: 'operator' | 'timeout' | 'non-interactive' | 'interrupted'; waitedMs: number }
  | {
      type: 'recap';
      hosts: Record<string, HostStats>;
      /** hosts never started because the run stopped (max_fail_percentage, any_errors_fatal, Ctrl-C) */
      notStarted: string[];
      /** handlers notified but not run, per host */
      pendingHandlers: Record<string, string[]>;
      failures: Array<{ host: string; task: string; where: string; msg: string; exitCode?: number | null; stderr?: string }>;
      interrupted: boolean;
      durationMs: number;
      exitCode: number;
      retryFile?: string;
      /** hosts deferred (weekly certificate budget), with the time each fits; they are in the retry file */
      deferred?: Array<{ host: string; from: string; reason: string }>;
      /** registered outcome of the playbook (e.g. certificate paths), per host */
      outputs?: Record<string, Record<string, unknown>>;
    };

export type RecapEvent = Extract<RunEvent, { type: 'recap' }>;

/** A reporter receives every event; all hooks are optional. */
export interface Reporter {
  onEvent?(event: RunEvent): void;
  /** called once after the recap; flush files, stop renderers */
  close?(): Promise<void> | void;
}
