// The loader of a session started ahead (preopen.ts), run for real by this machine's shells the
// way sshd runs a command (`$SHELL -c TEXT`): it prints the pid line, runs exactly the script
// written to it, leaves the input after the end line to the command, and a session never used
// (EOF before the end line) runs nothing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rawCommand } from './command.js';
import { loaderKind, loaderScript, loaderText, PREOPEN_MAX_SCRIPT } from './preopen.js';
import { wrapCommand, type LoginShell, type WrapOptions } from './wrap.js';

function runShell(shell: string, text: string, input: Buffer | string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // as sshd starts it: argv[0] is the shell's base name
    const child = spawn(shell, ['-c', text], { argv0: shell.slice(shell.lastIndexOf('/') + 1), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SHELL: shell, HOME: '/tmp' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    // a loader that ended early (EOF test) closes its stdin
    child.stdin.on('error', () => {});
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input);
  });
}

const shells: Array<[string, LoginShell]> = [
  ['/bin/sh', 'unknown'],
  ...(existsSync('/bin/bash') ? ([['/bin/bash', 'posix']] as Array<[string, LoginShell]>) : []),
];

describe('sessions started ahead: the loader', () => {
  for (const [shell, kind] of shells) {
    const nonce = `n${kind}${shell.length}`;
    const pidTag = `__RUNBOOK_PID_${nonce}`;
    const run = (command: string, options: WrapOptions, input: string | Buffer = '') => {
      const wrapped = wrapCommand(rawCommand(command), options, nonce, kind);
      const script = loaderScript(wrapped.text, pidTag, nonce);
      expect(script).toBeDefined();
      return runShell(shell, loaderText(pidTag, nonce, kind), Buffer.concat([Buffer.from(script ?? ''), Buffer.from(input)]));
    };

    it(`${shell} (${kind}): pid line first, then the command with its cwd, env and exit status`, async () => {
      const r = await run(`printf '%s|%s\\n' "$PWD" "$X"; printf 'two\\nlines\\n'; exit 7`, { cwd: '/tmp', env: { X: "it's \\ a\nvalue" } });
      const [pidLine, ...rest] = r.out.split('\n');
      expect(pidLine).toMatch(new RegExp(`^${pidTag}:\\d+${kind === 'unknown' ? ` ${shell}` : ''}$`));
      expect(rest.join('\n')).toBe("/tmp|it's \\ a\nvalue\ntwo\nlines\n");
      expect(r.code).toBe(7);
    });

    it(`${shell} (${kind}): the input after the end line is the command's stdin, byte for byte`, async () => {
      const input = Buffer.from([0, 1, 2, 255, 10, 92, 110, 0x27, 10, 10]);
      const r = await run('od -An -tx1 -v | tr -s " \\n" " "', { stdin: input }, input);
      expect(r.out.split('\n').slice(1).join('\n').trim()).toBe('00 01 02 ff 0a 5c 6e 27 0a 0a');
      expect(r.code).toBe(0);
    });

    it(`${shell} (${kind}): no process more than the exec'd form: the script's last command replaces the shell as there`, async () => {
      const direct = await runShell(shell, wrapCommand(rawCommand('ps -o comm= -p $$'), {}, nonce, kind).text, '');
      const ahead = await run('ps -o comm= -p $$', {});
      expect(ahead.out.split('\n').slice(1).join('\n')).toBe(direct.out.split('\n').slice(1).join('\n'));
    });

    it(`${shell} (${kind}): the shell's own messages read as the exec'd form's`, async () => {
      const cmd = 'echo "$0"; no-such-command-rt; ( exit 127 )';
      const direct = await runShell(shell, wrapCommand(rawCommand(cmd), {}, nonce, kind).text, '');
      const ahead = await run(cmd, {});
      expect(ahead.out.split('\n').slice(1).join('\n')).toBe(direct.out.split('\n').slice(1).join('\n'));
      expect(ahead.err).toBe(direct.err);
      expect(ahead.err).toMatch(/no-such-command-rt/);
      expect(ahead.code).toBe(direct.code);
    });

    it(`${shell} (${kind}): a command without input gets /dev/null, not what follows`, async () => {
      const r = await run('cat; echo done', {}, 'not for you\n');
      expect(r.out.split('\n').slice(1).join('\n')).toBe('done\n');
    });

    it(`${shell} (${kind}): a session never used (EOF before the end line) runs nothing`, async () => {
      const wrapped = wrapCommand(rawCommand('echo ran'), {}, nonce, kind);
      const script = loaderScript(wrapped.text, pidTag, nonce) ?? '';
      // half a script, then EOF
      const r = await runShell(shell, loaderText(pidTag, nonce, kind), script.slice(0, script.indexOf('__RUNBOOK_END_')));
      expect(r.out).not.toContain('ran');
      expect(r.code).toBe(0);
    });
  }

  it('bash gets the direct loader, a shell that is not POSIX the portable one, dash or sh none', () => {
    expect(loaderKind('/bin/bash')).toBe('posix');
    expect(loaderKind('/usr/bin/bash')).toBe('posix');
    expect(loaderKind('/usr/bin/fish')).toBe('unknown');
    expect(loaderKind('/bin/tcsh')).toBe('unknown');
    expect(loaderKind('/bin/dash')).toBeUndefined();
    expect(loaderKind('/bin/sh')).toBeUndefined();
    expect(loaderKind(undefined)).toBeUndefined();
  });

  it('a script that is not the wrapper of this nonce, or is too long, is not sent that way', () => {
    const wrapped = wrapCommand(rawCommand('true'), {}, 'aaa', 'posix');
    expect(loaderScript(wrapped.text, '__RUNBOOK_PID_bbb', 'bbb')).toBeUndefined();
    const long = wrapCommand(rawCommand(`echo ${'x'.repeat(PREOPEN_MAX_SCRIPT)}`), {}, 'ccc', 'posix');
    expect(loaderScript(long.text, '__RUNBOOK_PID_ccc', 'ccc')).toBeUndefined();
    const sneaky = wrapCommand(rawCommand(`echo a\n__RUNBOOK_END_ddd\necho b`), {}, 'ddd', 'posix');
    expect(loaderScript(sneaky.text, '__RUNBOOK_PID_ddd', 'ddd')).toBeUndefined();
  });
});
