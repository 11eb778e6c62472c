// The whole error vocabulary of runbook. The CLI entry point (src/cli/main.ts) is the one
// place that maps these to exit codes; everything else throws or returns them.

import type { Diagnostic } from '../playbook/diagnostic.js';

export const EXIT = {
  ok: 0,
  usage: 1,
  hostFailed: 2,
  hostUnreachable: 4,
  /** every host that ran is ok, some were deferred (the weekly certificate budget): the retry file lists them */
  partlyDeferred: 8,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class RunbookError extends Error {
  readonly code: string = 'RUNBOOK_ERROR';
  readonly exitCode: number = EXIT.usage;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line: wrong flag, missing argument. */
export class UsageError extends RunbookError {
  override readonly code = 'USAGE';
}

/** User input (playbook, inventory, vars file) failed to parse or validate. `message` is fully formatted. */
export class ValidationError extends RunbookError {
  override readonly code = 'VALIDATION';
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
  }
}

/** Something on the controller is missing or wrong (not root for `lab`, package missing...). */
export class EnvironmentError extends RunbookError {
  override readonly code = 'ENVIRONMENT';
}

/** The operator pressed Ctrl-C. */
export class InterruptedError extends RunbookError {
  override readonly code = 'INTERRUPTED';
  override readonly exitCode = EXIT.interrupted;
}
