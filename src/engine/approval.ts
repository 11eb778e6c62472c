// Approval between batches (issue 18): after a batch (typically the canary) the rollout waits
// for the operator, who sees the batch's outcome and continues or stops it. The engine never
// reads a terminal: the caller gives an `approve(summary)` callback (the CLI asks on its
// terminal) and says whether the run is interactive. A non-interactive run (CI, no terminal)
// never waits: it does what `nonInteractive` says, and stops the rollout when nothing says.
// A timeout, when given, decides for the operator (continue by default: the operator asked
// for "go on unless I say stop within T"). Ctrl-C while waiting stops the rollout.
import type { HostStats } from './events.js';
import type { Play } from '../playbook/types.js';
import type { Failure } from './tally.js';

export type ApprovalDecision = 'continue' | 'stop';

/** What the operator is shown after a batch. */
export interface BatchSummary {
  play: string;
  playIndex: number;
  /** 1-based */
  batch: number;
  batches: number;
  /** each host of the batch: how it ended and its counts */
  hosts: Array<{ host: string; state: 'ok' | 'failed' | 'unreachable' | 'stopped' | 'deferred'; stats: HostStats }>;
  /** the batch's failures (host, task, where, msg), masked */
  failures: Failure[];
  /** the hosts of the next batch */
  next: string[];
}

export type ApproveFn = (summary: BatchSummary, signal: AbortSignal) => Promise<ApprovalDecision>;

export interface ApprovalOptions {
  /** after which batches (1-based) to ask; overrides the play's `approve_batches` (`--approve`) */
  batches?: number[] | 'all' | 'none';
  /** false in CI or without a terminal on stdin: never wait */
  interactive: boolean;
  /** what a non-interactive run does when approval is due (default: stop) */
  nonInteractive?: ApprovalDecision;
  /** no answer within this time: `onTimeout` decides */
  timeoutMs?: number;
  /** default continue */
  onTimeout?: ApprovalDecision;
}

export interface ApprovalOutcome {
  decision: ApprovalDecision;
  by: 'operator' | 'timeout' | 'non-interactive' | 'interrupted';
  waitedMs: number;
}

/** Whether the rollout asks after batch `batch` (1-based) of `batches`: never after the last one. */
export function approvalDue(play: Play, options: ApprovalOptions | undefined, batch: number, batches: number): boolean {
  if (batch >= batches) return false;
  const which = options?.batches ?? play.approveBatches;
  if (which === undefined || which === 'none') return false;
  return which === 'all' || which.includes(batch);
}

/** Ask (or decide without asking) whether the rollout goes on after a batch. */
export async function awaitApproval(
  summary: BatchSummary,
  options: ApprovalOptions | undefined,
  approve: ApproveFn | undefined,
  stopped: AbortSignal,
): Promise<ApprovalOutcome> {
  const t0 = Date.now();
  if (!options?.interactive || approve === undefined) {
    return { decision: options?.nonInteractive ?? 'stop', by: 'non-interactive', waitedMs: 0 };
  }
  if (stopped.aborted) return { decision: 'stop', by: 'interrupted', waitedMs: 0 };
  const asking = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  try {
    const answers: Array<Promise<Omit<ApprovalOutcome, 'waitedMs'>>> = [
      // a prompt that breaks (terminal gone) is a refusal: the safe side of a rollout
      approve(summary, asking.signal).then(
        (decision) => ({ decision, by: 'operator' as const }),
        () => ({ decision: 'stop' as const, by: 'operator' as const }),
      ),
      new Promise((resolveStop) => {
        onStop = () => resolveStop({ decision: 'stop', by: 'interrupted' });
        stopped.addEventListener('abort', onStop, { once: true });
      }),
    ];
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      answers.push(new Promise((resolveTimeout) => (timer = setTimeout(() => resolveTimeout({ decision: options.onTimeout ?? 'continue', by: 'timeout' }), ms))));
    }
    const answer = await Promise.race(answers);
    return { ...answer, waitedMs: Date.now() - t0 };
  } finally {
    // the prompt that lost the race is withdrawn (the CLI stops reading its terminal)
    asking.abort();
    if (timer) clearTimeout(timer);
    if (onStop) stopped.removeEventListener('abort', onStop);
  }
}
