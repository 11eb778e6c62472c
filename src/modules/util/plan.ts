// The pure half of a module returns a Plan: the commands that bring the host to the wanted
// state (empty when it already is), and a reason a person reads. `applyPlan` is the thin,
// generic half: it runs the commands as ONE remote round trip, or nothing at all in --check.
import { ShellCommand, raw } from '../../transport/command.js';
import { ExecError } from '../../transport/errors.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';

export interface Plan {
  /** commands to run in order; they are joined with `&&` into one remote command */
  commands: ShellCommand[];
  /** stdin for the joined command (new file content) */
  stdin?: string | Buffer;
  /** what was done (or would be), or why nothing needed doing */
  msg: string;
  /** the module changes the host even when commands is empty (rare) */
  changed?: boolean;
  failed?: boolean;
  diff?: FileDiff[];
  data?: Record<string, unknown>;
  warnings?: string[];
}

/**
 * A planned command may print `runbook-fail: <reason>` on stderr before failing: the reason
 * becomes the task's message instead of the (long) command line.
 */
export const FAIL_MARKER = 'runbook-fail: ';

/** A plan that changes nothing. */
export function noop(msg: string, data?: Record<string, unknown>): Plan {
  return { commands: [], msg, data };
}

/** A plan that fails without touching the host (bad state: e.g. "not a directory"). */
export function failPlan(msg: string, data?: Record<string, unknown>): Plan {
  return { commands: [], msg, failed: true, data };
}

/** `a && b && c` as one command; a command that is itself a list must already be grouped. */
export function joinCommands(commands: readonly ShellCommand[]): ShellCommand {
  return new ShellCommand(commands.flatMap((c, i) => (i === 0 ? [c] : [raw(' && '), c])));
}

/** Whether the plan would change the host. */
export function planChanges(plan: Plan): boolean {
  return !plan.failed && (plan.commands.length > 0 || plan.changed === true);
}

/**
 * Run a plan: nothing in --check (the result says what would change), else one remote command.
 * A failing command becomes a failed result with the command's error output.
 */
export async function applyPlan(ctx: ModuleContext, plan: Plan, options: { timeoutMs?: number } = {}): Promise<ModuleResult> {
  const changed = planChanges(plan);
  const base: ModuleResult = { changed, msg: plan.msg };
  if (plan.data) base.data = { ...plan.data };
  if (plan.diff && ctx.diff) base.diff = plan.diff;
  if (plan.warnings?.length) base.warnings = plan.warnings;
  if (plan.failed) return { ...base, changed: false, failed: true };
  if (plan.commands.length === 0 || ctx.check) return base;
  const command = joinCommands(plan.commands);
  const r = await ctx.exec(command, { stdin: plan.stdin, timeoutMs: options.timeoutMs });
  if (!r.ok) {
    const marked = r.stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER));
    const other = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(FAIL_MARKER)).slice(-8).join('\n');
    const msg = marked ? `${marked.slice(FAIL_MARKER.length)}${other ? `\n${other}` : ''}` : new ExecError(r).message;
    return { ...base, changed: false, failed: true, msg, data: { ...base.data, rc: r.exitCode, stdout: r.stdout, stderr: r.stderr } };
  }
  return base;
}
