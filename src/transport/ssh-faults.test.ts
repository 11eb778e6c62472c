// SshTransport against an in-process ssh2 server on 127.0.0.1: faults OpenSSH does not easily
// produce (no exit status, stalled handshake, refused channels, a connection dropped mid-command),
// plus host key and auth paths. Commands really run in a local /bin/sh, so the wrapper
// (pid marker, env, cwd) is exercised end to end. Real OpenSSH is in test/lab/transport.test.ts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, sh } from './command.js';
import { generateKeyPair } from '../../test/support/ssh-keys.js';
import { UnreachableError } from './errors.js';
import { fingerprint } from './known-hosts.js';
import { HandshakeLimiter } from './handshake-limiter.js';
import { describeConnectError, SshTransport } from './ssh.js';
import type { ConnectionSpec } from './types.js';

const { Server, utils } = ssh2;

let dir: string;
let hostKey: { private: string; public: string };
let hostBlob: Buffer;
let clientKeyFile: string;
let clientBlob: Buffer;

interface FakeOptions {
  password?: string;
  acceptKey?: boolean;
  /** refuse a session channel when this many are open (MaxSessions) */
  maxSessions?: number;
  /** refuse the first N session channels outright */
  refuseFirst?: number;
  /** a CPU-bound sshd: auth requests are answered one at a time, each after this many ms */
  serialAuthMs?: number;
}

interface Fake {
  port: number;
  stats: { refused: number; maxOpen: number; open: number; handshaking: number; maxHandshaking: number; logins: number };
  connections: Connection[];
  close(): Promise<void>;
}

const servers: Array<{ close(): Promise<void> }> = [];

function blobOf(publicLine: string): Buffer {
  return Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
}

function runCommand(command: string, ch: ServerChannel): void {
  // fault switches, looked for in the wrapped command text
  if (command.includes('FAULT_NO_EXIT')) {
    ch.write('partial\n');
    setTimeout(() => ch.close(), 50);
    return;
  }
  if (command.includes('FAULT_INSTANT')) {
    // reply, output, exit status and close in one tick: one TCP read on the client, as under load
    ch.write('quick\n');
    ch.exit(3);
    ch.close();
    return;
  }
  if (command.includes('FAULT_LATE_OUTPUT')) {
    ch.exit(0);
    setTimeout(() => {
      ch.write('late\n');
      ch.close();
    }, 100);
    return;
  }
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdout.on('data', (d: Buffer) => ch.write(d));
  child.stderr.on('data', (d: Buffer) => ch.stderr.write(d));
  child.stdin.on('error', () => {});
  ch.on('data', (d: Buffer) => child.stdin.write(d));
  ch.on('end', () => child.stdin.end());
  child.on('close', (code, signal) => {
    if (signal) ch.exit(signal.replace(/^SIG/, ''), false, '');
    else ch.exit(code ?? 255);
    ch.close();
  });
}

async function startFake(opts: FakeOptions = {}): Promise<Fake> {
  const stats = { refused: 0, maxOpen: 0, open: 0, handshaking: 0, maxHandshaking: 0, logins: 0 };
  const connections: Connection[] = [];
  let refusals = opts.refuseFirst ?? 0;
  const allowed = utils.parseKey(readFileSync(clientKeyFile));
  if (allowed instanceof Error) throw allowed;
  // one auth worker: requests queue behind each other, as logins do on a busy sshd
  let authQueue: Promise<void> = Promise.resolve();
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.push(client);
    // handshakes in progress as the server sees them: from the connection to ready or close
    stats.handshaking++;
    stats.maxHandshaking = Math.max(stats.maxHandshaking, stats.handshaking);
    let handshaking = true;
    const handshakeDone = (): void => {
      if (handshaking) stats.handshaking--;
      handshaking = false;
    };
    client.once('ready', () => {
      stats.logins++;
      handshakeDone();
    });
    client.once('close', handshakeDone);
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (opts.serialAuthMs !== undefined) {
        const ms = opts.serialAuthMs;
        authQueue = authQueue.then(() => new Promise<void>((r) => setTimeout(r, ms))).then(() => answer(ctx));
        return;
      }
      answer(ctx);
    });
    const answer = (ctx: AuthContext): void => {
      if (ctx.method === 'password' && opts.password !== undefined && ctx.password === opts.password) return ctx.accept();
      if (ctx.method === 'publickey' && opts.acceptKey !== false && ctx.key.data.equals(clientBlob)) {
        if (!ctx.signature) return ctx.accept();
        if (ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      const methods: Array<'password' | 'publickey'> = [];
      if (opts.acceptKey !== false) methods.push('publickey');
      if (opts.password !== undefined) methods.push('password');
      ctx.reject(methods);
    };
    client.on('ready', () => {
      client.on('session', (accept, reject) => {
        if (refusals > 0 || (opts.maxSessions !== undefined && stats.open >= opts.maxSessions)) {
          refusals = Math.max(0, refusals - 1);
          stats.refused++;
          reject();
          return;
        }
        stats.open++;
        stats.maxOpen = Math.max(stats.maxOpen, stats.open);
        const session = accept();
        let counted = true;
        const done = (): void => {
          if (counted) stats.open--;
          counted = false;
        };
        session.on('close', done);
        session.on('exec', (acceptExec, _rejectExec, info) => {
          const ch = acceptExec();
          ch.on('close', done);
          runCommand(info.command, ch);
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const fake: Fake = {
    port,
    stats,
    connections,
    close: () =>
      new Promise<void>((r) => {
        for (const c of connections) c.end();
        server.close(() => r());
      }),
  };
  servers.push(fake);
  return fake;
}

function spec(port: number, extra: Partial<ConnectionSpec> = {}): ConnectionSpec {
  const kh = join(dir, 'known_hosts');
  return {
    host: 'fake',
    connection: 'ssh',
    address: '127.0.0.1',
    port,
    user: 'alice',
    privateKeyFiles: [clientKeyFile],
    knownHostsFiles: [kh],
    hostKeyChecking: 'strict',
    jump: [],
    connectTimeoutMs: 3000,
    connectRetries: 0,
    keepaliveIntervalMs: 5000,
    maxChannels: 8,
    become: { enabled: false },
    ...extra,
  };
}

function trustHost(port: number, file = join(dir, 'known_hosts')): void {
  writeFileSync(file, `[127.0.0.1]:${port} ${hostKey.public.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
}

const transports: SshTransport[] = [];
function transport(s: ConnectionSpec, warnings?: string[], handshakeLimiter?: HandshakeLimiter): SshTransport {
  const t = new SshTransport(s, { onWarning: (m) => warnings?.push(m), ...(handshakeLimiter ? { handshakeLimiter } : {}) });
  transports.push(t);
  return t;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-sshfake-'));
  hostKey = generateKeyPair();
  hostBlob = blobOf(hostKey.public);
  clientKeyFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKeyFile]);
  clientBlob = blobOf(readFileSync(`${clientKeyFile}.pub`, 'utf8'));
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('exec over ssh2', () => {
  it('runs commands with env, cwd and stdin, both streams captured', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const t = transport(spec(fake.port));
    const r = await t.exec(rawCommand('cat; echo "$X"; pwd; echo e >&2; exit 4'), { stdin: 'in\n', env: { X: 'a b' }, cwd: '/tmp' });
    expect(r).toMatchObject({ exitCode: 4, stdout: 'in\na b\n/tmp\n', stderr: 'e\n', ok: false, signal: null });
  });

  it('a channel closed without an exit status is a failure with exitCode null', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const r = await transport(spec(fake.port)).exec(rawCommand('echo FAULT_NO_EXIT'));
    expect(r).toMatchObject({ exitCode: null, ok: false, stdout: 'partial\n' });
  });

  it('keeps the exit status when it arrives in the same read as the exec reply (busy hosts)', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const t = transport(spec(fake.port));
    const rs = await Promise.all(Array.from({ length: 10 }, () => t.exec(rawCommand('echo FAULT_INSTANT'))));
    for (const r of rs) expect(r).toMatchObject({ exitCode: 3, stdout: 'quick\n' });
  });

  it('resolves on channel close, so output after the exit status is kept', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const r = await transport(spec(fake.port)).exec(rawCommand('echo FAULT_LATE_OUTPUT'));
    expect(r).toMatchObject({ exitCode: 0, ok: true, stdout: 'late\n' });
  });

  it('retries refused channels (MaxSessions) instead of failing, and never opens more than maxChannels', async () => {
    const fake = await startFake({ maxSessions: 3, refuseFirst: 2 });
    trustHost(fake.port);
    const t = transport(spec(fake.port, { maxChannels: 5 }));
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => t.exec(sh`sleep 0.1; echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.stats.refused).toBeGreaterThanOrEqual(2);
    expect(fake.stats.maxOpen).toBeLessThanOrEqual(3);
  });

  it('keeps concurrent channels at the limit', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const t = transport(spec(fake.port, { maxChannels: 3 }));
    await Promise.all(Array.from({ length: 9 }, () => t.exec(rawCommand('sleep 0.1'))));
    expect(fake.stats.maxOpen).toBe(3);
    expect(fake.connections).toHaveLength(1);
  });

  it('a timeout kills the remote process group over a second channel', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const pidFile = join(dir, 'remote-bg.pid');
    const t = transport(spec(fake.port));
    const started = Date.now();
    const r = await t.exec(rawCommand(`sleep 30 & echo $! > ${pidFile}; sleep 30`), { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 200));
    let alive = true;
    try {
      alive = !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${bg}/stat`, 'utf8'));
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });

  it('a connection dropped mid-command makes the host unreachable (connection-lost)', async () => {
    const fake = await startFake();
    trustHost(fake.port);
    const t = transport(spec(fake.port));
    await t.connect();
    const pending = t.exec(rawCommand('sleep 5'));
    setTimeout(() => {
      for (const c of fake.connections) (c as unknown as { _sock: Socket })._sock.destroy();
    }, 300);
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).reason).toBe('connection-lost');
    expect((err as Error).message).toMatch(/connection to fake .* was lost/);
    await expect(t.exec(rawCommand('true'))).rejects.toBeInstanceOf(UnreachableError);
  });
});

describe('connecting', () => {
  it('a stalled handshake times out and is unreachable (timeout), with retries', async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => { sockets.forEach((s) => s.destroy()); silent.close(() => r()); }) });
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const started = Date.now();
    const err = await transport(spec(port, { connectTimeoutMs: 300, connectRetries: 1 })).connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).reason).toBe('timeout');
    expect((err as Error).message).toMatch(/^fake: timed out .* connecting to 127\.0\.0\.1:\d+/);
    expect(sockets.length).toBe(2);
    expect(elapsed).toBeLessThan(3000);
  });

  it('a closed port is refused, fast', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const address = srv.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((r) => srv.close(() => r()));
    const err = await transport(spec(port)).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'refused', host: 'fake' });
    expect((err as Error).message).toContain(`connection refused by 127.0.0.1:${port}`);
  });

  it('names the user, the methods tried and the methods the server accepts when auth fails', async () => {
    const fake = await startFake({ acceptKey: false, password: 'right-pw' });
    trustHost(fake.port);
    const err = await transport(spec(fake.port, { password: 'wrong-pw' })).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'auth' });
    const msg = (err as Error).message;
    expect(msg).toMatch(/authentication failed for user "alice"/);
    expect(msg).toContain('password');
    expect(msg).toContain('the server accepts: password');
    expect(msg).not.toContain('wrong-pw');
    await transport(spec(fake.port, { password: 'right-pw' })).connect();
  });

  it('uses encrypted keys with the passphrase, and says what to do without it', async () => {
    const encrypted = join(dir, 'enc_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'key-pass-1', '-f', encrypted]);
    const encBlob = blobOf(readFileSync(`${encrypted}.pub`, 'utf8'));
    const savedBlob = clientBlob;
    const savedFile = clientKeyFile;
    // the fake server checks keys against clientKeyFile/clientBlob at start
    clientKeyFile = `${encrypted}.plain`;
    execFileSync('cp', [encrypted, clientKeyFile]);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', 'key-pass-1', '-N', '', '-f', clientKeyFile]);
    clientBlob = encBlob;
    try {
      const fake = await startFake();
      trustHost(fake.port);
      const noPass = await transport(spec(fake.port, { privateKeyFiles: [encrypted] })).connect().catch((e: unknown) => e);
      expect(noPass).toMatchObject({ reason: 'auth' });
      expect((noPass as Error).message).toContain(`${encrypted} is encrypted: give its passphrase (RUNBOOK_SSH_KEY_PASSPHRASE`);
      await transport(spec(fake.port, { privateKeyFiles: [encrypted], privateKeyPassphrase: 'key-pass-1' })).connect();
      const wrong = await transport(spec(fake.port, { privateKeyFiles: [encrypted], privateKeyPassphrase: 'nope-nope' })).connect().catch((e: unknown) => e);
      expect((wrong as Error).message).toContain(`${encrypted}: wrong passphrase`);
      expect((wrong as Error).message).not.toContain('nope-nope');
    } finally {
      clientBlob = savedBlob;
      clientKeyFile = savedFile;
    }
    // bcrypt key derivation takes seconds on a loaded machine
  }, 30_000);
});

describe('handshake limiter (fleet scale)', () => {
  it('many hosts against a slow sshd: all connect, never more than N handshakes in flight', async () => {
    // 24 logins answered one at a time (two auth requests each) take ~5 s in all, well over the
    // 3 s connect timeout: without the limiter the last hosts time out in the server's queue;
    // with 2 in flight one handshake waits ~0.4 s for the server (margin for a loaded machine)
    const fake = await startFake({ serialAuthMs: 100 });
    trustHost(fake.port);
    const limiter = new HandshakeLimiter(2);
    const ts = Array.from({ length: 24 }, (_, i) => transport(spec(fake.port, { host: `h${i}`, connectTimeoutMs: 3000, connectRetries: 0 }), undefined, limiter));
    const results = await Promise.allSettled(ts.map((t) => t.connect()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(fake.stats.logins).toBe(24);
    expect(fake.stats.maxHandshaking).toBeLessThanOrEqual(2);
    expect(fake.stats.maxHandshaking).toBeGreaterThan(1);
    expect(limiter.stats).toEqual({ peak: 2, acquired: 24 });
    expect(limiter.inUse).toBe(0);
    // the connections are usable after the handshake
    const r = await ts[23]?.exec(rawCommand('echo ok'));
    expect(r?.stdout).toBe('ok\n');
  }, 30_000);

  it('the connect timeout does not count the wait for a slot; a timed-out or refused host gives its slot back', async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => { sockets.forEach((s) => s.destroy()); silent.close(() => r()); }) });
    const address = silent.address();
    const silentPort = typeof address === 'object' && address ? address.port : 0;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const ca = closed.address();
    const closedPort = typeof ca === 'object' && ca ? ca.port : 0;
    await new Promise<void>((r) => closed.close(() => r()));
    const fake = await startFake();
    trustHost(fake.port);

    const limiter = new HandshakeLimiter(1);
    // one slot: the silent host (TCP accepted, no SSH) holds it for its whole 2 s timeout; the
    // refused host never gets that far (the TCP connection comes before the slot); the good
    // host waits, and its own 1.5 s timeout must not have started while it waited (> 2 s)
    const down = transport(spec(silentPort, { host: 'down', connectTimeoutMs: 2000, connectRetries: 0 }), undefined, limiter);
    const refused = transport(spec(closedPort, { host: 'refused', connectTimeoutMs: 2000, connectRetries: 0 }), undefined, limiter);
    const good = transport(spec(fake.port, { host: 'good', connectTimeoutMs: 1500, connectRetries: 0 }), undefined, limiter);
    const [d, r, g] = await Promise.allSettled([down.connect(), refused.connect(), good.connect()]);
    expect(d).toMatchObject({ status: 'rejected', reason: { reason: 'timeout', host: 'down' } });
    expect(r).toMatchObject({ status: 'rejected', reason: { reason: 'refused', host: 'refused' } });
    expect(g.status).toBe('fulfilled');
    expect(limiter.stats).toEqual({ peak: 1, acquired: 2 });
    expect(limiter.inUse).toBe(0);
    expect(limiter.queued).toBe(0);
  }, 30_000);

  it('transports share one process-wide limiter per limit, from the spec or RUNBOOK_MAX_HANDSHAKES', () => {
    const a = transport(spec(1, { host: 'a', maxHandshakes: 7 }));
    const b = transport(spec(1, { host: 'b', maxHandshakes: 7 }));
    expect(a.handshakes).toBe(b.handshakes);
    expect(a.handshakes.limit).toBe(7);
    const before = process.env.RUNBOOK_MAX_HANDSHAKES;
    process.env.RUNBOOK_MAX_HANDSHAKES = '5';
    try {
      expect(transport(spec(1, { host: 'c' })).handshakes.limit).toBe(5);
    } finally {
      if (before === undefined) delete process.env.RUNBOOK_MAX_HANDSHAKES;
      else process.env.RUNBOOK_MAX_HANDSHAKES = before;
    }
  });
});

describe('key formats', () => {
  it('reads an encrypted OpenSSH-format key with the passphrase from RUNBOOK_SSH_KEY_PASSPHRASE', async () => {
    const savedBlob = clientBlob;
    const savedFile = clientKeyFile;
    const enc = join(dir, 'enc_openssh');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'env-pass-9', '-f', enc]);
    clientKeyFile = `${enc}.plain`;
    execFileSync('cp', [enc, clientKeyFile]);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', 'env-pass-9', '-N', '', '-f', clientKeyFile]);
    clientBlob = blobOf(readFileSync(`${enc}.pub`, 'utf8'));
    process.env.RUNBOOK_SSH_KEY_PASSPHRASE = 'env-pass-9';
    try {
      expect(readFileSync(enc, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
      const fake = await startFake();
      trustHost(fake.port);
      const r = await transport(spec(fake.port, { privateKeyFiles: [enc] })).exec(rawCommand('echo in'));
      expect(r.stdout).toBe('in\n');
    } finally {
      delete process.env.RUNBOOK_SSH_KEY_PASSPHRASE;
      clientBlob = savedBlob;
      clientKeyFile = savedFile;
    }
    // bcrypt key derivation (ssh-keygen -p, then ssh2 twice) takes seconds on a loaded machine
  }, 30_000);
});

describe('host keys', () => {
  it('strict: an unknown host fails with the fingerprint and how to accept it', async () => {
    const fake = await startFake();
    writeFileSync(join(dir, 'known_hosts'), '');
    const err = await transport(spec(fake.port)).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'host-key-unknown' });
    const msg = (err as Error).message;
    expect(msg).toContain(fingerprint(hostBlob));
    expect(msg).toContain('accept-new');
    expect(msg).toContain(`ssh-keyscan -p ${fake.port} 127.0.0.1`);
  });

  it('a changed key fails with the fingerprint and the ssh-keygen -R fix', async () => {
    const fake = await startFake();
    const other = generateKeyPair();
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${fake.port} ${other.public.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    const err = await transport(spec(fake.port)).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'host-key-changed' });
    const msg = (err as Error).message;
    expect(msg).toContain('HOST KEY CHANGED');
    expect(msg).toContain(fingerprint(hostBlob));
    expect(msg).toContain(`ssh-keygen -R '[127.0.0.1]:${fake.port}' -f ${kh}`);
    expect(msg).toContain(`${kh}:1`);
  });

  it('accept-new records the key (hashed when asked), then strict accepts it', async () => {
    const fake = await startFake();
    const kh = join(dir, 'kh-accept');
    const warnings: string[] = [];
    await transport(spec(fake.port, { knownHostsFiles: [kh], hostKeyChecking: 'accept-new', hashKnownHosts: true }), warnings).connect();
    const text = readFileSync(kh, 'utf8');
    expect(text).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /);
    expect(warnings.join('\n')).toContain('permanently added');
    await transport(spec(fake.port, { knownHostsFiles: [kh] })).connect();
  });

  it('off connects and says so loudly', async () => {
    const fake = await startFake();
    const warnings: string[] = [];
    const t = transport(spec(fake.port, { knownHostsFiles: [join(dir, 'empty')], hostKeyChecking: 'off' }), warnings);
    await t.connect();
    expect(warnings.join('\n')).toMatch(/host key checking is OFF for fake/);
  });
});

describe('describeConnectError', () => {
  const hop = { label: 'web1 (web1.example:22)', address: 'web1.example', port: 22, user: 'deploy' };
  const ctx = { tried: [], unusable: [], connectTimeoutMs: 10_000 };
  it('names a name that does not resolve', () => {
    const e = describeConnectError('web1', hop, Object.assign(new Error('getaddrinfo ENOTFOUND web1.example'), { code: 'ENOTFOUND' }), ctx);
    expect(e).toMatchObject({ reason: 'dns', host: 'web1' });
    expect(e.message).toBe('web1: the name "web1.example" does not resolve (ENOTFOUND); check ansible_host / HostName for web1 (web1.example:22)');
  });
  it('names no route to host', () => {
    const e = describeConnectError('web1', hop, Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }), ctx);
    expect(e.message).toContain('no route to web1.example:22');
  });
});
