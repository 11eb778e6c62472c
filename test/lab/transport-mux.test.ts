// The host's command loop (transport/mux.ts) against real OpenSSH, bash and sudo: on a login
// bash, commands run in one session from the first on, and each still behaves as an exec'd one:
// exit codes and signals, both streams byte for byte, input on stdin, a fresh shell's state,
// timeouts that stop the command and its children, sudo. A login shell that is not bash ends the
// loop at once and its commands are exec'd.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labConnectionSpec, labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { rawCommand } from '../../src/transport/command.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { PACKAGES, ensurePackages } from '../../src/lab/packages.js';

const NAME = 'tr-mux';
const ONE = 'tr-mux1';
let lab: LabInfo;
/** a host whose sshd allows one session per connection */
let one: LabInfo;
const open: SshTransport[] = [];

function host(i: number): LabHostInfo {
  const h = lab.hosts[i];
  if (!h) throw new Error(`lab has no host #${i}`);
  return h;
}

function connect(i = 0, vars: Record<string, unknown> = {}): SshTransport {
  const t = new SshTransport(labConnectionSpec(lab, host(i), vars));
  open.push(t);
  return t;
}

/**
 * The host's processes matching `pattern`, once they are gone or 3 s have passed: a signalled
 * process exits when it is next scheduled, which on a loaded machine is after the command's end.
 * Fleet hosts share the machine's PID namespace: the durations here are used by no other test
 * (engine.test's `sleep 301` could match this file's `sleep 30[01]` when both ran at once).
 */
async function leftOver(pattern: string): Promise<string> {
  let out = '';
  for (let i = 0; i < 30; i++) {
    out = (await labExec(lab, host(0).name, ['pgrep', '-af', pattern])).stdout;
    if (out === '') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return out;
}

/** a transport whose loop is running (it ran the first command) */
async function warm(i = 0, vars: Record<string, unknown> = {}): Promise<SshTransport> {
  const t = connect(i, vars);
  expect((await t.exec(rawCommand('true'))).ok).toBe(true);
  return t;
}

describe.skipIf(labSkipReason())('ssh transport: the host command loop (lab)', () => {
  beforeAll(async () => {
    [lab, one] = await Promise.all([startLab({ name: NAME, fleet: 2 }), startLab({ name: ONE, fleet: 1, maxSessions: 1 }), ensurePackages(PACKAGES.shells)]);
  });

  afterAll(async () => {
    for (const t of open) await t.close();
    await Promise.all([stopLab(NAME), stopLab(ONE)]);
  });

  it('runs every command in one session, the first one included', async () => {
    const t = connect();
    for (let i = 0; i < 10; i++) expect((await t.exec(rawCommand(`echo ${i}`))).stdout).toBe(`${i}\n`);
    expect(t.stats.muxCommands).toBe(10);
    // the loop's session, nothing else
    expect(t.stats.channelsOpened).toBe(1);
    // the login shell is known from the loop: a command exec'd now runs in it directly (wrap.ts)
    const nul = await t.exec(rawCommand('ps -o comm= -p $$; od -An -tx1 | tr -d " \\n"'), { stdin: Buffer.from([0x61, 0, 0x62]) });
    expect(nul.stdout).toBe('bash\n610062');
    expect(t.stats.channelsOpened).toBe(2);
  });

  it.each(['/bin/sh', '/bin/csh', '/bin/tcsh', '/bin/zsh'])('a login shell that is not bash (%s) ends the loop at once: commands are exec\'d, and the loop ran nothing', async (shell) => {
    const passwd = join(lab.stateDir, 'etc', 'passwd');
    const before = readFileSync(passwd, 'utf8');
    const user = lab.users.passwd.name;
    const line = new RegExp(`^(${user}:[^\\n]*:)/bin/bash$`, 'm');
    expect(before).toMatch(line);
    const home = join(lab.stateDir, 'home', user);
    const homeBefore = readdirSync(home).sort();
    // in place: the hosts have this very file bind-mounted
    writeFileSync(passwd, before.replace(line, `$1${shell}`));
    try {
      const t = connect(1, { ansible_user: user });
      const shellOf = async () => (await t.exec(rawCommand('ps -o comm= -p $$; true'))).stdout.trim();
      // in /bin/sh (wrap.ts's portable form), or in the login shell /bin/sh itself (its direct form)
      expect(await shellOf()).toBe('sh');
      expect(await shellOf()).toBe('sh');
      expect((await t.exec(rawCommand('cat'), { stdin: 'in\n' })).stdout).toBe('in\n');
      // the loop's script wrote nothing where dash ran it (the login directory)
      expect(readdirSync(home).sort()).toEqual(homeBefore);
      expect(t.stats.muxCommands).toBe(0);
      // the loop's one try, then one session per command
      expect(t.stats.channelsOpened).toBe(4);
    } finally {
      writeFileSync(passwd, before);
    }
  });

  it('keeps exit codes, both streams byte for byte, and output without a final newline', async () => {
    const t = await warm();
    const r = await t.exec(rawCommand(`printf 'out\\001\\377'; printf 'err' >&2; exit 7`));
    expect(r).toMatchObject({ exitCode: 7, signal: null, ok: false, stderr: 'err' });
    expect(Buffer.from(r.stdout, 'utf8').equals(Buffer.from('out\u0001\ufffd', 'utf8'))).toBe(true);
    const big = await t.exec(rawCommand('head -c 300000 /dev/zero | tr "\\0" x; echo; seq 1 20000 >&2'));
    expect(big.stdout).toBe(`${'x'.repeat(300000)}\n`);
    expect(big.stderr.split('\n')).toHaveLength(20001);
    // a NUL in the output is output like any other byte
    expect((await t.exec(rawCommand(`printf 'a\\0b'`))).stdout).toBe('a\0b');
    expect(t.stats.muxCommands).toBe(4);
  });

  it('gives each command its input exactly, and only its input', async () => {
    const t = await warm();
    const text = 'héllo\n  wörld \\ $HOME `x` \r\n\tlast line without newline';
    const r = await t.exec(rawCommand('cat; echo "|"; cat'), { stdin: text });
    expect(r.stdout).toBe(`${text}|\n`);
    const bytes = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
    const sum = await t.exec(rawCommand('od -An -tx1 | tr -d " \\n"'), { stdin: bytes });
    expect(sum.stdout).toBe(bytes.toString('hex'));
    // a command that reads nothing leaves nothing behind for the next one
    await t.exec(rawCommand('true'), { stdin: 'unread input\n' });
    expect((await t.exec(rawCommand('cat'))).stdout).toBe('');
    const muxed = t.stats.muxCommands;
    // input with a NUL byte cannot travel in a frame: it is exec'd, and arrives whole
    const nul = await t.exec(rawCommand('od -An -tx1 | tr -d " \\n"'), { stdin: Buffer.from([0x61, 0, 0x62]) });
    expect(nul.stdout).toBe('610062');
    expect(t.stats.muxCommands).toBe(muxed);
  });

  it("starts every command from a fresh shell's state", async () => {
    const t = await warm();
    await t.exec(rawCommand('cd /tmp; export RB_LEAK=1; rb_var=2; set -eu; alias ll=ls; f() { echo f; }; umask 077; trap "echo trapped" EXIT'));
    const r = await t.exec(rawCommand('pwd; echo "[${RB_LEAK-}][${rb_var-}][$#][$*]"; type f 2>&1 | head -1; umask; set | grep -c "^__rb_"; echo "$-"'));
    const [pwd, vars, fn, umask, mine, flags] = r.stdout.split('\n');
    expect(pwd).not.toBe('/tmp');
    expect(vars).toBe('[][][0][]');
    expect(fn).toMatch(/not found/);
    expect(umask).not.toBe('0077');
    expect(mine).toBe('0');
    expect(flags).not.toMatch(/[eum]/);
    expect(r.stdout).not.toContain('trapped');
  });

  it('reports a signal that ends the loop itself, and carries on', async () => {
    const t = await warm();
    expect(await t.exec(rawCommand('kill -TERM $$'))).toMatchObject({ exitCode: null, signal: 'SIGTERM', ok: false });
    expect((await t.exec(rawCommand('echo after'))).stdout).toBe('after\n');
    expect((await t.exec(rawCommand('echo again'))).stdout).toBe('again\n');
  });

  it('a timeout stops the command and what it started; the next command runs in the loop', async () => {
    const t = await warm();
    const tag = `rbmux${process.pid}`;
    const r = await t.exec(rawCommand(`sleep 7300 & exec -a ${tag} sleep 7301`), { timeoutMs: 800 });
    expect(r).toMatchObject({ timedOut: true, ok: false, exitCode: null, signal: 'SIGTERM' });
    expect(await leftOver('sleep 730[01]')).toBe('');
    const n = t.stats.muxCommands;
    expect((await t.exec(rawCommand('echo next'))).stdout).toBe('next\n');
    expect(t.stats.muxCommands).toBe(n + 1);
  });

  it('a timeout stops a command that runs through sudo -n in the loop, with its children; an abort stops one too', async () => {
    const t = await warm();
    // /bin/sh under sudo: dash has no `exec -a`
    const r = await t.exec(rawCommand('sleep 7310 & sleep 7311'), { become: { user: 'root' }, timeoutMs: 800 });
    expect(r).toMatchObject({ timedOut: true, ok: false });
    expect(t.stats.muxCommands).toBe(2);
    expect(await leftOver('sleep 731[01]')).toBe('');
    const ac = new AbortController();
    const running = t.exec(rawCommand('sleep 7312'), { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expect(running).rejects.toThrow();
    expect(await leftOver('sleep 7312')).toBe('');
    expect(t.stats.muxCommands).toBe(3);
    expect((await t.exec(rawCommand('echo still'))).stdout).toBe('still\n');
  });

  it('runs commands given at once: one in the loop, the others exec\'d', async () => {
    const t = await warm();
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => t.exec(rawCommand(`sleep 0.2; echo ${i}`))));
    expect(rs.map((r) => r.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
    expect(t.stats.muxCommands).toBeGreaterThanOrEqual(1);
  });

  it('runs become commands in the loop through sudo -n, input included', async () => {
    const t = await warm();
    const r = await t.exec(rawCommand('id -u; cat'), { become: { user: 'root' }, stdin: 'to root\n' });
    expect(r).toMatchObject({ ok: true, stdout: '0\nto root\n' });
    expect(t.stats.muxCommands).toBe(2);
  });

  it('on a server that allows one session (MaxSessions 1), the loop gives its session back to a command that needs an exec', async () => {
    const t = new SshTransport(labConnectionSpec(one, one.hosts[0]!));
    open.push(t);
    expect((await t.exec(rawCommand('true'))).ok).toBe(true);
    expect((await t.exec(rawCommand('echo looped'))).stdout).toBe('looped\n');
    expect(t.stats.muxCommands).toBe(2);
    // input with a NUL byte goes as an exec: it needs the session the loop holds
    const nul = await t.exec(rawCommand('od -An -tx1 | tr -d " \\n"'), { stdin: Buffer.from([0x61, 0, 0x62]) });
    expect(nul.stdout).toBe('610062');
    // the server refused that exec's channel once, while the loop held the session
    expect(t.stats.channelRetries).toBeGreaterThanOrEqual(1);
    expect((await t.exec(rawCommand('echo after'))).stdout).toBe('after\n');
    expect(t.stats.muxCommands).toBe(2);
  });

  it('is off with runbook_ssh_mux: false', async () => {
    const t = await warm(1, { runbook_ssh_mux: false });
    await t.exec(rawCommand('true'));
    expect(t.stats.muxCommands).toBe(0);
  });
});
