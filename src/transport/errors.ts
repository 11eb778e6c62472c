import type { ExecResult } from './types.js';

/** Why a host could not be reached, in words an operator can act on. */
export type UnreachableReason =
  | 'dns' // name does not resolve
  | 'refused' // connection refused
  | 'timeout' // connect or handshake timed out
  | 'auth' // authentication failed
  | 'host-key-changed'
  | 'host-key-unknown'
  | 'host-key-revoked'
  | 'connection-lost' // dropped in the middle of the run
  | 'other';

/** The host cannot be reached: counted as unreachable, never as failed. */
export class UnreachableError extends Error {
  readonly code = 'UNREACHABLE';
  constructor(
    readonly host: string,
    readonly reason: UnreachableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** A command ran and failed (non-zero exit, signal, no exit status, timeout). */
export class ExecError extends Error {
  readonly code = 'EXEC_FAILED';
  constructor(readonly result: ExecResult) {
    super(describeExecFailure(result));
    this.name = 'ExecError';
  }
}

const WELL_KNOWN_EXIT: Record<number, string> = {
  1: 'General error',
  2: 'Misuse of shell builtins',
  126: 'Command invoked cannot execute',
  127: 'Command not found',
  128: 'Invalid exit argument',
  130: 'Interrupted (Ctrl-C)',
  137: 'Killed',
  143: 'Terminated',
};

export function stderrExcerpt(stderr: string, maxLines = 8, maxChars = 800): string {
  const lines = stderr.trimEnd().split('\n');
  let text = lines.slice(-maxLines).join('\n');
  if (text.length > maxChars) text = '…' + text.slice(-maxChars);
  return text;
}

export function describeExecFailure(r: ExecResult): string {
  let what: string;
  if (r.timedOut) what = `timed out after ${Math.round(r.durationMs / 1000)}s and was stopped`;
  else if (r.signal) what = `killed by signal ${r.signal}`;
  else if (r.exitCode === null) what = 'ended without an exit status (connection or channel closed)';
  else {
    const known = WELL_KNOWN_EXIT[r.exitCode];
    what = `exit code: ${r.exitCode}${known ? ` (${known})` : ''}`;
  }
  const excerpt = stderrExcerpt(r.stderr || r.stdout);
  return `${r.host}: \`${r.command}\` ${what}${excerpt ? `\n${excerpt}` : ''}`;
}

/** The result of an operation that failed on the controller's side before or without a command exit status (put/get I/O, spawn). */
export function failedResult(host: string, command: string, message: string): ExecResult {
  return { host, command, exitCode: 1, signal: null, stdout: '', stderr: message, truncated: false, timedOut: false, durationMs: 0, ok: false };
}
