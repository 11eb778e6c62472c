// The JUnit document from events, case by case. Its validation against the Jenkins xunit
// plugin's junit-10.xsd with xmllint, from a real run over SSH: test/lab/cli.test.ts.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent, TaskResultEvent } from './events.js';
import { createJunitReporter, xmlEscape } from './junit.js';

const task = (id: string, name: string, module = 'command'): TaskResultEvent['task'] => ({ id, name, module, where: 'site.yml:4' });
const result = (host: string, t: TaskResultEvent['task'], status: TaskResultEvent['status'], more: Partial<TaskResultEvent> = {}): TaskResultEvent => ({
  type: 'task_result',
  host,
  task: t,
  status,
  durationMs: 1500,
  ...more,
});

describe('JUnit XML', () => {
  it('one test case per host x task; failures, errors (unreachable) and skips as CI systems count them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-junit-'));
    const file = join(dir, 'out.xml');
    const warnings: string[] = [];
    const r = createJunitReporter(file, { warn: (m) => warnings.push(m) });
    const t1 = task('p0.tasks.0', 'Install <nginx> & "friends"');
    const t2 = task('p0.tasks.1', 'Loop', 'debug');
    const events: RunEvent[] = [
      { type: 'run_start', playbook: 'site.yml', hosts: ['a', 'b', 'c'], check: false, time: 'now' },
      { type: 'play_start', play: 'web', index: 0, hosts: ['a', 'b', 'c'] },
      result('a', t1, 'changed', { msg: 'installed' }),
      result('b', t1, 'failed', { msg: 'non-zero return code', exitCode: 100, stderr: 'E: Unable to locate package\u0007', command: 'apt-get install nginx' }),
      result('c', t1, 'unreachable', { msg: 'c: connection refused' }),
      result('a', t2, 'ok', { item: 'x' }),
      result('a', t2, 'ok'),
      result('b', t2, 'skipped', { msg: 'when: false' }),
      { type: 'play_start', play: 'db', index: 1, hosts: ['a'] },
      result('a', task('p1.tasks.0', 'ignored'), 'failed', { ignored: true, msg: 'boom' }),
      { type: 'recap', hosts: {}, notStarted: [], pendingHandlers: {}, failures: [], interrupted: false, durationMs: 4321, exitCode: 2 },
    ];
    for (const e of events) r.onEvent?.(e);
    await r.close?.();
    expect(warnings).toEqual([]);
    const xml = await readFile(file, 'utf8');
    expect(xml.split('\n').slice(0, 3)).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="site.yml" tests="6" failures="1" errors="1" time="4.321">',
      '  <testsuite name="web" id="0" tests="5" failures="1" errors="1" skipped="1" time="7.500" timestamp="' + /timestamp="([^"]+)"/.exec(xml)![1] + '">',
    ]);
    expect(xml).toContain('<testcase name="[a] Install &lt;nginx&gt; &amp; &quot;friends&quot;" classname="web" time="1.500">\n      <system-out>changed: installed</system-out>');
    expect(xml).toContain(
      '<testcase name="[b] Install &lt;nginx&gt; &amp; &quot;friends&quot;" classname="web" time="1.500">\n      <failure type="failed" message="non-zero return code">site.yml:4 (command)\nexit code 100\n$ apt-get install nginx\nnon-zero return code\nE: Unable to locate package</failure>',
    );
    expect(xml).toContain('<error type="unreachable" message="c: connection refused">');
    expect(xml).toContain('<testcase name="[b] Loop" classname="web" time="1.500">\n      <skipped message="when: false"/>');
    // a loop is one case (its items are not cases of their own)
    expect(xml.match(/name="\[a\] Loop"/g)).toHaveLength(1);
    // an ignored failure passes, as in Ansible's junit callback, and says so
    expect(xml).toContain('<testsuite name="db" id="1" tests="1" failures="0" errors="0" skipped="0"');
    expect(xml).toContain('<system-out>failed (ignored)\nsite.yml:4 (command)\nboom</system-out>');
    // the control character (BEL) cannot be in XML 1.0 at all
    expect(xml).not.toContain('\u0007');
  });

  it('escapes markup and drops what XML cannot hold; a file that cannot be written is a warning', async () => {
    expect(xmlEscape('a<b>&"c"\u0000\u001b[31m')).toBe('a&lt;b&gt;&amp;&quot;c&quot;[31m');
    const warnings: string[] = [];
    const r = createJunitReporter('/nonexistent-dir/x.xml', { warn: (m) => warnings.push(m) });
    await r.close?.();
    expect(warnings).toEqual([expect.stringMatching(/^could not write the JUnit file \/nonexistent-dir\/x\.xml: ENOENT/)]);
  });
});
