// One-round-trip paths: when nothing needs showing first (no --check, no --diff) and the
// arguments are simple, the host checks and changes in the same command, so a first run costs
// one remote command per task like a plain shell script would, not a probe plus a change.
// The command prints `runbook-result:<what changed>|ok`; anything else is a failure.
import { sh, ShellCommand, raw } from '../../transport/command.js';
import { parseModeArg } from './mode.js';

export const RESULT_MARKER = 'runbook-result:';

/** Parsed result line: the list of changes (empty = nothing changed), or undefined when missing. */
export function parseFastResult(stdout: string): string[] | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (line === undefined) return undefined;
  const v = line.slice(RESULT_MARKER.length).trim();
  return v === 'ok' || v === '' ? [] : v.split(/\s+/);
}

/** Mode/owner/group of an existing path, fixed in place, each change recorded in $c. */
export function attributeFixes(path: string | ShellCommand, a: { mode?: unknown; owner?: string; group?: string }): ShellCommand | undefined {
  const p = path instanceof ShellCommand ? path : sh`${path}`;
  const parts: ShellCommand[] = [];
  const mode = parseModeArg(a.mode);
  if (mode && 'octal' in mode) {
    const short = parseInt(mode.octal, 8).toString(8);
    parts.push(sh`[ "$(stat -L -c %a -- ${p})" = ${short} ] || { chmod ${mode.octal} -- ${p} || exit 1; c="$c mode"; }`);
  }
  if (a.owner !== undefined) parts.push(sh`[ "$(stat -L -c %U -- ${p})" = ${a.owner} ] || [ "$(stat -L -c %u -- ${p})" = ${a.owner} ] || { chown ${a.owner} -- ${p} || exit 1; c="$c owner"; }`);
  if (a.group !== undefined) parts.push(sh`[ "$(stat -L -c %G -- ${p})" = ${a.group} ] || [ "$(stat -L -c %g -- ${p})" = ${a.group} ] || { chgrp ${a.group} -- ${p} || exit 1; c="$c group"; }`);
  if (parts.length === 0) return undefined;
  return new ShellCommand(parts.flatMap((x, i) => (i === 0 ? [x] : [raw('; '), x])));
}

/** Symbolic modes need the current mode to be resolved: only octal modes take the fast path. */
export function fastModeOk(mode: unknown): boolean {
  try {
    const m = parseModeArg(mode);
    return m === undefined || 'octal' in m;
  } catch {
    return false; // an invalid mode: the planned path reports it properly
  }
}

export const PRINT_RESULT = raw(`printf '${RESULT_MARKER}%s\\n' "\${c:-ok}"`);
