// The one generic runner of the module contract (contract.ts): prepare → probe → plan →
// (check/diff: show) → apply, the same for every module. Also the one-command path, built from
// the module's own plan (FastPath), and `defineModule`, which turns a module's parts into the
// `run` the engine calls.
import { ShellCommand, joinWith, raw, sh } from '../transport/command.js';
import { ExecError } from '../transport/errors.js';
import type { ExecOptions, ExecResult } from '../transport/types.js';
import { combineFacts } from '../facts/combine.js';
import { isControllerFact, type Fact, type Probe } from '../facts/types.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';
import { planChanges, planEnv, type CommandOutcome, type FastPath, type ModuleSpec, type Plan, type PlanEnv, type PlanModule, type PlanSpec, type RunSpec } from './contract.js';
import { normalizeArgs } from './util/schema.js';
import { expandHomeArgs } from './util/home.js';

/**
 * A planned command may print `runbook-fail: <reason>` on stderr before failing: the reason
 * becomes the task's message instead of the (long) command line.
 */
export const FAIL_MARKER = 'runbook-fail: ';

/** `a && b && c` as one command; a command that is itself a list must already be grouped. */
export function joinCommands(commands: readonly ShellCommand[]): ShellCommand {
  return joinWith(commands, ' && ');
}

// Commands that are one program and its arguments: when such a command is the last thing the
// remote shell runs, the runner `exec`s it, so the shell's process becomes that program instead
// of starting one more (one process fewer on the host per changing task; the program's output,
// errors and exit status are the same). Marked where they are built (a subclass: no weak table
// for the garbage collector to trace); a plan's commands may be embedded elsewhere (async jobs,
// trees), so `exec` is added only here, at the very end.
class SimpleCommand extends ShellCommand {}

/** Mark `command` as one program with its arguments (no list, no redirection, no shell builtin). */
export function simpleCommand(command: ShellCommand): ShellCommand {
  return new SimpleCommand(command.parts);
}

/** joinCommands for the end of the remote script: a simple last command is `exec`ed. */
export function joinFinal(commands: readonly ShellCommand[]): ShellCommand {
  const last = commands[commands.length - 1];
  if (!(last instanceof SimpleCommand)) return joinCommands(commands);
  return joinCommands([...commands.slice(0, -1), new ShellCommand([raw('exec '), last])]);
}

/** Ask a probe: run a host fact's command and parse it, or read a controller-side fact. */
export async function readProbe<S>(ctx: ModuleContext, probe: Probe<S>): Promise<S> {
  if (isControllerFact(probe)) {
    return probe.read({ hostFacts: () => ctx.facts().then((f) => f as typeof f | undefined, () => undefined), signal: ctx.signal });
  }
  // the probe's output is the module's to read: nobody watches it as it comes
  const r = await ctx.exec(probe.command, probe.stdin !== undefined ? { stdin: probe.stdin, outputAtEnd: true } : { outputAtEnd: true });
  return probe.parse(r.stdout, r.stderr, r.exitCode);
}

/** The task result a plan stands for (without running anything). */
export function resultOf(plan: Plan, env: Pick<PlanEnv, 'diff'>): ModuleResult {
  const result: ModuleResult = { changed: planChanges(plan), msg: plan.msg };
  if (plan.failed) result.failed = true;
  if (plan.skipped) result.skipped = true;
  if (plan.data) result.data = { ...plan.data };
  if (plan.diff && env.diff) result.diff = plan.diff;
  if (plan.warnings?.length) result.warnings = [...plan.warnings];
  if (plan.facts) result.facts = plan.facts;
  if (plan.defer?.length) result.defer = plan.defer;
  return result;
}

/** The message of failed commands: the marked reason (or the command's error) and the last error lines. */
export function failureMessage(r: CommandOutcome): string {
  const lines = r.stderr.split('\n');
  const marked = lines.find((l) => l.startsWith(FAIL_MARKER));
  const other = lines.filter((l) => l.trim() !== '' && !l.startsWith(FAIL_MARKER)).slice(-8).join('\n');
  return marked ? `${marked.slice(FAIL_MARKER.length)}${other ? `\n${other}` : ''}` : new ExecError(r).message;
}

/** A plan whose commands failed: the marked reason (or the command's error) and its output. */
function failureOf(plan: Plan, r: CommandOutcome, env: Pick<PlanEnv, 'diff'>): ModuleResult {
  const base = resultOf(plan, env);
  return { ...base, changed: false, failed: true, msg: failureMessage(r), data: { ...base.data, rc: r.exitCode, stdout: r.stdout, stderr: r.stderr } };
}

/** The same failure as a plan, for an `after` that interprets successful output only. */
export function failedOutcomePlan(plan: Plan, r: CommandOutcome): Plan {
  return { commands: [], failed: true, msg: failureMessage(r), data: { ...plan.data, rc: r.exitCode, stdout: r.stdout, stderr: r.stderr }, ...(plan.diff ? { diff: plan.diff } : {}), ...(plan.warnings ? { warnings: plan.warnings } : {}) };
}

async function runCommands(ctx: ModuleContext, plan: Plan): Promise<CommandOutcome> {
  if (plan.progress) ctx.progress(plan.progress);
  const options: Omit<ExecOptions, 'become'> = {};
  if (plan.stdin !== undefined) options.stdin = plan.stdin;
  if (plan.cwd !== undefined) options.cwd = plan.cwd;
  if (plan.timeoutMs !== undefined) options.timeoutMs = plan.timeoutMs;
  if (plan.secrets?.length) options.secrets = plan.secrets;
  const watch = plan.watch;
  if (watch) {
    let noted = false;
    options.onOutput = (_stream, chunk) => {
      if (!noted && watch.pattern.test(chunk)) {
        noted = true;
        ctx.progress(watch.note);
      }
    };
  }
  const start = new Date();
  const r = await ctx.exec(joinFinal(plan.commands), options);
  return outcomeOf(r, r.stdout, start, new Date());
}

/**
 * The transport's result with the command's times: a literal of one shape (a spread of the
 * result was a slow generic object copy, per command).
 */
function outcomeOf(r: ExecResult, stdout: string, start: Date, end: Date): CommandOutcome {
  return { host: r.host, command: r.command, exitCode: r.exitCode, signal: r.signal, stdout, stderr: r.stderr, truncated: r.truncated, timedOut: r.timedOut, durationMs: r.durationMs, ok: r.ok, start, end };
}

/**
 * Carry a plan out: nothing in --check (the result says what would change), else its commands
 * as one remote command, then what `after`/`next` make of it. `ran` is the outcome when the
 * commands already ran (the one-command path).
 */
export async function executePlan(ctx: ModuleContext, plan: Plan, env: PlanEnv, ran?: CommandOutcome): Promise<ModuleResult> {
  if (plan.commands.length === 0) {
    if (plan.next && !plan.failed) return executePlan(ctx, plan.next.plan(await readProbe(ctx, plan.next.probe)), env);
    return resultOf(plan, env);
  }
  if (env.check && !ran) return resultOf(plan, env);
  const outcome = ran ?? (await runCommands(ctx, plan));
  if (plan.after) return executePlan(ctx, plan.after(outcome), env);
  if (plan.failed) return resultOf(plan, env);
  if (!outcome.ok) return failureOf(plan, outcome, env);
  if (plan.next) return executePlan(ctx, plan.next.plan(await readProbe(ctx, plan.next.probe)), env);
  return resultOf(plan, env);
}

/**
 * The branches of a fast path: each class's plan that has commands to run. A branch may have an
 * `after`: it reads the branch's own output (the runner hands it only what follows the probe).
 */
export function fastBranches<S, P>(spec: Pick<PlanSpec<unknown, S, P>, 'plan'>, args: P, fast: FastPath<S>, env: PlanEnv): Array<{ key: string; plan: Plan }> {
  return fast.cases
    .map((c) => ({ key: c.key, plan: spec.plan(args, c.state, env) }))
    .filter((b) => b.plan.commands.length > 0 && !b.plan.failed && !b.plan.next && b.plan.cwd === undefined);
}

/**
 * The one command of a fast path: probe, classify, and run the class's branch. `finals` are the
 * branches' commands as the script ends with them (joinFinal), in the branches' order.
 */
export function fastCommand<S>(probe: Fact<S>, fast: FastPath<S>, branches: ReadonlyArray<{ key: string; plan: Plan }>): { command: ShellCommand; parse: Fact<readonly [S, string]>['parse']; finals: ShellCommand[] } {
  const classify: Fact<string> = { name: 'class', command: sh`k=; ${fast.classify}; printf '%s\\n' "$k"`, parse: (o) => o.trim() };
  const both = combineFacts([probe, classify] as const, 'fast');
  // the case is the end of the script: a branch's simple last command is exec'd (joinFinal)
  const finals = branches.map((b) => joinFinal(b.plan.commands));
  const cases = branches.map((b, i) => sh`${b.key}) ${finals[i] as ShellCommand} ;;\n`);
  const command = sh`${both.command}; case "$k" in\n${new ShellCommand(cases)}esac`;
  // the parser alone, not the combined fact: what waits for the output holds no command text
  return { command, parse: both.parse, finals };
}

/**
 * What a one-command path sends, made without waiting for anything: the script as one piece of
 * text (ShellCommand.built), each branch's text, and the parser of the output. What waits for
 * the host's answer holds only these: the probe, the branches' plans and the trees of parts
 * they are built of are garbage once the text is made (at a few hundred hosts they lived a round
 * trip, outlived scavenges and were copied by each: fleet benchmark).
 */
function fastSend<S, P>(spec: PlanSpec<unknown, S, P>, args: P, env: PlanEnv, probe: Fact<S>, fast: FastPath<S>): FastSending<S> {
  const branches = fastBranches(spec, args, fast, env);
  const stdins = branches.map((b) => b.plan.stdin).filter((s) => s !== undefined);
  const stdin = stdins[0];
  if (stdins.some((s) => s.toString() !== stdin?.toString())) {
    throw new Error(`internal error: ${spec.name}'s one-command branches need different stdin`);
  }
  const { command, parse, finals } = fastCommand(probe, fast, branches);
  // each branch's text first: the script's text is then made of them as they are
  const texts = finals.map((f) => f.toShell());
  return { command: ShellCommand.built(command), keys: branches.map((b) => b.key), texts, parse, stdin };
}

interface FastSending<S> {
  command: ShellCommand;
  /** the classes that have a branch, and the text each sends */
  keys: string[];
  texts: string[];
  parse: Fact<readonly [S, string]>['parse'];
  stdin: string | Buffer | undefined;
}

async function runFast<A, S, P>(ctx: ModuleContext, spec: PlanSpec<A, S, P>, args: P, env: PlanEnv, sending: FastSending<S>): Promise<ModuleResult> {
  const { command, keys, texts, parse, stdin } = sending;
  const start = new Date();
  const r = await ctx.exec(command, stdin !== undefined ? { stdin, outputAtEnd: true } : { outputAtEnd: true });
  const end = new Date();
  const [state, key] = parse(r.stdout, r.stderr, r.exitCode);
  const planned = spec.plan(args, state, env);
  const at = keys.indexOf(key);
  if (at === -1) return executePlan(ctx, planned, env); // nothing ran: the probed state, planned as usual
  // what ran must be what the probed state's plan sends (the same text, whatever its parts)
  if (texts[at] !== joinFinal(planned.commands).toShell()) {
    return {
      changed: r.ok,
      failed: true,
      msg: `internal error: ${spec.name}'s one-command path ran the plan for "${key}", but the plan for the probed state differs: please report this (the --check path shows what it would do)`,
    };
  }
  // the branch's own output comes after the probe's sections
  const tail = r.stdout.slice(r.stdout.lastIndexOf('@@fast-end 1 ')).replace(/^[^\n]*\n?/, '');
  return executePlan(ctx, planned, env, outcomeOf(r, tail, start, end));
}

/** The generic runner: every plan-based module runs through here. */
export async function runPlanModule<A, S, P>(spec: PlanSpec<A, S, P>, ctx: ModuleContext, given: A): Promise<ModuleResult> {
  const env = planEnv(ctx);
  // `~` in path arguments is the (become) user's home on the host, as in Ansible
  const args = spec.homePaths?.length ? await expandHomeArgs(ctx, given, spec.homePaths) : given;
  const p = spec.prepare ? await spec.prepare(ctx, args) : (args as unknown as P);
  const fast = env.check || env.diff ? undefined : spec.fast?.(p, env);
  // a one-command path's own probe stands for the module's (FastPath.probe): only one is made
  const probe = fast?.probe ?? spec.probe?.(p, env);
  if (fast && probe && !isControllerFact(probe)) return runFast(ctx, spec, p, env, fastSend(spec, p, env, probe, fast));
  const state = probe ? await readProbe(ctx, probe) : (undefined as S);
  return executePlan(ctx, spec.plan(p, state, env), env);
}

type Normal<A> = { ok: true; args: A } | { ok: false; result: ModuleResult };

function normal<A>(spec: Pick<ModuleDefinition<A>, 'name' | 'schema'>, args: A): Normal<A> {
  try {
    return { ok: true, args: normalizeArgs<A>(spec.schema, args as Record<string, unknown>) };
  } catch (e) {
    return { ok: false, result: { changed: false, failed: true, msg: `${spec.name}: ${(e as Error).message}` } };
  }
}

/**
 * A module's parts → what the engine calls. Arguments arrive canonical (aliases mapped,
 * defaults filled); a plan-based module is run by the generic runner above.
 */
export function defineModule<A>(spec: RunSpec<A>): ModuleDefinition<A>;
export function defineModule<A, S, P = A>(spec: PlanSpec<A, S, P>): PlanModule<A, S, P>;
export function defineModule<A, S, P>(spec: ModuleSpec<A, S, P>): ModuleDefinition<A> {
  if ('run' in spec) {
    const own = spec.run.bind(spec);
    return {
      ...spec,
      run(ctx, args) {
        const n = normal(spec, args);
        return n.ok ? own(ctx, n.args) : Promise.resolve(n.result);
      },
    };
  }
  return {
    ...spec,
    run(ctx, args) {
      const n = normal(spec, args);
      return n.ok ? runPlanModule(spec, ctx, n.args) : Promise.resolve(n.result);
    },
  };
}
