// One task's outcome on one host (TaskOutcome), how it is made from a failure or a failed
// command, how it becomes a task_result event's fields, and the ONE place a failure is
// recorded on the host (recordFailure): for `ansible_failed_task` in rescue and for the recap.
import type { FileDiff } from '../modules/types.js';
import type { ExecResult } from '../transport/types.js';
import type { TaskResultEvent, TaskStatus } from './events.js';

/** What Ansible shows instead of a `no_log: true` task's result. */
export const NO_LOG_MSG = "the output has been hidden due to the 'no_log: true' specified for this result";

export interface TaskOutcome {
  status: Exclude<TaskStatus, 'unreachable'>;
  /** the registered value (Ansible's shape) */
  result: Record<string, unknown>;
  msg?: string;
  diff?: FileDiff[];
  warnings?: string[];
  exitCode?: number | null;
  stderr?: string;
  command?: string;
  /** set_fact: variables set on the host */
  facts?: Record<string, unknown>;
  /** delegate_to: where the module ran (src/engine/delegate.ts) */
  delegatedTo?: string;
  /** delegate_facts: `facts` go to the delegated host */
  delegateFacts?: boolean;
}

/**
 * How a host's walk through the play's steps goes on after a step. `ended`: `meta:
 * end_host/end_play/end_batch` (or a handler failed in `flush_handlers`): no more tasks this play.
 */
export type StepOutcome = 'ok' | 'failed' | 'unreachable' | 'stopped' | 'ended';

export function failure(msg: string): TaskOutcome {
  return { status: 'failed', result: { changed: false, failed: true, msg }, msg };
}

export function execDetails(r: ExecResult): Pick<TaskOutcome, 'exitCode' | 'stderr' | 'command'> {
  return { exitCode: r.exitCode, stderr: r.stderr, command: r.command };
}

export function describeExec(r: ExecResult): string {
  if (r.timedOut) return `\`${r.command}\` timed out and was stopped`;
  if (r.signal) return `\`${r.command}\` killed by signal ${r.signal}`;
  return `\`${r.command}\` exit code: ${r.exitCode ?? 'none'}`;
}

export function execFailure(r: ExecResult): TaskOutcome {
  const msg = describeExec(r);
  return {
    status: 'failed',
    result: {
      changed: false,
      failed: true,
      msg,
      rc: r.exitCode,
      cmd: r.command,
      stdout: r.stdout,
      stderr: r.stderr,
      stdout_lines: lines(r.stdout),
      stderr_lines: lines(r.stderr),
    },
    msg,
    ...execDetails(r),
  };
}

/** The outcome's part of a task_result event (no_log: only that it was hidden, and the exit code). */
export function resultFields(o: TaskOutcome, noLog: boolean): Partial<TaskResultEvent> {
  if (noLog) return { msg: NO_LOG_MSG, ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}) };
  return {
    ...(o.msg !== undefined ? { msg: o.msg } : {}),
    ...(o.delegatedTo !== undefined ? { delegatedTo: o.delegatedTo } : {}),
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
    ...(o.stderr ? { stderr: o.stderr } : {}),
    ...(o.command ? { command: o.command } : {}),
    ...(o.diff?.length ? { diff: o.diff } : {}),
    ...(o.warnings?.length ? { warnings: o.warnings } : {}),
    result: o.result,
  };
}

export function lines(s: string): string[] {
  if (s === '') return [];
  return s.replace(/\n$/, '').split('\n');
}
