// `--junit FILE`: the run as JUnit XML, the format CI systems (Jenkins, GitLab, GitHub test
// reporters) read. One <testsuite> per play, one <testcase> per host × task (a loop is one
// case: its overall result), named "[host] task" as Ansible's junit callback names them:
//   failed        <failure type="failed" message="…">where, exit code, stderr</failure>
//   unreachable   <error type="unreachable" message="…"> (the host, not the task, broke)
//   skipped       <skipped message="…"/>
//   ok, changed   a passing case; "changed" and the task's message in <system-out>
//   failed but ignore_errors: a passing case (Ansible's default), the failure in <system-out>
// Hosts that never started (the run stopped) get no case. The file is written once, after
// the recap; it validates against the Jenkins xunit plugin's junit-10.xsd (test/lab/cli.test.ts).
// Events are already masked: no secret reaches the file.
import { writeFileSync } from 'node:fs';
import type { RecapEvent, Reporter, RunEvent, TaskResultEvent } from './events.js';

export interface JunitOptions {
  /** a file that cannot be written is a warning (the run's own result stands) */
  warn: (msg: string) => void;
  /** shown as the root's name (the playbook, or `runbook run PATTERN`) */
  name?: string;
}

interface Suite {
  name: string;
  timestamp: string;
  cases: TaskResultEvent[];
}

/** XML 1.0 cannot hold most control characters at all, even escaped: they are dropped. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Seconds with millisecond precision, as surefire writes them (`1.234`). */
function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function caseXml(e: TaskResultEvent, suite: string): string {
  const name = `[${e.host}] ${e.task.handler ? `handler: ${e.task.name}` : e.task.name}`;
  const open = `    <testcase name="${xmlEscape(name)}" classname="${xmlEscape(suite)}" time="${seconds(e.durationMs)}"`;
  const msg = e.msg ?? '';
  const details = (): string => {
    const lines = [`${e.task.where} (${e.task.module})`];
    if (e.exitCode !== undefined && e.exitCode !== null) lines.push(`exit code ${e.exitCode}`);
    if (e.command) lines.push(`$ ${e.command}`);
    if (msg) lines.push(msg);
    if (e.stderr) lines.push(e.stderr.trimEnd());
    return lines.join('\n');
  };
  if (e.status === 'failed' && !e.ignored) return `${open}>\n      <failure type="failed" message="${xmlEscape(msg)}">${xmlEscape(details())}</failure>\n    </testcase>`;
  if (e.status === 'unreachable') return `${open}>\n      <error type="unreachable" message="${xmlEscape(msg)}">${xmlEscape(details())}</error>\n    </testcase>`;
  if (e.status === 'skipped') return `${open}>\n      <skipped message="${xmlEscape(msg || 'skipped')}"/>\n    </testcase>`;
  const out = e.status === 'failed' ? `failed (ignored)\n${details()}` : `${e.status}${msg ? `: ${msg}` : ''}`;
  return `${open}>\n      <system-out>${xmlEscape(out)}</system-out>\n    </testcase>`;
}

/** The XML document for the results of a run (exported for tests). */
export function junitXml(suites: ReadonlyArray<{ name: string; timestamp: string; cases: readonly TaskResultEvent[] }>, o: { name: string; durationMs: number }): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const body: string[] = [];
  suites.forEach((s, i) => {
    const f = s.cases.filter((c) => c.status === 'failed' && !c.ignored).length;
    const err = s.cases.filter((c) => c.status === 'unreachable').length;
    const skipped = s.cases.filter((c) => c.status === 'skipped').length;
    const time = s.cases.reduce((n, c) => n + c.durationMs, 0);
    tests += s.cases.length;
    failures += f;
    errors += err;
    body.push(
      `  <testsuite name="${xmlEscape(s.name)}" id="${i}" tests="${s.cases.length}" failures="${f}" errors="${err}" skipped="${skipped}" time="${seconds(time)}" timestamp="${xmlEscape(s.timestamp)}">`,
      ...s.cases.map((c) => caseXml(c, s.name)),
      '  </testsuite>',
    );
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(o.name)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(o.durationMs)}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

export function createJunitReporter(file: string, o: JunitOptions): Reporter {
  const suites: Suite[] = [];
  let name = o.name ?? 'runbook';
  let recap: RecapEvent | undefined;
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    try {
      writeFileSync(file, junitXml(suites, { name, durationMs: recap?.durationMs ?? 0 }), 'utf8');
    } catch (err) {
      o.warn(`could not write the JUnit file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    onEvent(e: RunEvent): void {
      if (e.type === 'run_start' && o.name === undefined) name = e.playbook;
      else if (e.type === 'play_start') suites.push({ name: e.play, timestamp: new Date().toISOString().replace(/\.\d+Z$/, ''), cases: [] });
      // a loop's items are part of its task's one case (the result without `item`)
      else if (e.type === 'task_result' && e.item === undefined) suites.at(-1)?.cases.push(e);
      else if (e.type === 'recap') recap = e;
    },
    close(): void {
      write();
    },
  };
}
