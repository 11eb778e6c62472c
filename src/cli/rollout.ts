// `runbook apply`'s rollout flags (issue 18): the failure budget, fail-fast, approval between
// batches (asked on the terminal, never waited for in CI or without one), the pause module's
// terminal, the run history record and `--resume`. Kept out of apply.ts so the command reads as
// before; apply.ts calls the four functions below.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ApprovalOptions, ApproveFn, BatchSummary } from '../engine/approval.js';
import type { RolloutLimits } from '../engine/budget.js';
import type { ResumePoint, RunOptions } from '../engine/types.js';
import type { Playbook } from '../playbook/types.js';
import type { Reporter } from '../engine/events.js';
import { UsageError } from '../util/errors.js';
import type { CommandIo, OptionSpec, ParsedArgs } from './command.js';
import { setting, type Config } from './config.js';
import { askLine, whyNoAnswer } from './prompt.js';

export const ROLLOUT_OPTIONS: OptionSpec = {
  'max-fail': { type: 'string' },
  'max-unreachable': { type: 'string' },
  'count-unreachable': { type: 'boolean' },
  'fail-fast': { type: 'boolean' },
  approve: { type: 'string' },
  'approve-timeout': { type: 'string' },
  'approve-ci': { type: 'string' },
  resume: { type: 'boolean' },
  force: { type: 'boolean' },
};

export const ROLLOUT_HELP = `Rollouts (serial batches; flags win over the play's keywords):
      --max-fail N            failed hosts tolerated across all batches (max_fail_total);
                              the next failure stops the rollout, no later batch starts
      --max-unreachable N     unreachable hosts tolerated across all batches (counted apart
                              from failures: a powered-off node is not a broken rollout)
      --count-unreachable     unreachable hosts count as failures for --max-fail/--fail-fast
      --fail-fast             stop at the first failed host of a batch
      --approve WHICH         ask after these batches before going on: first (the canary),
                              all, none, or batch numbers 1,2 (approve_batches)
      --approve-timeout S[:stop]  no answer in S seconds continues (or stops, with :stop)
      --approve-ci continue|stop  what a run without a terminal (or CI=true) does where an
                              approval is due (default stop: it never waits)
      --resume [RUN]          continue an interrupted rollout (default: the last run): the
                              same playbook (digest checked) and options; finished batches
                              and hosts are not run again
      --force                 with --resume: run even though the playbook changed
`;

const int = (v: unknown, flag: string): number | undefined => {
  if (typeof v !== 'string') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`${flag} must be a whole number >= 0, got '${v}'`);
  return Number(v);
};

/** The failure budget, approval and the pause module's terminal, from the flags. */
export function rolloutRunOptions(v: ParsedArgs['values'], io: CommandIo, screen: { pause(): void; resume(): void }): Pick<RunOptions, 'rollout' | 'approval' | 'approve' | 'interact'> {
  const rollout: RolloutLimits = {};
  const maxFail = int(v['max-fail'], '--max-fail');
  if (maxFail !== undefined) rollout.maxFailTotal = maxFail;
  const maxUnreachable = int(v['max-unreachable'], '--max-unreachable');
  if (maxUnreachable !== undefined) rollout.maxUnreachableTotal = maxUnreachable;
  if (v['count-unreachable'] === true) rollout.countUnreachable = true;
  if (v['fail-fast'] === true) rollout.failFast = true;

  const interactive = whyNoAnswer(io) === undefined;
  const approval: ApprovalOptions = { interactive };
  if (typeof v.approve === 'string') {
    const a = v.approve.trim();
    if (a === 'first') approval.batches = [1];
    else if (a === 'all' || a === 'none') approval.batches = a;
    else if (/^\d+(,\d+)*$/.test(a)) approval.batches = a.split(',').map(Number);
    else throw new UsageError(`--approve must be first, all, none or batch numbers such as 1,2; got '${a}'`);
  }
  if (typeof v['approve-timeout'] === 'string') {
    const m = /^(\d+(?:\.\d+)?)(?::(continue|stop))?$/.exec(v['approve-timeout'].trim());
    if (!m) throw new UsageError(`--approve-timeout must be seconds, optionally :continue or :stop (e.g. 600:stop); got '${v['approve-timeout']}'`);
    approval.timeoutMs = Number(m[1]) * 1000;
    if (m[2] === 'stop' || m[2] === 'continue') approval.onTimeout = m[2];
  }
  if (typeof v['approve-ci'] === 'string') {
    if (v['approve-ci'] !== 'continue' && v['approve-ci'] !== 'stop') throw new UsageError(`--approve-ci must be continue or stop; got '${v['approve-ci']}'`);
    approval.nonInteractive = v['approve-ci'];
  }
  // one question at a time on the terminal, the live view paused meanwhile
  const approve: ApproveFn = async (summary, signal) => {
    screen.pause();
    try {
      io.stderr.write(formatBatchSummary(summary, approval));
      const answer = await askLine(io, `Continue with batch ${summary.batch + 1} (${summary.next.length} hosts)? [y/N] `, 'approval', signal);
      return /^y(es)?$/i.test(answer) ? 'continue' : 'stop';
    } finally {
      screen.resume();
    }
  };
  return {
    ...(Object.keys(rollout).length > 0 ? { rollout } : {}),
    approval,
    approve,
    interact: {
      interactive,
      prompt: async (text, _echo, signal) => {
        screen.pause();
        try {
          return await askLine(io, text, 'pause', signal);
        } finally {
          screen.resume();
        }
      },
      say: (text) => io.stderr.write(`${text}\n`),
    },
  };
}

/** What the operator sees before answering: each host's outcome and the failures. */
export function formatBatchSummary(s: BatchSummary, approval: ApprovalOptions): string {
  const lines = [``, `Batch ${s.batch}/${s.batches} of play "${s.play}" is done:`];
  for (const h of s.hosts) {
    lines.push(`  ${h.host.padEnd(24)} ${h.state.padEnd(11)} ok=${h.stats.ok} changed=${h.stats.changed} failed=${h.stats.failed} unreachable=${h.stats.unreachable}`);
  }
  if (s.failures.length > 0) {
    lines.push('  failures:');
    for (const f of s.failures) lines.push(`    ${f.host}: ${f.task} (${f.where}): ${f.msg.split('\n')[0] ?? ''}`);
  }
  lines.push(`Next: batch ${s.batch + 1} with ${s.next.length} hosts (${s.next.slice(0, 5).join(', ')}${s.next.length > 5 ? ', ...' : ''}).`);
  if (approval.timeoutMs !== undefined) lines.push(`No answer in ${Math.round(approval.timeoutMs / 1000)} s: ${approval.onTimeout ?? 'continue'}.`);
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------- history

/** Retention from the configuration: history_keep (runs) and history_keep_days. */
export function historyRetention(config: Config): { runs?: number; days?: number } {
  const runs = setting(config, 'history_keep');
  const days = setting(config, 'history_keep_days');
  const out: { runs?: number; days?: number } = {};
  if (runs !== undefined && runs !== '') {
    const n = Number(runs);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`history_keep must be a whole number of runs >= 1, got '${runs}'`);
    out.runs = n;
  }
  if (days !== undefined && days !== '') {
    const n = Number(days);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`history_keep_days must be a number of days > 0, got '${days}'`);
    out.days = n;
  }
  return out;
}

/** What a run records as its options: what `--resume` needs to run the same again. */
export interface RecordedOptions {
  cwd: string;
  playbooks: string[];
  inventories: string[];
  limit: string[];
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  startAtTask?: string;
  forks: number;
  /** the -e arguments, masked; `extraVarsMasked` when masking changed one (then --resume needs them again) */
  extraVars: string[];
  extraVarsMasked: boolean;
  extraVarsDigest: string;
  rollout: Record<string, unknown>;
}

export function extraVarsDigest(values: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(values, Object.keys(values).sort())).digest('hex');
}

/**
 * Start the run's history record (never fails the run: a store that cannot be written is a
 * warning). Returns the reporter to combine with the others.
 */
export async function startHistory(
  io: CommandIo,
  o: { kind: 'apply' | 'run'; playbook: Playbook; shown: string; options: RecordedOptions; keep: { runs?: number; days?: number }; resumeOf?: number; storePath: string },
): Promise<{ reporter?: Reporter; id?: number }> {
  const { playbookDigest, recordRun } = await import('../store/history.js');
  const { digest, files } = playbookDigest(o.playbook);
  const s = recordRun(o.storePath, { kind: o.kind, playbook: o.shown, digest, files, options: { ...o.options }, ...(o.resumeOf !== undefined ? { resumeOf: o.resumeOf } : {}), ...(io.env.USER ? { user: io.env.SUDO_USER ?? io.env.USER } : {}) }, o.keep);
  if ('warning' in s) {
    io.stderr.write(`${s.warning}\n`);
    return {};
  }
  return { reporter: s.reporter, id: s.id };
}

export interface ResumePlan {
  args: ParsedArgs;
  io: CommandIo;
  /** the runs of the rollout so far, oldest first */
  chain: number[];
  resumeOf: number;
  digest: string;
}

/** Flags that choose what runs: --resume takes them from the record, never from this command line. */
const SELECTION = ['limit', 'tags', 'skip-tags', 'check', 'diff', 'start-at-task', 'forks', 'inventory'] as const;

/**
 * `--resume [RUN]`: the interrupted rollout's record → the same command line again, and what it
 * already did. Refuses a finished rollout, one still running, and a changed playbook (unless --force).
 */
export async function prepareResume(args: ParsedArgs, io: CommandIo, storePath: string): Promise<ResumePlan> {
  const v = args.values;
  const [arg, ...rest] = args.positionals;
  if (rest.length > 0 || (arg !== undefined && !/^\d+$/.test(arg))) {
    throw new UsageError(`runbook apply --resume [RUN]: RUN is a run number from 'runbook history'; the playbook and options come from that run's record (got '${args.positionals.join(' ')}')`);
  }
  for (const k of SELECTION) {
    if (v[k] !== undefined && !(Array.isArray(v[k]) && v[k].length === 0)) throw new UsageError(`runbook apply --resume: --${k} cannot be given: a resumed rollout runs with the options it started with`);
  }
  const { openStore } = await import('../store/db.js');
  const h = await import('../store/history.js');
  const store = openStore(storePath, [h.historyArea]);
  try {
    const target = arg !== undefined ? h.getRun(store.db, Number(arg)) : h.latestRun(store.db, 'apply');
    if (!target) throw new UsageError(arg !== undefined ? `runbook apply --resume: no run ${arg} in the history (${storePath}); see 'runbook history'` : `runbook apply --resume: no apply run in the history (${storePath})`);
    if (target.kind !== 'apply') throw new UsageError(`runbook apply --resume: run ${target.id} is an ad-hoc command, not a rollout`);
    const chain = h.resumeChain(store.db, target.id);
    const last = chain.at(-1) ?? target;
    if (last.status === 'running') throw new UsageError(`runbook apply --resume: run ${last.id} is still running (pid ${last.pid} on ${last.controller}); stop it first`);
    if (h.chainFinished(chain)) {
      throw new UsageError(`runbook apply --resume: run ${last.id} finished (${last.status}): nothing to resume. Re-run the failed hosts with --limit @RETRY_FILE, or start a new run.`);
    }
    const o = chain[0]?.options as unknown as RecordedOptions;
    const first = chain[0] ?? target;
    // the playbook as it is now, against the digest the rollout started with
    const extra = o.extraVarsMasked ? (Array.isArray(v['extra-vars']) ? (v['extra-vars'] as string[]) : []) : o.extraVars;
    if (o.extraVarsMasked && extra.length === 0) {
      throw new UsageError(`runbook apply --resume: run ${first.id}'s -e values held secrets (masked in the record): give the same -e again`);
    }
    const values: ParsedArgs['values'] = {
      ...v,
      inventory: o.inventories.map((i) => (existsSync(resolve(o.cwd, i)) ? resolve(o.cwd, i) : i)),
      limit: o.limit,
      tags: o.tags,
      'skip-tags': o.skipTags,
      check: o.check,
      diff: o.diff,
      forks: String(o.forks),
      'extra-vars': extra,
      ...(o.startAtTask !== undefined ? { 'start-at-task': o.startAtTask } : {}),
    };
    delete values.resume;
    for (const [k, val] of Object.entries(o.rollout)) if (values[k] === undefined) values[k] = val as string | boolean;
    return { args: { values, positionals: o.playbooks }, io: { ...io, cwd: o.cwd }, chain: chain.map((r) => r.id), resumeOf: last.id, digest: first.digest };
  } finally {
    store.close();
  }
}

/**
 * What the rollout already did, for the engine; checks the playbook's digest first (a changed
 * playbook is refused unless --force). A play with handlers counts a host done only once its
 * batch ended (its handlers run at the batch's end).
 */
export async function resumePointFor(storePath: string, plan: ResumePlan, playbook: Playbook, force: boolean): Promise<ResumePoint> {
  const h = await import('../store/history.js');
  const { digest } = h.playbookDigest(playbook);
  if (digest !== plan.digest && !force) {
    throw new UsageError(`runbook apply --resume: the playbook changed since run ${plan.chain[0] ?? plan.resumeOf} started (its files' sha256 differs); resuming would mix two rollouts. Use --force to resume anyway, or start a new run.`);
  }
  const { openStore } = await import('../store/db.js');
  const store = openStore(storePath, [h.historyArea]);
  try {
    const chain = plan.chain.map((id) => h.getRun(store.db, id)).filter((r): r is NonNullable<typeof r> => r !== undefined);
    return h.resumePoint(store.db, chain, (play) => (playbook.plays[play]?.handlers.length ?? 0) > 0);
  } finally {
    store.close();
  }
}
