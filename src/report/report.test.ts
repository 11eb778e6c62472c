import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { TextSink } from '../../test/support/cli.js';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { RecapEvent, RunEvent, TaskRef } from './events.js';
import { createJsonReporter } from './json.js';
import { createLogReporter } from './log.js';
import { createPlainReporter } from './plain.js';
import { formatRecap } from './recap.js';
import { eventsSchema } from './schema.js';
import { COLOR, NO_COLOR } from './style.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../schemas/events.schema.json', import.meta.url));

class Sink extends TextSink {
  columns = 100;
  rows = 40;
}

const task: TaskRef = { id: 'p0.tasks.0', name: 'Install nginx', module: 'apt', where: 'site.yml:7' };
const recap: RecapEvent = {
  type: 'recap',
  hosts: {
    web1: { ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    web2: { ok: 1, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 },
    web3: { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
  },
  notStarted: ['web4'],
  pendingHandlers: { web2: ['restart nginx'] },
  failures: [
    { host: 'web2', task: 'Install nginx', where: 'site.yml:7', msg: 'non-zero return code 100', exitCode: 100, stderr: 'E: Unable to locate package nginxx' },
    { host: 'web3', task: 'Gathering Facts', where: 'site.yml:1', msg: 'web3: connection refused' },
  ],
  interrupted: false,
  durationMs: 1234,
  exitCode: 2,
  retryFile: '/tmp/site.retry',
  outputs: { web1: { fullchain: '/etc/letsencrypt/live/x/fullchain.pem' } },
};

/** One of every event type, in a plausible order. */
const EVENTS: RunEvent[] = [
  { type: 'run_start', playbook: 'site.yml', hosts: ['web1', 'web2', 'web3', 'web4'], check: false, time: new Date(0).toISOString() },
  { type: 'play_start', play: 'web', index: 0, hosts: ['web1', 'web2', 'web3', 'web4'], tasks: 2 },
  { type: 'batch_start', play: 'web', batch: 1, batches: 2, hosts: ['web1', 'web2', 'web3'] },
  { type: 'host_connect', host: 'web1', status: 'ok', durationMs: 12 },
  { type: 'host_connect', host: 'web3', status: 'unreachable', msg: 'web3: connection refused', durationMs: 3 },
  { type: 'task_start', host: 'web1', task },
  { type: 'output', host: 'web1', task, stream: 'stdout', chunk: 'Reading package lists...\nDone\n' },
  { type: 'progress', host: 'web1', task, msg: 'waiting for the dpkg lock' },
  { type: 'task_result', host: 'web1', task, status: 'changed', durationMs: 1500, msg: 'installed nginx', diff: [{ path: '/etc/x', before: 'a', after: 'b' }], result: { changed: true } },
  { type: 'task_start', host: 'web1', task, item: 'curl' },
  { type: 'task_result', host: 'web1', task, status: 'ok', item: 'curl', durationMs: 3 },
  { type: 'handler_notified', host: 'web1', handler: 'restart nginx', by: task },
  { type: 'task_result', host: 'web2', task, status: 'failed', durationMs: 900, msg: 'non-zero return code 100', exitCode: 100, stderr: 'E: Unable to locate package nginxx', command: 'apt-get install -y nginxx' },
  { type: 'task_result', host: 'web2', task, status: 'failed', ignored: true, durationMs: 5, msg: 'ignored one' },
  { type: 'host_end', host: 'web2', state: 'failed' },
  { type: 'task_result', host: 'web3', task, status: 'unreachable', durationMs: 3, msg: 'web3: connection refused' },
  { type: 'warning', host: 'web1', msg: 'apt cache is old' },
  { type: 'task_result', host: 'web1', task: { ...task, name: 'Report', module: 'debug' }, status: 'ok', durationMs: 0, msg: 'chain at /etc/le/fullchain.pem' },
  { type: 'task_start', host: 'web1', task: { ...task, name: 'restart nginx', handler: true } },
  { type: 'task_result', host: 'web1', task: { ...task, name: 'restart nginx', handler: true }, status: 'skipped', durationMs: 1 },
  { type: 'host_end', host: 'web1', state: 'ok' },
  { type: 'play_end', play: 'web', index: 0, stopped: 'max_fail_percentage 30% exceeded in batch 1: 2 of 3 hosts failed or unreachable (67%)' },
  recap,
];

function feed(reporter: { onEvent?: (e: RunEvent) => void }, events: RunEvent[] = EVENTS): void {
  for (const e of events) reporter.onEvent?.(e);
}

describe('events schema', () => {
  it('the published schemas/events.schema.json matches src/report/schema.ts', async () => {
    const want = `${JSON.stringify(eventsSchema, null, 2)}\n`;
    // RUNBOOK_UPDATE_SCHEMAS=1 npx vitest run src/report/report.test.ts rewrites the file
    if (process.env.RUNBOOK_UPDATE_SCHEMAS) await writeFile(SCHEMA_FILE, want);
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(want);
  });

  it('accepts every event type and rejects a malformed one', () => {
    const validate = new Ajv({ strict: true, allErrors: true }).compile(eventsSchema);
    for (const e of EVENTS) expect(validate(e), `${e.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(validate({ type: 'task_result', host: 'x', status: 'weird', durationMs: 1, task })).toBe(false);
    expect(validate({ type: 'nope' })).toBe(false);
  });
});

describe('NDJSON reporter', () => {
  it('writes one valid event per line, the recap last; output chunks only with -vv', () => {
    const validate = new Ajv({ strict: true }).compile(eventsSchema);
    const quiet = new Sink();
    feed(createJsonReporter(quiet));
    const lines = quiet.text.trimEnd().split('\n');
    expect(lines).toHaveLength(EVENTS.length - 1);
    for (const line of lines) expect(validate(JSON.parse(line))).toBe(true);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'recap', exitCode: 2 });
    expect(quiet.text).not.toContain('"type":"output"');
    const loud = new Sink();
    feed(createJsonReporter(loud, { verbosity: 2 }));
    expect(loud.text.trimEnd().split('\n')).toHaveLength(EVENTS.length);
  });
});

describe('plain reporter', () => {
  it('one line per event, no escape codes, the failures repeated in the recap', () => {
    const out = new Sink();
    const r = createPlainReporter(out, { rerun: 'runbook apply site.yml -i hosts.yml' });
    feed(r);
    void r.close?.();
    // eslint-disable-next-line no-control-regex
    expect(out.text).not.toMatch(/\u001b/);
    expect(out.text).toContain('web1  changed: Install nginx (1.5s)');
    expect(out.text).toContain('web2  FAILED: Install nginx (site.yml:7) [exit code 100]');
    expect(out.text).toContain('web3  UNREACHABLE');
    expect(out.text).toContain('PLAY STOPPED [web]: max_fail_percentage 30%');
    expect(out.text).toContain('--limit @/tmp/site.retry');
    expect(out.text).not.toContain('Reading package lists');
    expect(out.text).toContain('web1  ok: Report (0ms): chain at /etc/le/fullchain.pem');
  });

  it('an unreachable host gets one UNREACHABLE line (the task\'s), not one for the connect too', () => {
    const out = new Sink();
    feed(createPlainReporter(out));
    expect(out.text.match(/UNREACHABLE/g)).toHaveLength(1);
    expect(out.text).toContain('web3  UNREACHABLE: Install nginx (site.yml:7): web3: connection refused');
  });

  it('a failed connect with no task result after it is still printed, once', () => {
    const out = new Sink();
    feed(createPlainReporter(out), [
      { type: 'host_connect', host: 'web3', status: 'unreachable', msg: 'web3: connection refused', durationMs: 3 },
      { type: 'host_end', host: 'web3', state: 'unreachable' },
      recap,
    ]);
    expect(out.text.match(/web3 {2}UNREACHABLE: web3: connection refused/g)).toHaveLength(1);
  });

  it('a deferred host gets a DEFERRED line with its date and reason, not ok', () => {
    const out = new Sink();
    feed(createPlainReporter(out), [
      { type: 'host_deferred', host: 'web3', from: '2026-12-07T10:00:00.000Z', reason: 'weekly certificate budget of example.org is used up' },
      { type: 'host_end', host: 'web3', state: 'deferred' },
      recap,
    ]);
    expect(out.text).toContain('web3  DEFERRED until 2026-12-07T10:00:00.000Z: weekly certificate budget of example.org is used up');
  });

  it('--diff prints a unified diff of changed files', () => {
    const out = new Sink();
    feed(createPlainReporter(out, { diff: true }));
    expect(out.text).toContain('web1    --- before: /etc/x');
    expect(out.text).toContain('web1    +b');
    const quiet = new Sink();
    feed(createPlainReporter(quiet));
    expect(quiet.text).not.toContain('--- before');
  });

  it('-vv shows command output, -v task starts and results', () => {
    const out = new Sink();
    feed(createPlainReporter(out, { verbosity: 2 }));
    expect(out.text).toContain('web1  | Reading package lists...');
    expect(out.text).toContain('web1  TASK [Install nginx]');
    expect(out.text).toContain('web1    => {"changed":true}');
  });

  it('says a long-running task is still alive', async () => {
    const out = new Sink();
    const r = createPlainReporter(out, { aliveEveryMs: 30 });
    feed(r, EVENTS.slice(0, 6));
    await new Promise((res) => setTimeout(res, 80));
    void r.close?.();
    expect(out.text).toMatch(/web1 {2}\.\.\. still running: Install nginx/);
  });
});

describe('recap', () => {
  it('a table per host, then failures with host, task, file:line, exit code, stderr; pending handlers; hosts never started', () => {
    const text = formatRecap(recap);
    expect(text).toMatch(/web2\s+: ok=1 +changed=0 +unreachable=0 +failed=1/);
    expect(text).toContain('✖ web2  Install nginx  (site.yml:7)  exit code 100');
    expect(text).toContain('E: Unable to locate package nginxx');
    expect(text).toContain('web2: restart nginx');
    expect(text).toContain('--force-handlers');
    expect(text).toContain('the run stopped before these hosts started: web4');
    expect(text).toContain('fullchain: /etc/letsencrypt/live/x/fullchain.pem');
    expect(text).toContain('exit code 2 (some host failed)');
  });
});

describe('log reporter', () => {
  it('writes full command output and masks secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-log-'));
    const file = join(dir, 'run.log');
    const r = createLogReporter(file, { secrets: ['hunter2'] });
    feed(r, [...EVENTS.slice(0, 6), { type: 'output', host: 'web1', task, stream: 'stdout', chunk: 'line one\npassword=hunter2\nline three\n' }, ...EVENTS.slice(6)]);
    await r.close?.();
    const text = await readFile(file, 'utf8');
    expect(text).toContain('web1 [Install nginx] stdout: line one');
    expect(text).toContain('web1 [Install nginx] stdout: line three');
    expect(text).toContain('password=********');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('E: Unable to locate package nginxx');
    expect(text).toContain('PLAY RECAP');
  });
});

// the live terminal view has its own tests: tree.test.ts

describe('hostile names and messages reach the terminal escaped', () => {
  // clear the screen, retitle the terminal (ends with BEL), and a bare CR that would overwrite the line
  const CLS = '\u001b[2J';
  const TITLE = '\u001b]0;x\u0007';
  // short enough that the tree's host line fits the view's 80 columns
  const evilHost = `w${CLS}1`;
  const evilTask: TaskRef = { id: 'p0.tasks.0', name: `T${TITLE}\rok`, module: 'apt', where: `s${CLS}.yml:7` };
  const evilPlay = `web${TITLE}`;
  const evilMsg = `no${CLS}\rok`;
  // the same texts as the operator should see them
  const shownHost = 'w\\x1b[2J1';
  const shownTask = 'T\\x1b]0;x\\x07\\x0dok';
  const shownPlay = 'web\\x1b]0;x\\x07';
  const shownMsg = 'no\\x1b[2J\\x0dok';

  const evilRecap: RecapEvent = {
    ...recap,
    hosts: { [evilHost]: { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 } },
    failures: [{ host: evilHost, task: evilTask.name, where: evilTask.where, msg: evilMsg, exitCode: 1, stderr: `err${TITLE}` }],
    pendingHandlers: { [evilHost]: [`restart${CLS}`] },
    notStarted: [`later${CLS}`],
    outputs: { [evilHost]: { [`k${CLS}`]: `v${TITLE}` } },
  };
  const events: RunEvent[] = [
    { type: 'run_start', playbook: `site${CLS}.yml`, hosts: [evilHost], check: false, time: new Date(0).toISOString() },
    { type: 'play_start', play: evilPlay, index: 0, hosts: [evilHost], tasks: 2 },
    { type: 'batch_start', play: evilPlay, batch: 1, batches: 1, hosts: [evilHost] },
    { type: 'task_start', host: evilHost, task: evilTask, item: `i${CLS}` },
    { type: 'output', host: evilHost, task: evilTask, stream: 'stdout', chunk: `o${TITLE}\n` },
    { type: 'progress', host: evilHost, task: evilTask, msg: evilMsg },
    { type: 'task_result', host: evilHost, task: { ...evilTask, module: 'debug' }, status: 'ok', durationMs: 1, msg: evilMsg, warnings: [`warn${CLS}`], result: { msg: `r\u009b31m` } },
    { type: 'handler_notified', host: evilHost, handler: `restart${CLS}`, by: evilTask },
    { type: 'warning', host: evilHost, msg: `careful${TITLE}` },
    { type: 'task_result', host: evilHost, task: evilTask, status: 'failed', durationMs: 5, msg: evilMsg, exitCode: 1, stderr: `err${TITLE}` },
    { type: 'host_end', host: evilHost, state: 'failed' },
    { type: 'play_end', play: evilPlay, index: 0, stopped: `stopped${CLS}` },
    evilRecap,
  ];
  // eslint-disable-next-line no-control-regex
  const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

  it('plain reporter (-vv, so every kind of line is printed)', () => {
    const out = new Sink();
    const r = createPlainReporter(out, { verbosity: 2, rerun: `runbook apply site${CLS}.yml` });
    feed(r, events);
    void r.close?.();
    expect(out.text).not.toMatch(RAW_CONTROL);
    expect(out.text).toContain(`RUN site\\x1b[2J.yml on 1 host`);
    expect(out.text).toContain(`PLAY [${shownPlay}] 1 host`);
    expect(out.text).toContain(`${shownHost}  TASK [${shownTask}] (item=i\\x1b[2J) s\\x1b[2J.yml:7`);
    expect(out.text).toContain(`${shownHost}  | o\\x1b]0;x\\x07`);
    expect(out.text).toContain(`${shownHost}  ... ${shownTask}: ${shownMsg}`);
    expect(out.text).toContain(`${shownHost}  ok: ${shownTask} (1ms): ${shownMsg}`);
    expect(out.text).toContain(`${shownHost}  WARNING: warn\\x1b[2J`);
    expect(out.text).toContain('=> {"msg":"r\\u009b31m"}');
    expect(out.text).toContain(`${shownHost}  notified handler: restart\\x1b[2J (by ${shownTask})`);
    expect(out.text).toContain(`${shownHost}  WARNING: careful\\x1b]0;x\\x07`);
    expect(out.text).toContain(`${shownHost}  FAILED: ${shownTask} (s\\x1b[2J.yml:7) [exit code 1] (5ms): ${shownMsg}`);
    expect(out.text).toContain(`${shownHost}    stderr: err\\x1b]0;x\\x07`);
    expect(out.text).toContain(`PLAY STOPPED [${shownPlay}]: stopped\\x1b[2J`);
    expect(out.text).toContain('runbook apply site\\x1b[2J.yml --limit @/tmp/site.retry');
  });

  it('the plain lines of one turn of the event loop go out in one write, before the recap and at close', async () => {
    const writes: string[] = [];
    const out = new Sink();
    const write = out.write.bind(out);
    out.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof out.write;
    const r = createPlainReporter(out);
    const result = (host: string): RunEvent => ({ type: 'task_result', host, task, status: 'ok', durationMs: 1 });
    r.onEvent?.(result('web1'));
    r.onEvent?.(result('web2'));
    expect(writes).toEqual([]);
    await new Promise((res) => setImmediate(res));
    expect(writes).toEqual(['web1  ok: Install nginx (1ms)\nweb2  ok: Install nginx (1ms)\n']);
    r.onEvent?.(result('web3'));
    r.onEvent?.(recap);
    expect(writes[1]).toBe('web3  ok: Install nginx (1ms)\n');
    expect(writes[2]).toContain('PLAY RECAP');
    r.onEvent?.(result('web4'));
    void r.close?.();
    expect(writes.at(-1)).toBe('web4  ok: Install nginx (1ms)\n');
  });

  it('a name cannot forge a line of its own in the plain output', () => {
    const out = new Sink();
    const r = createPlainReporter(out);
    feed(r, [{ type: 'task_result', host: 'web1', task: { ...task, name: 'x\nweb2  ok: forged' }, status: 'ok', durationMs: 1 }]);
    void r.close?.();
    expect(out.text).toBe('web1  ok: x\\nweb2  ok: forged (1ms)\n');
  });

  it('recap, without and with colours (runbook\'s own colours stay)', () => {
    const plain = formatRecap(evilRecap, { rerun: 'runbook apply site.yml' });
    expect(plain).not.toMatch(RAW_CONTROL);
    expect(plain).toMatch(new RegExp(`${shownHost.replace(/[\\[\]]/g, '\\$&')} +: ok=0 +changed=0 +unreachable=0 +failed=1`));
    expect(plain).toContain(`✖ ${shownHost}  ${shownTask}  (s\\x1b[2J.yml:7)  exit code 1`);
    expect(plain).toContain(`    ${shownMsg}`);
    expect(plain).toContain('      err\\x1b]0;x\\x07');
    expect(plain).toContain(`  ${shownHost}: restart\\x1b[2J`);
    expect(plain).toContain('these hosts started: later\\x1b[2J');
    expect(plain).toContain('    k\\x1b[2J: v\\x1b]0;x\\x07');
    const colored = formatRecap(evilRecap, { style: COLOR });
    expect(stripVTControlCharacters(colored)).toBe(stripVTControlCharacters(formatRecap(evilRecap, { style: NO_COLOR })));
    for (const raw of [CLS, '\u001b]', '\u0007', '\r']) expect(colored).not.toContain(raw);
    expect(colored).toContain(`\u001b[1m${shownHost}\u001b[22m`);
  });
});
