// In a terminal: a listr2 tree, play/batch → host, each host's line showing its progress
// (tasks done of the play's total), the task running now, how long it has been running and
// the last line of output, so a long command visibly stays alive.
//
// Performance: listr2 re-renders the whole tree on every title change. With 200 hosts that
// is quadratic, so the engine's events only update a plain model here; a timer copies the
// model into the listr tasks at most every `refreshMs` and asks for one render. In big
// batches only running and failed hosts get a line; finished hosts are summed up in the
// batch's title, so the tree fits the terminal.
import { DefaultRenderer, Listr, ListrEventType, ListrLogger, ProcessOutput } from 'listr2';
import type { ListrTaskWrapper } from 'listr2';
import type { HostStats, RecapEvent, Reporter, RunEvent } from './events.js';
import { unifiedDiff } from '../modules/util/diff.js';
import { displayPath, formatRecap } from './recap.js';
import { COLOR, formatDuration } from './style.js';
import { visible, visibleLine } from '../util/visible.js';

/**
 * listr2's default renderer, allowed on any stream: listr2 would otherwise fall back to its
 * line renderer whenever *process.stdout* is not a TTY, even though runbook renders to the
 * stream it was given (the CLI only picks this reporter for a terminal).
 */
class TreeRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

export interface TreeReporterOptions {
  verbosity?: number;
  /** shown in the recap's re-run hint */
  rerun?: string;
  /** paths are shown relative to this directory (the CLI's cwd) */
  displayRoot?: string;
  /** minimum time between two renders (default 200 ms; 500 ms when the hosts do not fit the terminal) */
  refreshMs?: number;
  /** --diff: print the before/after of changed files after the tree */
  diff?: boolean;
  /** stderr for listr2's process output (default process.stderr) */
  err?: NodeJS.WriteStream | NodeJS.WritableStream;
}

type Wrapper = ListrTaskWrapper<unknown, never, never>;

interface HostView {
  name: string;
  started: boolean;
  done: number;
  current?: string;
  item?: string;
  since: number;
  line?: string;
  state: 'running' | 'ok' | 'failed' | 'unreachable';
  error?: string;
  stats: Pick<HostStats, 'ok' | 'changed' | 'failed' | 'skipped'>;
  wrapper?: Wrapper;
  finish: () => void;
  finished: Promise<void>;
}

interface BatchView {
  title: string;
  total: number;
  hosts: Map<string, HostView>;
  root?: Wrapper;
  /** hide finished-ok and not-started hosts: the batch is taller than the terminal */
  compact: boolean;
}

export function createTreeReporter(out: NodeJS.WriteStream | NodeJS.WritableStream, options: TreeReporterOptions = {}): Reporter {
  let refreshMs = options.refreshMs ?? 200;
  const rows = (out as { rows?: number }).rows ?? 40;
  let chain: Promise<void> = Promise.resolve();
  let batch: BatchView | undefined;
  let play = '';
  let playTasks = 0;
  const warnings: string[] = [];
  const diffs: string[] = [];
  /** debug messages: printed under the tree, since they are what the playbook wants shown */
  const messages: string[] = [];
  let refresh: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;

  // titles carry user-derived text (host, task and play names, output lines): escaped, so a
  // name or a line of output cannot clear the screen or retitle the terminal (our colours stay)
  const hostTitle = (h: HostView, total: number): string => {
    const name = visibleLine(h.name);
    if (h.state === 'ok') {
      const st = h.stats;
      return `${name}  ${COLOR.green(`ok=${st.ok}`)} ${st.changed ? COLOR.yellow(`changed=${st.changed}`) : `changed=0`} skipped=${st.skipped}`;
    }
    if (h.state === 'unreachable') return `${name}  ${COLOR.red('unreachable')}`;
    if (h.state === 'failed') return `${name}  ${COLOR.red('failed')}`;
    const progress = COLOR.dim(`${h.done}/${total || '?'}`);
    if (!h.current) return `${name}  ${progress}`;
    const elapsed = Date.now() - h.since;
    const alive = elapsed >= 2000 ? COLOR.dim(` ${formatDuration(Math.round(elapsed / 1000) * 1000)}`) : '';
    const item = h.item !== undefined ? COLOR.dim(` (item=${visibleLine(h.item)})`) : '';
    const line = h.line ? COLOR.dim(`  │ ${visibleLine(h.line.slice(0, 100))}`) : '';
    return `${name}  ${progress}  ${visibleLine(h.current)}${item}${alive}${line}`;
  };

  // lines the tree may use: more would scroll the terminal and break the live redraw
  const budget = Math.max(6, rows - 6);
  const flush = (b: BatchView | undefined = batch): void => {
    if (!b) return;
    let done = 0;
    let failed = 0;
    let more = 0;
    let hiddenFailures = 0;
    // failed hosts take two lines (name + error): at most a third of the space
    let failedSlots = Math.floor(budget / 6);
    for (const h of b.hosts.values()) {
      if (h.state !== 'running') done++;
      if (h.state === 'failed' || h.state === 'unreachable') failed++;
    }
    const failedShown = Math.min(failed, failedSlots);
    let runningSlots = budget - 1 - failedShown * 2;
    for (const h of b.hosts.values()) {
      if (!h.wrapper) continue;
      let hidden = false;
      if (b.compact) {
        if (h.state === 'ok' || !h.started) hidden = true;
        else if (h.state === 'running') {
          if (runningSlots > 0) runningSlots--;
          else {
            hidden = true;
            more++;
          }
        } else if (failedSlots > 0) failedSlots--;
        else {
          hidden = true;
          hiddenFailures++;
        }
      }
      // assigning the Task's field directly skips listr2's per-change render; one render follows
      h.wrapper.task.title = hidden ? '' : hostTitle(h, b.total);
    }
    if (b.root) {
      const parts = [`${done}/${b.hosts.size} hosts done`];
      if (failed) parts.push(`${failed} failed or unreachable${hiddenFailures ? ` (${hiddenFailures} not shown: see the recap)` : ''}`);
      if (more) parts.push(`${more} more running`);
      b.root.task.title = b.compact ? `${b.title}  ${COLOR.dim(parts.join(', '))}` : b.title;
    }
    dirty = false;
    refresh?.();
  };

  const ensureTimer = (): void => {
    if (timer) return;
    let ticks = 0;
    const tickEvery = Math.max(1, Math.round(1000 / refreshMs));
    timer = setInterval(() => {
      // render when something changed, and once a second anyway so the elapsed time of a
      // long command keeps moving
      if (dirty || (batch && ++ticks % tickEvery === 0)) flush(batch);
    }, refreshMs);
  };

  const finishBatch = (): void => {
    const b = batch;
    if (!b) return;
    for (const h of b.hosts.values()) {
      if (h.state === 'running') h.state = 'ok';
    }
    flush();
    for (const h of b.hosts.values()) h.finish();
    batch = undefined;
    refresh = undefined;
  };

  const startBatch = (title: string, names: string[]): void => {
    finishBatch();
    const b: BatchView = { title, total: playTasks, hosts: new Map(), compact: names.length + 1 > budget };
    for (const name of names) {
      let finish!: () => void;
      const finished = new Promise<void>((r) => (finish = r));
      b.hosts.set(name, { name, started: false, done: 0, since: Date.now(), state: 'running', stats: { ok: 0, changed: 0, failed: 0, skipped: 0 }, finish, finished });
    }
    batch = b;
    // built when its turn comes: listr2 takes over the stream while it renders, so a batch's
    // tree must not be set up while the previous one still holds the stream
    const start = (): Promise<void> => {
      const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(out as NodeJS.WriteStream, (options.err ?? process.stderr) as NodeJS.WriteStream) });
      const listr = new Listr(
        [
          {
            title,
            task: (_ctx, root) => {
              b.root = root;
              flush(b);
              return root.newListr(
                [...b.hosts.values()].map((h) => ({
                  // compact batches show a host once it does something
                  title: b.compact ? '' : visibleLine(h.name),
                  task: async (_c: unknown, t: unknown) => {
                    h.wrapper = t as Wrapper;
                    await h.finished;
                    // the batch may have ended before its tree was drawn: final titles now
                    h.wrapper.task.title = b.compact && h.state === 'ok' ? '' : hostTitle(h, b.total);
                    if (b !== batch) flush(b);
                    if (h.state === 'unreachable') (t as Wrapper).skip(`${visibleLine(h.name)}: unreachable: ${visible(h.error ?? '')}`);
                    else if (h.state === 'failed') throw new Error(visible(h.error ?? 'failed'));
                  },
                })),
                { concurrent: true, exitOnError: false },
              );
            },
          },
        ],
        {
          renderer: TreeRenderer,
          fallbackRendererCondition: false,
          silentRendererCondition: false,
          registerSignalListeners: false,
          exitOnError: false,
          rendererOptions: {
            lazy: true,
            collapseSubtasks: false,
            collapseErrors: false,
            collapseSkips: false,
            showErrorMessage: true,
            removeEmptyLines: true,
            // one line per host; wrapping long lines costs more than the rest of the render
            formatOutput: 'truncate',
            logger,
          },
        },
      );
      // one render per flush instead of one per title change (see the top of the file)
      const events = listr.events as unknown as { emit: (type: string, ...args: unknown[]) => void };
      const emit = events.emit.bind(events);
      let queued = false;
      let ended = false;
      events.emit = (type: string, ...args: unknown[]) => {
        if (type !== (ListrEventType.SHOULD_REFRESH_RENDER as string)) return emit(type, ...args);
        if (queued || ended) return;
        queued = true;
        setTimeout(() => {
          queued = false;
          // a render after the tree ended would draw it again under the final output
          if (!ended) emit(type);
        }, refreshMs).unref();
      };
      refresh = () => events.emit(ListrEventType.SHOULD_REFRESH_RENDER);
      const done = (): void => {
        ended = true;
        drain();
      };
      return listr.run().then(done, done);
    };
    ensureTimer();
    // what a batch printed (debug messages, diffs) goes under its tree once the tree is final
    chain = chain.then(start);
  };

  const view = (host: string): HostView | undefined => batch?.hosts.get(host);

  const drain = (): void => {
    for (const d of diffs.splice(0)) out.write(`${d}\n`);
    for (const m of messages.splice(0)) out.write(`${m}\n`);
    for (const w of warnings.splice(0)) out.write(`${COLOR.yellow('WARNING')}: ${w}\n`);
  };

  const onRecap = (e: RecapEvent): void => {
    finishBatch();
    chain = chain.then(() => {
      if (timer) clearInterval(timer);
      timer = undefined;
      drain();
      out.write(formatRecap(e, { style: COLOR, ...(options.rerun ? { rerun: options.rerun } : {}), ...(options.displayRoot ? { displayRoot: options.displayRoot } : {}) }));
    });
  };

  return {
    onEvent(e: RunEvent): void {
      switch (e.type) {
        case 'run_start':
          // A fleet that does not fit the terminal is shown as counts plus the running and
          // failed hosts; every frame costs listr2 (log-update's wrap-ansi over the whole tree)
          // the same whatever changed, and two frames a second are enough for counts. Measured
          // at 200 lab hosts, 3 runs each: the CPU over --json went from +12-17% to +6%.
          if (options.refreshMs === undefined && e.hosts.length + 1 > budget) refreshMs = 500;
          out.write(`${COLOR.bold('runbook')} ${visibleLine(displayPath(e.playbook, options.displayRoot))} on ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}${e.check ? COLOR.yellow(' (check mode: nothing will change)') : ''}\n`);
          break;
        case 'play_start':
          finishBatch();
          play = e.play;
          playTasks = e.tasks ?? 0;
          break;
        case 'batch_start':
          startBatch(`PLAY [${visibleLine(play)}]${e.batches > 1 ? ` batch ${e.batch}/${e.batches}` : ''}`, e.hosts);
          break;
        case 'task_start': {
          const h = view(e.host);
          if (!h) break;
          h.started = true;
          if (h.current !== e.task.name || e.item === undefined) h.since = Date.now();
          h.current = e.task.handler ? `handler: ${e.task.name}` : e.task.name;
          h.item = e.item;
          h.line = undefined;
          dirty = true;
          break;
        }
        case 'task_result': {
          const h = view(e.host);
          if (options.diff && e.diff?.length && e.status === 'changed') {
            for (const d of e.diff) diffs.push(`${COLOR.bold(visibleLine(e.host))} ${visibleLine(e.task.name)}\n${visible(unifiedDiff(d.before, d.after, d.path).trimEnd())}`);
          }
          if (e.task.module === 'debug' && e.msg && (e.status === 'ok' || e.status === 'changed')) {
            messages.push(`${COLOR.bold(visibleLine(e.host))} ${visibleLine(e.task.name)}${e.item !== undefined ? ` (item=${visibleLine(e.item)})` : ''}: ${visible(e.msg)}`);
          }
          if (!h || e.item !== undefined) break;
          h.done++;
          if (e.status === 'ok') h.stats.ok++;
          else if (e.status === 'changed') {
            h.stats.ok++;
            h.stats.changed++;
          }
          else if (e.status === 'skipped') h.stats.skipped++;
          else if (e.status === 'unreachable') {
            h.state = 'unreachable';
            h.error = e.msg;
            h.finish();
          } else if (e.status === 'failed' && !e.ignored) {
            // may still be rescued: the host is failed only when host_end says so
            h.error = `${e.task.name} (${e.task.where})${e.exitCode != null ? ` exit code ${e.exitCode}` : ''}: ${e.msg ?? ''}`;
          }
          h.current = undefined;
          h.item = undefined;
          dirty = true;
          break;
        }
        case 'output': {
          const h = view(e.host);
          if (!h) break;
          const last = e.chunk.trimEnd().split('\n').pop();
          if (last) h.line = last;
          dirty = true;
          break;
        }
        case 'progress': {
          const h = view(e.host);
          if (h) h.line = e.msg;
          dirty = true;
          break;
        }
        case 'warning':
          warnings.push(visible(e.host ? `${e.host}: ${e.msg}` : e.msg));
          break;
        case 'host_end': {
          const h = view(e.host);
          if (!h || (e.state !== 'failed' && e.state !== 'unreachable')) break;
          h.state = e.state;
          h.finish();
          dirty = true;
          break;
        }
        case 'play_end':
          finishBatch();
          if (e.stopped) warnings.push(visible(`play "${e.play}" stopped: ${e.stopped}`));
          break;
        case 'recap':
          onRecap(e);
          break;
        default:
          break;
      }
    },
    async close(): Promise<void> {
      finishBatch();
      await chain;
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
