import { describe, expect, it } from 'vitest';
import { sh } from './command.js';
import { ExecSession, findMarker, LineEmitter } from './exec-session.js';
import type { ExecOptions } from './types.js';

describe('findMarker', () => {
  const tag = '__RUNBOOK_PID_abc';

  it('finds the pid line, with or without the login shell after it', () => {
    const buf = Buffer.from(`motd from an rc file\n${tag}:4242 /bin/bash\nrest`);
    const m = findMarker(buf, tag);
    expect(m).toMatchObject({ pid: 4242, rest: '/bin/bash', index: 21 });
    expect(buf.subarray(m?.end).toString()).toBe('rest');
    expect(findMarker(Buffer.from(`${tag}:7\n`), tag)).toEqual({ index: 0, end: tag.length + 3, pid: 7 });
  });

  it('waits for the whole line and skips look-alikes', () => {
    expect(findMarker(Buffer.from(`${tag}:42`), tag)).toBeUndefined();
    expect(findMarker(Buffer.from(`${tag}:x1\n`), tag)).toBeUndefined();
    expect(findMarker(Buffer.from(`${tag}:x1\n${tag}:9\n`), tag)).toMatchObject({ pid: 9 });
    expect(findMarker(Buffer.from('__RUNBOOK_PID_other:5\n'), tag)).toBeUndefined();
    // bytes that are not UTF-8 before the marker do not shift the offsets
    const bin = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(`${tag}:3\n`)]);
    expect(findMarker(bin, tag)).toMatchObject({ index: 3, pid: 3 });
  });
});

describe('LineEmitter', () => {
  const secret = 's3cr3t-token-value';
  const run = (parts: string[]): string[] => {
    const chunks: string[] = [];
    const e = new LineEmitter('stdout', [secret], (_stream, text) => chunks.push(text));
    for (const p of parts) e.push(Buffer.from(p));
    e.flush();
    return chunks;
  };

  it('masks a secret that arrives across the forced cut of a very long line', () => {
    // 65,540 characters without a newline end in the secret's first half: the emitter must cut
    // the line (progress output), but not inside the secret
    const head = 'a'.repeat(65_540 - 8) + secret.slice(0, 8);
    const chunks = run([head, `${secret.slice(8)} and more\n`]);
    expect(chunks.length).toBeGreaterThan(1);
    const all = chunks.join('');
    expect(all).not.toContain(secret.slice(0, 8) + secret.slice(8, 12));
    expect(all).toContain('********');
    for (const c of chunks) expect(c).not.toMatch(/s3cr|t-value/);
  });

  it('emits whole lines at once and the rest at the end', () => {
    expect(run(['one\ntw', 'o\nthree'])).toEqual(['one\n', 'two\n', 'three']);
  });
});

describe('ExecSession output to onOutput', () => {
  const secret = 'p4ss-w0rd-xyz';
  const session = (extra: Partial<ExecOptions>): { s: ExecSession; told: Array<[string, string]> } => {
    const told: Array<[string, string]> = [];
    const options: ExecOptions = { secrets: [secret], onOutput: (stream, chunk) => told.push([stream, chunk]), ...extra };
    const s = new ExecSession({
      host: 'h',
      loginUser: 'u',
      command: sh`printf ${'x'}`,
      options,
      wrapped: { pidTag: '__RUNBOOK_PID_t', stdinNull: true },
      io: { writeStdin() {}, endStdin() {} },
    });
    return { s, told };
  };
  const feed = (s: ExecSession): void => {
    s.stdout(Buffer.from('__RUNBOOK_PID_t:42\n@@fact 0\n'));
    s.stderr(Buffer.from('warn 1\n'));
    s.stdout(Buffer.from(`stat:${secret}\n`));
    s.stdout(Buffer.from('@@fact-end 0 0\nno newline'));
    s.stderr(Buffer.from('warn 2\n'));
    s.exit(0, null);
  };

  it('tells each chunk as it comes, line by line', () => {
    const { s, told } = session({});
    feed(s);
    const r = s.result();
    expect(told).toEqual([
      ['stdout', '@@fact 0\n'],
      ['stderr', 'warn 1\n'],
      ['stdout', 'stat:********\n'],
      ['stdout', '@@fact-end 0 0\n'],
      ['stderr', 'warn 2\n'],
      ['stdout', 'no newline'],
    ]);
    expect(r.stdout).toBe(`@@fact 0\nstat:${secret}\n@@fact-end 0 0\nno newline`);
  });

  it('with outputAtEnd tells nothing while it runs, then each stream whole and masked, once', () => {
    const { s, told } = session({ outputAtEnd: true });
    feed(s);
    expect(told).toEqual([]);
    const r = s.result();
    expect(told).toEqual([
      ['stdout', '@@fact 0\nstat:********\n@@fact-end 0 0\nno newline'],
      ['stderr', 'warn 1\nwarn 2\n'],
    ]);
    // the result is the same output as without (the module's data is not masked here)
    expect(r.stdout).toBe(`@@fact 0\nstat:${secret}\n@@fact-end 0 0\nno newline`);
    expect(r.stderr).toBe('warn 1\nwarn 2\n');
    s.result();
    expect(told).toHaveLength(2);
  });
});
