import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TextSink } from '../../test/support/cli.js';
import type { RecapEvent, RunEvent, TaskRef } from './events.js';
import { NO_COLOR } from './style.js';
import { createTreeReporter, fitLine } from './tree.js';

class Term extends TextSink {
  columns = 100;
  rows = 30;
  override isTTY = true;
}

/**
 * What a person sees: the written bytes replayed on a screen of lines. Understands exactly the
 * cursor movements the view uses (line feed, cursor up N, clear to the end of the screen);
 * anything else raw is left in the text, where the tests would see it.
 */
function screen(bytes: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex
  const re = /\u001b\[(\d*)A|\u001b\[J|\n|[^\n\u001b]+|\u001b/g;
  for (const m of bytes.matchAll(re)) {
    const t = m[0];
    if (t === '\n') {
      row++;
      if (lines.length <= row) lines.push('');
    } else if (t.endsWith('A')) row = Math.max(0, row - Number(m[1] || 1));
    else if (t === '\u001b[J') lines.splice(row, lines.length - row, '');
    else lines[row] = (lines[row] ?? '') + t;
  }
  return lines.map((l) => stripVTControlCharacters(l));
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await tick(10);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const t = (i: number, name: string, module = 'command'): TaskRef => ({ id: `p0.tasks.${i}`, name, module, where: `site.yml:${3 + i * 4}` });
const install = t(0, 'Install packages');
const conf = t(1, 'Write config', 'copy');
const hello = t(2, 'Say hello', 'debug');

function recapFor(hosts: string[], failed: string[] = []): RecapEvent {
  return {
    type: 'recap',
    hosts: Object.fromEntries(hosts.map((h) => [h, { ok: 3, changed: 1, unreachable: 0, failed: failed.includes(h) ? 1 : 0, skipped: 0, rescued: 0, ignored: 0 }])),
    notStarted: [],
    pendingHandlers: {},
    failures: failed.map((h) => ({ host: h, task: 'Write config', where: 'site.yml:7', msg: 'permission denied', exitCode: 1 })),
    interrupted: false,
    durationMs: 1000,
    exitCode: failed.length ? 2 : 0,
  };
}

function start(hosts: string[]): RunEvent[] {
  return [
    { type: 'run_start', playbook: 'site.yml', hosts, check: false, time: new Date(0).toISOString() },
    { type: 'play_start', play: 'web', index: 0, hosts, tasks: 3 },
    { type: 'batch_start', play: 'web', batch: 1, batches: 1, hosts },
  ];
}

describe('terminal view, a few hosts', () => {
  const hosts = ['web1', 'web2', 'web3', 'web4', 'web5'];

  it('shows per host the running task with a live tail of its output, then what changed and failed as it happens, then the recap', async () => {
    const out = new Term();
    const r = createTreeReporter(out, { refreshMs: 10 });
    for (const e of start(hosts)) r.onEvent?.(e);
    r.onEvent?.({ type: 'task_start', host: 'web1', task: install });
    r.onEvent?.({ type: 'task_start', host: 'web2', task: install });
    r.onEvent?.({ type: 'output', host: 'web1', task: install, stream: 'stdout', chunk: 'Get:1 http://deb bookworm InRelease\nGet:2 http://deb bookworm/main amd64' });
    await until(() => screen(out.text).some((l) => l.includes('│ Get:2')), 'the running line');
    let shown = screen(out.text);
    expect(shown).toContain('  web1  0/3  Install packages  │ Get:2 http://deb bookworm/main amd64');
    expect(shown).toContain('  web2  0/3  Install packages');
    expect(shown.find((l) => l.startsWith('PLAY [web]  '))).toContain('0/5 hosts done · 2 running');
    // a command running for a while: its last lines show under it (the tail)
    await tick(2100);
    r.onEvent?.({ type: 'output', host: 'web1', task: install, stream: 'stdout', chunk: ' Packages\nUnpacking apache2 (2.4.62-1)\nSetting up apache2 (2.4.62-1)\n' });
    await until(() => screen(out.text).some((l) => l.includes('│ Setting up apache2')), 'the tail');
    shown = screen(out.text);
    const at = shown.findIndex((l) => l.startsWith('  web1  0/3  Install packages'));
    expect(shown[at]).toMatch(/Install packages 2\.\ds {2}│ Setting up apache2 \(2\.4\.62-1\)$/);
    expect(shown.slice(at + 1, at + 4)).toEqual([
      '      │ Get:1 http://deb bookworm InRelease',
      '      │ Get:2 http://deb bookworm/main amd64 Packages',
      '      │ Unpacking apache2 (2.4.62-1)',
    ]);

    r.onEvent?.({ type: 'task_result', host: 'web1', task: install, status: 'changed', durationMs: 2500, msg: 'installed apache2' });
    r.onEvent?.({ type: 'task_result', host: 'web2', task: install, status: 'ok', durationMs: 900 });
    r.onEvent?.({ type: 'task_result', host: 'web2', task: conf, status: 'failed', durationMs: 40, msg: 'permission denied', exitCode: 1, stderr: 'install: cannot create /etc/x.conf\nPermission denied' });
    r.onEvent?.({ type: 'host_end', host: 'web2', state: 'failed' });
    r.onEvent?.({ type: 'task_result', host: 'web1', task: hello, status: 'ok', durationMs: 0, msg: 'hello from web1' });
    await until(() => screen(out.text).some((l) => l.includes('hello from web1')), 'the debug line');
    shown = screen(out.text);
    expect(shown).toContain('web1  changed: Install packages (2.5s): installed apache2');
    expect(shown).toContain('web2  FAILED: Write config (40ms) site.yml:7 [exit code 1]: permission denied');
    expect(shown).toContain('    │ install: cannot create /etc/x.conf');
    expect(shown).toContain('    │ Permission denied');
    expect(shown).toContain('web1  Say hello: hello from web1');
    // an ok task is not printed without -v
    expect(shown.join('\n')).not.toContain('web2  ok: Install packages');
    expect(shown.find((l) => l.startsWith('PLAY [web]  '))).toContain('1/5 hosts done · 1 failed or unreachable');

    for (const h of ['web1', 'web3', 'web4', 'web5']) r.onEvent?.({ type: 'host_end', host: h, state: 'ok' });
    r.onEvent?.({ type: 'play_end', play: 'web', index: 0 });
    r.onEvent?.(recapFor(hosts, ['web2']));
    await r.close?.();
    shown = screen(out.text);
    const text = shown.join('\n');
    expect(text).toContain('PLAY RECAP');
    // the live area is gone: no running line is left on the screen
    expect(shown.some((l) => l.startsWith('  web1  0/3'))).toBe(false);
    expect(shown.some((l) => l.startsWith('PLAY [web]  '))).toBe(false);
    expect(text.indexOf('web1  changed: Install packages')).toBeLessThan(text.indexOf('PLAY RECAP'));
  });

  it('a deferred host is shown as DEFERRED with its date, and counts as done, not failed', async () => {
    const out = new Term();
    const r = createTreeReporter(out, { refreshMs: 10 });
    for (const e of start(['web1', 'web2'])) r.onEvent?.(e);
    r.onEvent?.({ type: 'host_deferred', host: 'web2', from: '2026-12-07T10:00:00.000Z', reason: 'weekly budget used up' });
    r.onEvent?.({ type: 'host_end', host: 'web2', state: 'deferred' });
    await until(() => screen(out.text).some((l) => l.includes('DEFERRED')), 'the deferred line');
    const shown = screen(out.text);
    expect(shown).toContain('web2  DEFERRED until 2026-12-07T10:00:00.000Z: weekly budget used up');
    expect(shown.find((l) => l.startsWith('PLAY [web]  '))).toContain('1/2 hosts done');
    expect(shown.join('\n')).not.toContain('failed or unreachable');
    r.onEvent?.({ type: 'host_end', host: 'web1', state: 'ok' });
    r.onEvent?.(recapFor(['web1', 'web2']));
    await r.close?.();
  });

  it('-v adds ok tasks and what commands printed; -vv the commands', async () => {
    const run = async (verbosity: number): Promise<string> => {
      const out = new Term();
      const r = createTreeReporter(out, { refreshMs: 10, verbosity });
      for (const e of start(['web1'])) r.onEvent?.(e);
      r.onEvent?.({ type: 'task_start', host: 'web1', task: install });
      r.onEvent?.({ type: 'output', host: 'web1', task: install, stream: 'stdout', chunk: 'line one\nline two' });
      r.onEvent?.({ type: 'task_result', host: 'web1', task: install, status: 'ok', durationMs: 5, result: { cmd: 'systemctl status apache2', rc: 0 } });
      r.onEvent?.({ type: 'host_end', host: 'web1', state: 'ok' });
      r.onEvent?.(recapFor(['web1']));
      await r.close?.();
      return screen(out.text).join('\n');
    };
    const quiet = await run(0);
    expect(quiet).not.toContain('ok: Install packages');
    expect(quiet).not.toContain('line one');
    const v = await run(1);
    expect(v).toContain('web1  ok: Install packages (5ms)\n    │ line one\n    │ line two\n');
    expect(v).not.toContain('$ systemctl');
    const vv = await run(2);
    expect(vv).toContain('web1  ok: Install packages (5ms)\n    $ systemctl status apache2\n    │ line one\n');
  });

  it('NO_COLOR: no colour codes at all, only the cursor movements of the live area', async () => {
    const out = new Term();
    const r = createTreeReporter(out, { refreshMs: 10, style: NO_COLOR });
    for (const e of start(hosts)) r.onEvent?.(e);
    r.onEvent?.({ type: 'task_start', host: 'web1', task: install });
    await until(() => out.text.includes('Install packages'), 'a frame');
    r.onEvent?.({ type: 'task_result', host: 'web1', task: install, status: 'changed', durationMs: 5 });
    r.onEvent?.(recapFor(hosts, ['web2']));
    await r.close?.();
    expect(out.text).toContain('web1  changed: Install packages');
    // eslint-disable-next-line no-control-regex
    expect(out.text.replace(/\u001b\[\d+A|\u001b\[J/g, '')).not.toContain('\u001b');
  });
});

describe('terminal view, 200 hosts', () => {
  const hosts = Array.from({ length: 200 }, (_, i) => `n${String(i + 1).padStart(3, '0')}`);

  it('summarises: one line per task, failures per host (the first few), a live area that fits the terminal', async () => {
    const out = new Term();
    out.rows = 20;
    const r = createTreeReporter(out, { refreshMs: 10 });
    for (const e of start(hosts)) r.onEvent?.(e);
    for (const h of hosts) r.onEvent?.({ type: 'task_start', host: h, task: install });
    for (const h of hosts.slice(0, 150)) r.onEvent?.({ type: 'task_result', host: h, task: install, status: h < 'n101' ? 'changed' : 'ok', durationMs: 5 });
    for (const h of hosts.slice(0, 150)) r.onEvent?.({ type: 'task_start', host: h, task: conf });
    await until(() => screen(out.text).some((l) => l.includes('Write config ×150')), 'the grouped live area');
    let shown = screen(out.text);
    // the live area, grouped by task: never a line per host
    expect(shown.find((l) => l.startsWith('PLAY [web]  '))).toContain('0/200 hosts done · 200 running');
    expect(shown.some((l) => /^ {2}Write config ×150 {2}slowest n\d{3}/.test(l))).toBe(true);
    expect(shown.some((l) => /^ {2}Install packages ×50 {2}slowest n1\d\d/.test(l))).toBe(true);
    // the task is not summed up before every host has done it
    expect(shown.join('\n')).not.toContain('TASK [Install packages]');

    for (const h of hosts.slice(150)) r.onEvent?.({ type: 'task_result', host: h, task: install, status: 'ok', durationMs: 5 });
    for (const h of hosts) {
      const failed = h > 'n192';
      r.onEvent?.({ type: 'task_result', host: h, task: conf, status: failed ? 'failed' : 'ok', durationMs: 5, ...(failed ? { msg: 'permission denied', exitCode: 1 } : {}) });
      if (failed) r.onEvent?.({ type: 'host_end', host: h, state: 'failed' });
    }
    for (const h of hosts.filter((x) => x <= 'n192')) r.onEvent?.({ type: 'task_result', host: h, task: hello, status: 'ok', durationMs: 0, msg: 'hello' });
    for (const h of hosts.filter((x) => x <= 'n192')) r.onEvent?.({ type: 'host_end', host: h, state: 'ok' });
    r.onEvent?.({ type: 'play_end', play: 'web', index: 0 });
    r.onEvent?.(recapFor(hosts, hosts.filter((h) => h > 'n192')));
    await r.close?.();
    shown = screen(out.text);
    const text = shown.join('\n');
    expect(text).toContain('TASK [Install packages]  changed on 100 hosts (n001, n002, n003 +97), ok on 100');
    expect(text).toContain('TASK [Write config]  failed on 8 hosts, ok on 192');
    expect(text).toContain('TASK [Say hello]  ok on 192');
    expect(text).toContain('  n001, n002, n003 +189 (192 hosts, same): hello');
    // failures per host, the first five, then a pointer to the recap
    expect(text).toContain('n193  FAILED: Write config (5ms) site.yml:7 [exit code 1]: permission denied');
    expect(text).toContain('n197  FAILED: Write config');
    expect(text).not.toContain('n198  FAILED: Write config');
    expect(text).toContain('    … more hosts failed "Write config": see the recap');
    // what scrolled by before the recap: a handful of lines, not 200 × 3
    expect(text.slice(0, text.indexOf('PLAY RECAP')).split('\n').length).toBeLessThan(25);
    // no frame of the live area was taller than the terminal
    // eslint-disable-next-line no-control-regex
    for (const frame of out.text.split(/\u001b\[\d+A\u001b\[J/)) {
      const live = frame.split('\n').filter((l) => l.startsWith('  ') || l.includes('PLAY [web]  '));
      expect(live.length).toBeLessThanOrEqual(out.rows);
    }
  });
});

describe('terminal view: hostile text', () => {
  const CLS = '\u001b[2J';
  const TITLE = '\u001b]0;x\u0007';
  it('names, output and messages are escaped; only our own colours and cursor moves are raw', async () => {
    const out = new Term();
    const r = createTreeReporter(out, { refreshMs: 10, verbosity: 2 });
    const task: TaskRef = { id: 'p0.tasks.0', name: `T${TITLE}\rok`, module: 'command', where: `s${CLS}.yml:7` };
    r.onEvent?.({ type: 'run_start', playbook: `site${CLS}.yml`, hosts: [`w${CLS}1`], check: false, time: new Date(0).toISOString() });
    r.onEvent?.({ type: 'play_start', play: `web${TITLE}`, index: 0, hosts: [`w${CLS}1`], tasks: 1 });
    r.onEvent?.({ type: 'batch_start', play: 'x', batch: 1, batches: 1, hosts: [`w${CLS}1`] });
    r.onEvent?.({ type: 'task_start', host: `w${CLS}1`, task, item: `i${CLS}` });
    r.onEvent?.({ type: 'output', host: `w${CLS}1`, task, stream: 'stdout', chunk: `o${TITLE}\n` });
    await until(() => out.text.includes('o\\x1b]0;x'), 'a frame');
    expect(screen(out.text).join('\n')).toContain('w\\x1b[2J1  0/1  T\\x1b]0;x\\x07\\x0dok (item=i\\x1b[2J)  │ o\\x1b]0;x\\x07');
    r.onEvent?.({ type: 'task_result', host: `w${CLS}1`, task, status: 'failed', durationMs: 5, msg: `no${CLS}`, stderr: `err${TITLE}` });
    r.onEvent?.({ type: 'warning', msg: `careful${TITLE}` });
    r.onEvent?.(recapFor([`w${CLS}1`]));
    await r.close?.();
    const text = screen(out.text).join('\n');
    expect(text).toContain('site\\x1b[2J.yml on 1 host');
    expect(text).toContain('FAILED: T\\x1b]0;x\\x07\\x0dok (5ms) s\\x1b[2J.yml:7: no\\x1b[2J');
    expect(text).toContain('│ err\\x1b]0;x\\x07');
    expect(text).toContain('WARNING: careful\\x1b]0;x\\x07');
    for (const raw of [CLS, '\u001b]', '\u0007', '\r']) expect(out.text).not.toContain(raw);
  });
});

describe('fitLine', () => {
  it('cuts to the width, not counting colour codes, and closes colours', () => {
    expect(fitLine('abcdef', 10)).toBe('abcdef');
    expect(fitLine('abcdef', 4)).toBe('abc…');
    expect(fitLine('\u001b[2mabcdef\u001b[22m', 4)).toBe('\u001b[2mabc…\u001b[0m');
    expect(stripVTControlCharacters(fitLine('\u001b[1mab\u001b[22m\u001b[2mcdef\u001b[22m', 3))).toBe('ab…');
  });
});
