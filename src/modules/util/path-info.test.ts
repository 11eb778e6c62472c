// The path information a mode-only change registers without a `stat` after it must be what that
// `stat` would have printed: checked against real files and chmod on this machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileFactCommand, parseFileState } from '../../facts/file.js';
import { sh } from '../../transport/command.js';
import type { CommandOutcome, PlanEnv } from '../contract.js';
import { planFile } from '../file.js';
import { joinCommands, joinFinal, simpleCommand } from '../runner.js';
import { parsePathInfo } from './path-info.js';

const env: PlanEnv = { check: false, diff: false, now: new Date(0), tmpSuffix: 'T', vars: {} };
const run = (script: string): { out: string; code: number } => {
  try {
    return { out: execFileSync('sh', ['-c', script], { encoding: 'utf8' }), code: 0 };
  } catch (e) {
    const x = e as { stdout: string; status: number };
    return { out: x.stdout, code: x.status };
  }
};
const probe = (path: string) => {
  const r = run(fileFactCommand(path, { follow: true }).toShell());
  return parseFileState(path, r.out, '', r.code, { follow: true });
};
const outcome = (stdout: string): CommandOutcome => ({ host: 'h', command: '', ok: true, exitCode: 0, signal: null, stdout, stderr: '', truncated: false, timedOut: false, durationMs: 1, start: new Date(0), end: new Date(0) });

describe('file: a mode-only change registers its path information without a second stat', () => {
  it('predicts exactly what stat prints after the chmod (a file, and a symlink to one)', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-pathinfo-'));
    const f = join(d, 'f');
    writeFileSync(f, 'hello\n', { mode: 0o644 });
    execFileSync('ln', ['-s', f, join(d, 'l')]);
    for (const path of [f, join(d, 'l')]) {
      execFileSync('chmod', ['0644', f]);
      const plan = planFile({ path, state: 'file', mode: '0600' }, { state: probe(path) }, env);
      expect(plan.commands.map((c) => c.toShell())).toEqual([`chmod 0600 -- ${path}`]);
      expect(run(joinFinal(plan.commands).toShell()).code).toBe(0);
      const predicted = plan.after!(outcome('')).data;
      const real = parsePathInfo(run(`stat -L -c '@@rb-path-info %F|%a|%u|%g|%U|%G|%s|%h' -- '${path}'`).out, path);
      expect(predicted).toMatchObject(real!);
      expect(predicted?.mode).toBe('0600');
    }
  });

  it('keeps the stat where chmod may give another mode than the one asked: special bits, directories', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-pathinfo-'));
    const f = join(d, 'f');
    writeFileSync(f, 'x', { mode: 0o644 });
    const special = planFile({ path: f, state: 'file', mode: '2755' }, { state: probe(f) }, env);
    expect(special.commands.map((c) => c.toShell()).at(-1)).toMatch(/^stat -L -c '@@rb-path-info/);
    const sub = join(d, 'sub');
    mkdirSync(sub, { mode: 0o755 });
    // GNU chmod keeps a directory's setgid bit with a 4-digit mode: only the stat can tell
    const dir = planFile({ path: sub, state: 'directory', mode: '0700' }, { state: probe(sub) }, env);
    expect(dir.commands.map((c) => c.toShell()).at(-1)).toMatch(/^stat -L -c '@@rb-path-info/);
  });

  it('a failed chmod fails the task with its error, as before', () => {
    const plan = planFile({ path: '/nonexistent/x', state: 'file', mode: '0600' }, { state: { path: '/nonexistent/x', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', size: 1, nlink: 1 } }, env);
    const after = plan.after!({ ...outcome(''), ok: false, exitCode: 1, stderr: "chmod: cannot access '/nonexistent/x': No such file or directory\n" });
    expect(after.failed).toBe(true);
    expect(after.msg).toContain('No such file or directory');
  });
});

describe('joinFinal: the last simple command takes over the shell', () => {
  it('execs only a command marked simple, with the same output and exit status', () => {
    const last = simpleCommand(sh`sh -c ${'echo out; exit 3'}`);
    const joined = joinFinal([sh`true`, last]);
    expect(joined.toShell()).toBe(`true && exec sh -c 'echo out; exit 3'`);
    expect(run(joined.toShell())).toEqual({ out: 'out\n', code: 3 });
    // an unmarked last command (it may be a list or a builtin) is left as it is
    expect(joinFinal([sh`true`, sh`{ a; b; }`]).toShell()).toBe(joinCommands([sh`true`, sh`{ a; b; }`]).toShell());
    // an earlier failure stops the list before the exec
    expect(run(joinFinal([sh`false`, last]).toShell()).code).toBe(1);
  });
});
