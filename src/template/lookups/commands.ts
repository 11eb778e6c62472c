// pipe and lines run a shell command ON THE CONTROLLER (as Ansible's do), in the playbook's
// directory, never on the managed host. Rendering is synchronous, so the command blocks the
// run while it runs: it is cut off after PIPE_TIMEOUT_MS and its output capped.
import { spawnSync } from 'node:child_process';
import { asStringTerm, LookupError, type LookupContext, type LookupPlugin } from './types.js';

const PIPE_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

function runLocal(command: string, ctx: LookupContext, lookup: string): string {
  const r = spawnSync('/bin/sh', ['-c', command], { cwd: ctx.baseDir(), encoding: 'utf8', timeout: PIPE_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new LookupError(`lookup '${lookup}': ${command}: ${r.error.message}`);
  if (r.status !== 0) throw new LookupError(`lookup '${lookup}': command ${JSON.stringify(command)} returned ${r.status ?? `signal ${r.signal ?? '?'}`}${r.stderr ? `: ${r.stderr.trim().slice(0, 500)}` : ''}`);
  return r.stdout;
}

/** pipe: each command's output, trailing whitespace stripped. */
export const pipeLookup: LookupPlugin = (terms, _o, ctx) => terms.map((t) => runLocal(asStringTerm(t, 'pipe'), ctx, 'pipe').replace(/\s+$/, ''));

/** lines: the output lines of each command, one item each. */
export const linesLookup: LookupPlugin = (terms, _o, ctx) =>
  terms.flatMap((t) => {
    const out = runLocal(asStringTerm(t, 'lines'), ctx, 'lines');
    const lines = out.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  });
