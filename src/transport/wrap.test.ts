import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, rawCommand, secret, sh } from './command.js';
import { installScript, innerScript, killScript, loginShellKind, newNonce, sudoPrefix, validateMode, wrapCommand } from './wrap.js';

describe('command wrapper', () => {
  it('prints the pid marker, then runs the command in /bin/sh with cwd and quoted env', () => {
    const w = wrapCommand(sh`echo ${'x y'}`, { cwd: '/srv/my app', env: { A: "it's", B: '$HOME' } }, 'n1');
    expect(w.okTag).toBeUndefined();
    expect(w.prompt).toBeUndefined();
    expect(w.text.startsWith(`printf '%s\\n' "__RUNBOOK_PID_n1:$$ $SHELL" && exec /bin/sh -c `)).toBe(true);
    expect(innerScript(sh`echo ${'x y'}`, { cwd: '/srv/my app', env: { A: "it's", B: '$HOME' } })).toBe(
      `cd -- '/srv/my app' || exit 1\nexport A='it'\\''s' B='$HOME'\necho 'x y'`,
    );
    // really run it: the env values arrive literally
    const out = execFileSync('/bin/sh', ['-c', wrapCommand(rawCommand('printf "%s|%s|" "$A" "$B"; pwd'), { cwd: '/', env: { A: "it's", B: '$HOME' } }, 'n2').text], {
      encoding: 'utf8',
      env: { ...process.env, SHELL: '/bin/bash' },
    });
    // the pid line also names the login shell, so the transport can pick the direct form
    expect(out).toMatch(/^__RUNBOOK_PID_n2:\d+ \/bin\/bash\nit's\|\$HOME\|\/\n$/);
  });

  it('runs the script in the login shell itself once that shell is known to be POSIX, with the same result in bash and dash', () => {
    const command = rawCommand('printf "%s|%s|" "$A" "$B"; pwd; exit 3');
    const w = wrapCommand(command, { cwd: '/tmp', env: { A: "it's", B: '$HOME' } }, 'n5', 'posix');
    expect(w.text).not.toContain('/bin/sh -c');
    expect(w.text.startsWith(`printf '%s\\n' "__RUNBOOK_PID_n5:$$" || exit 1\n`)).toBe(true);
    for (const shell of ['/bin/sh', '/bin/bash']) {
      let out = '';
      let status: number | null = null;
      try {
        execFileSync(shell, ['-c', w.text], { encoding: 'utf8' });
      } catch (e) {
        const err = e as { stdout: string; status: number | null };
        out = err.stdout;
        status = err.status;
      }
      expect({ shell, status, out }).toMatchObject({ shell, status: 3 });
      expect(out).toMatch(/^__RUNBOOK_PID_n5:\d+\nit's\|\$HOME\|\/tmp\n$/);
    }
    // options an rc file may have set do not reach the script
    const strict = execFileSync('/bin/bash', ['-c', `set -euC; ${wrapCommand(rawCommand('echo "${UNSET_VAR}x"; false; echo after; f=$(mktemp) && printf y > "$f" && echo clobbered; rm -f "$f"'), {}, 'n10', 'posix').text}`], { encoding: 'utf8' });
    expect(strict).toMatch(/\nx\nafter\nclobbered\n$/);
    // become keeps sudo's /bin/sh, whatever the login shell is
    expect(wrapCommand(rawCommand('id -u'), { become: {} }, 'n6', 'posix').text).toContain('/bin/sh -c ');
  });

  it('gives a command without input /dev/null as stdin (no EOF to send), except when sudo needs the password on it', () => {
    for (const shell of ['unknown', 'posix'] as const) {
      const w = wrapCommand(rawCommand('cat; echo done'), {}, 'n7', shell);
      expect(w.stdinNull).toBe(true);
      // really run it with input on the pipe: the command must not see it
      const out = execFileSync('/bin/sh', ['-c', `printf 'not for the command\\n' | /bin/sh -c ${quote(w.text)}`], { encoding: 'utf8' });
      expect(out).toMatch(/^__RUNBOOK_PID_n7:\d+.*\ndone\n$/);
      const withInput = wrapCommand(rawCommand('cat'), { stdin: 'data\n' }, 'n8', shell);
      expect(withInput.stdinNull).toBeUndefined();
      expect(execFileSync('/bin/sh', ['-c', withInput.text], { encoding: 'utf8', input: 'data\n' })).toMatch(/\ndata\n$/);
    }
    expect(wrapCommand(rawCommand('id'), { become: {} }, 'n9').stdinNull).toBe(true);
    expect(wrapCommand(rawCommand('id'), { become: { password: 'pw' } }, 'n9').stdinNull).toBeUndefined();
    expect(wrapCommand(rawCommand('id'), { become: { password: 'pw' } }, 'n9').text).not.toContain('/dev/null');
  });

  it('never repeats a nonce within a process', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => newNonce()));
    expect(seen.size).toBe(1000);
    expect([...seen].every((n) => /^[0-9a-f]{20}$/.test(n))).toBe(true);
  });

  it('trusts only bash, dash and sh as login shells for the direct form', () => {
    expect(loginShellKind('/bin/bash')).toBe('posix');
    expect(loginShellKind('/usr/bin/dash')).toBe('posix');
    expect(loginShellKind('/bin/sh')).toBe('posix');
    expect(loginShellKind('/usr/bin/zsh')).toBe('unknown');
    expect(loginShellKind('/usr/bin/fish')).toBe('unknown');
    expect(loginShellKind('/bin/tcsh')).toBe('unknown');
    expect(loginShellKind('/bin/csh')).toBe('unknown');
    expect(loginShellKind('')).toBe('unknown');
    expect(loginShellKind(undefined)).toBe('unknown');
    expect(loginShellKind('/home/x/bashful')).toBe('unknown');
  });

  it('uses sudo -n without a password and sudo -S with a unique prompt with one; the password is never in the text', () => {
    const nopw = wrapCommand(rawCommand('id -u'), { become: {} }, 'n3');
    expect(nopw.text).toContain('exec sudo -H -n -u root -- /bin/sh -c ');
    expect(nopw.okTag).toBe('__RUNBOOK_OK_n3');
    expect(nopw.becomeUser).toBe('root');
    const pw = wrapCommand(sh`psql -c ${secret('dbpass')}`, { become: { user: 'postgres', password: 'sudo-pw-123' } }, 'n4');
    expect(pw.prompt).toBe('[runbook sudo n4] password: ');
    expect(pw.text).toContain(`exec sudo -H -S -p '[runbook sudo n4] password: ' -u postgres -- /bin/sh -c `);
    expect(pw.text).not.toContain('sudo-pw-123');
    // the marker is printed by the shell sudo starts, before the command
    expect(pw.text.indexOf('__RUNBOOK_OK_n4')).toBeLessThan(pw.text.indexOf('psql'));
    expect(sudoPrefix({ user: "we'ird" }, undefined)).toBe(`sudo -H -n -u 'we'\\''ird' --`);
  });

  it('refuses what it cannot do safely', () => {
    expect(() => wrapCommand(rawCommand('true'), { env: { 'BAD-NAME': 'x' } })).toThrow(/invalid environment variable name/);
    expect(() => wrapCommand(rawCommand('true'), { become: { method: 'su' as 'sudo' } })).toThrow(/only sudo/);
    expect(() => validateMode('u+x')).toThrow(/octal/);
    expect(validateMode('0644')).toBe(0o644);
    expect(validateMode('755')).toBe(0o755);
  });

  it('builds kill and install scripts that a POSIX shell (dash) accepts', () => {
    const kill = killScript('TERM', [123, 456]);
    expect(kill).toBe('for p in -123 123 -456 456; do kill -TERM "$p" 2>/dev/null; done; true');
    execFileSync('/bin/sh', ['-n', '-c', kill]);
    execFileSync('/bin/sh', ['-n', '-c', installScript('/etc/app/my conf', '.my conf.runbook-x.tmp', { mode: '0640', owner: 'root' })]);
    expect(installScript('/etc/app.conf', '.t', {})).toContain(`tmp=/etc/.t`);
    expect(installScript('/app.conf', '.t', {})).toContain(`tmp=/.t`);
  });
});
