// Sessions started ahead of their commands (src/transport/preopen.ts, issue 18) against real
// OpenSSH and sudo: a command run in one gives exactly the result the same command exec'd gives
// (output, stderr, exit status, stdin byte for byte, env and cwd, sudo with and without a
// password, the login shell it runs in), a timeout still stops it with its children, the
// sessions never used are ended with the connection (no loader left on the host), and `auto`
// starts none on the LAN but does behind an emulated 80 ms link, where a command then takes
// less than the two round trips an exec'd one cannot go below.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labConnectionSpec, labExec, labSkipReason, startLab, startSlowLink, stopLab, stopSlowLink } from '../support/lab.js';
import { rawCommand } from '../../src/transport/command.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import type { ExecOptions, ExecResult } from '../../src/transport/types.js';

const NAME = 'rt-pre';
let lab: LabInfo;
const open: SshTransport[] = [];

function host(): LabHostInfo {
  const h = lab.hosts[0];
  if (!h) throw new Error('lab has no host');
  return h;
}

/** with the host command loop (transport/mux.ts) off: it takes a host's commands before any spare would */
function connect(preopen: SshTransportOptions['preopen'], vars: Record<string, unknown> = {}): SshTransport {
  const t = new SshTransport(labConnectionSpec(lab, host(), { runbook_ssh_mux: false, ...vars }), { preopen, onWarning: () => {} });
  open.push(t);
  return t;
}

/** what a caller sees of a result (not its duration) */
function seen(r: ExecResult): Omit<ExecResult, 'durationMs'> {
  const { durationMs: _d, ...rest } = r;
  return rest;
}

async function loaders(): Promise<string> {
  const r = await labExec(lab, host().name, ['pgrep', '-af', '__RUNBOOK_END_']);
  return r.stdout.trim();
}

describe.skipIf(labSkipReason())('sessions started ahead (lab)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
  }, 300_000);

  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('a command in a session started ahead gives what the same command exec\'d gives', async () => {
    const pw = lab.users.passwd.sudoPassword ?? '';
    expect(pw).not.toBe('');
    const binary = Buffer.from([0, 1, 2, 255, 10, 39, 92, 10]);
    const cases: Array<{ cmd: string; opts?: ExecOptions; passwd?: boolean }> = [
      { cmd: 'printf "a b\\n"; echo warn >&2; exit 3' },
      { cmd: 'printf "%s|%s" "$PWD" "$X"', opts: { cwd: '/tmp', env: { X: "it's\nme" } } },
      { cmd: 'od -An -tx1 -v | tr -s " \\n" " "', opts: { stdin: binary } },
      { cmd: 'cat; echo done', opts: {} },
      { cmd: 'ps -o comm= -p $$' },
      { cmd: 'echo "$0"; no-such-command-rt' },
      { cmd: 'id -u; cat; echo "$MSG"', opts: { become: {}, stdin: 'from stdin\n', env: { MSG: 'hi' } } },
      { cmd: 'ps -o comm= -p $$; id -un', opts: { become: { user: 'nobody' } } },
      { cmd: 'id -u; cat; echo warn >&2', opts: { become: { password: pw }, stdin: 'payload\n' }, passwd: true },
      { cmd: 'id -u', opts: { become: { password: `${pw}-wrong` } }, passwd: true },
      { cmd: 'exit 0' },
    ];
    const passwdUser = { ansible_user: lab.users.passwd.name };
    const exec = { plain: connect('never'), passwd: connect('never', passwdUser) };
    const ahead = { plain: connect('always'), passwd: connect('always', passwdUser) };
    // the first command tells the login shell; sessions are started ahead from the second on
    for (const t of [...Object.values(exec), ...Object.values(ahead)]) {
      await t.exec(rawCommand('true'));
      await t.exec(rawCommand('true'));
    }
    for (const c of cases) {
      const which = c.passwd ? 'passwd' : 'plain';
      const a = await exec[which].exec(rawCommand(c.cmd), c.opts ?? {});
      const b = await ahead[which].exec(rawCommand(c.cmd), c.opts ?? {});
      expect(seen(b), c.cmd).toEqual(seen(a));
    }
    // the lab's login shell is bash: commands after the first run in it (wrap.ts's direct form)
    expect(seen(await ahead.plain.exec(rawCommand('echo "$0 ${BASH_VERSION:+bash}"')))).toMatchObject({ stdout: 'bash bash\n' });
    expect(exec.plain.stats.preopenUsed + exec.passwd.stats.preopenUsed).toBe(0);
    // every case after the first two went through a session started ahead
    expect(ahead.plain.stats.preopenUsed + ahead.passwd.stats.preopenUsed).toBeGreaterThanOrEqual(cases.length);
  });

  it('a timeout stops a command started ahead, with its children; an abort too', async () => {
    const t = connect('always');
    await t.exec(rawCommand('true'));
    await t.exec(rawCommand('true'));
    const used = t.stats.preopenUsed;
    const marker = `${Date.now() % 100000}.25`;
    const r = await t.exec(rawCommand(`sleep ${marker} & sleep ${marker}; echo never`), { timeoutMs: 1500 });
    expect(t.stats.preopenUsed).toBe(used + 1);
    expect(r).toMatchObject({ timedOut: true, ok: false, stdout: '' });
    await new Promise((res) => setTimeout(res, 300));
    expect((await labExec(lab, host().name, ['pgrep', '-af', `sleep ${marker}`])).stdout.trim()).toBe('');
    const ac = new AbortController();
    const running = t.exec(rawCommand(`sleep ${marker}1; echo never`), { signal: ac.signal });
    setTimeout(() => ac.abort(), 800);
    await expect(running).rejects.toThrow();
    await new Promise((res) => setTimeout(res, 300));
    expect((await labExec(lab, host().name, ['pgrep', '-af', `sleep ${marker}1`])).stdout.trim()).toBe('');
  });

  it('sessions never used end with the connection: no loader is left on the host', async () => {
    for (let i = 0; i < 20 && (await loaders()) !== ''; i++) await new Promise((res) => setTimeout(res, 100));
    expect(await loaders()).toBe('');
    const t = connect('always');
    for (let i = 0; i < 3; i++) await t.exec(rawCommand('true'));
    // two wait for the next commands
    const waiting = await loaders();
    expect(waiting.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
    await t.close();
    for (let i = 0; i < 20 && (await loaders()) !== ''; i++) await new Promise((res) => setTimeout(res, 100));
    expect(await loaders()).toBe('');
  });

  it('auto: none on the LAN; behind an 80 ms link commands go one round trip each', async () => {
    const lan = connect('auto');
    for (let i = 0; i < 5; i++) await lan.exec(rawCommand('true'));
    // the lab's bridge answers a SYN in well under a millisecond; only a controller so loaded
    // that its own event loop lags 20 ms would see it as far
    if (lan.stats.tcpRttMs < 20) expect(lan.stats.preopened).toBe(0);
    await lan.close();
    await startSlowLink(lab, { hosts: [host().name], delayMs: 40, lossPct: 0 });
    try {
      const t = connect('auto');
      const took: number[] = [];
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        const r = await t.exec(rawCommand(`echo ${i}`));
        took.push(performance.now() - started);
        expect(r.stdout).toBe(`${i}\n`);
      }
      // two exec'd commands measure the link, the rest go through sessions started ahead
      expect(t.stats.tcpRttMs).toBeGreaterThanOrEqual(80);
      expect(t.stats.preopenUsed).toBeGreaterThanOrEqual(4);
      // an exec'd command cannot take less than two round trips (160 ms): these did
      expect(Math.min(...took.slice(3))).toBeLessThan(160);
      await t.close();
      // the host command loop (the default) also takes one round trip per command, no spares
      const looped = new SshTransport(labConnectionSpec(lab, host()), { onWarning: () => {} });
      open.push(looped);
      const tookLoop: number[] = [];
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        expect((await looped.exec(rawCommand(`echo ${i}`))).stdout).toBe(`${i}\n`);
        tookLoop.push(performance.now() - started);
      }
      // every command in the loop, the first one included, and from the second on one round trip each
      expect(looped.stats.muxCommands).toBe(7);
      expect(looped.stats.preopened).toBe(0);
      expect(looped.stats.channelsOpened).toBe(1);
      expect(Math.max(...tookLoop.slice(1))).toBeLessThan(160);
      await looped.close();
    } finally {
      await stopSlowLink(lab);
    }
  }, 60_000);
});
