// The engine: a validated playbook + an inventory → a run. Each host walks the play's step
// tree on its own (blocks, rescue, always, loops, retries); the linear strategy adds a barrier
// so every host of a batch finishes a task before any host starts the next one. Modules are
// planned when they run (they read the host's current state), never up front.
import { setMaxListeners } from 'node:events';
import { readFile as fsReadFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { HostFacts } from '../facts/types.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { FileDiff, ModuleContext, ModuleDefinition, ModuleResult } from '../modules/types.js';
import { META_ACTIONS } from '../modules/meta.js';
import { getModule } from '../modules/registry.js';
import type { BlockNode, Play, Playbook, Step, TaskNode } from '../playbook/types.js';
import type { HostStats, RecapEvent, Reporter, RunEvent, TaskRef, TaskResultEvent, TaskStatus } from '../report/events.js';
import { displayPath } from '../report/recap.js';
import { ExecError, UnreachableError, stderrExcerpt } from '../transport/errors.js';
import { maskSecrets } from '../transport/command.js';
import type { BecomeOptions, ExecResult, Transport } from '../transport/types.js';
import { EXIT, UsageError } from '../util/errors.js';
import { splitBatches } from './batches.js';
import { factVars } from './facts-vars.js';
import { limitedHosts, playHosts } from './hosts.js';
import { Lockstep, Semaphore, sleep } from './limit.js';
import { globMatch, tagsSelected } from './tags.js';
import { createHostvars, createScope, evaluate, render, renderValue, TemplateError } from './templating.js';
import type { VarScope } from './templating.js';
import type { RunOptions } from './types.js';

/** What Ansible shows instead of a `no_log: true` task's result. */
export const NO_LOG_MSG = "the output has been hidden due to the 'no_log: true' specified for this result";
/** Variable a playbook sets (set_fact) to publish values in the recap's `outputs` (and so in --json). */
export const OUTPUTS_VAR = 'runbook_outputs';

/** ended: `meta: end_host/end_play/end_batch` (or a handler failed in `flush_handlers`): no more tasks this play, state already set */
type Outcome = 'ok' | 'failed' | 'unreachable' | 'stopped' | 'ended';
type HostState = 'ok' | 'failed' | 'unreachable';
type Layer = { name: string; vars: Record<string, unknown>; kind: 'template' | 'data' };

interface Failure {
  host: string;
  task: string;
  where: string;
  msg: string;
  exitCode?: number | null;
  stderr?: string;
}

interface HostRun {
  name: string;
  inv: InventoryHost;
  stats: HostStats;
  state: HostState;
  transport?: Transport;
  connecting?: Promise<Transport>;
  facts?: HostFacts;
  factVars: Record<string, unknown>;
  /** an earlier task changed the host: facts may be stale */
  factsStale: boolean;
  /** registered results and set_fact values (data: never re-rendered); they live for the whole run */
  vars: Record<string, unknown>;
  /** handler index → the task that notified it, for the current play */
  notified: Map<number, TaskRef>;
  lastFailure?: Failure;
  /** the last task that failed on this host (not ignored): `ansible_failed_task`/`_result` in rescue */
  failedTask?: { task: Record<string, unknown>; result: Record<string, unknown> };
  /** `meta: end_host/end_play` ended the current play for this host: its handlers do not run */
  ended?: boolean;
}

/** Keywords a block passes down to the tasks inside it. */
interface Inherited {
  when: Array<string | boolean>;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment: Array<Record<string, unknown>>;
  vars: Array<Record<string, unknown>>;
  noLog?: boolean;
  checkMode?: boolean;
  ignoreErrors?: unknown;
  timeout?: number;
  runOnce?: boolean;
  /** inside `rescue`: ansible_failed_task and ansible_failed_result (data, never re-rendered) */
  rescueVars?: Record<string, unknown>;
}

interface BatchRun {
  play: Play;
  playIndex: number;
  batchIndex: number;
  hosts: HostRun[];
  /** every host of the play (all batches, after --limit): Ansible's ansible_play_hosts_all */
  playHosts: string[];
  lockstep?: Lockstep;
  positions: Map<TaskNode, number>;
  runOnce: Map<TaskNode, Promise<Invocation & { host: string }>>;
  /** any_errors_fatal tripped: no host starts another task */
  fatal?: string;
  active?: { version: number; names: string[]; all: string[] };
  /** `meta: end_play` (the rest of the play) or `end_batch` (this batch) */
  ended?: 'play' | 'batch';
  /** linear strategy: one handler run per `meta: flush_handlers` task, shared by the batch */
  flushes?: Map<TaskNode, Promise<void>>;
}

interface Invocation {
  status: Exclude<TaskStatus, 'unreachable'>;
  /** the registered value (Ansible's shape) */
  result: Record<string, unknown>;
  msg?: string;
  diff?: FileDiff[];
  warnings?: string[];
  exitCode?: number | null;
  stderr?: string;
  command?: string;
  facts?: Record<string, unknown>;
}

const FACTS_MODULE = 'gather_facts';
const CLOSE_TIMEOUT_MS = 3000;
/** after an abort, how long a module may take to stop its remote command */
const ABORT_SETTLE_MS = 5000;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolveDone) => {
    const t = setTimeout(resolveDone, ms);
    t.unref();
    p.then(
      () => {
        clearTimeout(t);
        resolveDone();
      },
      () => {
        clearTimeout(t);
        resolveDone();
      },
    );
  });
}

/** Running work was stopped by Ctrl-C (not the host's fault: never "unreachable"). */
class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C) and stopped');
    this.name = 'Interrupted';
  }
}

export async function runPlaybook(
  playbook: Playbook,
  inventory: Inventory,
  options: RunOptions,
  reporter: Reporter,
): Promise<RecapEvent> {
  const run = new Run(playbook, inventory, options, reporter);
  return run.start();
}

class Run {
  private readonly hosts = new Map<string, HostRun>();
  private readonly sem: Semaphore;
  private readonly kill = new AbortController();
  /** aborted on the first Ctrl-C: wakes retry delays */
  private readonly stopped = new AbortController();
  private readonly batches = new Set<BatchRun>();
  private readonly started = new Set<string>();
  /** hosts that stopped before their last task (Ctrl-C, any_errors_fatal, max_fail_percentage) */
  private readonly stoppedHosts = new Set<string>();
  private readonly selected = new Set<string>();
  private readonly failures: Failure[] = [];
  private readonly pending: Record<string, string[]> = {};
  private readonly secrets: string[] = [];
  private readonly skipBefore = new Set<TaskNode>();
  private readonly refs = new Map<TaskNode, TaskRef>();
  private readonly groups: Record<string, string[]> = {};
  private readonly hostvars = createHostvars(
    () => this.inventory.hosts.keys(),
    (name) => this.hostScope(name),
  );
  private currentBatch: BatchRun | undefined;
  private readonly readFile: (path: string) => Promise<string>;
  private readonly playbookDir: string;
  private stopping = false;
  private interrupted = false;
  /** bumped whenever a host's state changes (cache key for play_hosts) */
  private stateVersion = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();

  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly options: RunOptions,
    private readonly reporter: Reporter,
  ) {
    this.sem = new Semaphore(Math.max(1, Math.ceil(options.forks ?? 5)));
    // every running task listens for Ctrl-C: hundreds at once are expected, not a leak
    setMaxListeners(0, this.kill.signal, this.stopped.signal);
    this.readFile = options.readFile ?? ((p) => fsReadFile(p, 'utf8'));
    this.playbookDir = options.playbookDir ?? dirname(resolve(playbook.file));
    if (options.becomePassword) this.secrets.push(options.becomePassword);
    for (const h of inventory.hosts.values()) {
      for (const k of ['ansible_become_password', 'ansible_become_pass', 'ansible_password', 'ansible_ssh_pass']) {
        const v = h.vars[k];
        if (typeof v === 'string' && v.length > 0 && !v.includes('{{')) this.secrets.push(v);
      }
      for (const g of h.groups) (this.groups[g] ??= []).push(h.name);
    }
    this.groups.all ??= [...inventory.hosts.keys()];
  }

  async start(): Promise<RecapEvent> {
    this.markStartAt();
    const limit = await limitedHosts(this.inventory, this.options.limit, (p) => this.readFile(p));
    if (limit && limit.size === 0) {
      throw new UsageError(`--limit ${(this.options.limit ?? []).join(' ')}: matches no host of the inventory (${this.inventory.source})`);
    }
    const perPlay = this.playbook.plays.map((p) => playHosts(this.inventory, this.hostPattern(p), limit));
    for (const names of perPlay) for (const n of names) this.selected.add(n);
    const signal = this.options.signal;
    const onStop = (): void => this.stop();
    const onKill = (): void => this.kill.abort();
    if (signal?.aborted) this.stop();
    signal?.addEventListener('abort', onStop, { once: true });
    this.options.killSignal?.addEventListener('abort', onKill, { once: true });
    try {
      this.emit({
        type: 'run_start',
        playbook: this.playbook.file,
        hosts: [...this.inventory.hosts.keys()].filter((h) => this.selected.has(h)),
        check: this.options.check ?? false,
        time: new Date().toISOString(),
      });
      let halted = false;
      for (const [i, play] of this.playbook.plays.entries()) {
        if (halted || this.stopping) break;
        halted = await this.runPlay(play, i, perPlay[i] ?? []);
      }
      return await this.finish();
    } finally {
      signal?.removeEventListener('abort', onStop);
      this.options.killSignal?.removeEventListener('abort', onKill);
      if (this.graceTimer) clearTimeout(this.graceTimer);
      // a connection that does not close in time must not keep the run (and Ctrl-C) waiting
      await Promise.allSettled(
        [...this.hosts.values()].map((h) => (h.transport ? withTimeout(h.transport.close(), CLOSE_TIMEOUT_MS) : Promise.resolve())),
      );
    }
  }

  /** `hosts: "{{ target | default('all') }}"`: rendered with the play's vars and -e (Ansible). */
  private hostPattern(play: Play): string {
    if (!play.hosts.includes('{{')) return play.hosts;
    const scope = createScope([
      { name: 'play vars', kind: 'template', vars: play.vars },
      { name: 'extra vars', kind: 'template', vars: this.options.extraVars ?? {} },
    ]);
    try {
      return String(render(play.hosts, scope));
    } catch (err) {
      throw new UsageError(`${play.location.file}:${play.location.line}: play "${play.name}": hosts: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** First Ctrl-C: start nothing new; running commands get a grace period, then are aborted. */
  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.interrupted = true;
    this.stopped.abort();
    for (const b of this.batches) b.lockstep?.release();
    this.graceTimer = setTimeout(() => this.kill.abort(), this.options.graceMs ?? 5000);
  }

  // ---------------------------------------------------------------- plays and batches

  /** Returns true when the whole run must stop (max_fail_percentage, any_errors_fatal). */
  private async runPlay(play: Play, index: number, names: string[]): Promise<boolean> {
    // hosts that failed or were unreachable in an earlier play sit out the later ones (Ansible)
    const hosts = names.map((n) => this.host(n)).filter((h) => h.state === 'ok');
    const positions = this.positions(play);
    this.emit({
      type: 'play_start',
      play: play.name,
      index,
      hosts: hosts.map((h) => h.name),
      tasks: [...positions.keys()].filter((t) => !this.skipBefore.has(t)).length + (play.gatherFacts ? 1 : 0),
    });
    if (hosts.length === 0) {
      this.emit({ type: 'warning', msg: `play "${play.name}": no hosts to run on (pattern "${this.hostPattern(play)}")` });
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
      this.emit({
        type: 'batch_start',
        play: play.name,
        batch: bi + 1,
        batches: batches.length,
        hosts: batch.map((h) => h.name),
      });
      for (const h of batch) this.started.add(h.name);
      const br: BatchRun = {
        play,
        playIndex: index,
        batchIndex: bi,
        hosts: batch,
        playHosts: hosts.map((h) => h.name),
        positions,
        runOnce: new Map(),
        ...(play.strategy === 'linear' ? { lockstep: new Lockstep(batch.map((h) => h.name)) } : {}),
      };
      this.batches.add(br);
      this.currentBatch = br;
      try {
        await Promise.all(batch.map((h) => this.runHost(h, br)));
        await this.runHandlers(br);
      } finally {
        this.batches.delete(br);
      }
      for (const h of batch) {
        if (h.notified.size === 0) continue;
        const names = [...h.notified.keys()].sort((x, y) => x - y).map((i) => handlerName(play.handlers[i]));
        (this.pending[h.name] ??= []).push(...names);
        h.notified.clear();
      }
      const bad = batch.filter((h) => h.state !== 'ok').length;
      const pct = (bad * 100) / batch.length;
      if (this.stopping) stopped = 'interrupted';
      else if (br.fatal) stopped = br.fatal;
      else if (play.maxFailPercentage !== undefined && pct > play.maxFailPercentage) {
        this.checkMaxFail(br);
        stopped = br.fatal;
      }
      else if (bad === batch.length && bi < batches.length - 1)
        stopped = `every host of batch ${bi + 1} failed or was unreachable`;
      if (stopped || br.ended === 'play') break;
    }
    this.emit({ type: 'play_end', play: play.name, index, ...(stopped ? { stopped } : {}) });
    return stopped !== undefined;
  }

  private async runHost(h: HostRun, br: BatchRun): Promise<void> {
    const play = br.play;
    const inh: Inherited = {
      when: [],
      tags: play.tags,
      environment: [],
      vars: [],
      ...(play.become !== undefined ? { become: play.become } : {}),
      ...(play.becomeUser !== undefined ? { becomeUser: play.becomeUser } : {}),
    };
    let outcome: Outcome = 'ok';
    h.ended = false;
    try {
      const sections: Step[][] = [play.preTasks, play.tasks, play.postTasks];
      if (play.gatherFacts) sections.unshift([this.factsTask(play)]);
      for (const steps of sections) {
        outcome = await this.runSteps(h, br, steps, inh);
        if (outcome !== 'ok') break;
      }
      // a handler run by meta: flush_handlers may have failed the host already
      if (outcome === 'failed' && h.state !== 'failed') this.hostFailed(h);
      if ((outcome === 'failed' || outcome === 'unreachable') && play.anyErrorsFatal && !br.fatal) {
        br.fatal = `any_errors_fatal: ${h.name} ${outcome === 'failed' ? 'failed' : 'was unreachable'}`;
      }
    } finally {
      br.lockstep?.leave(h.name);
      if (outcome === 'stopped') this.stoppedHosts.add(h.name);
      this.emit({ type: 'host_end', host: h.name, state: outcome === 'stopped' ? 'stopped' : h.state });
    }
  }

  /**
   * max_fail_percentage inside a batch, as Ansible's linear strategy does after each task:
   * once more than the share of the batch failed or is unreachable, no host of the batch
   * starts another task (under linear, every host has finished the previous task by now).
   */
  private checkMaxFail(br: BatchRun): void {
    const max = br.play.maxFailPercentage;
    if (max === undefined || br.fatal) return;
    const bad = br.hosts.filter((x) => x.state !== 'ok').length;
    const pct = (bad * 100) / br.hosts.length;
    if (pct > max) {
      br.fatal = `max_fail_percentage ${max}% exceeded in batch ${br.batchIndex + 1}: ${bad} of ${br.hosts.length} hosts failed or unreachable (${Math.round(pct)}%)`;
    }
  }

  private hostFailed(h: HostRun): void {
    h.state = 'failed';
    this.stateVersion++;
    h.stats.failed++;
    if (h.lastFailure) this.failures.push(h.lastFailure);
    h.lastFailure = undefined;
  }

  /**
   * Handlers: once, at the end of the batch (or at `meta: flush_handlers`), in definition order,
   * on the hosts that notified them.
   */
  private async runHandlers(br: BatchRun, among: readonly HostRun[] = br.hosts, endOfBatch = true): Promise<void> {
    const play = br.play;
    if (play.handlers.length === 0 || this.stopping) return;
    const force = this.options.forceHandlers ?? false;
    if (br.fatal && !force) return;
    const inh: Inherited = {
      when: [],
      tags: [],
      environment: [],
      vars: [],
      ...(play.become !== undefined ? { become: play.become } : {}),
      ...(play.becomeUser !== undefined ? { becomeUser: play.becomeUser } : {}),
    };
    const handlerBatch: BatchRun = { ...br, runOnce: new Map() };
    delete handlerBatch.lockstep;
    // a handler may notify another one: keep going while notifications appear (bounded)
    for (let pass = 0; pass < 10; pass++) {
      let ran = false;
      for (const [i, handler] of play.handlers.entries()) {
        if (this.stopping) return;
        const hosts = among.filter(
          (h) => h.notified.has(i) && !h.ended && (h.state === 'ok' || (force && h.state === 'failed')),
        );
        if (hosts.length === 0) continue;
        ran = true;
        await Promise.all(
          hosts.map(async (h) => {
            h.notified.delete(i);
            const wasFailed = h.state === 'failed';
            const outcome = await this.runTask(h, handlerBatch, handler, inh, true);
            if (outcome === 'failed' && !wasFailed) this.hostFailed(h);
            else if (outcome === 'failed') {
              h.stats.failed++;
              if (h.lastFailure) this.failures.push(h.lastFailure);
            }
            // during flush_handlers the host's own run reports its end
            if (endOfBatch && (outcome === 'failed' || outcome === 'unreachable')) this.emit({ type: 'host_end', host: h.name, state: h.state });
          }),
        );
      }
      if (!ran) break;
    }
  }

  // ---------------------------------------------------------------- steps

  private async runSteps(h: HostRun, br: BatchRun, steps: readonly Step[], inh: Inherited): Promise<Outcome> {
    for (const step of steps) {
      const outcome = step.kind === 'block' ? await this.runBlock(h, br, step, inh) : await this.runTask(h, br, step, inh);
      if (outcome !== 'ok') return outcome;
    }
    return 'ok';
  }

  private async runBlock(h: HostRun, br: BatchRun, b: BlockNode, parent: Inherited): Promise<Outcome> {
    const inh = inherit(parent, b);
    let outcome = await this.runSteps(h, br, b.block, inh);
    if (outcome === 'failed' && b.rescue.length > 0) {
      // the failure is handled: Ansible counts it as rescued, not failed
      h.stats.rescued++;
      h.lastFailure = undefined;
      // Ansible: the failed task and its result are visible in the rescue tasks
      const failed = h.failedTask;
      const rescueInh: Inherited = failed
        ? { ...inh, rescueVars: { ansible_failed_task: failed.task, ansible_failed_result: failed.result } }
        : inh;
      outcome = await this.runSteps(h, br, b.rescue, rescueInh);
    }
    if (outcome === 'ok' || outcome === 'failed') {
      const always = await this.runSteps(h, br, b.always, inh);
      if (outcome === 'ok') outcome = always;
    }
    return outcome;
  }

  private async runTask(h: HostRun, br: BatchRun, task: TaskNode, parent: Inherited, handler = false): Promise<Outcome> {
    const inh = inherit(parent, task);
    if (!handler) {
      if (!tagsSelected(inh.tags, this.options.tags ?? [], this.options.skipTags ?? [])) return 'ok';
      if (this.skipBefore.has(task)) return 'ok';
    }
    if (this.stopping || br.fatal) return 'stopped';
    if (br.ended) return this.endHost(h);
    const pos = br.positions.get(task);
    if (br.lockstep && pos !== undefined) await br.lockstep.arrive(h.name, pos);
    if (!handler) this.checkMaxFail(br);
    if (this.stopping || br.fatal) return 'stopped';
    if (br.ended) return this.endHost(h);
    if (h.state === 'unreachable') return 'unreachable';
    if (!handler && isMeta(task.module)) return this.runMeta(h, br, task, inh);

    if (inh.runOnce) return this.runOnce(h, br, task, inh, handler);
    const release = await this.sem.acquire();
    try {
      if (this.stopping) return 'stopped';
      return await this.executeTask(h, br, task, inh, handler);
    } finally {
      release();
    }
  }

  private endHost(h: HostRun): Outcome {
    h.ended = true;
    return 'ended';
  }

  /** `meta: ACTION`: acts on the run itself (Ansible's meta tasks), never on the host. */
  private async runMeta(h: HostRun, br: BatchRun, task: TaskNode, inh: Inherited): Promise<Outcome> {
    const ref = this.ref(task, br);
    const t0 = Date.now();
    const scope = this.scope(h, br, inh);
    this.emit({ type: 'task_start', host: h.name, task: ref });
    const done = (status: 'ok' | 'skipped', msg: string): void => {
      this.emit({ type: 'task_result', host: h.name, task: ref, status, msg, durationMs: Date.now() - t0 });
    };
    const fail = (msg: string): Outcome => {
      const result = { changed: false, failed: true, msg };
      this.emit({ type: 'task_result', host: h.name, task: ref, status: 'failed', msg, durationMs: Date.now() - t0, result });
      if (this.ignoreErrors(h, br, task, inh)) {
        h.stats.ignored++;
        return 'ok';
      }
      this.recordFailedTask(h, task, ref, result);
      h.lastFailure = { host: h.name, task: ref.name, where: ref.where, msg };
      return 'failed';
    };
    let action: string;
    try {
      const raw = task.args.action ?? task.args._raw_params ?? task.args.free_form;
      action = String(renderValue(raw ?? '', scope)).trim();
      for (const cond of [...inh.when, ...(task.when ?? [])]) {
        if (!condition(cond, scope)) {
          h.stats.skipped++;
          done('skipped', `skipped: condition is false: ${String(cond)}`);
          return 'ok';
        }
      }
    } catch (err) {
      return fail(templateMessage(err, task, 'meta'));
    }
    switch (action) {
      case 'noop':
        done('ok', 'noop');
        return 'ok';
      case 'flush_handlers': {
        done('ok', 'running the notified handlers now');
        await this.flushHandlers(h, br, task);
        if (this.stopping || br.fatal) return 'stopped';
        // a failed handler failed the host (counted by runHandlers): no more tasks for it
        if (h.state !== 'ok') return 'ended';
        return 'ok';
      }
      case 'end_host':
        done('ok', 'ending the play for this host');
        return this.endHost(h);
      case 'end_play':
      case 'end_batch':
        br.ended = action === 'end_play' ? 'play' : 'batch';
        // hosts waiting at the linear barrier move on to find the play ended
        br.lockstep?.release();
        done('ok', action === 'end_play' ? 'ending the play for every host' : 'ending the play for the hosts of this batch');
        return this.endHost(h);
      default:
        return fail(
          `${where(task)}: meta: ${action === '' ? '(no action)' : `'${action}'`} is not supported by runbook; ` +
            `supported: ${META_ACTIONS.join(', ')}`,
        );
    }
  }

  /** Under linear, every host of the batch reaches the task together: one handler run for all of them. */
  private flushHandlers(h: HostRun, br: BatchRun, task: TaskNode): Promise<void> {
    if (!br.lockstep) return this.runHandlers(br, [h], false);
    br.flushes ??= new Map();
    let p = br.flushes.get(task);
    if (!p) {
      p = this.runHandlers(br, br.hosts, false);
      br.flushes.set(task, p);
    }
    return p;
  }

  /** run_once: the first host to get there runs it; every host of the batch gets its result. */
  private async runOnce(h: HostRun, br: BatchRun, task: TaskNode, inh: Inherited, handler: boolean): Promise<Outcome> {
    let shared = br.runOnce.get(task);
    if (!shared) {
      let captured: (Invocation & { host: string }) | undefined;
      shared = (async () => {
        const release = await this.sem.acquire();
        try {
          const outcome = await this.executeTask(h, br, task, inh, handler, (inv) => (captured = { ...inv, host: h.name }));
          return captured ?? { status: outcome === 'ok' ? 'ok' : 'failed', result: {}, host: h.name };
        } finally {
          release();
        }
      })();
      br.runOnce.set(task, shared);
      const inv = await shared;
      if (h.state === 'unreachable') return 'unreachable';
      return inv.status === 'failed' && !this.ignoreErrors(h, br, task, inh) ? 'failed' : 'ok';
    }
    const inv = await shared;
    if (task.register) h.vars = { ...h.vars, [task.register]: inv.result };
    if (inv.facts) h.vars = { ...h.vars, ...inv.facts };
    if (inv.status === 'failed' && !this.ignoreErrors(h, br, task, inh)) {
      this.recordFailedTask(h, task, this.ref(task, br), inv.result);
      h.lastFailure = {
        host: h.name,
        task: this.ref(task, br).name,
        where: this.ref(task, br).where,
        msg: `run_once task failed on ${inv.host}: ${inv.msg ?? ''}`.trim(),
      };
      return 'failed';
    }
    return 'ok';
  }

  private ignoreErrors(h: HostRun, br: BatchRun, task: TaskNode, inh: Inherited): boolean {
    const v = inh.ignoreErrors;
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    try {
      return truthy(renderValue(v, this.scope(h, br, inh)));
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- one task on one host

  private async executeTask(
    h: HostRun,
    br: BatchRun,
    task: TaskNode,
    inh: Inherited,
    handler: boolean,
    capture?: (inv: Invocation) => void,
  ): Promise<Outcome> {
    const ref = this.ref(task, br, handler);
    const t0 = Date.now();
    const noLog = inh.noLog ?? false;
    const module = task.module === FACTS_MODULE && task.path.endsWith('.gather_facts') ? undefined : this.lookupModule(task.module);
    try {
      if (module?.usesFacts && h.factsStale && h.facts) await this.ensureFacts(h, true);
      const scope = this.scope(h, br, inh);
      const name = displayName(task, scope);
      const shownRef = name === ref.name ? ref : { ...ref, name };
      this.emit({ type: 'task_start', host: h.name, task: shownRef });

      let inv: Invocation;
      if (module === null) {
        inv = failure(`${where(task)}: unknown module '${task.module}'`);
      } else if (!module) {
        inv = await this.gatherTask(h);
      } else if (task.loop !== undefined) {
        inv = await this.runLoop(h, br, task, module, scope, inh, shownRef, noLog);
      } else {
        inv = await this.invoke(h, br, task, module, scope, inh, shownRef);
      }
      capture?.(inv);
      return this.finishTask(h, br, task, inh, shownRef, module ?? undefined, inv, Date.now() - t0, noLog, scope);
    } catch (err) {
      if (err instanceof UnreachableError) {
        h.state = 'unreachable';
        this.stateVersion++;
        h.stats.unreachable++;
        const msg = err.message;
        this.failures.push({ host: h.name, task: ref.name, where: ref.where, msg });
        this.emit({ type: 'task_result', host: h.name, task: ref, status: 'unreachable', msg, durationMs: Date.now() - t0 });
        await h.transport?.close().catch(() => undefined);
        return 'unreachable';
      }
      throw err;
    }
  }

  private finishTask(
    h: HostRun,
    br: BatchRun,
    task: TaskNode,
    inh: Inherited,
    ref: TaskRef,
    module: ModuleDefinition | undefined,
    inv: Invocation,
    durationMs: number,
    noLog: boolean,
    scope: VarScope,
  ): Outcome {
    if (task.register) h.vars = { ...h.vars, [task.register]: inv.result };
    if (inv.facts) h.vars = { ...h.vars, ...inv.facts };
    const ignored = inv.status === 'failed' && this.ignoreErrors(h, br, task, inh);
    const event: TaskResultEvent = {
      type: 'task_result',
      host: h.name,
      task: ref,
      status: inv.status,
      durationMs,
      ...(ignored ? { ignored: true } : {}),
      ...resultFields(inv, noLog),
    };
    this.emit(event);
    switch (inv.status) {
      case 'ok':
        h.stats.ok++;
        break;
      case 'changed':
        h.stats.ok++;
        h.stats.changed++;
        // in check mode nothing really changed: the facts are still true
        if (module && !module.controllerOnly && !(inh.checkMode ?? this.options.check ?? false)) h.factsStale = true;
        this.notify(h, br, task, ref, scope);
        break;
      case 'skipped':
        h.stats.skipped++;
        break;
      case 'failed':
        if (ignored) {
          h.stats.ignored++;
          break;
        }
        this.recordFailedTask(h, task, ref, inv.result);
        h.lastFailure = {
          host: h.name,
          task: ref.name,
          where: ref.where,
          msg: noLog ? NO_LOG_MSG : (inv.msg ?? 'failed'),
          ...(inv.exitCode !== undefined ? { exitCode: inv.exitCode } : {}),
          ...(inv.stderr && !noLog ? { stderr: stderrExcerpt(inv.stderr) } : {}),
        };
        return 'failed';
    }
    return 'ok';
  }

  private recordFailedTask(h: HostRun, task: TaskNode, ref: TaskRef, result: Record<string, unknown>): void {
    h.failedTask = {
      task: {
        name: ref.name,
        action: task.module,
        args: task.args,
        tags: task.tags,
        ...(task.when ? { when: task.when } : {}),
        ...(task.register ? { register: task.register } : {}),
        where: ref.where,
      },
      result,
    };
  }

  private notify(h: HostRun, br: BatchRun, task: TaskNode, ref: TaskRef, scope: VarScope): void {
    for (const raw of task.notify) {
      let name = raw;
      try {
        name = String(render(raw, scope));
      } catch {
        // keep the raw name: validation already checked that it names a handler
      }
      for (const [i, handler] of br.play.handlers.entries()) {
        if (handler.name !== name && !(handler.listen ?? []).includes(name)) continue;
        if (!h.notified.has(i)) {
          h.notified.set(i, ref);
          this.emit({ type: 'handler_notified', host: h.name, handler: handlerName(handler), by: ref });
        }
      }
    }
  }

  private async runLoop(
    h: HostRun,
    br: BatchRun,
    task: TaskNode,
    module: ModuleDefinition,
    scope: VarScope,
    inh: Inherited,
    ref: TaskRef,
    noLog: boolean,
  ): Promise<Invocation> {
    let items: unknown;
    try {
      items = renderValue(task.loop, scope);
    } catch (err) {
      return failure(templateMessage(err, task, 'loop'));
    }
    if (!Array.isArray(items)) {
      return failure(`${where(task)}: loop must be a list, got ${typeOf(items)}`);
    }
    const loopVar = task.loopControl?.loopVar ?? 'item';
    const indexVar = task.loopControl?.indexVar;
    const results: Array<Record<string, unknown>> = [];
    const warnings: string[] = [];
    const diffs: FileDiff[] = [];
    let facts: Record<string, unknown> | undefined;
    let firstFailure: Invocation | undefined;
    for (const [i, item] of items.entries()) {
      if (this.stopping && i > 0) {
        firstFailure ??= failure('interrupted (Ctrl-C) before the remaining loop items');
        break;
      }
      const loopVars: Record<string, unknown> = {
        [loopVar]: item as unknown,
        ansible_loop_var: loopVar,
        ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length },
      };
      if (indexVar) loopVars[indexVar] = i;
      const itemScope = this.scope(h, br, inh, loopVars);
      const label = noLog ? '(censored)' : itemLabel(task, item, itemScope);
      const t0 = Date.now();
      this.emit({ type: 'task_start', host: h.name, task: ref, item: label });
      const inv = await this.invoke(h, br, task, module, itemScope, inh, ref);
      if (inv.facts) {
        facts = { ...facts, ...inv.facts };
        // later items see facts set by earlier ones
        h.vars = { ...h.vars, ...inv.facts };
      }
      this.emit({
        type: 'task_result',
        host: h.name,
        task: ref,
        status: inv.status,
        item: label,
        durationMs: Date.now() - t0,
        ...resultFields(inv, noLog),
      });
      results.push({ ...inv.result, item, ansible_loop_var: loopVar, ...(indexVar ? { [indexVar]: i } : {}) });
      if (inv.warnings) warnings.push(...inv.warnings);
      if (inv.diff) diffs.push(...inv.diff);
      if (inv.status === 'failed') firstFailure ??= inv;
    }
    const changed = results.some((r) => r.changed === true);
    const allSkipped = results.length > 0 && results.every((r) => r.skipped === true);
    const failed = firstFailure !== undefined;
    const msg = failed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed';
    const result: Record<string, unknown> = { changed, failed, msg, results, ...(allSkipped || results.length === 0 ? { skipped: true } : {}) };
    return {
      status: failed ? 'failed' : allSkipped || results.length === 0 ? 'skipped' : changed ? 'changed' : 'ok',
      result,
      msg: failed ? `${msg}: ${firstFailure?.msg ?? ''}`.trim() : msg,
      ...(warnings.length ? { warnings } : {}),
      ...(diffs.length ? { diff: diffs } : {}),
      ...(firstFailure?.exitCode !== undefined ? { exitCode: firstFailure.exitCode } : {}),
      ...(firstFailure?.stderr ? { stderr: firstFailure.stderr } : {}),
      ...(firstFailure?.command ? { command: firstFailure.command } : {}),
      ...(facts ? { facts } : {}),
    };
  }

  /** One module run (one loop item): when, args, retries/until, changed_when, failed_when. */
  private async invoke(
    h: HostRun,
    br: BatchRun,
    task: TaskNode,
    module: ModuleDefinition,
    scope: VarScope,
    inh: Inherited,
    ref: TaskRef,
  ): Promise<Invocation> {
    const when = [...inh.when, ...(task.when ?? [])];
    for (const cond of when) {
      let ok: boolean;
      try {
        ok = condition(cond, scope);
      } catch (err) {
        return failure(templateMessage(err, task, 'when'));
      }
      if (!ok) {
        return {
          status: 'skipped',
          result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: cond },
          msg: `skipped: condition is false: ${String(cond)}`,
        };
      }
    }
    const untilConds = task.until ?? [];
    const maxAttempts = untilConds.length > 0 || task.retries !== undefined ? Math.max(1, (task.retries ?? 3) + 1) : 1;
    const delayMs = (task.delay ?? 5) * 1000;
    let inv: Invocation = failure('not run');
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      inv = await this.attempt(h, br, task, module, scope, inh, ref);
      if (maxAttempts > 1) inv.result.attempts = attempt;
      if (maxAttempts === 1 || inv.status === 'skipped') break;
      let done: boolean;
      if (untilConds.length > 0) {
        try {
          const s = task.register ? scope.child({ name: 'result', kind: 'data', vars: { [task.register]: inv.result } }) : scope;
          done = untilConds.every((c) => condition(c, s));
        } catch (err) {
          inv = failure(templateMessage(err, task, 'until'));
          break;
        }
      } else {
        done = inv.status !== 'failed';
      }
      if (done) break;
      if (attempt === maxAttempts) {
        if (untilConds.length > 0 && inv.status !== 'failed') {
          inv = { ...inv, status: 'failed', msg: `${inv.msg ? `${inv.msg}; ` : ''}"until" condition still false after ${attempt} attempts` };
          inv.result.failed = true;
        }
        break;
      }
      if (this.stopping) break;
      this.emit({ type: 'progress', host: h.name, task: ref, msg: `retrying (attempt ${attempt + 1} of ${maxAttempts}) in ${task.delay ?? 5}s` });
      await sleep(delayMs, this.stopped.signal);
      if (this.stopping) break;
    }
    return inv;
  }

  private async attempt(
    h: HostRun,
    br: BatchRun,
    task: TaskNode,
    module: ModuleDefinition,
    scope: VarScope,
    inh: Inherited,
    ref: TaskRef,
  ): Promise<Invocation> {
    let args: Record<string, unknown>;
    try {
      args = prepareArgs(renderValue(task.args, scope), module);
    } catch (err) {
      return failure(templateMessage(err, task, 'arguments'));
    }
    let env: Record<string, string> = {};
    let become: BecomeOptions | undefined;
    try {
      env = this.environment(inh, scope);
      become = this.become(h, inh, scope);
    } catch (err) {
      return failure(templateMessage(err, task, 'environment/become'));
    }
    const check = inh.checkMode ?? this.options.check ?? false;
    const noLog = inh.noLog ?? false;
    let transport: Transport | undefined;
    try {
      transport = module.controllerOnly ? undefined : await this.connect(h);
    } catch (err) {
      if (err instanceof Interrupted) return failure(err.message);
      throw err;
    }
    const controller = new AbortController();
    const onKill = (): void => controller.abort(new Error('interrupted (Ctrl-C)'));
    if (this.kill.signal.aborted) onKill();
    this.kill.signal.addEventListener('abort', onKill, { once: true });
    const timeoutS = inh.timeout;
    let timer: NodeJS.Timeout | undefined;
    let lastExec: ExecResult | undefined;
    const secrets = become?.password ? [...this.secrets, become.password] : this.secrets;

    const needTransport = (): Transport => {
      if (!transport) throw new Error(`module ${module.name} is controller-only and cannot run commands on the host`);
      return transport;
    };
    const exec: ModuleContext['exec'] = async (command, o = {}) => {
      const { become: useBecome, ...rest } = o;
      const b = useBecome === false ? undefined : useBecome === true ? (become ?? { user: 'root', ...(this.options.becomePassword ? { password: this.options.becomePassword } : {}) }) : become;
      const r = await needTransport().exec(command, {
        ...rest,
        env: { ...env, ...rest.env },
        ...(b ? { become: b } : {}),
        signal: controller.signal,
        secrets: [...secrets, ...(rest.secrets ?? [])],
        onOutput: (stream, chunk) => {
          rest.onOutput?.(stream, chunk);
          if (!noLog) this.emit({ type: 'output', host: h.name, task: ref, stream, chunk });
        },
      });
      lastExec = r;
      return r;
    };
    let varsSnapshot: Record<string, unknown> | undefined;
    const ctx: ModuleContext = {
      host: h.name,
      check,
      diff: this.options.diff ?? false,
      facts: () => this.ensureFacts(h, module.usesFacts ?? false),
      // resolving every variable costs; most modules never look
      get vars() {
        return (varsSnapshot ??= scope.toObject());
      },
      exec,
      run: async (command, o) => {
        const r = await exec(command, o);
        if (!r.ok) throw new ExecError(r);
        return r;
      },
      put: (path, content, o = {}) => needTransport().put(path, content, { ...o, ...(become ? { become } : {}) }),
      readLocalFile: (p) => this.readFile(resolve(this.playbookDir, p)),
      renderTemplate: (text) => String(render(text, scope)),
      evaluate: (expr) => evaluate(expr, scope),
      evaluateValue: (expr) => render(`{{ ${expr} }}`, scope),
      warn: (message) => this.emit({ type: 'warning', host: h.name, msg: message }),
      progress: (message) => this.emit({ type: 'progress', host: h.name, task: ref, msg: message }),
      signal: controller.signal,
    };

    let res: ModuleResult;
    try {
      const running = module.run(ctx, args);
      running.catch(() => undefined);
      // On abort (Ctrl-C, task timeout) the transport stops the remote command, which takes a
      // round trip: wait for the module to give up, but never longer than ABORT_SETTLE_MS,
      // so a module that ignores its signal cannot hold the run.
      const settled = (): Promise<void> =>
        Promise.race([running.then(() => undefined, () => undefined), new Promise<void>((r) => setTimeout(r, ABORT_SETTLE_MS).unref())]);
      const guards: Array<Promise<never>> = [
        new Promise<never>((_, reject) => {
          const onAbort = (): void => {
            const reason = controller.signal.reason instanceof Error ? controller.signal.reason : new Error('aborted');
            void settled().then(() => reject(reason));
          };
          if (controller.signal.aborted) onAbort();
          else controller.signal.addEventListener('abort', onAbort, { once: true });
        }),
      ];
      if (timeoutS !== undefined && timeoutS > 0) {
        timer = setTimeout(() => {
          controller.abort(new Error(`task timed out after ${timeoutS}s (timeout: ${timeoutS}) and was stopped`));
        }, timeoutS * 1000);
      }
      res = await Promise.race([running, ...guards]);
      if (controller.signal.aborted) {
        // the module ended because it was stopped: that, not its own result, is the outcome
        const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted';
        return { ...failure(reason), ...(lastExec ? execDetails(lastExec) : {}) };
      }
    } catch (err) {
      if (controller.signal.aborted && !(err instanceof UnreachableError)) {
        const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted';
        return { ...failure(reason), ...(lastExec ? execDetails(lastExec) : {}) };
      }
      if (err instanceof UnreachableError) throw err;
      if (err instanceof ExecError) return execFailure(err.result);
      if (err instanceof TemplateError) return failure(templateMessage(err, task, 'module'));
      const msg = maskSecrets(err instanceof Error ? err.message : String(err), secrets);
      return { ...failure(msg), ...(lastExec ? execDetails(lastExec) : {}) };
    } finally {
      if (timer) clearTimeout(timer);
      this.kill.signal.removeEventListener('abort', onKill);
    }
    return this.judge(task, res, scope, lastExec);
  }

  /** ModuleResult → Ansible's registered shape, then changed_when / failed_when. */
  private judge(task: TaskNode, res: ModuleResult, scope: VarScope, lastExec: ExecResult | undefined): Invocation {
    const result: Record<string, unknown> = {
      ...(res.data ?? {}),
      changed: res.changed,
      failed: res.failed ?? false,
      ...(res.msg !== undefined ? { msg: res.msg } : {}),
      ...(res.skipped ? { skipped: true } : {}),
      ...(res.diff ? { diff: res.diff } : {}),
      ...(res.warnings?.length ? { warnings: res.warnings } : {}),
    };
    if (typeof result.stdout === 'string' && !('stdout_lines' in result)) result.stdout_lines = lines(result.stdout);
    if (typeof result.stderr === 'string' && !('stderr_lines' in result)) result.stderr_lines = lines(result.stderr);
    if (res.facts) result.ansible_facts = res.facts;
    const s = task.register ? scope.child({ name: 'result', kind: 'data', vars: { [task.register]: result } }) : scope;
    try {
      if (task.changedWhen) result.changed = task.changedWhen.every((c) => condition(c, s));
      if (task.failedWhen) result.failed = task.failedWhen.some((c) => condition(c, s));
    } catch (err) {
      return failure(templateMessage(err, task, task.failedWhen ? 'failed_when' : 'changed_when'));
    }
    const failed = result.failed === true;
    const status: Invocation['status'] = failed ? 'failed' : res.skipped ? 'skipped' : result.changed === true ? 'changed' : 'ok';
    const inv: Invocation = {
      status,
      result,
      ...(res.msg !== undefined ? { msg: res.msg } : {}),
      ...(res.diff ? { diff: res.diff } : {}),
      ...(res.warnings?.length ? { warnings: res.warnings } : {}),
      ...(res.facts ? { facts: res.facts } : {}),
    };
    if (failed && lastExec) Object.assign(inv, execDetails(lastExec));
    if (failed && !inv.msg) inv.msg = lastExec && !lastExec.ok ? describe(lastExec) : 'failed';
    return inv;
  }

  private environment(inh: Inherited, scope: VarScope): Record<string, string> {
    const env: Record<string, string> = {};
    for (const layer of inh.environment) {
      const rendered = renderValue(layer, scope);
      if (rendered && typeof rendered === 'object') {
        for (const [k, v] of Object.entries(rendered as Record<string, unknown>)) {
          if (v !== undefined && v !== null) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
        }
      }
    }
    return env;
  }

  private become(h: HostRun, inh: Inherited, scope: VarScope): BecomeOptions | undefined {
    const enabled = inh.become ?? truthy(scope.get('ansible_become'));
    if (!enabled) return undefined;
    const user = inh.becomeUser ?? (scope.has('ansible_become_user') ? String(scope.get('ansible_become_user')) : 'root');
    let password = this.options.becomePassword;
    if (password === undefined) {
      for (const k of ['ansible_become_password', 'ansible_become_pass']) {
        if (scope.has(k)) {
          const v = scope.get(k);
          if (typeof v === 'string' && v.length > 0) {
            password = v;
            if (!this.secrets.includes(v)) this.secrets.push(v);
            break;
          }
        }
      }
    }
    void h;
    return { user, method: 'sudo', ...(password !== undefined ? { password } : {}) };
  }

  /** undefined: the implicit fact gathering; null: no such module */
  private lookupModule(name: string): ModuleDefinition | null {
    return (this.options.getModule ?? getModule)(name) ?? null;
  }

  // ---------------------------------------------------------------- connections and facts

  /** Rejects with Interrupted when running commands are being stopped (Ctrl-C). */
  private abortable<T>(p: Promise<T>): Promise<T> {
    const signal = this.kill.signal;
    if (signal.aborted) return Promise.reject(new Interrupted());
    return new Promise<T>((resolvePromise, reject) => {
      const onAbort = (): void => reject(new Interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolvePromise(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private connect(h: HostRun): Promise<Transport> {
    h.connecting ??= (async () => {
      const t0 = Date.now();
      try {
        const t = this.options.transportFactory(h.inv);
        h.transport = t;
        await this.abortable(t.connect());
        this.emit({ type: 'host_connect', host: h.name, status: 'ok', durationMs: Date.now() - t0 });
        return t;
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        const e =
          err instanceof UnreachableError
            ? err
            : new UnreachableError(h.name, 'other', `${h.name}: cannot connect: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        this.emit({ type: 'host_connect', host: h.name, status: 'unreachable', msg: e.message, durationMs: Date.now() - t0 });
        throw e;
      }
    })();
    return h.connecting;
  }

  private async ensureFacts(h: HostRun, refreshIfStale: boolean): Promise<HostFacts> {
    if (h.facts && !(refreshIfStale && h.factsStale)) return h.facts;
    const gather = this.options.gatherFacts;
    if (!gather) throw new Error('facts are not available: no fact gatherer configured');
    const t = await this.connect(h);
    h.facts = await this.abortable(gather(t));
    h.factVars = factVars(h.facts);
    h.factsStale = false;
    return h.facts;
  }

  private async gatherTask(h: HostRun): Promise<Invocation> {
    try {
      const facts = await this.ensureFacts(h, true);
      return { status: 'ok', result: { changed: false, failed: false, ansible_facts: factVars(facts).ansible_facts } };
    } catch (err) {
      if (err instanceof UnreachableError) throw err;
      if (err instanceof ExecError) return execFailure(err.result);
      if (err instanceof Interrupted) return failure(err.message);
      return failure(`gathering facts failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private factsTask(play: Play): TaskNode {
    return {
      kind: 'task',
      name: 'Gathering Facts',
      module: FACTS_MODULE,
      args: {},
      notify: [],
      tags: ['always'],
      location: play.location,
      path: `${play.path}.gather_facts`,
    };
  }

  // ---------------------------------------------------------------- variables

  private scope(h: HostRun, br: BatchRun, inh: Inherited, loopVars?: Record<string, unknown>): VarScope {
    const play = br.play;
    // the order is src/template/scope.ts's documented precedence, lowest first
    const layers: Layer[] = [
      { name: 'inventory', kind: 'template', vars: h.inv.vars },
      { name: 'magic variables', kind: 'data', vars: this.magic(h, br) },
      { name: 'facts', kind: 'data', vars: h.factVars },
      { name: 'play vars', kind: 'template', vars: play.vars },
      ...play.varsFiles.map((vf): Layer => ({ name: `vars_files ${vf.file}`, kind: 'template', vars: vf.vars })),
      ...inh.vars.map((v): Layer => ({ name: 'task vars', kind: 'template', vars: v })),
      ...(inh.rescueVars ? [{ name: 'rescue', kind: 'data', vars: inh.rescueVars } satisfies Layer] : []),
      ...(loopVars ? [{ name: 'loop', kind: 'data', vars: loopVars } satisfies Layer] : []),
      { name: 'registered and set_fact', kind: 'data', vars: h.vars },
      { name: 'extra vars', kind: 'template', vars: this.options.extraVars ?? {} },
    ];
    return createScope(layers);
  }

  private magic(h: HostRun, br: BatchRun): Record<string, unknown> {
    // the active host list changes only when a host fails: cache it per batch
    if (!br.active || br.active.version !== this.stateVersion) {
      br.active = { version: this.stateVersion, names: br.hosts.filter((x) => x.state === 'ok').map((x) => x.name), all: br.playHosts };
    }
    const active = br.active.names;
    return {
      inventory_hostname: h.name,
      inventory_hostname_short: h.name.split('.')[0] ?? h.name,
      group_names: h.inv.groups.filter((g) => g !== 'all' && g !== 'ungrouped'),
      groups: this.groups,
      hostvars: this.hostvars,
      play_hosts: active,
      ansible_play_hosts: active,
      ansible_play_batch: active,
      ansible_play_hosts_all: br.active.all,
      ansible_play_name: br.play.name,
      ansible_check_mode: this.options.check ?? false,
      ansible_diff_mode: this.options.diff ?? false,
      ansible_verbosity: this.options.verbosity ?? 0,
      ansible_run_tags: this.options.tags?.length ? this.options.tags : ['all'],
      ansible_skip_tags: this.options.skipTags ?? [],
      playbook_dir: this.playbookDir,
      // Ansible: defined (empty) before facts are gathered; the facts layer above replaces it
      ansible_facts: {},
    };
  }

  private host(name: string): HostRun {
    let h = this.hosts.get(name);
    if (!h) {
      const inv = this.inventory.hosts.get(name) ?? { name, vars: {}, groups: ['all'] };
      const made: HostRun = {
        name,
        inv,
        stats: { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
        state: 'ok',
        factVars: {},
        factsStale: false,
        vars: {},
        notified: new Map(),
      };
      h = made;
      this.hosts.set(name, made);
    }
    return h;
  }

  /** `hostvars[name]`: that host's variables as known now, in the current play. */
  private hostScope(name: string): VarScope | undefined {
    if (!this.inventory.hosts.has(name)) return undefined;
    const br = this.currentBatch;
    const h = this.host(name);
    if (!br) return createScope([{ name: 'inventory', kind: 'template', vars: h.inv.vars }]);
    return this.scope(h, br, { when: [], tags: [], environment: [], vars: [] });
  }

  // ---------------------------------------------------------------- task identity

  private ref(task: TaskNode, br: BatchRun, handler = false): TaskRef {
    let r = this.refs.get(task);
    if (!r) {
      r = {
        id: `p${br.playIndex}.${task.path}`,
        name: task.name ?? defaultName(task),
        module: task.module,
        where: this.where(task),
        ...(handler ? { handler: true } : {}),
      };
      this.refs.set(task, r);
    }
    return r;
  }

  /** `file:line`, relative to displayRoot when the file is inside it. */
  private where(task: TaskNode): string {
    return `${displayPath(task.location.file, this.options.displayRoot)}:${task.location.line}`;
  }

  /** Positions in definition order for the linear barrier. */
  private positions(play: Play): Map<TaskNode, number> {
    const pos = new Map<TaskNode, number>();
    let n = 1; // 0 = gathering facts
    const walk = (steps: readonly Step[]): void => {
      for (const s of steps) {
        if (s.kind === 'task') pos.set(s, n++);
        else {
          walk(s.block);
          walk(s.rescue);
          walk(s.always);
        }
      }
    };
    walk(play.preTasks);
    walk(play.tasks);
    walk(play.postTasks);
    return pos;
  }

  /** --start-at-task: every task before the first match (in any play) is left out. */
  private markStartAt(): void {
    const want = this.options.startAtTask;
    if (!want) return;
    const before: TaskNode[] = [];
    let found = false;
    const walk = (steps: readonly Step[]): void => {
      for (const s of steps) {
        if (found) return;
        if (s.kind === 'task') {
          // an unnamed task is shown (and matched, as in Ansible) by its module name
          const shown = s.name ?? defaultName(s);
          if (globMatch(want, shown) || (s.name === undefined && globMatch(want, `ansible.builtin.${s.module}`))) {
            found = true;
            return;
          }
          before.push(s);
        } else {
          walk(s.block);
          walk(s.rescue);
          walk(s.always);
        }
      }
    };
    for (const p of this.playbook.plays) {
      walk(p.preTasks);
      walk(p.tasks);
      walk(p.postTasks);
    }
    if (!found) throw new UsageError(`--start-at-task "${want}": no task has this name in ${this.playbook.file}`);
    for (const t of before) this.skipBefore.add(t);
  }

  // ---------------------------------------------------------------- the end

  private async finish(): Promise<RecapEvent> {
    const hosts: Record<string, HostStats> = {};
    const outputs: Record<string, Record<string, unknown>> = {};
    const bad: string[] = [];
    for (const name of this.inventory.hosts.keys()) {
      const h = this.hosts.get(name);
      if (!h || !this.started.has(name)) continue;
      hosts[name] = h.stats;
      if (h.state !== 'ok') bad.push(name);
      const out = h.vars[OUTPUTS_VAR];
      if (out && typeof out === 'object' && !Array.isArray(out)) outputs[name] = out as Record<string, unknown>;
    }
    const notStarted = [...this.inventory.hosts.keys()].filter((n) => this.selected.has(n) && !this.started.has(n));
    if (this.interrupted) {
      // after Ctrl-C the retry file lists everything that did not finish, so `--limit @retry`
      // picks the rollout up where it stopped
      const unfinished = new Set([...bad, ...this.stoppedHosts, ...notStarted]);
      bad.splice(0, bad.length, ...[...this.inventory.hosts.keys()].filter((n) => unfinished.has(n)));
    }
    const anyFailed = Object.values(hosts).some((s) => s.failed > 0);
    const anyUnreachable = Object.values(hosts).some((s) => s.unreachable > 0);
    const exitCode = this.interrupted ? EXIT.interrupted : anyFailed ? EXIT.hostFailed : anyUnreachable ? EXIT.hostUnreachable : EXIT.ok;
    const retryFile = await this.writeRetry(bad);
    const recap: RecapEvent = {
      type: 'recap',
      hosts,
      notStarted,
      pendingHandlers: this.pending,
      failures: this.failures,
      interrupted: this.interrupted,
      durationMs: Date.now() - this.t0,
      exitCode,
      ...(retryFile ? { retryFile } : {}),
      ...(Object.keys(outputs).length ? { outputs } : {}),
    };
    // the caller gets what the reporters got: masked
    return this.emit(recap);
  }

  private async writeRetry(bad: string[]): Promise<string | undefined> {
    if (this.options.retryFile === false) return undefined;
    const path = this.options.retryFile ?? defaultRetryFile(this.playbook.file);
    try {
      if (bad.length === 0) {
        // a stale retry file from an earlier run would re-run hosts that are fine now
        await rm(path, { force: true });
        return undefined;
      }
      await writeFile(path, bad.join('\n') + '\n', 'utf8');
      return path;
    } catch (err) {
      this.emit({ type: 'warning', msg: `could not write the retry file ${path}: ${err instanceof Error ? err.message : String(err)}` });
      return undefined;
    }
  }

  private emit<E extends RunEvent>(event: E): E {
    const e = this.secrets.length > 0 ? maskDeep(event, this.secrets) : event;
    try {
      this.reporter.onEvent?.(e);
    } catch {
      // a broken renderer must not stop a rollout half-way
    }
    return e;
  }
}

// ------------------------------------------------------------------ helpers

/** `site.yml` → `site.retry` beside it (Ansible's convention). */
export function defaultRetryFile(playbookFile: string): string {
  const ext = extname(playbookFile);
  return join(dirname(playbookFile), `${basename(playbookFile, ext)}.retry`);
}

function inherit(parent: Inherited, k: Step): Inherited {
  return {
    when: k.kind === 'block' && k.when ? [...parent.when, ...k.when] : parent.when,
    tags: k.tags.length ? [...parent.tags, ...k.tags] : parent.tags,
    environment: k.environment ? [...parent.environment, k.environment] : parent.environment,
    vars: k.vars ? [...parent.vars, k.vars] : parent.vars,
    ...pick('become', k.become ?? parent.become),
    ...pick('becomeUser', k.becomeUser ?? parent.becomeUser),
    ...pick('noLog', k.noLog ?? parent.noLog),
    ...pick('checkMode', k.checkMode ?? parent.checkMode),
    ...pick('ignoreErrors', k.ignoreErrors ?? parent.ignoreErrors),
    ...pick('timeout', k.timeout ?? parent.timeout),
    ...pick('runOnce', k.runOnce ?? parent.runOnce),
    ...pick('rescueVars', parent.rescueVars),
  };
}

function pick<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

function condition(cond: string | boolean, scope: VarScope): boolean {
  if (typeof cond === 'boolean') return cond;
  return evaluate(cond, scope);
}

function isMeta(module: string): boolean {
  return module === 'meta' || module === 'ansible.builtin.meta';
}

function truthy(v: unknown): boolean {
  if (typeof v === 'string') return ['true', 'yes', 'on', '1', 'y'].includes(v.trim().toLowerCase());
  return Boolean(v);
}

function prepareArgs(rendered: unknown, module: ModuleDefinition): Record<string, unknown> {
  const args = rendered && typeof rendered === 'object' && !Array.isArray(rendered) ? { ...(rendered as Record<string, unknown>) } : {};
  if ('_raw_params' in args && module.freeForm && !(module.freeForm in args)) {
    args[module.freeForm] = args._raw_params;
    delete args._raw_params;
  }
  // `default(omit)`: the argument is left out
  for (const [k, v] of Object.entries(args)) if (typeof v === 'string' && v.startsWith('__omit_place_holder__')) delete args[k];
  return args;
}

function where(task: TaskNode): string {
  return `${task.location.file}:${task.location.line}`;
}



function templateMessage(err: unknown, task: TaskNode, what: string): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `${where(task)}: task "${task.name ?? defaultName(task)}": template error in ${what}: ${reason}`;
}

function failure(msg: string): Invocation {
  return { status: 'failed', result: { changed: false, failed: true, msg }, msg };
}

function execDetails(r: ExecResult): Pick<Invocation, 'exitCode' | 'stderr' | 'command'> {
  return { exitCode: r.exitCode, stderr: r.stderr, command: r.command };
}

function describe(r: ExecResult): string {
  if (r.timedOut) return `\`${r.command}\` timed out and was stopped`;
  if (r.signal) return `\`${r.command}\` killed by signal ${r.signal}`;
  return `\`${r.command}\` exit code: ${r.exitCode ?? 'none'}`;
}

function execFailure(r: ExecResult): Invocation {
  const msg = describe(r);
  return {
    status: 'failed',
    result: {
      changed: false,
      failed: true,
      msg,
      rc: r.exitCode,
      cmd: r.command,
      stdout: r.stdout,
      stderr: r.stderr,
      stdout_lines: lines(r.stdout),
      stderr_lines: lines(r.stderr),
    },
    msg,
    ...execDetails(r),
  };
}

function resultFields(inv: Invocation, noLog: boolean): Partial<TaskResultEvent> {
  if (noLog) return { msg: NO_LOG_MSG, ...(inv.exitCode !== undefined ? { exitCode: inv.exitCode } : {}) };
  return {
    ...(inv.msg !== undefined ? { msg: inv.msg } : {}),
    ...(inv.exitCode !== undefined ? { exitCode: inv.exitCode } : {}),
    ...(inv.stderr ? { stderr: inv.stderr } : {}),
    ...(inv.command ? { command: inv.command } : {}),
    ...(inv.diff?.length ? { diff: inv.diff } : {}),
    ...(inv.warnings?.length ? { warnings: inv.warnings } : {}),
    result: inv.result,
  };
}

function lines(s: string): string[] {
  if (s === '') return [];
  return s.replace(/\n$/, '').split('\n');
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

function defaultName(task: TaskNode): string {
  return task.module;
}

function handlerName(h: TaskNode | undefined): string {
  return h?.name ?? h?.module ?? 'handler';
}

function displayName(task: TaskNode, scope: VarScope): string {
  const n = task.name ?? defaultName(task);
  if (!n.includes('{{')) return n;
  try {
    return String(render(n, scope));
  } catch {
    return n;
  }
}

function itemLabel(task: TaskNode, item: unknown, scope: VarScope): string {
  if (task.loopControl?.label !== undefined) {
    try {
      return String(render(task.loopControl.label, scope));
    } catch {
      // fall through to the item itself
    }
  }
  const s = typeof item === 'string' ? item : JSON.stringify(item);
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
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
