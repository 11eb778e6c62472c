// The one module contract (pyinfra's operation, Ansible's action+module):
//
//   prepare (controller: read a src file, render a template)      → the plan's arguments
//   probe   (a fact from src/facts: a host command + its parser)  → the host's state
//   plan    (pure: arguments, state, env)                         → a Plan: commands + message
//   check/diff, apply                                             → the one generic runner (runner.ts)
//
// A module file declares these parts with `defineModule` (runner.ts); the runner is the same for every
// module, so adding a module touches only its own file, its facts, the registry and its data
// fixtures (see README.md). A plan may ask more of the host after its commands ran (`next`),
// or interpret their outcome (`after`): certbot re-reads its certificate, apache checks and
// undoes a change, command registers its output; each step is again a pure plan.
import { randomBytes } from 'node:crypto';
import type { ShellCommand } from '../transport/command.js';
import type { ExecResult } from '../transport/types.js';
import type { Fact, Probe } from '../facts/types.js';
import type { FileDiff, HostDeferral, ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

/** What a plan may know besides facts and arguments, passed in so plans are pure functions. */
export interface PlanEnv {
  /** --check: the plan is shown, its commands are not run */
  check: boolean;
  /** --diff: the plan fills `diff` */
  diff: boolean;
  /** the controller's clock */
  now: Date;
  /** unique suffix for temp files (random in a run, fixed in tests) */
  tmpSuffix: string;
  /** the task's variables (hostvars, ansible_host, ...) */
  vars: Readonly<Record<string, unknown>>;
}

export interface Plan {
  /** commands to run in order, joined with `&&` into ONE remote command; empty: nothing to do */
  commands: ShellCommand[];
  /** stdin of the joined command (new file content) */
  stdin?: string | Buffer;
  /** directory the commands run in */
  cwd?: string;
  timeoutMs?: number;
  /** values masked in the commands' output and errors (a token the command sends) */
  secrets?: string[];
  /** a note shown while the commands run (long steps) */
  progress?: string;
  /** a progress note shown once when the commands' output matches (apt waiting for the dpkg lock) */
  watch?: { pattern: RegExp; note: string };
  /** what was done (or would be), or why nothing needed doing: one line a person reads */
  msg: string;
  /** whether the host changes; default: there are commands */
  changed?: boolean;
  /** the task fails with msg (after running the commands, if any: clean-up such as an undo) */
  failed?: boolean;
  /** the module's own condition said "do not run" (creates/removes) */
  skipped?: boolean;
  diff?: FileDiff[];
  /** values registered with `register:` */
  data?: Record<string, unknown>;
  warnings?: string[];
  /** variables set on the host (set_fact-like modules) */
  facts?: Record<string, unknown>;
  /** hosts taken out of the run for now (ModuleResult.defer: acme_rate_limit beyond the weekly budget) */
  defer?: HostDeferral[];
  /** after the commands ran (ok or not): what their outcome means. Default: a non-zero exit fails the task with its error output, else this plan's result */
  after?(outcome: CommandOutcome): Plan;
  /** ask more (host or controller), then plan from the answer: after the commands succeeded, or at once when there are none (also in --check: asking changes nothing) */
  next?: Step<unknown>;
}

/** What running a plan's commands gave, with the controller's clock around it. */
export interface CommandOutcome extends ExecResult {
  start: Date;
  end: Date;
}

export interface Step<S> {
  probe: Probe<S>;
  plan(state: S): Plan;
}

/** A follow-up step (typed at the call site, stored untyped in the plan). */
export function step<S>(probe: Probe<S>, plan: (state: S) => Plan): Step<unknown> {
  return { probe, plan };
}

/**
 * The one-command path: when nothing has to be shown first (no --check/--diff), the host
 * probes, classifies its state and carries out the plan for that class in the same command.
 * The branches are the module's own plan computed for one representative state per class (no
 * second copy of the decision); afterwards the runner plans again from the probed state and
 * takes the message from that plan, so both paths say the same. A class without commands, or a
 * state no class covers, falls back to the planned path.
 */
export interface FastPath<S> {
  /** shell that sets `$k` to the host's class (cheap tests; must not `exit`) */
  classify: ShellCommand;
  /** every class whose plan has commands, with a state that stands for it */
  cases: Array<{ key: string; state: S }>;
  /**
   * the probe of this path when it differs from the module's own (it may read stdin, which a
   * one-command path always has, or leave out what no plan of this path reads): the module must
   * plan the same from its state, and the module's own probe is then not made at all
   */
  probe?: Fact<S>;
}

/** A plan that changes nothing. */
export function noop(msg: string, data?: Record<string, unknown>): Plan {
  return { commands: [], msg, data };
}

/** A module without check-mode support under --check: skipped, in Ansible's words. */
export function noCheckMode(module: string): Plan {
  return { commands: [], skipped: true, changed: false, msg: `remote module (${module}) does not support check mode` };
}

/** A plan that fails without touching the host (bad state: e.g. "not a directory"). */
export function failPlan(msg: string, data?: Record<string, unknown>): Plan {
  return { commands: [], msg, failed: true, data };
}

/** Whether the plan would change the host. */
export function planChanges(plan: Plan): boolean {
  if (plan.failed) return false;
  return plan.changed ?? plan.commands.length > 0;
}

/** A module run on the controller only, or with a run of its own (debug, assert, meta, ...). */
export interface RunSpec<A> extends Omit<ModuleDefinition<A>, 'run' | 'plan' | 'probe' | 'prepare' | 'fast'> {
  run(ctx: ModuleContext, args: A): Promise<ModuleResult>;
}

/** A module in the contract's terms: A are the task's arguments, P the plan's (after prepare), S the probed state. */
export interface PlanSpec<A, S, P = A> extends Omit<ModuleDefinition<A>, 'run' | 'plan' | 'probe' | 'prepare' | 'fast'> {
  /** controller-side work before the probe (read a file, render a template); default: the arguments as they are */
  prepare?(ctx: ModuleContext, args: A): Promise<P>;
  /** what to ask before planning; the state is `undefined` without a probe */
  probe?(args: P, env: PlanEnv): Probe<S> | undefined;
  plan(args: P, state: S, env: PlanEnv): Plan;
  fast?(args: P, env: PlanEnv): FastPath<S> | undefined;
}

export type ModuleSpec<A, S, P> = RunSpec<A> | PlanSpec<A, S, P>;

// Temp suffixes come from the system's CSPRNG a block at a time: a randomBytes call per plan
// (per task and host) was a native call, a Buffer and its backing store each time.
const SUFFIX_BYTES = 6;
const POOL_BYTES = SUFFIX_BYTES * 256;
let pool: Buffer | undefined;
let poolAt = POOL_BYTES;

/** 12 hex digits of fresh randomness (the same as randomBytes(6).toString('hex')). */
export function randomSuffix(): string {
  if (pool === undefined || poolAt + SUFFIX_BYTES > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + SUFFIX_BYTES);
  poolAt += SUFFIX_BYTES;
  return s;
}

/** The env of one run: the context's check/diff/vars, the clock, a fresh temp suffix. */
export function planEnv(ctx: Pick<ModuleContext, 'check' | 'diff' | 'vars'>): PlanEnv {
  return new RunEnv(ctx);
}

// A class: made per task and host, where an object literal with a getter allocated the getter
// anew each time.
class RunEnv implements PlanEnv {
  readonly check: boolean;
  readonly diff: boolean;
  readonly now = new Date();
  readonly tmpSuffix = randomSuffix();
  constructor(private readonly ctx: Pick<ModuleContext, 'check' | 'diff' | 'vars'>) {
    this.check = ctx.check;
    this.diff = ctx.diff;
  }

  // on access: resolving every variable of the task's scope was a third of the controller's
  // CPU per task on the fleet benchmark, and only a few modules' plans read it
  get vars(): Readonly<Record<string, unknown>> {
    return this.ctx.vars;
  }
}

/** A module built from a PlanSpec: what the engine calls, plus the pure parts for tests and docs. */
export type PlanModule<A, S, P = A> = ModuleDefinition<A> & PlanSpec<A, S, P>;
