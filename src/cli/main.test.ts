import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { guardOutput, main } from './main.js';
import type { CommandIo } from './command.js';

function capture(): { io: CommandIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd() },
    out: () => o,
    err: () => e,
  };
}

describe('runbook main', () => {
  it('prints the version from package.json', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('prints help with exit codes documented', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('Usage:');
    expect(c.out()).toMatch(/130\s+interrupted/);
  });

  it('no arguments prints help and exits 1', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(1);
    expect(c.out()).toContain('Commands:');
  });

  it('unknown command is a usage error without a stack trace', async () => {
    const c = capture();
    expect(await main(['aplly'], c.io)).toBe(1);
    expect(c.err()).toContain("unknown command 'aplly'");
    expect(c.err()).not.toMatch(/\n\s+at /);
  });

  it('a reader that goes away (| head) is not an error; other write errors are said once', () => {
    const broken = (code: string) =>
      new Writable({
        write(_c, _e, cb) {
          cb(Object.assign(new Error(`write ${code}`), { code }));
        },
      });
    const c = capture();
    const pipe = broken('EPIPE');
    guardOutput(pipe, c.io.stderr);
    pipe.write('a');
    pipe.write('b');
    const full = broken('ENOSPC');
    guardOutput(full, c.io.stderr);
    full.write('a');
    full.write('b');
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(c.err()).toBe('runbook: cannot write the output: write ENOSPC\n');
        resolve();
      }),
    );
  });
});
