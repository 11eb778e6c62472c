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
import { planRun } from './plan.js';
import type { BatchRun, HostRun, RunState } from './run-state.js';
import { createTally, isRunEvent } from './tally.js';
import type { EngineEvent } from './tally.js';
import { createHostvars } from './templating.js';
import type { RunOptions } from './types.js';
import { hostScope } from './vars.js';
import { addSecret } from './secrets.js';
import { checkMaxFail, runHost, runTask } from './walk.js';

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
  private readonly hosts = new Map<string, HostRun>();
  private readonly batches = new Set<BatchRun>();
  private readonly tally = createTally();
  private stopping_ = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();

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
    this.refs = new TaskRefs(options.displayRoot);
    this.playbookDir = options.playbookDir ?? dirname(resolve(playbook.file));
    this.secrets = options.secrets ?? [];
    if (options.becomePassword) addSecret(this.secrets, options.becomePassword);
    for (const h of inventory.hosts.values()) {
      for (const k of PASSWORD_VARS) {
        const v = h.vars[k];
        if (typeof v === 'string' && v.length > 0 && !v.includes('{{')) addSecret(this.secrets, v);
      }
      for (const g of h.groups) (this.groups[g] ??= []).push(h.name);
    }
    this.groups.all ??= [...inventory.hosts.keys()];
    for (const k of PASSWORD_VARS) {
      const v = options.extraVars?.[k];
      if (typeof v === 'string' && v.length > 0 && !v.includes('{{')) addSecret(this.secrets, v);
    }
  }

  get stopping(): boolean {
    return this.stopping_;
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
      this.emit({ type: 'run_start', playbook: this.playbook.file, hosts: this.plan.hosts, check: this.options.check ?? false, time: new Date().toISOString() });
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

  /** Returns true when the whole run must stop (max_fail_percentage, any_errors_fatal, Ctrl-C). */
  private async runPlay(plan: PlayPlan): Promise<boolean> {
    const { play, index } = plan;
    // hosts that failed or were unreachable in an earlier play sit out the later ones (Ansible)
    const hosts = plan.hosts.map((n) => this.host(n)).filter((h) => h.state === 'ok');
    this.emit({ type: 'play_start', play: play.name, index, hosts: hosts.map((h) => h.name), tasks: plan.taskCount });
    if (hosts.length === 0) {
      this.emit({ type: 'warning', msg: `play "${play.name}": no hosts to run on (pattern "${plan.pattern}")` });
      this.emit({ type: 'play_end', play: play.name, index });
      return false;
    }
    const batches = splitBatches(hosts, play.serial);
    let stopped: string | undefined;
    for (const [bi, batch] of batches.entries()) {
      if (this.stopping) {
        stopped = 'interrupted';
        break;
      }
      this.emit({ type: 'batch_start', play: play.name, batch: bi + 1, batches: batches.length, hosts: batch.map((h) => h.name) });
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
      // deferred hosts (weekly certificate budget) did not fail
      const bad = batch.filter((h) => h.state === 'failed' || h.state === 'unreachable').length;
      const pct = (bad * 100) / batch.length;
      if (this.stopping) stopped = 'interrupted';
      else if (br.fatal) stopped = br.fatal;
      else if (play.maxFailPercentage !== undefined && pct > play.maxFailPercentage) {
        checkMaxFail(br);
        stopped = br.fatal;
      } else if (bad === batch.length && bi < batches.length - 1) stopped = `every host of batch ${bi + 1} failed or was unreachable`;
      if (stopped || br.ended === 'play') break;
    }
    this.emit({ type: 'play_end', play: play.name, index, ...(stopped ? { stopped } : {}) });
    return stopped !== undefined;
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
