// The engine's entry: a validated playbook + an inventory → a run, as a stream of events
// ending in a recap. This file is the run loop only: plan (src/engine/plan.ts), the run's
// lifecycle and Ctrl-C, plays → serial batches, max_fail_percentage / any_errors_fatal
// between batches, and the recap from the tally (src/engine/tally.ts). Each host walks a
// play's steps on its own (src/engine/walk.ts); the linear strategy adds a barrier so every
// host of a batch finishes a task before any host starts the next one. Modules are planned
// when they run (they read the host's current state), never up front.
// src/engine/README.md follows one task from the playbook to its event, file by file.
import { setMaxListeners } from 'node:events';
import { readFile as fsReadFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { groupMembers } from '../inventory/runtime.js';
import type { Inventory } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { maskSecrets } from '../transport/command.js';
import { Semaphore } from '../util/semaphore.js';
import { splitBatches } from './batches.js';
import type { RecapEvent, Reporter } from './events.js';
import { pendingHandlers, runHandlers } from './handlers.js';
import { delegatedHosts } from './delegate.js';
import { newHost } from './host-state.js';
import { TaskRefs } from './identity.js';
import { Lockstep } from './lockstep.js';
import type { PlayPlan, RunPlan } from './plan.js';
import { planRun, playHosts } from './plan.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import { createTally, isRunEvent } from './tally.js';
import type { EngineEvent } from './tally.js';
import { createHostvars } from './templating.js';
import type { RunOptions } from './types.js';
import { hostScope } from './vars.js';
import { addSecret } from './secrets.js';
import { checkMaxFail, runHost, runTask } from './walk.js';
import { approvalDue, awaitApproval, type BatchSummary } from './approval.js';
import { budgetExceeded, budgetRule, ruleIsActive } from './budget.js';
import { orderHosts } from './order.js';
import { Throttles } from './throttle.js';

/** Variable a playbook sets (set_fact) to publish values in the recap's `outputs` (and so in --json). */
export const OUTPUTS_VAR = 'runbook_outputs';

const CLOSE_TIMEOUT_MS = 3000;
// secrets by name, masked in every event: passwords, and the TSIG key of certbot's RFC 2136 plugin (DNS-01)
const PASSWORD_VARS = ['ansible_become_password', 'ansible_become_pass', 'ansible_password', 'ansible_ssh_pass', 'dns_rfc2136_secret'];

export async function runPlaybook(playbook: Playbook, inventory: Inventory, options: RunOptions, reporter: Reporter): Promise<RecapEvent> {
  const readFile = options.readFile ?? ((p: string) => fsReadFile(p, 'utf8'));
  const plan = await planRun(playbook, inventory, { ...options, readFile });
  return new Run(playbook, inventory, plan, options, reporter, readFile).start();
}

class Run implements RunState {
  readonly sem: Semaphore;
  private readonly killer = new AbortController();
  private readonly stopper = new AbortController();
  readonly kill = this.killer.signal;
  readonly stopped = this.stopper.signal;
  readonly secrets: string[];
  readonly refs: TaskRefs;
  readonly playbookDir: string;
  readonly groups: Record<string, string[]> = {};
  readonly hostvars = createHostvars(
    () => this.inventory.hosts.keys(),
    (name) => hostScope(this, name),
  );
  currentBatch: BatchRun | undefined;
  stateVersion = 0;
  readonly throttles = new Throttles();
  /** the failure budget's totals, recounted when a host's state changed */
  private counted: { version: number; failed: string[]; unreachable: string[] } | undefined;
  private readonly hosts = new Map<string, HostRun>();
  private readonly batches = new Set<BatchRun>();
  /** each host's last host_end state (stopped or not, for batch_end) */
  private readonly hostEnds = new Map<string, string>();
  private readonly tally = createTally();
  private stopping_ = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  private readonly killWatch = new Set<() => void>();

  constructor(
    private readonly playbook: Playbook,
    readonly inventory: Inventory,
    readonly plan: RunPlan,
    readonly options: RunOptions,
    private readonly reporter: Reporter,
    readonly readFile: (path: string) => Promise<string>,
  ) {
    this.sem = new Semaphore(Math.max(1, Math.ceil(options.forks ?? 5)));
    // every running task listens for Ctrl-C: hundreds at once are expected, not a leak
    setMaxListeners(0, this.kill, this.stopped);
    this.kill.addEventListener('abort', () => {
      for (const fn of [...this.killWatch]) fn();
      this.killWatch.clear();
    }, { once: true });
    this.refs = new TaskRefs(options.displayRoot);
    this.playbookDir = options.playbookDir ?? dirname(resolve(playbook.file));
    this.secrets = options.secrets ?? [];
    if (options.becomePassword) addSecret(this.secrets, options.becomePassword);
    for (const h of inventory.hosts.values()) {
      for (const k of PASSWORD_VARS) {
        const v = h.vars[k];
        if (typeof v === 'string' && v.length > 0 && !v.includes('{{')) addSecret(this.secrets, v);
      }
    }
    Object.assign(this.groups, groupMembers(inventory));
    // --resume: hosts the interrupted run lost stay out of the rollout, as they would have
    for (const n of options.resume?.failed ?? []) if (inventory.hosts.has(n)) this.host(n).state = 'failed';
    for (const n of options.resume?.unreachable ?? []) if (inventory.hosts.has(n)) this.host(n).state = 'unreachable';
    for (const k of PASSWORD_VARS) {
      const v = options.extraVars?.[k];
      if (typeof v === 'string' && v.length > 0 && !v.includes('{{')) addSecret(this.secrets, v);
    }
  }

  get stopping(): boolean {
    return this.stopping_;
  }

  onKill(fn: () => void): () => void {
    if (this.kill.aborted) {
      fn();
      return () => {};
    }
    this.killWatch.add(fn);
    return () => this.killWatch.delete(fn);
  }

  host(name: string): HostRun {
    let h = this.hosts.get(name);
    if (!h) {
      h = newHost(this, name);
      this.hosts.set(name, h);
    }
    return h;
  }

  async start(): Promise<RecapEvent> {
    const signal = this.options.signal;
    const onStop = (): void => this.stop();
    const onKill = (): void => this.killer.abort();
    if (signal?.aborted) this.stop();
    signal?.addEventListener('abort', onStop, { once: true });
    this.options.killSignal?.addEventListener('abort', onKill, { once: true });
    try {
      this.emit({ type: 'run_start', playbook: this.playbook.file, hosts: this.runHosts(), check: this.options.check ?? false, time: new Date().toISOString() });
      for (const play of this.plan.plays) {
        if (this.stopping) break;
        if (await this.runPlay(play)) break;
      }
      return await this.finish();
    } finally {
      signal?.removeEventListener('abort', onStop);
      this.options.killSignal?.removeEventListener('abort', onKill);
      if (this.graceTimer) clearTimeout(this.graceTimer);
      // a connection that does not close in time must not keep the run (and Ctrl-C) waiting
      const open = [...this.hosts.values(), ...delegatedHosts(this)];
      await Promise.allSettled(open.map((h) => (h.transport ? withTimeout(h.transport.close(), CLOSE_TIMEOUT_MS) : Promise.resolve())));
    }
  }

  /** First Ctrl-C: start nothing new; running commands get a grace period, then are aborted. */
  private stop(): void {
    if (this.stopping_) return;
    this.stopping_ = true;
    this.emit({ type: 'interrupted' });
    this.stopper.abort();
    for (const b of this.batches) b.lockstep?.release();
    this.graceTimer = setTimeout(() => this.killer.abort(), this.options.graceMs ?? 5000);
  }

  /** Returns true when the whole run must stop (max_fail_percentage, any_errors_fatal, failure budget, refused approval, Ctrl-C). */
  private async runPlay(plan: PlayPlan): Promise<boolean> {
    const { play, index } = plan;
    const { order, batches: planned } = this.playBatches(plan);
    // hosts that failed or were unreachable in an earlier play sit out the later ones (Ansible)
    const hosts = order.map((n) => this.host(n)).filter((h) => h.state === 'ok');
    this.emit({ type: 'play_start', play: play.name, index, hosts: hosts.map((h) => h.name), tasks: plan.taskCount });
    if (hosts.length === 0) {
      if (!this.options.resume?.plays[index]) this.emit({ type: 'warning', msg: `play "${play.name}": no hosts to run on (pattern "${plan.pattern}")` });
      this.emit({ type: 'play_end', play: play.name, index });
      return false;
    }
    const ok = new Set(hosts.map((h) => h.name));
    // batch numbers stay those of the whole rollout (a resumed run skips the finished ones)
    const batches = planned.map((b, bi) => ({ number: bi + 1, hosts: b.filter((n) => ok.has(n)).map((n) => this.host(n)) })).filter((b) => b.hosts.length > 0);
    const total = planned.length;
    let stopped: string | undefined;
    for (const [i, { number, hosts: batch }] of batches.entries()) {
      if (this.stopping) {
        stopped = 'interrupted';
        break;
      }
      const bi = number - 1;
      this.emit({ type: 'batch_start', play: play.name, batch: number, batches: total, hosts: batch.map((h) => h.name) });
      const br: BatchRun = {
        plan,
        play,
        batchIndex: bi,
        hosts: batch,
        playHosts: hosts.map((h) => h.name),
        runOnce: new Map(),
        ...(play.strategy === 'linear' ? { lockstep: new Lockstep(batch.map((h) => h.name)) } : {}),
      };
      this.batches.add(br);
      this.currentBatch = br;
      try {
        await Promise.all(batch.map((h) => runHost(this, h, br)));
        await runHandlers(this, br, runTask);
      } finally {
        this.batches.delete(br);
      }
      pendingHandlers(this, br);
      const last = i === batches.length - 1;
      // deferred hosts (weekly certificate budget) did not fail
      const bad = batch.filter((h) => h.state === 'failed' || h.state === 'unreachable').length;
      const pct = (bad * 100) / batch.length;
      if (this.stopping) stopped = 'interrupted';
      else if (br.fatal) stopped = br.fatal;
      else if (play.maxFailPercentage !== undefined && pct > play.maxFailPercentage) {
        checkMaxFail(br);
        stopped = br.fatal;
      } else {
        // a failure in the batch's last task (or a handler) meets the budget here
        this.checkRollout(br);
        if (br.fatal) stopped = br.fatal;
        else if (bad === batch.length && !last) stopped = `every host of batch ${number} failed or was unreachable`;
      }
      const states = Object.fromEntries(batch.map((h) => [h.name, this.endState(h)] as const));
      this.emit({ type: 'batch_end', play: play.name, batch: number, batches: total, hosts: states, ...(stopped ? { stopped } : {}) });
      if (stopped || br.ended === 'play') break;
      const next = batches[i + 1];
      if (next && approvalDue(play, this.options.approval, number, total)) {
        const summary = this.batchSummary(plan, number, total, batch, states, next.hosts.map((h) => h.name));
        const outcome = await awaitApproval(summary, this.options.approval, this.options.approve, this.stopped);
        this.emit({ type: 'approval', play: play.name, batch: number, ...outcome });
        if (outcome.decision === 'stop') {
          stopped = `approval ${outcome.by === 'operator' ? 'refused by the operator' : outcome.by === 'timeout' ? 'timed out' : outcome.by === 'interrupted' ? 'interrupted (Ctrl-C)' : 'not given: the run is not interactive'} after batch ${number}`;
          // a refused rollout ends as Ctrl-C between batches does: the retry file lists every host not done
          if (!this.stopping) this.emit({ type: 'interrupted' });
          break;
        }
      }
    }
    this.emit({ type: 'play_end', play: play.name, index, ...(stopped ? { stopped } : {}) });
    return stopped !== undefined;
  }

  /** The play's host order (`order:`, or the interrupted run's on --resume) and its serial batches. */
  private playBatches(plan: PlayPlan): { order: string[]; batches: string[][] } {
    const prior = this.options.resume?.plays[plan.index];
    if (!prior) {
      // selected again now: add_host/group_by may have changed the inventory (the contract with src/inventory/runtime.ts)
      const order = orderHosts(playHosts(this.inventory, plan.pattern, this.plan.limit), plan.play.order);
      return { order, batches: splitBatches(order.filter((n) => this.host(n).state === 'ok'), plan.play.serial) };
    }
    // the same batches as the interrupted run (cut from the same list), less the hosts it finished
    const done = new Set(prior.done);
    const planned = new Set(plan.hosts);
    const batches = splitBatches(prior.hosts, plan.play.serial).map((b) => b.filter((n) => planned.has(n) && !done.has(n)));
    return { order: batches.flat(), batches };
  }

  /** Hosts this run may work on: on --resume, not those the interrupted run finished in every play. */
  private runHosts(): string[] {
    const resume = this.options.resume;
    if (!resume) return this.plan.hosts;
    const out = new Set(resume.failed.concat(resume.unreachable));
    return this.plan.hosts.filter((n) => !out.has(n) && this.plan.plays.some((p) => p.hosts.includes(n) && !(resume.plays[p.index]?.done.includes(n) ?? false)));
  }

  /** How the host ended the batch: its state, or `stopped` when the batch stopped it before its last task. */
  private endState(h: HostRun): BatchSummary['hosts'][number]['state'] {
    if (h.state !== 'ok') return h.state;
    return this.hostEnds.get(h.name) === 'stopped' ? 'stopped' : 'ok';
  }

  private batchSummary(plan: PlayPlan, batch: number, batches: number, hosts: HostRun[], states: Record<string, BatchSummary['hosts'][number]['state']>, next: string[]): BatchSummary {
    const recap = this.tally.recap({ durationMs: 0 });
    const names = new Set(hosts.map((h) => h.name));
    const summary: BatchSummary = {
      play: plan.play.name,
      playIndex: plan.index,
      batch,
      batches,
      hosts: hosts.map((h) => ({ host: h.name, state: states[h.name] ?? 'ok', stats: recap.hosts[h.name] ?? { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 } })),
      failures: recap.failures.filter((f) => names.has(f.host)),
      next,
    };
    return this.secrets.length > 0 ? maskDeep(summary, this.secrets) : summary;
  }

  /** The failure budget and fail_fast for the batch's play: the batch turns fatal when the rollout must stop. */
  checkRollout(br: BatchRun): void {
    if (br.fatal) return;
    const rule = budgetRule(br.play, this.options.rollout);
    if (!ruleIsActive(rule)) return;
    if (this.counted?.version !== this.stateVersion) {
      const failed = [...(this.options.resume?.failed ?? [])];
      const unreachable = [...(this.options.resume?.unreachable ?? [])];
      const prior = new Set([...failed, ...unreachable]);
      for (const h of this.hosts.values()) {
        if (prior.has(h.name)) continue;
        if (h.state === 'failed') failed.push(h.name);
        else if (h.state === 'unreachable') unreachable.push(h.name);
      }
      this.counted = { version: this.stateVersion, failed, unreachable };
    }
    const inBatch = {
      failed: br.hosts.filter((h) => h.state === 'failed').map((h) => h.name),
      unreachable: br.hosts.filter((h) => h.state === 'unreachable').map((h) => h.name),
    };
    const why = budgetExceeded(rule, this.counted, inBatch, br.batchIndex + 1);
    if (why !== undefined) br.fatal = why;
  }

  private async finish(): Promise<RecapEvent> {
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const [name, h] of this.hosts) {
      const out = h.vars[OUTPUTS_VAR];
      if (out && typeof out === 'object' && !Array.isArray(out)) outputs[name] = out as Record<string, unknown>;
    }
    const retryFile = (await this.options.retry?.(this.tally.retryHosts())) ?? undefined;
    const recap = this.tally.recap({ durationMs: Date.now() - this.t0, outputs: ordered(outputs, this.plan.hosts), ...(retryFile ? { retryFile } : {}) });
    // the caller gets what the reporters got: masked
    return this.emit(recap);
  }

  emit<E extends EngineEvent>(event: E): E {
    this.tally.add(event);
    if (event.type === 'host_end') this.hostEnds.set(event.host, event.state);
    // tally-only events (host_failed, rescued, ...) are not for reporters
    if (!isRunEvent(event)) return event;
    const e = this.secrets.length > 0 ? maskDeep(event, this.secrets) : event;
    try {
      this.reporter.onEvent?.(e);
    } catch {
      // a broken renderer must not stop a rollout half-way
    }
    return e;
  }
}

/** outputs in inventory order, as the recap lists hosts */
function ordered<T>(byHost: Record<string, T>, order: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const h of order) if (h in byHost) out[h] = byHost[h] as T;
  return out;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolveDone) => {
    const t = setTimeout(resolveDone, ms);
    t.unref();
    const done = (): void => {
      clearTimeout(t);
      resolveDone();
    };
    p.then(done, done);
  });
}

function maskDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return maskSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, secrets)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskDeep(v, secrets);
    return out as T;
  }
  return value;
}
