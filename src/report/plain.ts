// Not a terminal (CI, pipes) or CI=true: one plain line per event, no escape codes, so logs
// stay greppable. -v adds task starts, results' messages and notifications; -vv command output.
import type { Reporter, RunEvent, TaskResultEvent } from './events.js';
import { unifiedDiff } from '../util/diff.js';
import { displayPath, formatRecap } from './recap.js';
import { formatDuration, NO_COLOR } from './style.js';
import { createTurnWriter } from './turn-writer.js';
import type { Style } from './style.js';
import { visible, visibleLine } from '../util/visible.js';

// User-derived text (names, paths, messages, output) goes through visible/visibleLine (one-line
// names) before it is printed: a task named "\u001b[2J" must not clear the operator's screen.
const name = visibleLine;
const text = visible;

export interface PlainReporterOptions {
  verbosity?: number;
  style?: Style;
  /** print "still running" for tasks running longer than this (ms, default 30 s) */
  aliveEveryMs?: number;
  /** shown in the recap's re-run hint */
  rerun?: string;
  /** paths are shown relative to this directory (the CLI's cwd) */
  displayRoot?: string;
  /** --diff: print the before/after of changed files */
  diff?: boolean;
}

export function createPlainReporter(out: NodeJS.WritableStream, options: PlainReporterOptions = {}): Reporter {
  const v = options.verbosity ?? 0;
  const s = options.style ?? NO_COLOR;
  const running = new Map<string, { task: string; since: number; item?: string }>();
  const aliveMs = options.aliveEveryMs ?? 30_000;
  // A failed connect is followed by the task's UNREACHABLE result with the same reason: print
  // that one line (it names the task), and the connect line only if no task result follows.
  const connectFailed = new Map<string, string>();
  const flushConnect = (host?: string): void => {
    for (const [h, msg] of connectFailed) {
      if (host !== undefined && h !== host) continue;
      w(`${name(h)}  ${s.red('UNREACHABLE')}: ${text(msg)}`);
      connectFailed.delete(h);
    }
  };
  // the lines of one turn of the event loop in one write (turn-writer.ts)
  const lines = createTurnWriter(out);
  const w = (line: string): void => lines.write(`${line}\n`);
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [host, r] of running) {
      if (now - r.since >= aliveMs) w(`${name(host)}  ... still running: ${name(r.task)}${r.item ? ` (item=${name(r.item)})` : ''} (${formatDuration(now - r.since)})`);
    }
  }, aliveMs);
  timer.unref();

  const result = (e: TaskResultEvent): void => {
    const item = e.item !== undefined ? ` (item=${name(e.item)})` : '';
    const took = ` (${formatDuration(e.durationMs)})`;
    const head = `${name(e.host)}  `;
    const task = name(e.task.name);
    const where = name(e.task.where);
    if (e.item === undefined) running.delete(e.host);
    switch (e.status) {
      case 'ok':
      case 'changed': {
        const word = e.status === 'ok' ? s.green('ok') : s.yellow('changed');
        // debug exists to print: its message shows without -v, as in Ansible
        const msg = (v >= 1 || e.task.module === 'debug') && e.msg ? `: ${text(e.msg)}` : '';
        w(`${head}${word}: ${task}${item}${took}${msg}`);
        if (options.diff) for (const d of e.diff ?? []) for (const line of unifiedDiff(d.before, d.after, d.path).trimEnd().split('\n')) w(`${head}  ${text(line)}`);
        break;
      }
      case 'skipped':
        w(`${head}${s.dim('skipped')}: ${task}${item}${v >= 1 && e.msg ? `: ${text(e.msg)}` : ''}`);
        break;
      case 'unreachable':
        connectFailed.delete(e.host);
        w(`${head}${s.red('UNREACHABLE')}: ${task} (${where}): ${text(e.msg ?? '')}`);
        break;
      case 'failed': {
        const word = e.ignored ? s.yellow('failed (ignored)') : s.red('FAILED');
        const code = e.exitCode !== undefined && e.exitCode !== null ? ` [exit code ${e.exitCode}]` : '';
        w(`${head}${word}: ${task}${item} (${where})${code}${took}: ${text(firstLine(e.msg ?? ''))}`);
        if (e.stderr && v >= 1) for (const line of e.stderr.trimEnd().split('\n').slice(-8)) w(`${head}  stderr: ${text(line)}`);
        break;
      }
    }
    for (const warning of e.warnings ?? []) w(`${head}${s.yellow('WARNING')}: ${text(warning)}`);
    // -v: the registered result, as Ansible's -v shows it (long ones cut)
    if (v >= 1 && e.result && e.status !== 'skipped') {
      const json = JSON.stringify(e.result);
      // JSON.stringify escapes C0 controls but not C1 ones (\u009b is a CSI on some terminals)
      w(`${head}  => ${text(json.length > 2000 ? `${json.slice(0, 2000)}…` : json)}`);
    }
  };

  return {
    onEvent(e: RunEvent): void {
      switch (e.type) {
        case 'run_start':
          w(`RUN ${name(displayPath(e.playbook, options.displayRoot))} on ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}${e.check ? ' (check mode: nothing will change)' : ''}`);
          break;
        case 'play_start':
          w('');
          w(s.bold(`PLAY [${name(e.play)}] ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`));
          break;
        case 'batch_start':
          if (e.batches > 1) w(s.bold(`BATCH ${e.batch}/${e.batches}: ${e.hosts.map(name).join(', ')}`));
          break;
        case 'host_connect':
          if (e.status === 'unreachable') connectFailed.set(e.host, e.msg ?? '');
          else if (v >= 1) w(`${name(e.host)}  connected (${formatDuration(e.durationMs)})`);
          break;
        case 'task_start':
          running.set(e.host, { task: e.task.name, since: Date.now(), ...(e.item !== undefined ? { item: e.item } : {}) });
          if (v >= 1) w(`${name(e.host)}  ${s.cyan('TASK')} [${name(e.task.name)}]${e.item !== undefined ? ` (item=${name(e.item)})` : ''} ${s.dim(name(e.task.where))}`);
          break;
        case 'task_result':
          result(e);
          break;
        case 'output':
          if (v >= 2) for (const line of e.chunk.replace(/\n$/, '').split('\n')) w(`${name(e.host)}  | ${e.stream === 'stderr' ? 'stderr: ' : ''}${text(line)}`);
          break;
        case 'progress':
          w(`${name(e.host)}  ... ${name(e.task.name)}: ${text(e.msg)}`);
          break;
        case 'warning':
          w(`${e.host ? `${name(e.host)}  ` : ''}${s.yellow('WARNING')}: ${text(e.msg)}`);
          break;
        case 'handler_notified':
          if (v >= 1) w(`${name(e.host)}  notified handler: ${name(e.handler)} (by ${name(e.by.name)})`);
          break;
        case 'host_end':
          flushConnect(e.host);
          break;
        case 'host_deferred':
          w(`${name(e.host)}  ${s.yellow('DEFERRED')} until ${text(e.from)}: ${text(e.reason)}`);
          break;
        case 'play_end':
          flushConnect();
          if (e.stopped) w(s.red(`PLAY STOPPED [${name(e.play)}]: ${text(e.stopped)}`));
          break;
        case 'recap':
          flushConnect();
          clearInterval(timer);
          running.clear();
          lines.flush();
          out.write(formatRecap(e, { style: s, ...(options.rerun ? { rerun: options.rerun } : {}), ...(options.displayRoot ? { displayRoot: options.displayRoot } : {}) }));
          break;
      }
    },
    close(): void {
      clearInterval(timer);
      lines.flush();
    },
  };
}

function firstLine(s: string): string {
  const lines = s.split('\n');
  return lines.length > 1 ? `${lines[0]} …` : s;
}
