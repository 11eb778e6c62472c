// In a terminal: what the run is doing, in two parts.
//
// Above: lines that stay, printed as things happen: the play, every task that changed or
// failed (with its message, and a failure's last lines of stderr), debug messages, diffs and
// warnings; -v adds ok and skipped tasks and what commands printed, -vv the commands
// themselves. A batch of more than `perHostLimit` hosts does not print a line per host per task
// (500 hosts would scroll away everything): each task gets one summary line when every host
// has done it ("changed on 180 hosts (n001, n002, n003 +177), ok on 20"), and identical
// messages/diffs/output from many hosts are printed once with the hosts they came from.
// Failures are always printed per host (the first few per task; the rest are in the recap).
//
// Below: a live area, redrawn in place, with the hosts still working: per host the task it is
// on, its progress in the play, how long the task has been running and the latest output line;
// when only a few hosts are running, the last lines of output too, so a 10-minute
// `apt upgrade` is visibly alive. When the running hosts do not fit the terminal, they are
// grouped by task ("Install packages ×180, slowest n042 1m02s"). Lines of the live area are
// cut to the terminal's width, so the redraw (cursor up N lines, clear to the end) is exact.
//
// Cost: events only update a model; a timer renders at most every `refreshMs` (500 ms for
// fleets taller than the terminal), building only the lines that are shown, in one write.
import type { RecapEvent, Reporter, RunEvent, TaskResultEvent } from './events.js';
import { unifiedDiff } from '../util/diff.js';
import { displayPath, formatRecap } from './recap.js';
import { COLOR, formatDuration } from './style.js';
import type { Style } from './style.js';
import { visible, visibleLine } from '../util/visible.js';

export interface TreeReporterOptions {
  verbosity?: number;
  /** shown in the recap's re-run hint */
  rerun?: string;
  /** paths are shown relative to this directory (the CLI's cwd) */
  displayRoot?: string;
  /** minimum time between two renders (default 200 ms; 500 ms when the hosts do not fit the terminal) */
  refreshMs?: number;
  /** --diff: print the before/after of changed files */
  diff?: boolean;
  /** colours (default: on; the CLI passes NO_COLOR's style when NO_COLOR is set) */
  style?: Style;
  /** batches up to this many hosts get a line per host and task; bigger ones a summary per task (default 20) */
  perHostLimit?: number;
}

const ESC = '\u001b[';
/** lines of output kept per running host for the live tail */
const TAIL = 4;
/** failures printed per task in a big batch; the rest are in the recap */
const FAILURES_PER_TASK = 5;
/** output lines kept per host and task for -v (the last ones) */
const KEEP_OUTPUT = 200;

interface HostView {
  name: string;
  done: number;
  current?: string;
  taskId?: string;
  item?: string;
  since: number;
  /** the latest complete output lines of the running task */
  tail: string[];
  /** output after the last newline */
  partial: string;
  /** -v: the whole output of the running task (last KEEP_OUTPUT lines) */
  output: string[];
  state: 'waiting' | 'running' | 'ok' | 'failed' | 'unreachable' | 'deferred';
}

interface TaskSummary {
  name: string;
  order: number;
  hosts: Set<string>;
  changed: string[];
  ok: string[];
  skipped: string[];
  failed: string[];
  unreachable: string[];
  /** identical text from several hosts (debug messages, diffs, output), printed once */
  notes: Map<string, string[]>;
  printedFailures: number;
}

interface BatchView {
  title: string;
  total: number;
  hosts: Map<string, HostView>;
  perHost: boolean;
  tasks: Map<string, TaskSummary>;
}

/** Text as the terminal shows it: escape sequences take no room. */
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/y;

/** Cut a line (with our SGR colours in it) to `width` visible characters. */
export function fitLine(line: string, width: number): string {
  let shown = 0;
  let i = 0;
  let out = '';
  let coloured = false;
  while (i < line.length) {
    SGR.lastIndex = i;
    const m = SGR.exec(line);
    if (m) {
      out += m[0];
      coloured = true;
      i += m[0].length;
      continue;
    }
    const cp = line.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (shown + 1 > width) {
      // the last column gets an ellipsis, and colours are closed
      return `${trimLast(out)}…${coloured ? `${ESC}0m` : ''}`;
    }
    out += ch;
    shown++;
    i += ch.length;
  }
  return out;
}

/** Drop the last visible character (to make room for the ellipsis). */
function trimLast(s: string): string {
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] === 'm') {
      const start = s.lastIndexOf('\u001b[', i);
      // eslint-disable-next-line no-control-regex
      if (start >= 0 && /^\u001b\[[0-9;]*m$/.test(s.slice(start, i + 1))) {
        i = start;
        continue;
      }
    }
    const code = s.charCodeAt(i);
    const width = code >= 0xdc00 && code <= 0xdfff && i > 0 ? 2 : 1;
    return s.slice(0, i - width + 1) + s.slice(i + 1);
  }
  return s;
}

/** The output lines shown for a running host: the latest complete ones and the line being written. */
function tailOf(h: HostView): string[] {
  return h.partial.trim() !== '' ? [...h.tail, h.partial].slice(-TAIL) : h.tail;
}

/** "a, b, c +N" */
function sample(hosts: readonly string[], n = 3): string {
  const shown = hosts.slice(0, n).map(visibleLine).join(', ');
  return hosts.length > n ? `${shown} +${hosts.length - n}` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : `${s.slice(0, i)} …`;
}

/** The command a task ran, for -vv: the command module's `cmd`, or the failed command. */
function commandOf(e: TaskResultEvent): string | undefined {
  const cmd = e.result?.cmd;
  if (typeof cmd === 'string' && cmd !== '') return cmd;
  if (Array.isArray(cmd) && cmd.length > 0) return cmd.map(String).join(' ');
  return e.command;
}

/** The live view, and a way to take it off the screen while a question is asked (--step). */
export interface TreeReporter extends Reporter {
  /** clear the live area and stop redrawing it (lines that stay are printed first) */
  pause(): void;
  /** redraw again */
  resume(): void;
}

export function createTreeReporter(out: NodeJS.WriteStream | NodeJS.WritableStream, options: TreeReporterOptions = {}): TreeReporter {
  const s = options.style ?? COLOR;
  const v = options.verbosity ?? 0;
  const perHostLimit = options.perHostLimit ?? 20;
  let refreshMs = options.refreshMs ?? 200;
  const term = out as { rows?: number; columns?: number };
  const rows = (): number => (term.rows && term.rows > 0 ? term.rows : 24);
  const columns = (): number => (term.columns && term.columns > 0 ? term.columns : 80);

  let batch: BatchView | undefined;
  let play = '';
  let playTasks = 0;
  let taskOrder = 0;
  /** lines that stay, waiting for the next render */
  let pending: string[] = [];
  /** lines of the live area on the screen now */
  let drawn = 0;
  let dirty = false;
  let lastRender = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let paused = false;

  const say = (line: string): void => {
    pending.push(line);
    dirty = true;
  };

  // ---- the live area ----------------------------------------------------------------------

  const liveLines = (): string[] => {
    const b = batch;
    if (!b) return [];
    const width = Math.max(20, columns() - 1);
    // leave room for the lines above, so the live area never scrolls itself off the screen
    const budget = Math.max(3, Math.min(rows() - 2, 30));
    const all = [...b.hosts.values()];
    const running = all.filter((h) => h.state === 'running' && h.current !== undefined);
    const finished = all.filter((h) => h.state === 'ok' || h.state === 'failed' || h.state === 'unreachable' || h.state === 'deferred').length;
    const failed = all.filter((h) => h.state === 'failed' || h.state === 'unreachable').length;
    const now = Date.now();
    const head = [`${finished}/${all.length} hosts done`];
    if (failed) head.push(s.red(`${failed} failed or unreachable`));
    if (running.length) head.push(`${running.length} running`);
    const lines = [`${s.bold(b.title)}  ${s.dim(head.join(' · '))}`];
    const elapsed = (h: HostView): string => {
      const ms = now - h.since;
      return ms >= 2000 ? s.dim(` ${formatDuration(Math.round(ms / 1000) * 1000)}`) : '';
    };
    const room = budget - 1;
    if (running.length <= room) {
      // one line per running host, plus a tail of output when there is room for it
      const tailRoom = running.length > 0 ? Math.floor((room - running.length) / running.length) : 0;
      // a few hosts get the last three lines, more hosts two, as long as the terminal has room
      const tailLines = Math.min(running.length <= 3 ? TAIL - 1 : 2, tailRoom);
      for (const h of running) {
        const item = h.item !== undefined ? s.dim(` (item=${visibleLine(h.item)})`) : '';
        const shown = tailOf(h);
        const last = shown.at(-1);
        const line = last ? s.dim(`  │ ${visibleLine(last)}`) : '';
        lines.push(`  ${visibleLine(h.name)}  ${s.dim(`${h.done}/${b.total || '?'}`)}  ${visibleLine(h.current ?? '')}${item}${elapsed(h)}${line}`);
        // a tail only for a task that has been running a while: a quick one would flicker
        if (tailLines > 0 && now - h.since >= 2000 && shown.length > 1) {
          for (const t of shown.slice(0, -1).slice(-tailLines)) lines.push(s.dim(`      │ ${visibleLine(t)}`));
        }
      }
    } else {
      // too many to list: grouped by task, each with its slowest host
      const groups = new Map<string, HostView[]>();
      for (const h of running) {
        const key = h.current ?? '';
        const g = groups.get(key);
        if (g) g.push(h);
        else groups.set(key, [h]);
      }
      const sorted = [...groups.entries()].sort((x, y) => y[1].length - x[1].length);
      const shown = sorted.slice(0, room - (sorted.length > room ? 1 : 0));
      for (const [task, hosts] of shown) {
        const slowest = hosts.reduce((a, h) => (h.since < a.since ? h : a));
        const last = tailOf(slowest).at(-1);
        lines.push(
          `  ${visibleLine(task)} ${s.dim(`×${hosts.length}`)}  ${s.dim(`slowest ${visibleLine(slowest.name)}`)}${elapsed(slowest)}${last ? s.dim(`  │ ${visibleLine(last)}`) : ''}`,
        );
      }
      if (sorted.length > shown.length) lines.push(s.dim(`  … ${plural(sorted.length - shown.length, 'more task')}`));
    }
    return lines.map((l) => fitLine(l, width));
  };

  const render = (final = false): void => {
    if (paused && !final) return;
    const live = final ? [] : liveLines();
    let text = drawn > 0 ? `${ESC}${drawn}A${ESC}J` : '';
    if (pending.length > 0) text += pending.join('\n') + '\n';
    pending = [];
    if (live.length > 0) text += live.join('\n') + '\n';
    drawn = live.length;
    dirty = false;
    lastRender = Date.now();
    if (text !== '') out.write(text);
  };

  const ensureTimer = (): void => {
    if (timer || closed) return;
    timer = setInterval(() => {
      // render when something changed, and once a second anyway so elapsed times move
      if (dirty || (batch && Date.now() - lastRender >= 1000)) render();
    }, refreshMs);
    timer.unref();
  };

  // ---- lines that stay ----------------------------------------------------------------------

  const hostLine = (host: string, word: string, e: TaskResultEvent, detail = ''): string => {
    const item = e.item !== undefined ? ` (item=${visibleLine(e.item)})` : '';
    return `${s.bold(visibleLine(host))}  ${word}: ${visibleLine(e.task.name)}${item}${s.dim(` (${formatDuration(e.durationMs)})`)}${detail}`;
  };

  const failureLines = (e: TaskResultEvent): string[] => {
    const code = e.exitCode !== undefined && e.exitCode !== null ? ` [exit code ${e.exitCode}]` : '';
    const word = e.ignored ? s.yellow('failed (ignored)') : e.status === 'unreachable' ? s.red('UNREACHABLE') : s.red('FAILED');
    const where = s.dim(` ${visibleLine(e.task.where)}`);
    const lines = [`${hostLine(e.host, word, e)}${where}${code}: ${visible(firstLine(e.msg ?? ''))}`];
    // the key output of a failure: the last lines of stderr (all of them with -v)
    const err = (e.stderr ?? '').trimEnd();
    if (err && !e.ignored) for (const l of err.split('\n').slice(v >= 1 ? -40 : -5)) lines.push(s.dim(`    │ ${visible(l)}`));
    return lines;
  };

  /** -v: what the task printed; -vv: the command first */
  const outputLines = (h: HostView | undefined, e: TaskResultEvent): string[] => {
    const lines: string[] = [];
    if (v >= 2) {
      const cmd = commandOf(e);
      if (cmd) lines.push(s.dim(`    $ ${visibleLine(cmd)}`));
    }
    if (v >= 1 && h && h.partial !== '') {
      h.output.push(h.partial);
      h.partial = '';
    }
    if (v >= 1 && h && h.output.length > 0) {
      const keep = v >= 2 ? h.output : h.output.slice(-20);
      if (keep.length < h.output.length) lines.push(s.dim(`    │ … ${h.output.length - keep.length} earlier lines (-vv shows all)`));
      for (const l of keep) lines.push(s.dim(`    │ ${visible(l)}`));
    }
    return lines;
  };

  const diffText = (e: TaskResultEvent): string[] =>
    options.diff && e.diff?.length && e.status === 'changed' ? e.diff.map((d) => visible(unifiedDiff(d.before, d.after, d.path).trimEnd())) : [];

  const debugText = (e: TaskResultEvent): string | undefined =>
    e.task.module === 'debug' && e.msg && (e.status === 'ok' || e.status === 'changed') ? visible(e.msg) : undefined;

  const summaryOf = (b: BatchView, e: TaskResultEvent): TaskSummary => {
    let t = b.tasks.get(e.task.id);
    if (!t) {
      t = { name: e.task.handler ? `handler: ${e.task.name}` : e.task.name, order: taskOrder++, hosts: new Set(), changed: [], ok: [], skipped: [], failed: [], unreachable: [], notes: new Map(), printedFailures: 0 };
      b.tasks.set(e.task.id, t);
    }
    return t;
  };

  const note = (t: TaskSummary, text: string, host: string): void => {
    const hosts = t.notes.get(text);
    if (hosts) hosts.push(host);
    else t.notes.set(text, [host]);
  };

  const printSummary = (t: TaskSummary): void => {
    const parts: string[] = [];
    if (t.changed.length) parts.push(s.yellow(`changed on ${plural(t.changed.length, 'host')}`) + s.dim(` (${sample(t.changed)})`));
    if (t.failed.length) parts.push(s.red(`failed on ${plural(t.failed.length, 'host')}`));
    if (t.unreachable.length) parts.push(s.red(`unreachable: ${plural(t.unreachable.length, 'host')}`));
    if (t.ok.length) parts.push(s.green(`ok on ${t.ok.length}`));
    if (t.skipped.length) parts.push(s.dim(`skipped on ${t.skipped.length}`));
    const interesting = t.changed.length + t.failed.length + t.unreachable.length > 0 || t.notes.size > 0 || v >= 1;
    if (interesting) say(`${s.cyan('TASK')} [${visibleLine(t.name)}]  ${parts.join(', ')}`);
    for (const [text, hosts] of t.notes) {
      const lines = text.split('\n');
      say(`  ${s.bold(sample(hosts))}${hosts.length > 1 ? s.dim(` (${hosts.length} hosts, same)`) : ''}: ${lines[0] ?? ''}`);
      for (const l of lines.slice(1)) say(`    ${l}`);
    }
  };

  /** In a big batch: print the summaries of tasks that every host still going has done (or all, at the batch's end). */
  const flushTasks = (b: BatchView, all = false): void => {
    if (b.perHost) return;
    const dead = (h: HostView): boolean => h.state === 'failed' || h.state === 'unreachable';
    const done = (t: TaskSummary): boolean => {
      for (const h of b.hosts.values()) if (!t.hosts.has(h.name) && !dead(h)) return false;
      return true;
    };
    const ready = [...b.tasks.entries()].filter(([, t]) => all || done(t)).sort((x, y) => x[1].order - y[1].order);
    for (const [id, t] of ready) {
      b.tasks.delete(id);
      printSummary(t);
    }
  };

  const onResult = (e: TaskResultEvent): void => {
    const b = batch;
    const h = b?.hosts.get(e.host);
    const perHost = !b || b.perHost;
    if (!perHost && b) {
      const t = summaryOf(b, e);
      if (e.status === 'failed' && !e.ignored) {
        // failures are what an operator needs first: the first few at once, per host
        if (t.printedFailures++ < FAILURES_PER_TASK) for (const l of failureLines(e)) say(l);
        else if (t.printedFailures === FAILURES_PER_TASK + 1) say(s.dim(`    … more hosts failed "${visibleLine(e.task.name)}": see the recap`));
      }
      const dbg = debugText(e);
      if (dbg !== undefined) note(t, dbg, e.host);
      for (const d of diffText(e)) note(t, d, e.host);
      for (const w of e.warnings ?? []) note(t, `${s.yellow('WARNING')}: ${visible(w)}`, e.host);
      if (e.item === undefined) {
        const out = outputLines(h, e);
        if (out.length) note(t, out.map((l) => l.trimStart()).join('\n'), e.host);
        t.hosts.add(e.host);
        const list = e.status === 'failed' && e.ignored ? t.ok : t[e.status];
        list.push(e.host);
      }
    } else {
      const detail = (v >= 1 || e.status === 'changed') && e.msg && e.status !== 'failed' && e.status !== 'unreachable' ? `: ${visible(firstLine(e.msg))}` : '';
      const dbg = debugText(e);
      if (dbg !== undefined) say(`${s.bold(visibleLine(e.host))}  ${visibleLine(e.task.name)}${e.item !== undefined ? ` (item=${visibleLine(e.item)})` : ''}: ${dbg}`);
      else if (e.status === 'failed' || e.status === 'unreachable') for (const l of failureLines(e)) say(l);
      else if (e.status === 'changed') say(hostLine(e.host, s.yellow('changed'), e, detail));
      else if (v >= 1 && e.status === 'ok') say(hostLine(e.host, s.green('ok'), e, detail));
      else if (v >= 1 && e.status === 'skipped') say(hostLine(e.host, s.dim('skipped'), e, detail));
      if (e.item === undefined && e.status !== 'skipped') for (const l of outputLines(h, e)) say(l);
      for (const d of diffText(e)) say(d);
      for (const w of e.warnings ?? []) say(`${s.bold(visibleLine(e.host))}  ${s.yellow('WARNING')}: ${visible(w)}`);
    }
    if (!h || e.item !== undefined) return;
    h.done++;
    h.current = undefined;
    h.taskId = undefined;
    h.item = undefined;
    h.tail = [];
    h.partial = '';
    h.output = [];
    if (e.status === 'unreachable') h.state = 'unreachable';
    dirty = true;
    if (b) flushTasks(b);
  };

  const endBatch = (): void => {
    const b = batch;
    if (!b) return;
    flushTasks(b, true);
    batch = undefined;
    dirty = true;
  };

  return {
    pause(): void {
      render(true);
      paused = true;
    },
    resume(): void {
      paused = false;
      dirty = true;
    },
    onEvent(e: RunEvent): void {
      switch (e.type) {
        case 'run_start':
          // a fleet taller than the terminal: two frames a second are enough for counts
          if (options.refreshMs === undefined && e.hosts.length + 2 > rows()) refreshMs = 500;
          say(`${s.bold('runbook')} ${visibleLine(displayPath(e.playbook, options.displayRoot))} on ${plural(e.hosts.length, 'host')}${e.check ? s.yellow(' (check mode: nothing will change)') : ''}`);
          ensureTimer();
          break;
        case 'play_start':
          endBatch();
          play = e.play;
          playTasks = e.tasks ?? 0;
          say('');
          say(s.bold(`PLAY [${visibleLine(play)}] ${plural(e.hosts.length, 'host')}`));
          break;
        case 'batch_start': {
          endBatch();
          const title = `PLAY [${visibleLine(play)}]${e.batches > 1 ? ` batch ${e.batch}/${e.batches}` : ''}`;
          if (e.batches > 1) say(s.bold(`batch ${e.batch}/${e.batches}: ${sample(e.hosts, 5)}`));
          const hosts = new Map<string, HostView>();
          for (const name of e.hosts) hosts.set(name, { name, done: 0, since: Date.now(), tail: [], partial: '', output: [], state: 'waiting' });
          batch = { title, total: playTasks, hosts, perHost: e.hosts.length <= perHostLimit, tasks: new Map() };
          ensureTimer();
          break;
        }
        case 'host_connect':
          if (v >= 1 && e.status === 'ok' && (!batch || batch.perHost)) say(s.dim(`${visibleLine(e.host)}  connected (${formatDuration(e.durationMs)})`));
          break;
        case 'task_start': {
          const h = batch?.hosts.get(e.host);
          if (!h) break;
          h.state = 'running';
          if (h.taskId !== e.task.id || e.item === undefined) {
            h.since = Date.now();
            h.output = [];
          }
          h.current = e.task.handler ? `handler: ${e.task.name}` : e.task.name;
          h.taskId = e.task.id;
          h.item = e.item;
          h.tail = [];
          h.partial = '';
          dirty = true;
          break;
        }
        case 'task_result':
          onResult(e);
          break;
        case 'output': {
          const h = batch?.hosts.get(e.host);
          if (!h) break;
          // a chunk may end in the middle of a line: the rest comes with the next one
          const lines = (h.partial + e.chunk).replace(/\r\n/g, '\n').split('\n');
          h.partial = lines.pop() ?? '';
          h.tail.push(...lines.filter((l) => l.trim() !== ''));
          if (h.tail.length > TAIL) h.tail.splice(0, h.tail.length - TAIL);
          if (v >= 1) {
            h.output.push(...lines);
            if (h.output.length > KEEP_OUTPUT) h.output.splice(0, h.output.length - KEEP_OUTPUT);
          }
          dirty = true;
          break;
        }
        case 'progress': {
          const h = batch?.hosts.get(e.host);
          if (h) h.tail.push(e.msg);
          if (h && h.tail.length > TAIL) h.tail.shift();
          dirty = true;
          break;
        }
        case 'warning':
          say(`${e.host ? `${s.bold(visibleLine(e.host))}  ` : ''}${s.yellow('WARNING')}: ${visible(e.msg)}`);
          break;
        case 'handler_notified':
          if (v >= 1 && (!batch || batch.perHost)) say(s.dim(`${visibleLine(e.host)}  notified: ${visibleLine(e.handler)} (by ${visibleLine(e.by.name)})`));
          break;
        case 'host_end': {
          const h = batch?.hosts.get(e.host);
          if (!h) break;
          h.state = e.state === 'failed' || e.state === 'unreachable' || e.state === 'deferred' ? e.state : 'ok';
          h.current = undefined;
          dirty = true;
          if (batch) flushTasks(batch);
          break;
        }
        case 'host_deferred':
          say(`${visibleLine(e.host)}  ${s.yellow('DEFERRED')} until ${visibleLine(e.from)}: ${visible(e.reason)}`);
          break;
        case 'play_end':
          endBatch();
          if (e.stopped) say(s.red(`PLAY STOPPED [${visibleLine(e.play)}]: ${visible(e.stopped)}`));
          break;
        case 'recap':
          endBatch();
          onRecap(e);
          break;
        default:
          break;
      }
    },
    close(): void {
      endBatch();
      if (timer) clearInterval(timer);
      timer = undefined;
      closed = true;
      render(true);
    },
  };

  function onRecap(e: RecapEvent): void {
    if (timer) clearInterval(timer);
    timer = undefined;
    closed = true;
    render(true);
    // a fleet taller than the per-host limit: equal hosts and equal failures share a line
    const group = Object.keys(e.hosts).length > perHostLimit;
    out.write(formatRecap(e, { style: s, group, ...(options.rerun ? { rerun: options.rerun } : {}), ...(options.displayRoot ? { displayRoot: options.displayRoot } : {}) }));
  }
}
