// The ssh transport against real OpenSSH servers and real sudo (lab fleet hosts): key and agent
// auth, sudo with and without a password, host keys, jump hosts, hosts that are down or die,
// more concurrent commands than MaxSessions, timeouts that really stop the remote command, and
// the sudo password absent from every sink.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labConnectionSpec, labExec, labSkipReason, startHost, startLab, stopHost, stopLab, unplugHost, plugHost } from '../support/lab.js';
import { rawCommand, secret, sh } from '../../src/transport/command.js';
import { ExecError, UnreachableError } from '../../src/transport/errors.js';
import { createTransport, resolveConnection, type ConnectionOverrides } from '../../src/transport/factory.js';
import { fingerprint, parseKnownHosts } from '../../src/transport/known-hosts.js';
import { LocalTransport } from '../../src/transport/local.js';
import { HandshakeLimiter } from '../../src/transport/handshake-limiter.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { ConnectionSpec, ExecOptions, Transport } from '../../src/transport/types.js';

const NAME = 'tr-ssh';
let lab: LabInfo;
let dir: string;
let agent: ChildProcess | undefined;
let agentSock: string;
const open: Transport[] = [];

function host(i: number): LabHostInfo {
  const h = lab.hosts[i];
  if (!h) throw new Error(`lab has no host #${i}`);
  return h;
}

/** Inventory-style variables for a lab host, resolved by the real factory. */
function specFor(h: LabHostInfo, vars: Record<string, unknown> = {}, overrides: ConnectionOverrides = {}): ConnectionSpec {
  return labConnectionSpec(lab, h, vars, overrides);
}

function connectTo(spec: ConnectionSpec, warnings?: string[]): SshTransport {
  const t = new SshTransport(spec, { onWarning: (m) => warnings?.push(m) });
  open.push(t);
  return t;
}

async function failure(p: Promise<unknown>): Promise<UnreachableError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UnreachableError);
  return e as UnreachableError;
}

/** the name ssh looks a host up by in known_hosts */
function khName(h: LabHostInfo): string {
  return h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
}

function hostKeyBlob(h: LabHostInfo): Buffer {
  const entries = parseKnownHosts(readFileSync(lab.knownHostsFile, 'utf8'), lab.knownHostsFile);
  const name = khName(h);
  const e = entries.find((x) => x.hosts.split(',').includes(name));
  if (!e) throw new Error(`no known_hosts entry for ${name}`);
  return Buffer.from(e.key, 'base64');
}

async function remoteProcesses(h: LabHostInfo, pattern: string): Promise<string> {
  const r = await labExec(lab, h.name, ['pgrep', '-af', pattern]);
  return r.stdout.trim();
}

describe.skipIf(labSkipReason())('ssh transport on real OpenSSH (lab)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 4, maxSessions: 10 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-tr-'));
    // our own ssh-agent, ended by pid in afterAll
    agentSock = join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 100));
    execFileSync('ssh-add', ['-q', lab.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
  });

  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
    if (agent?.pid) process.kill(agent.pid, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stopLab(NAME);
  });

  describe('authentication', () => {
    it('logs in with the key file and keeps one connection for many commands', async () => {
      const h = host(0);
      const t = connectTo(specFor(h));
      const r = await t.exec(rawCommand('hostname; id -un'));
      expect(r).toMatchObject({ ok: true, exitCode: 0, stdout: `${h.name}\n${lab.users.nopasswd.name}\n` });
      for (let i = 0; i < 5; i++) expect((await t.exec(sh`echo ${i}`)).stdout).toBe(`${i}\n`);
      // one TCP connection from us, however many commands ran
      const conns = await labExec(lab, h.name, ['sh', '-c', `ss -Htn state established '( sport = :${h.port} )' | wc -l`]);
      expect(conns.stdout.trim()).toBe('1');
    });

    it('logs in through ssh-agent (SSH_AUTH_SOCK), no key file', async () => {
      const h = host(0);
      const spec = resolveConnection(
        { name: h.name, vars: { ansible_host: h.address, ansible_port: h.port, ansible_user: lab.users.nopasswd.name, runbook_known_hosts_file: lab.knownHostsFile } },
        { sshConfigFiles: [], env: { SSH_AUTH_SOCK: agentSock } },
      );
      spec.privateKeyFiles = []; // no default ~/.ssh/id_* either: only the agent
      expect(spec.agent).toBe(agentSock);
      const r = await connectTo(spec).exec(rawCommand('id -un'));
      expect(r.stdout).toBe(`${lab.users.nopasswd.name}\n`);
    });

    it('reports exit codes and signals', async () => {
      const t = connectTo(specFor(host(0)));
      expect(await t.exec(rawCommand('exit 7'))).toMatchObject({ exitCode: 7, signal: null, ok: false });
      expect(await t.exec(rawCommand('kill -TERM $$'))).toMatchObject({ exitCode: null, signal: 'SIGTERM', ok: false });
      const missing = await t.exec(rawCommand('no-such-command-xyz'));
      expect(missing.exitCode).toBe(127);
      expect(new ExecError(missing).message).toMatch(/exit code: 127 \(Command not found\)\n.*no-such-command-xyz/);
    });

    it('names the user and methods when no method works', async () => {
      const h = host(0);
      const spec = specFor(h, { ansible_ssh_private_key_file: join(dir, 'no-such-key') });
      const e = await failure(connectTo(spec).connect());
      expect(e.reason).toBe('auth');
      expect(e.message).toMatch(new RegExp(`authentication failed for user "${lab.users.nopasswd.name}"`));
      expect(e.message).toContain('no-such-key');
      expect(e.message).toContain('the server accepts: publickey');
    });
  });

  describe('become (sudo, no pty)', () => {
    it('deploy: sudo -n, stdin, env and cwd reach the command', async () => {
      const t = connectTo(specFor(host(1)));
      const r = await t.exec(rawCommand('id -u; cat; echo "$MSG"; pwd'), { become: {}, stdin: 'from stdin\n', env: { MSG: "it's me" }, cwd: '/tmp' });
      expect(r).toMatchObject({ ok: true, stdout: "0\nfrom stdin\nit's me\n/tmp\n", stderr: '' });
      const other = await t.exec(rawCommand('id -un'), { become: { user: 'nobody' } });
      expect(other.stdout).toBe('nobody\n');
    });

    it('ops: the password is answered after the prompt; stdin still reaches the command; nothing leaks', async () => {
      const pw = lab.users.passwd.sudoPassword ?? '';
      expect(pw).not.toBe('');
      const spec = specFor(host(1), { ansible_user: lab.users.passwd.name, ansible_become_password: pw });
      const t = connectTo(spec);
      const live: string[] = [];
      const opts: ExecOptions = { become: { password: spec.become.password }, stdin: 'payload\n', onOutput: (_s, c) => live.push(c) };
      const r = await t.exec(rawCommand('id -u; cat; echo warn >&2'), opts);
      expect(r).toMatchObject({ ok: true, stdout: '0\npayload\n', stderr: 'warn\n' });
      expect(JSON.stringify(r) + live.join('')).not.toContain(pw);
      expect(JSON.stringify(r)).not.toMatch(/runbook sudo|__RUNBOOK/);
      // while a command runs, the password is in no process's argv on the host
      const running = t.exec(rawCommand('sleep 3; echo slept'), { become: { password: pw } });
      await new Promise((res) => setTimeout(res, 1500));
      const ps = await labExec(lab, host(1).name, ['ps', '-eo', 'args']);
      expect(ps.stdout).toContain('sleep 3');
      expect(ps.stdout).not.toContain(pw);
      expect((await running).stdout).toBe('slept\n');
      // sudo -n without the password: a clear message
      const np = await t.exec(rawCommand('id -u'), { become: {} });
      expect(np.ok).toBe(false);
      expect(np.stderr).toContain(`a password is required for user ${lab.users.passwd.name} on ${host(1).name}`);
    });

    it('a wrong sudo password fails the command with a clear message and never shows the password', async () => {
      const wrong = 'not-the-password-42';
      const t = connectTo(specFor(host(1), { ansible_user: lab.users.passwd.name }));
      const live: string[] = [];
      const r = await t.exec(sh`echo ${secret('also-secret-77')}`, { become: { password: wrong }, onOutput: (_s, c) => live.push(c) });
      expect(r.ok).toBe(false);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`sudo: incorrect password for user ${lab.users.passwd.name} on ${host(1).name}`);
      const err = new ExecError(r);
      for (const sink of [JSON.stringify(r), err.message, live.join(''), r.command]) {
        expect(sink).not.toContain(wrong);
        expect(sink).not.toContain('also-secret-77');
      }
      // the host's auth log saw one failed attempt, not three
      expect(r.durationMs).toBeLessThan(15_000);
    });

    it('put/get through sudo write root-owned files atomically; without sudo they fail clearly', async () => {
      const h = host(1);
      const t = connectTo(specFor(h));
      const d = `/tmp/rb-tr-${Date.now()}`;
      await labExec(lab, h.name, ['install', '-d', '-m', '0755', '-o', 'root', '-g', 'root', d]);
      try {
        await t.put(`${d}/app.conf`, 'key=value\n', { become: {}, mode: '0640', owner: 'root', group: lab.users.nopasswd.name });
        const st = await labExec(lab, h.name, ['stat', '-c', '%U:%G %a', `${d}/app.conf`]);
        expect(st.stdout.trim()).toBe(`root:${lab.users.nopasswd.name} 640`);
        expect((await t.get(`${d}/app.conf`, { become: {} })).toString()).toBe('key=value\n');
        // replace: mode and owner kept, no temp files left behind
        await t.put(`${d}/app.conf`, Buffer.from('key=new\n'), { become: {} });
        const after = await labExec(lab, h.name, ['sh', '-c', `stat -c '%U:%G %a' ${d}/app.conf; cat ${d}/app.conf; ls -A ${d}`]);
        expect(after.stdout).toBe(`root:${lab.users.nopasswd.name} 640\nkey=new\napp.conf\n`);
        await expect(t.put(`${d}/other.conf`, 'x')).rejects.toThrow(/put .*other\.conf.*\n.*(Permission denied|permission)/is);
        // SFTP as the login user, in a directory it owns
        await t.put(`/tmp/rb-tr-user-${h.name}.txt`, 'mine\n', { mode: '0600' });
        expect((await t.get(`/tmp/rb-tr-user-${h.name}.txt`)).toString()).toBe('mine\n');
        const mine = await labExec(lab, h.name, ['stat', '-c', '%U %a', `/tmp/rb-tr-user-${h.name}.txt`]);
        expect(mine.stdout.trim()).toBe(`${lab.users.nopasswd.name} 600`);
        await expect(t.get(`${d}/missing`)).rejects.toBeInstanceOf(ExecError);
      } finally {
        await labExec(lab, h.name, ['rm', '-rf', d, `/tmp/rb-tr-user-${h.name}.txt`]);
      }
    });
  });

  describe('host keys', () => {
    it('strict: an unknown host is refused with its fingerprint', async () => {
      const h = host(2);
      const empty = join(dir, 'empty_known_hosts');
      writeFileSync(empty, '');
      const e = await failure(connectTo(specFor(h, {}, { knownHosts: empty })).connect());
      expect(e.reason).toBe('host-key-unknown');
      expect(e.message).toContain(fingerprint(hostKeyBlob(h)));
      expect(e.message).toContain('accept-new');
    });

    it('a changed host key is refused with the fingerprint and the ssh-keygen -R fix', async () => {
      const h = host(2);
      const kh = join(dir, 'changed_known_hosts');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'impostor')]);
      const impostor = readFileSync(join(dir, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
      writeFileSync(kh, `${khName(h)} ${impostor}\n`);
      const e = await failure(connectTo(specFor(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}`, runbook_known_hosts_file: undefined })).connect());
      expect(e.reason).toBe('host-key-changed');
      expect(e.message).toContain(fingerprint(hostKeyBlob(h)));
      expect(e.message).toContain(`ssh-keygen -R '${khName(h)}' -f ${kh}`);
    });

    it('hashed known_hosts (ssh-keygen -H) are accepted; @revoked keys are refused', async () => {
      const h = host(2);
      const hashed = join(dir, 'hashed_known_hosts');
      writeFileSync(hashed, readFileSync(lab.knownHostsFile));
      execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed], { stdio: 'ignore' });
      expect(readFileSync(hashed, 'utf8')).not.toContain(h.address);
      expect((await connectTo(specFor(h, {}, { knownHosts: hashed })).exec(rawCommand('hostname'))).stdout).toBe(`${h.name}\n`);
      const revoked = join(dir, 'revoked_known_hosts');
      writeFileSync(revoked, `${readFileSync(lab.knownHostsFile, 'utf8')}\n@revoked * ssh-ed25519 ${hostKeyBlob(h).toString('base64')}\n`);
      const e = await failure(connectTo(specFor(h, {}, { knownHosts: revoked })).connect());
      expect(e.reason).toBe('host-key-revoked');
      expect(e.message).toContain(fingerprint(hostKeyBlob(h)));
    });

    it("the host's announcement of its other keys is acknowledged, not proved: no signature asked of each key (UpdateHostKeys no)", async () => {
      const h = host(2);
      const trace = join(dir, 'hostkeys.trace');
      const before = process.env.RUNBOOK_SSH_TRACE;
      process.env.RUNBOOK_SSH_TRACE = trace;
      let t: SshTransport;
      try {
        t = connectTo(specFor(h));
        await t.connect();
      } finally {
        if (before === undefined) delete process.env.RUNBOOK_SSH_TRACE;
        else process.env.RUNBOOK_SSH_TRACE = before;
      }
      // the connection carries on
      expect((await t.exec(rawCommand('hostname'))).stdout).toBe(`${h.name}\n`);
      const log = readFileSync(trace, 'utf8');
      expect(log).toContain('Inbound: GLOBAL_REQUEST (hostkeys-00@openssh.com)');
      expect(log).not.toContain('hostkeys-prove');
      // something went back at once (a keepalive), so sshd's next packet did not wait for our ACK
      const after = log.slice(log.indexOf('GLOBAL_REQUEST (hostkeys-00@openssh.com)'));
      expect(after).toContain('Sending ping');
    });

    it('accept-new records the key, then strict accepts it', async () => {
      const h = host(2);
      const kh = join(dir, 'accept_known_hosts');
      const warnings: string[] = [];
      await connectTo(specFor(h, { ansible_ssh_common_args: '-o StrictHostKeyChecking=accept-new' }, { knownHosts: kh }), warnings).connect();
      expect(readFileSync(kh, 'utf8')).toContain(hostKeyBlob(h).toString('base64'));
      expect(warnings.join('\n')).toContain('permanently added');
      const r = await connectTo(specFor(h, {}, { knownHosts: kh })).exec(rawCommand('hostname'));
      expect(r.stdout).toBe(`${h.name}\n`);
    });
  });

  describe('jump hosts', () => {
    it('reaches a host through another (runbook_jump_hosts and -J), each hop verified', async () => {
      const jump = host(0);
      const target = host(3);
      const viaVar = specFor(target, { runbook_jump_hosts: `${lab.users.nopasswd.name}@${jump.address}:${jump.port}` });
      expect(viaVar.jump).toHaveLength(1);
      const r = await connectTo(viaVar).exec(rawCommand('hostname; echo "$SSH_CONNECTION"'));
      expect(r.stdout.split('\n')[0]).toBe(target.name);
      // the target saw the connection come from the jump host, not from us
      expect(r.stdout.split('\n')[1]?.split(' ')[0]).toBe(jump.address);
      const viaArgs = specFor(target, { ansible_ssh_common_args: `-J ${lab.users.nopasswd.name}@${jump.address}:${jump.port}` });
      expect((await connectTo(viaArgs).exec(rawCommand('hostname'))).stdout).toBe(`${target.name}\n`);
      // ProxyJump by alias from an ssh config file, the alias resolved there too
      const cfg = join(dir, 'ssh_config');
      writeFileSync(
        cfg,
        [
          'Host bastion',
          `  HostName ${jump.address}`,
          `  Port ${jump.port}`,
          `  User ${lab.users.nopasswd.name}`,
          `  IdentityFile ${lab.keyFile}`,
          `Host ${target.name}`,
          `  HostName ${target.address}`,
          `  Port ${target.port}`,
          `  User ${lab.users.nopasswd.name}`,
          `  IdentityFile ${lab.keyFile}`,
          '  ProxyJump bastion',
          `  UserKnownHostsFile ${lab.knownHostsFile}`,
          '  StrictHostKeyChecking yes',
          '',
        ].join('\n'),
      );
      const viaConfig = resolveConnection({ name: target.name, vars: {} }, { sshConfigFiles: [cfg], env: {} });
      expect(viaConfig.jump).toEqual([{ address: jump.address, port: jump.port, user: lab.users.nopasswd.name, privateKeyFiles: [lab.keyFile] }]);
      expect((await connectTo(viaConfig).exec(rawCommand('hostname'))).stdout).toBe(`${target.name}\n`);
      // a known_hosts that knows the target but not the jump host: the jump hop is refused
      const onlyTarget = join(dir, 'only_target');
      writeFileSync(onlyTarget, `${khName(target)} ssh-ed25519 ${hostKeyBlob(target).toString('base64')}\n`);
      const e = await failure(connectTo(specFor(target, { runbook_jump_hosts: `${jump.address}:${jump.port}` }, { knownHosts: onlyTarget })).connect());
      expect(e.reason).toBe('host-key-unknown');
      expect(e.message).toContain(`jump host ${lab.users.nopasswd.name}@${jump.address}:${jump.port}`);
    });
  });

  describe('channels and timeouts', () => {
    it('runs 30 concurrent commands on one connection to a MaxSessions 10 host', async () => {
      const t = connectTo(specFor(host(0)));
      const started = Date.now();
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => t.exec(sh`sleep 0.3; echo ${i}`)));
      expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
      // the default limit (8) stays under MaxSessions 10; sshd frees a session slot a moment after
      // the channel closes, so an occasional refusal still happens and is retried
      expect(t.stats.channelsOpened).toBeGreaterThanOrEqual(30);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('retries channels OpenSSH refuses when the limit is set above MaxSessions', async () => {
      const t = connectTo({ ...specFor(host(0)), maxChannels: 20 });
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => t.exec(sh`sleep 0.3; echo ${i}`)));
      expect(rs.every((r) => r.ok)).toBe(true);
      // OpenSSH really refused some (MaxSessions 10) and they were retried
      expect(t.stats.channelRetries).toBeGreaterThan(0);
    });

    it('a timeout stops the remote command and its children (login user, sudo -n, sudo with password)', async () => {
      const h = host(1);
      const pw = lab.users.passwd.sudoPassword ?? '';
      const cases: Array<{ user: string; opts: ExecOptions; marker: string; warm?: boolean }> = [
        { user: lab.users.nopasswd.name, opts: {}, marker: '9871' },
        { user: lab.users.nopasswd.name, opts: { become: {} }, marker: '9872' },
        { user: lab.users.passwd.name, opts: { become: { password: pw } }, marker: '9873' },
      ];
      // the same once the login shell is known and commands run in it directly (see wrap.ts)
      cases.push({ user: lab.users.nopasswd.name, opts: {}, marker: '9875', warm: true });
      for (const c of cases) {
        const t = connectTo(specFor(h, { ansible_user: c.user }));
        if (c.warm) expect((await t.exec(rawCommand('true'))).ok).toBe(true);
        const started = Date.now();
        const r = await t.exec(rawCommand(`sleep ${c.marker} & sleep ${c.marker}; echo never`), { ...c.opts, timeoutMs: 1500 });
        expect(r.timedOut).toBe(true);
        expect(r.ok).toBe(false);
        expect(r.stdout).toBe('');
        expect(Date.now() - started).toBeLessThan(8000);
        await new Promise((res) => setTimeout(res, 300));
        expect(await remoteProcesses(h, `sleep ${c.marker}`)).toBe('');
        expect(new ExecError(r).message).toMatch(/timed out after \d+s and was stopped/);
      }
    });

    it('runs the first command in /bin/sh, later ones directly in the POSIX login shell (bash here), become always through sudo\'s /bin/sh', async () => {
      const h = host(1);
      // one exec per command (the host's loop runs every command in bash: transport-mux.test.ts)
      const t = connectTo(specFor(h, { runbook_ssh_mux: false }));
      const shellOf = async (opts: ExecOptions = {}) => (await t.exec(rawCommand('ps -o comm= -p $$; true'), opts)).stdout.trim();
      expect(await shellOf()).toBe('sh');
      expect(await shellOf()).toBe('bash');
      expect(await shellOf({ become: {} })).toBe('sh');
      // same output and exit status either way
      const r = await t.exec(rawCommand(`printf '%s|' "$0" >/dev/null; printf 'a b\\n'; exit 7`), { cwd: '/tmp', env: { X: "it's" } });
      expect({ code: r.exitCode, out: r.stdout }).toEqual({ code: 7, out: 'a b\n' });
    });

    it('an rc file that bash reads for `ssh host cmd` (set -euC before its guard) does not change how commands run', async () => {
      const h = host(1);
      const t = connectTo(specFor(h));
      const home = (await t.exec(rawCommand('printf %s "$HOME"'))).stdout;
      const rc = `${home}/.bashrc`;
      await t.exec(sh`cp -p -- ${rc} ${`${rc}.saved`} 2>/dev/null; printf 'set -euC\n' > ${rc}`);
      try {
        const fresh = connectTo(specFor(h));
        for (let i = 0; i < 2; i++) {
          // first command: portable form, then the direct form in bash itself
          const r = await fresh.exec(rawCommand(`echo "\${NOT_SET_ANYWHERE}x"; false; f=$(mktemp) && echo a > "$f" && echo b > "$f" && cat "$f"; rm -f "$f"`));
          expect({ i, out: r.stdout, code: r.exitCode }).toEqual({ i, out: 'x\nb\n', code: 0 });
        }
      } finally {
        await t.exec(sh`if [ -e ${`${rc}.saved`} ]; then mv -f -- ${`${rc}.saved`} ${rc}; else rm -f -- ${rc}; fi`);
      }
    });

    it('an abort signal stops the remote command', async () => {
      const h = host(1);
      const t = connectTo(specFor(h));
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 800);
      await expect(t.exec(rawCommand('sleep 9874'), { signal: ac.signal })).rejects.toThrow(/abort/i);
      await new Promise((res) => setTimeout(res, 500));
      expect(await remoteProcesses(h, 'sleep 9874')).toBe('');
    });

    it('an abort while the connection is still being made: nothing is started on the host', async () => {
      const h = host(1);
      const t = connectTo(specFor(h));
      const ac = new AbortController();
      // the SSH handshake takes longer than this: the abort lands while exec waits for it, and
      // an abort event that fired before the command's listener was attached must still count
      setTimeout(() => ac.abort(), 1);
      await expect(t.exec(rawCommand('sleep 9873'), { signal: ac.signal })).rejects.toThrow(/abort/i);
      expect(await remoteProcesses(h, 'sleep 9873')).toBe('');
      // the connection itself is fine for the next command
      expect((await t.exec(rawCommand('echo ok'))).stdout).toBe('ok\n');
    });
  });

  describe('unreachable hosts', () => {
    it('a host that is down is unreachable, fast; one whose cable is pulled times out', async () => {
      const h = host(2);
      await stopHost(lab, h.name);
      try {
        const started = Date.now();
        const e = await failure(connectTo(specFor(h)).connect());
        expect(e.reason).toBe('refused');
        expect(e.message).toContain(`connection refused by ${h.address}:${h.port}`);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await startHost(lab, h.name);
      }
      await unplugHost(lab, h.name);
      try {
        const started = Date.now();
        const e = await failure(connectTo(specFor(h, {}, { connectTimeoutMs: 1000, connectRetries: 1 })).connect());
        expect(e.reason).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(6000);
      } finally {
        await plugHost(lab, h.name);
      }
      expect((await connectTo(specFor(h)).exec(rawCommand('true'))).ok).toBe(true);
    });

    it('a host whose cable is pulled does not hold a handshake slot while it times out', async () => {
      const dead = host(2);
      const live = host(1);
      // one slot for both: before, the live host waited out the dead host's whole timeout
      const limiter = new HandshakeLimiter(1);
      await unplugHost(lab, dead.name);
      try {
        const order: string[] = [];
        const d = new SshTransport(specFor(dead, {}, { connectTimeoutMs: 4000, connectRetries: 0 }), { handshakeLimiter: limiter });
        const l = new SshTransport(specFor(live), { handshakeLimiter: limiter });
        open.push(d, l);
        const deadDone = d.connect().then(
          () => order.push('dead connected'),
          (e: unknown) => order.push(`dead ${(e as UnreachableError).reason}`),
        );
        // the dead host asks first
        await new Promise((res) => setTimeout(res, 100));
        await l.connect();
        order.push('live connected');
        await deadDone;
        expect(order).toEqual(['live connected', 'dead timeout']);
        expect(limiter.inUse).toBe(0);
      } finally {
        await plugHost(lab, dead.name);
      }
    });

    it('a host that dies in the middle of a command makes it unreachable (connection-lost)', async () => {
      const h = host(2);
      const t = connectTo(specFor(h, {}, { keepaliveIntervalMs: 1000 }));
      await t.connect();
      const pending = t.exec(rawCommand('sleep 60'));
      setTimeout(() => void stopHost(lab, h.name), 500);
      const started = Date.now();
      try {
        const e = await failure(pending);
        expect(e.reason).toBe('connection-lost');
        expect(e.message).toContain(`connection to ${h.name}`);
        expect(Date.now() - started).toBeLessThan(15_000);
        await expect(t.exec(rawCommand('true'))).rejects.toBeInstanceOf(UnreachableError);
      } finally {
        await startHost(lab, h.name);
      }
    });
  });

  describe('connection: local', () => {
    it('runs through the same interface, with real sudo', async () => {
      const t = createTransport(resolveConnection({ name: 'localhost', vars: { ansible_connection: 'local' } }, { env: {} }));
      expect(t).toBeInstanceOf(LocalTransport);
      const r = await t.exec(rawCommand('id -un; cat'), { become: { user: 'nobody' }, stdin: 'x\n' });
      expect(r).toMatchObject({ ok: true, stdout: 'nobody\nx\n' });
    });
  });
});
