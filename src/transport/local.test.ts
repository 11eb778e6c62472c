// LocalTransport with the real wrapper and a stand-in `sudo` on PATH that speaks sudo's -S/-p/-n
// protocol, so the password exchange is tested without root (the real sudo is in test/lab).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, secret, sh } from './command.js';
import { ExecError } from './errors.js';
import { LocalTransport } from './local.js';

let dir: string;
let oldPath: string | undefined;

const FAKE_SUDO = `#!/bin/sh
prompt=''; nonint=0
while [ $# -gt 0 ]; do
  case "$1" in -p) prompt=$2; shift 2;; -u) shift 2;; -n) nonint=1; shift;; --) shift; break;; *) shift;; esac
done
if [ -n "$FAKE_SUDO_PW" ]; then
  if [ $nonint = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
  tries=0
  while :; do
    printf '%s' "$prompt" >&2
    IFS= read -r line || { echo "sudo: no password was provided" >&2; exit 1; }
    echo attempt >> "$FAKE_SUDO_LOG"
    [ "$line" = "$FAKE_SUDO_PW" ] && break
    tries=$((tries+1)); [ $tries -ge "\${FAKE_SUDO_TRIES:-3}" ] && { echo "sudo: $tries incorrect password attempt" >&2; exit 1; }
    echo "Sorry, try again." >&2
  done
fi
exec "$@"
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-local-'));
  writeFileSync(join(dir, 'sudo'), FAKE_SUDO);
  chmodSync(join(dir, 'sudo'), 0o755);
  oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath ?? ''}`;
  process.env.FAKE_SUDO_LOG = join(dir, 'attempts');
});
afterAll(() => {
  process.env.PATH = oldPath;
  delete process.env.FAKE_SUDO_PW;
  rmSync(dir, { recursive: true, force: true });
});

function attempts(): number {
  const f = join(dir, 'attempts');
  const n = existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
  rmSync(f, { force: true });
  return n;
}

const t = new LocalTransport('ctl');

describe('LocalTransport exec', () => {
  it('returns exit code, both streams, env, cwd and stdin', async () => {
    const r = await t.exec(rawCommand('cat; echo "$GREETING"; pwd; echo oops >&2; exit 3'), { stdin: 'in\n', env: { GREETING: 'hi there' }, cwd: dir });
    expect(r).toMatchObject({ host: 'ctl', exitCode: 3, signal: null, stdout: `in\nhi there\n${dir}\n`, stderr: 'oops\n', ok: false, timedOut: false });
  });

  it('caps captured output but streams all of it to onOutput', async () => {
    let streamed = 0;
    const r = await t.exec(rawCommand("head -c 3000000 /dev/zero | tr '\\0' a"), { onOutput: (_s, c) => (streamed += c.length) });
    expect(r.ok).toBe(true);
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(1024 * 1024);
    expect(streamed).toBe(3_000_000);
  });

  it('masks secrets in the command shown and the live output; the captured output is the data, unmasked', async () => {
    const live: string[] = [];
    const r = await t.exec(sh`echo token=${secret('tok-123')}; echo extra-456 >&2`, { secrets: ['extra-456'], onOutput: (_s, c) => live.push(c) });
    expect(r.command).toBe('echo token=********; echo extra-456 >&2'.replace('extra-456', '********'));
    // masked where it leaves the run (events, errors, recap: src/engine/run.ts), not here
    expect(r.stdout).toBe('token=tok-123\n');
    expect(r.stderr).toBe('extra-456\n');
    expect(live.join('')).not.toMatch(/tok-123|extra-456/);
  });

  it('a timeout stops the command and everything it started', async () => {
    const pidFile = join(dir, 'bg.pid');
    const started = Date.now();
    const r = await t.exec(rawCommand(`sleep 30 & echo $! > ${pidFile}; sleep 30`), { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 200));
    expect(isRunning(bg)).toBe(false);
  });

  it('an abort signal stops the command and rejects with the reason', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const started = Date.now();
    await expect(t.exec(rawCommand('sleep 30'), { signal: ac.signal })).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('LocalTransport become (sudo protocol)', () => {
  it('answers the unique prompt once, strips it, then feeds the user stdin to the command', async () => {
    process.env.FAKE_SUDO_PW = 'pw-right';
    const live: string[] = [];
    const r = await t.exec(rawCommand('cat; echo done; echo warn >&2'), {
      become: { password: 'pw-right' },
      stdin: 'user input\n',
      onOutput: (_s, c) => live.push(c),
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'user input\ndone\n', stderr: 'warn\n', ok: true });
    expect(attempts()).toBe(1);
    expect(JSON.stringify(r) + live.join('')).not.toMatch(/pw-right|runbook sudo|__RUNBOOK/);
  });

  it('a wrong password fails with a clear message, is sent only once, and never shows', async () => {
    process.env.FAKE_SUDO_PW = 'pw-right';
    const r = await t.exec(rawCommand('echo should-not-run'), { become: { password: 'pw-wrong' } });
    expect(r.ok).toBe(false);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sudo: incorrect password for user \S+ on ctl/);
    expect(attempts()).toBe(1);
    expect(JSON.stringify(r)).not.toContain('pw-wrong');
    expect(new ExecError(r).message).toContain('incorrect password');
  });

  it('a wrong password is recognised when sudo gives up at once (passwd_tries=1)', async () => {
    process.env.FAKE_SUDO_PW = 'pw-right';
    process.env.FAKE_SUDO_TRIES = '1';
    try {
      const r = await t.exec(rawCommand('echo should-not-run'), { become: { password: 'pw-wrong' } });
      expect(r.ok).toBe(false);
      expect(r.stderr).toMatch(/^sudo: incorrect password for user \S+ on ctl/);
      expect(attempts()).toBe(1);
    } finally {
      delete process.env.FAKE_SUDO_TRIES;
    }
  });

  it('without a password: sudo -n, and a clear message when sudo needs one', async () => {
    process.env.FAKE_SUDO_PW = 'pw-right';
    const r = await t.exec(rawCommand('echo x'), { become: {} });
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/a password is required for user \S+ on ctl: give the become password/);
    process.env.FAKE_SUDO_PW = '';
    const ok = await t.exec(rawCommand('cat'), { become: { password: 'unused' }, stdin: 'abc' });
    expect(ok).toMatchObject({ ok: true, stdout: 'abc' });
  });
});

describe('LocalTransport files', () => {
  it('put writes atomically with the mode and get reads back', async () => {
    const file = join(dir, 'conf.txt');
    await t.put(file, 'one\n', { mode: '0640' });
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    // an existing file keeps its mode when none is given
    await t.put(file, Buffer.from('two\n'));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect((await t.get(file)).toString()).toBe('two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
  });

  it('put through become streams the content into a temp file in the destination directory, then mv -f', async () => {
    process.env.FAKE_SUDO_PW = '';
    const file = join(dir, 'root-owned.conf');
    await t.put(file, 'secret-ish\n', { mode: '0600', become: {} });
    expect(readFileSync(file, 'utf8')).toBe('secret-ish\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await t.get(file, { become: {} })).toString()).toBe('secret-ish\n');
  });

  it('missing files and bad modes fail clearly', async () => {
    await expect(t.get(join(dir, 'nope'))).rejects.toThrow(/ctl: `get .*nope`.*\n.*ENOENT/);
    await expect(t.put(join(dir, 'x'), 'x', { mode: 'rw' })).rejects.toThrow(/invalid file mode/);
    await expect(t.put(join(dir, 'no-such-dir', 'x'), 'x')).rejects.toThrow(ExecError);
  });
});

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // a zombie waiting for its reaper has stopped running
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
