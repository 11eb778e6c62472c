// The whole error vocabulary of runbook. The CLI entry point (src/cli/main.ts) is the one
// place that maps these to exit codes; everything else throws or returns them.

import type { Diagnostic } from './diagnostic.js';

/** runbook's exit codes: the one definition; help texts, the recap words and the events schema take them from here. */
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

/** What each exit code means: `short` for the recap line, `help` for `--help`. */
export const EXIT_MEANING: Readonly<Record<ExitCode, { short: string; help: string }>> = {
  [EXIT.ok]: { short: 'all ok', help: 'success: every host ok' },
  [EXIT.usage]: { short: 'error', help: 'usage or validation error (nothing was run)' },
  [EXIT.hostFailed]: { short: 'some host failed', help: 'some host failed' },
  [EXIT.hostUnreachable]: { short: 'some host unreachable, none failed', help: 'some host unreachable (and none failed)' },
  [EXIT.partlyDeferred]: {
    short: 'partly deferred: the hosts that ran are ok, the deferred ones are in the retry file',
    help: 'partly deferred: the hosts that ran are ok, some were deferred (weekly certificate budget)',
  },
  [EXIT.interrupted]: { short: 'interrupted', help: 'interrupted (Ctrl-C)' },
};

/** The exit codes, for a JSON Schema enum. */
export const EXIT_CODES: readonly ExitCode[] = Object.values(EXIT);

/** The recap's words for an exit code ('error' for one runbook does not define). */
export function exitMeaning(code: number): string {
  return (EXIT_MEANING as Record<number, { short: string } | undefined>)[code]?.short ?? 'error';
}

/** The `Exit codes:` section of a command's --help. */
export function exitCodesHelp(): string {
  return ['Exit codes:', ...EXIT_CODES.map((c) => `  ${String(c).padEnd(5)}${EXIT_MEANING[c].help}`)].join('\n');
}

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
