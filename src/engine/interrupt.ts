// runbook owns Ctrl-C (listr2 is told not to register its own SIGINT listener). The first
// SIGINT aborts `signal`: the engine starts no new task and gives running commands a grace
// period. The second aborts `killSignal`: running commands are stopped at once. Nothing here
// exits the process; the run still ends with a recap, a retry file and exit code 130.
import type { EventEmitter } from 'node:events';

export interface Interrupt {
  /** aborted on the first Ctrl-C */
  readonly signal: AbortSignal;
  /** aborted on the second Ctrl-C */
  readonly killSignal: AbortSignal;
  /** how many times Ctrl-C was pressed */
  readonly count: number;
  /** stop listening (call when the run is over) */
  dispose(): void;
}

export interface InterruptOptions {
  /** where SIGINT/SIGTERM come from (default: process) */
  source?: Pick<EventEmitter, 'on' | 'off'>;
  /** told once per press, e.g. to print "finishing running commands" */
  onInterrupt?: (count: number) => void;
  /** also treat SIGTERM as an interrupt (default true) */
  sigterm?: boolean;
}

export function createInterrupt(options: InterruptOptions = {}): Interrupt {
  const source = options.source ?? process;
  const soft = new AbortController();
  const hard = new AbortController();
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) soft.abort(new Error('interrupted'));
    else hard.abort(new Error('interrupted twice'));
    options.onInterrupt?.(count);
  };
  source.on('SIGINT', handler);
  if (options.sigterm !== false) source.on('SIGTERM', handler);
  return {
    signal: soft.signal,
    killSignal: hard.signal,
    get count() {
      return count;
    },
    dispose() {
      source.off('SIGINT', handler);
      source.off('SIGTERM', handler);
    },
  };
}
