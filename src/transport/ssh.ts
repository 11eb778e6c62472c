// The ssh transport: one ssh2 connection per host for the whole run, shared by all of the
// host's tasks; channels limited per connection (a refused channel is retried); host keys
// checked against known_hosts; jump hosts; commands wrapped (wrap.ts) so sudo, timeouts and
// aborts behave; files written atomically over SFTP on the same connection.
import { appendFileSync } from 'node:fs';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, Client as SshClient } from 'ssh2';

// ssh2 is CommonJS: its named exports are only reachable through the default import
const { Client } = ssh2;
type Client = SshClient;

import { connect as tcpConnect, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Duplex } from 'node:stream';
import { rawCommand, sh, type ShellCommand } from './command.js';
import { ExecError, UnreachableError, failedResult, type UnreachableReason } from './errors.js';
import { ExecSession, type SessionIO } from './exec-session.js';
import { resolveMaxHandshakes, sharedHandshakeLimiter, type HandshakeLimiter } from './handshake-limiter.js';
import {
  appendKnownHost,
  fingerprint,
  keyTypeLabel,
  keyTypeOfBlob,
  knownHostsName,
  KnownHosts,
  knownKeyAlgorithms,
  loadKnownHostsIndex,
  verifyHostKey,
} from './known-hosts.js';
import { StopEscalation, abortReason, type StopSignal } from './stop.js';
import { atomicPut, type PutFileOps } from './atomic-put.js';
import { loadPrivateKey, type LoadedKey } from './private-keys.js';
import type { BecomeOptions, ConnectionSpec, ExecOptions, ExecResult, PreopenMode, PutOptions, Transport } from './types.js';
import { killScript, loginShellKind, newNonce, wrapCommand, type LoginShell } from './wrap.js';
import { loaderKind, loaderScript, loaderText, PREOPEN_DEPTH } from './preopen.js';
import { muxCanCarry, muxCommand, muxLoop, muxReadyTag } from './mux.js';
import { ignoreHostKeyAnnouncements } from './host-key-announcements.js';
import { MuxChannel, MuxCommand } from './mux-channel.js';

import { Semaphore } from '../util/semaphore.js';
import { parseAnsibleBool } from '../util/booleans.js';

/**
 * An exec channel's exit status, listened for from the moment the channel exists: under load
 * the exec reply, the output, exit-status and close can arrive in one TCP read, and ssh2 emits
 * 'exit' before drive() has attached its listeners (several microtasks later). Output is
 * buffered by the stream until read, but 'exit' is a plain event: it is kept here until drive()
 * hands over its session. One listener per channel (not a second one in drive(), nor a WeakMap
 * entry per channel, which the garbage collector traces at every scavenge).
 */
interface ExitTap {
  /** the first exit status came (later ones are ignored, as with once()) */
  done: boolean;
  exit?: { code: number | null | undefined; signal: string | undefined };
  session?: ExecSession;
}

function tapExit(ch: ClientChannel, onExit?: () => void): ExitTap {
  const tap: ExitTap = { done: false };
  // on() and a flag: once() wraps the listener in a bound function per channel
  ch.on('exit', (code: number | null | undefined, signal?: string) => {
    if (tap.done) return;
    tap.done = true;
    onExit?.();
    if (tap.session) exitInto(tap.session, code, signal);
    else tap.exit = { code, signal };
  });
  return tap;
}

function exitInto(session: ExecSession, code: number | null | undefined, signal: string | undefined): void {
  session.exit(code ?? null, code === null || code === undefined ? (signal ?? null) : null);
}

/** stdin of a command on its channel */
class ChannelInput implements SessionIO {
  constructor(private readonly channel: ClientChannel) {}
  writeStdin(d: string | Buffer): void {
    if (this.channel.writable) this.channel.write(d);
  }
  endStdin(): void {
    if (this.channel.writable) this.channel.end();
  }
}

export interface SshTransportOptions {
  /** warnings for the operator (host key checking off, unreadable key file); default: stderr */
  onWarning?: (message: string) => void;
  /** write new keys hashed (`HashKnownHosts yes`) in accept-new mode */
  hashKnownHosts?: boolean;
  /** handshake slots to use instead of the process-wide ones (tests, embedding) */
  handshakeLimiter?: HandshakeLimiter;
  /**
   * start sessions ahead of their commands (preopen.ts): `auto` once the connection's round
   * trip is at least PREOPEN_MIN_RTT_MS, `always`, `never`; default: the spec's (inventory
   * `runbook_ssh_preopen`), else RUNBOOK_SSH_PREOPEN (same words), else `never`
   */
  preopen?: PreopenMode;
}

/** a session started ahead of its command (preopen.ts) */
interface Spare {
  client: Client;
  nonce: string;
  pidTag: string;
  /** what the loader runs in (preopen.ts): the login shell, or /bin/sh */
  loginShell: LoginShell;
  /** the channel once its exec is confirmed (and its exit status tap); undefined when that failed */
  ready: Promise<{ channel: ClientChannel; tap: ExitTap } | undefined>;
  /** it ended (or failed) before a command was given to it */
  dead: boolean;
  /** a command was given to it */
  used: boolean;
}

/**
 * With `preopen: auto`, sessions are started ahead on a link of at least this round trip, where
 * a round trip saved per command outweighs the sessions started for nothing at the end. Both
 * must say so: the TCP handshake (answered by the host's kernel, so the host's load does not
 * count) and the quickest of two exec round trips (channel open + exec: two round trips plus
 * sshd's fork). Either alone is inflated when this process is busy (a burst of handshakes); on
 * a LAN under that load both rarely are, and a wrong guess costs sessions, not results.
 */
const PREOPEN_MIN_RTT_MS = 20;

/** a bad RUNBOOK_MAX_HANDSHAKES is reported once per process, not once per host */
let warnedMaxHandshakes = false;

/** after TERM, how long a command gets to exit before KILL, and after KILL before we give up */
const KILL_GRACE_MS = 3000;
const GET_LIMIT = 512 * 1024 * 1024;
const CHANNEL_RETRIES = 12;
/** how long close() waits for the loop to end after its EOF */
const MUX_END_WAIT_MS = 2000;
/** a host whose command loop failed this often gets one exec per command again */
const MUX_MAX_FAILURES = 3;
/**
 * How long the first command waits for a loop started before the login shell was known: a login
 * shell that neither runs it nor ends (a menu waiting for a key) costs this once, then the host's
 * commands are exec'd. An rc file slower than this only costs the loop.
 */
const MUX_READY_WAIT_MS = 15_000;

/** a command in the loop gets its input in its frame: nothing goes on the session's stdin later */
const NO_INPUT = { writeStdin(): void {}, endStdin(): void {} };

/**
 * A monotonic clock in milliseconds, for the round trips measured per connection and command.
 * Not `performance.now()`: its first use loads node's perf_hooks, ten built-in modules compiled
 * at the start of every run that connects (about 0.7 ms on Debian's node).
 */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** `SIGTERM` for 15 (a loop command killed by a signal exits 128 + its number) */
function signalName(n: number): string | null {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name;
  return null;
}

interface Hop {
  /** how the hop is named in messages */
  label: string;
  address: string;
  port: number;
  user: string;
  privateKeyFiles: string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isChannelOpenFailure(e: unknown): boolean {
  return e instanceof Error && /Channel open failure/i.test(e.message) && !/server closed channel unexpectedly/.test(e.message);
}

function defaultWarning(message: string): void {
  process.stderr.write(`runbook: WARNING: ${message}\n`);
}

export class SshTransport implements Transport {
  readonly host: string;
  /** at most maxChannels channels open at once on this connection */
  private readonly limiter: Semaphore;
  private readonly clients: Client[] = [];
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private lost: UnreachableError | undefined;
  private closed = false;
  /** what the login shell is, from the first command's pid line (see wrap.ts) */
  private loginShell: LoginShell = 'unknown';
  /** the loader sessions started ahead run (preopen.ts), once a pid line told the login shell; undefined: none */
  private loaderKind: LoginShell | undefined;
  /** an exec's pid line or the loop's ready line told what the login shell is */
  private loginShellKnown = false;
  /**
   * counters for tests and -vvv: channels opened, and refused opens that were retried; sessions
   * started ahead, and those used; commands run in the host's loop, and those that went the old
   * way after the loop ended before them; the TCP handshake's round trip to the first hop (ms)
   */
  readonly stats = { channelsOpened: 0, channelRetries: 0, preopened: 0, preopenUsed: 0, muxCommands: 0, muxRetried: 0, tcpRttMs: NaN };
  /** sessions started ahead (preopen.ts), oldest first */
  private spares: Spare[] = [];
  /** quickest exec round trip seen on this connection, and how many were measured */
  private execMinMs = Infinity;
  private execSamples = 0;
  /** the server refused a session started ahead: start no more on this connection */
  private preopenRefused = false;
  /** commands in flight, told when the connection goes away */
  private readonly inFlight = new Set<() => void>();
  private readonly warn: (message: string) => void;
  /** process-wide: at most this many handshakes (connect + kex + auth) at once */
  readonly handshakes: HandshakeLimiter;
  /** RUNBOOK_SSH_PREOPEN, read once per transport (it was read from the environment per command) */
  private readonly envPreopen: PreopenMode;
  /** the host's command loop (mux.ts), once started; its start, while it is being started */
  private mux: MuxChannel | undefined;
  private muxOpening: Promise<MuxChannel | undefined> | undefined;
  /** loops that failed to start or ended while in use: after MUX_MAX_FAILURES, commands are exec'd */
  private muxFailures = 0;
  /** RUNBOOK_SSH_MUX, read once per transport */
  private readonly envMux: boolean;

  constructor(
    readonly spec: ConnectionSpec,
    private readonly options: SshTransportOptions = {},
  ) {
    this.host = spec.host;
    this.limiter = new Semaphore(Math.max(1, Math.ceil(spec.maxChannels)));
    this.warn = options.onWarning ?? defaultWarning;
    const env = process.env.RUNBOOK_SSH_PREOPEN;
    this.envPreopen = env === 'always' || env === 'auto' ? env : 'never';
    this.envMux = parseAnsibleBool(process.env.RUNBOOK_SSH_MUX) !== false;
    if (options.handshakeLimiter) this.handshakes = options.handshakeLimiter;
    else {
      const { limit, warning } = resolveMaxHandshakes(spec.maxHandshakes);
      if (warning && !warnedMaxHandshakes) {
        warnedMaxHandshakes = true;
        this.warn(warning);
      }
      this.handshakes = sharedHandshakeLimiter(limit);
    }
  }

  /** Open the connection (idempotent; concurrent callers share one attempt). */
  connect(): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    // a transport closed by close() may be opened again
    if (!this.connecting) this.closed = false;
    this.connecting ??= this.connectWithRetries().catch((e: unknown) => {
      this.connecting = undefined;
      throw e;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropSpares();
    const mux = this.mux;
    this.mux = undefined;
    // the loop is told to end (EOF) and ends before the connection does, so its processes are
    // never orphans of an sshd that went first (a host's process accounting keeps their parent)
    if (mux && !this.lost) await mux.end(MUX_END_WAIT_MS);
    // a lost connection closed on purpose may be opened again (reboot, wait_for_connection)
    this.lost = undefined;
    for (const c of [...this.clients].reverse()) c.end();
    this.clients.length = 0;
    this.client = undefined;
    this.connecting = undefined;
  }

  // ---------------------------------------------------------------- connect

  private hops(): Hop[] {
    const s = this.spec;
    const jumps: Hop[] = s.jump.map((j) => ({
      label: `jump host ${j.user}@${j.address}:${j.port}`,
      address: j.address,
      port: j.port,
      user: j.user,
      privateKeyFiles: j.privateKeyFiles ?? s.privateKeyFiles,
    }));
    const target: Hop = { label: `${s.host} (${s.address}:${s.port})`, address: s.address, port: s.port, user: s.user, privateKeyFiles: s.privateKeyFiles };
    return [...jumps, target];
  }

  private async connectWithRetries(): Promise<void> {
    if (this.spec.hostKeyChecking === 'off') {
      this.warn(`host key checking is OFF for ${this.spec.host}: its identity is NOT verified (anyone on the path could impersonate it)`);
    }
    const attempts = 1 + Math.max(0, this.spec.connectRetries);
    let last: UnreachableError | undefined;
    let timeouts = 0;
    for (let i = 0; i < attempts; i++) {
      if (this.closed) break;
      try {
        await this.connectChain();
        return;
      } catch (e) {
        last = e instanceof UnreachableError ? e : new UnreachableError(this.host, 'other', `${this.host}: ${(e as Error).message}`, { cause: e });
        // a wrong key, a wrong password or a name that does not resolve will not get better
        if (!['refused', 'timeout', 'connection-lost', 'other'].includes(last.reason)) throw last;
        // a host that does not answer rarely answers later: one more try, not the full count
        if (last.reason === 'timeout' && ++timeouts >= 2) throw last;
        if (i < attempts - 1) await sleep(Math.min(4000, 300 * 2 ** i) + Math.random() * 300);
      }
    }
    throw last ?? new UnreachableError(this.host, 'other', `${this.host}: connection closed`);
  }

  private async connectChain(): Promise<void> {
    const keys = await this.loadKeys();
    const hops = this.hops();
    const opened: Client[] = [];
    // The TCP connection to the first hop is made before a handshake slot is taken: a host
    // that does not answer at all (pulled cable, firewall dropping SYNs) then waits out its
    // connect timeout without holding a slot that answering hosts need. The slot covers the
    // SSH handshakes (the CPU-heavy part, for us and for sshd), held for the whole chain (jump
    // hosts included) and given back as soon as the chain is up or has failed. ssh2's
    // readyTimeout starts in client.connect(), so the wait in the queue is not counted.
    const first = hops[0];
    let sock: Duplex | undefined = first ? await this.openTcp(first) : undefined;
    let release: () => void;
    try {
      release = await this.handshakes.acquire();
    } catch (e) {
      sock?.destroy();
      throw e;
    }
    try {
      if (this.closed) throw new UnreachableError(this.host, 'other', `${this.host}: the connection was closed while it was being opened`);
      if (sock?.destroyed && first) {
        throw new UnreachableError(this.host, 'connection-lost', `${this.host}: ${first.label} closed the connection before the SSH handshake started`);
      }
      // read after the wait, so a long queue does not verify against a stale file (cached: cheap)
      const known = this.spec.hostKeyChecking === 'off' ? new KnownHosts([]) : await loadKnownHostsIndex(this.spec.knownHostsFiles);
      for (let i = 0; i < hops.length; i++) {
        const hop = hops[i];
        if (!hop) continue;
        const client = await this.connectHop(hop, sock, known, keys);
        opened.push(client);
        const next = hops[i + 1];
        if (next) sock = await this.forward(client, hop, next);
      }
    } catch (e) {
      for (const c of opened.reverse()) c.end();
      if (opened.length === 0) sock?.destroy();
      throw e;
    } finally {
      release();
    }
    const target = opened[opened.length - 1];
    if (!target) throw new UnreachableError(this.host, 'other', `${this.host}: nothing to connect to`);
    if (this.closed) {
      // close() was called while we were connecting
      for (const c of opened.reverse()) c.end();
      throw new UnreachableError(this.host, 'other', `${this.host}: the connection was closed while it was being opened`);
    }
    this.clients.push(...opened);
    this.client = target;
    this.dropSpares();
    this.execMinMs = Infinity;
    this.execSamples = 0;
    this.preopenRefused = false;
    for (const c of opened) {
      const onGone = (err?: Error): void => {
        // a client ended by close() reports its end after a new connection may be open: not a loss of that one
        if (this.closed || this.lost || !this.clients.includes(c)) return;
        const why = err ? `: ${err.message}` : '';
        this.lost = new UnreachableError(this.host, 'connection-lost', `connection to ${this.host} (${this.spec.address}:${this.spec.port}) was lost${why}`);
        this.client = undefined;
        for (const notify of this.inFlight) notify();
      };
      c.on('error', onGone);
      c.on('close', () => onGone());
    }
  }

  private forward(client: Client, hop: Hop, next: Hop): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
        if (err) {
          reject(
            new UnreachableError(
              this.host,
              'refused',
              `${this.host}: ${hop.label} could not open a connection to ${next.address}:${next.port} (${err.message}): is the address right and reachable from the jump host, and does it allow TCP forwarding?`,
            ),
          );
        } else resolve(stream);
      });
    });
  }

  private async loadKeys(): Promise<Map<string, LoadedKey>> {
    // file -> parsed key, or the reason it cannot be used (each file parsed once per process: private-keys.ts)
    const out = new Map<string, LoadedKey>();
    const files = new Set([...this.spec.privateKeyFiles, ...this.spec.jump.flatMap((j) => j.privateKeyFiles ?? [])]);
    const passphrase = this.spec.privateKeyPassphrase ?? process.env.RUNBOOK_SSH_KEY_PASSPHRASE;
    for (const file of files) out.set(file, await loadPrivateKey(file, passphrase));
    return out;
  }

  /** A connected TCP socket to `hop`, or the same UnreachableError ssh2's own connect would give. */
  private openTcp(hop: Hop): Promise<Socket> {
    const timeoutMs = this.spec.connectTimeoutMs;
    const ctx = { tried: [], unusable: [], connectTimeoutMs: timeoutMs };
    return new Promise<Socket>((resolve, reject) => {
      const sent = nowMs();
      const sock = tcpConnect({ host: hop.address, port: hop.port });
      // TCP_NODELAY: without it, Nagle holds a command's first packet behind the previous
      // command's CLOSE until the server's delayed ACK (40 ms on Linux), for every command after
      // the first on a connection (measured: 44 ms -> 3 ms per `true` over the lab's veths).
      // The only TCP socket of a chain: later hops travel in SSH channels of this one.
      sock.setNoDelay(true);
      const fail = (err: Error & { level?: string; code?: string }): void => {
        clearTimeout(timer);
        sock.destroy();
        reject(describeConnectError(this.host, hop, err, ctx));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error('Timed out while connecting'), { level: 'client-timeout' })), timeoutMs);
      sock.once('error', fail);
      sock.once('connect', () => {
        clearTimeout(timer);
        // the first hop's round trip (SYN, SYN-ACK): how far the host is (see PREOPEN_MIN_RTT_MS)
        this.stats.tcpRttMs = nowMs() - sent;
        sock.removeListener('error', fail);
        // until ssh2 takes the socket over (after the wait for a slot), an error must not be
        // unhandled; a socket that died meanwhile is noticed before the handshake
        sock.on('error', () => sock.destroy());
        resolve(sock);
      });
    });
  }

  private connectHop(hop: Hop, sock: Duplex | undefined, known: KnownHosts, keys: Map<string, LoadedKey>): Promise<Client> {
    const spec = this.spec;
    const client = new Client();
    let hostKeyError: UnreachableError | undefined;
    const tried: string[] = [];
    let serverMethods: string[] | undefined;

    // auth plan: each usable key file, then the agent, then the password
    type Auth = { type: AuthenticationType; describe: string; build: () => AnyAuthMethod };
    const plan: Auth[] = [];
    const unusable: string[] = [];
    for (const file of hop.privateKeyFiles) {
      const key = keys.get(file);
      if (typeof key === 'string' || key === undefined) {
        unusable.push(key ?? file);
        continue;
      }
      // the key is parsed already (decrypted with the passphrase): ssh2 takes it as it is
      plan.push({ type: 'publickey', describe: `publickey (${file})`, build: () => ({ type: 'publickey', username: hop.user, key }) });
    }
    if (spec.agent) {
      const agent = spec.agent;
      plan.push({ type: 'agent', describe: `publickey (ssh-agent ${agent})`, build: () => ({ type: 'agent', username: hop.user, agent }) });
    }
    if (spec.password !== undefined) {
      const password = spec.password;
      plan.push({ type: 'password', describe: 'password', build: () => ({ type: 'password', username: hop.user, password }) });
      plan.push({
        type: 'keyboard-interactive',
        describe: 'keyboard-interactive',
        build: () => ({
          type: 'keyboard-interactive',
          username: hop.user,
          prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
        }),
      });
    }

    let askedNone = false;
    const authHandler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
      if (methodsLeft) serverMethods = methodsLeft;
      else if (plan.length === 0 && !askedNone) {
        // nothing to offer: a `none` attempt still tells us what the server would accept
        askedNone = true;
        return next({ type: 'none', username: hop.user });
      }
      while (plan.length > 0) {
        const a = plan.shift();
        if (!a) break;
        const wire = a.type === 'agent' ? 'publickey' : a.type;
        if (serverMethods && !serverMethods.includes(wire)) continue;
        tried.push(a.describe);
        return next(a.build());
      }
      // false ends authentication (the typings do not say so)
      return (next as unknown as (v: false) => void)(false);
    };

    const preferred = knownKeyAlgorithms(known, hop.address, hop.port);
    const config: ConnectConfig = {
      host: hop.address,
      port: hop.port,
      username: hop.user,
      readyTimeout: spec.connectTimeoutMs,
      keepaliveInterval: spec.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      authHandler,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.checkHostKey(hop, key, known).then(
          () => verify(true),
          (e: unknown) => {
            hostKeyError = e as UnreachableError;
            verify(false);
          },
        );
      },
    };
    const trace = process.env.RUNBOOK_SSH_TRACE;
    if (trace) {
      // for measuring round trips (bench/rtt-trace.ts): ssh2's packet log with times. Packet
      // types and sizes only: command texts and env values (which may hold secrets) are cut.
      config.debug = (line: string) => appendFileSync(trace, `${(performance.timeOrigin + performance.now()).toFixed(1)} ${hop.label} ${line.replace(/(exec|env): [\s\S]*\)$/, '$1)')}\n`);
    }
    if (preferred.length > 0) config.algorithms = { serverHostKey: { prepend: preferred } as never };
    if (sock) config.sock = sock;

    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (e: UnreachableError): void => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      };
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (hostKeyError) return fail(hostKeyError);
        fail(describeConnectError(this.host, hop, err, { tried, serverMethods, unusable, connectTimeoutMs: spec.connectTimeoutMs }));
      });
      client.on('close', () => {
        fail(hostKeyError ?? new UnreachableError(this.host, 'connection-lost', `${this.host}: ${hop.label} closed the connection during the SSH handshake`));
      });
      try {
        client.connect(config);
        ignoreHostKeyAnnouncements(client);
      } catch (e) {
        fail(new UnreachableError(this.host, 'other', `${this.host}: cannot connect to ${hop.label}: ${(e as Error).message}`));
      }
    });
  }

  private async checkHostKey(hop: Hop, key: Buffer, known: KnownHosts): Promise<void> {
    const mode = this.spec.hostKeyChecking;
    if (mode === 'off') return;
    const verdict = verifyHostKey(known, hop.address, hop.port, key);
    // the usual case first: the words for the other cases (a SHA-256 of the key) are not needed
    if (verdict.status === 'ok') return;
    const fp = fingerprint(key);
    const type = keyTypeLabel(keyTypeOfBlob(key));
    const name = knownHostsName(hop.address, hop.port);
    const files = this.spec.knownHostsFiles;
    const who = hop.label;
    if (verdict.status === 'revoked') {
      throw new UnreachableError(
        this.host,
        'host-key-revoked',
        `${this.host}: the ${type} host key of ${who} (${fp}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect.`,
      );
    }
    if (verdict.status === 'changed') {
      const at = verdict.entries.map((e) => `${e.file}:${e.line}`).join(', ');
      const file = verdict.entries[0]?.file ?? files[0] ?? '~/.ssh/known_hosts';
      throw new UnreachableError(
        this.host,
        'host-key-changed',
        `${this.host}: HOST KEY CHANGED for ${who}: the server presented ${type} key ${fp}, which does not match the key recorded in ${at}. ` +
          `Someone could be intercepting the connection, or the host was reinstalled. If the change is expected, remove the old key with ` +
          `\`ssh-keygen -R '${name}' -f ${file}\` and connect again.`,
      );
    }
    if (mode === 'accept-new') {
      const file = files[0];
      if (!file) throw new UnreachableError(this.host, 'host-key-unknown', `${this.host}: no known_hosts file to record the key of ${who} in`);
      known.add(await appendKnownHost(file, hop.address, hop.port, key, this.spec.hashKnownHosts ?? this.options.hashKnownHosts ?? false));
      this.warn(`${this.host}: permanently added the ${type} host key of ${who} (${fp}) to ${file}`);
      return;
    }
    const ca = verdict.caOnly ? ' (only a @cert-authority line matches it, and runbook does not support host certificates)' : '';
    throw new UnreachableError(
      this.host,
      'host-key-unknown',
      `${this.host}: the host key of ${who} is not known${ca}: the server presented ${type} key ${fp}, which is not in ${files.join(', ') || 'any known_hosts file'} ` +
        `(strict host key checking). Check the fingerprint, then add it with \`ssh-keyscan -p ${hop.port} ${hop.address} >> ${files[0] ?? '~/.ssh/known_hosts'}\` ` +
        `or connect once with --host-key-checking accept-new.`,
    );
  }

  // ---------------------------------------------------------------- channels

  private async ready(): Promise<Client> {
    if (this.lost) throw this.lost;
    await this.connect();
    // connect() awaited: the connection may have been lost meanwhile (TS narrowed it away)
    const lost = this.lost as UnreachableError | undefined;
    if (lost) throw lost;
    if (!this.client) throw new UnreachableError(this.host, 'connection-lost', `connection to ${this.host} is closed`);
    return this.client;
  }

  /** Open a channel with `open`, retrying when the server refuses it (MaxSessions). */
  private async openChannel<T>(open: (client: Client, cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // connected: no promise to wait on (two per command were)
      const client = this.client !== undefined && this.lost === undefined ? this.client : await this.ready();
      try {
        const ch = await new Promise<T>((resolve, reject) => {
          open(client, (err, c) => (err ? reject(err) : resolve(c)));
        });
        this.stats.channelsOpened++;
        return ch;
      } catch (e) {
        if (this.lost) throw this.lost;
        if (isChannelOpenFailure(e) && attempt < CHANNEL_RETRIES) {
          this.stats.channelRetries++;
          // a server that allows few sessions (MaxSessions 1): the idle loop gives its session
          // back, and this connection runs one exec per command from now on
          const mux = this.mux;
          if (mux && !mux.busy) {
            this.muxFailures = MUX_MAX_FAILURES;
            this.mux = undefined;
            await mux.end(MUX_END_WAIT_MS);
            continue;
          }
          await sleep(Math.min(2000, 50 * 2 ** attempt) + Math.random() * 50);
          continue;
        }
        if (e instanceof Error && /Not connected|No response from server/i.test(e.message)) {
          throw new UnreachableError(this.host, 'connection-lost', `connection to ${this.host} was lost (${e.message})`, { cause: e });
        }
        throw e;
      }
    }
  }

  async exec(command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    return (await this.run(command, options)).result;
  }

  private async run(command: ShellCommand, options: ExecOptions, captureLimit?: number, priority = false): Promise<{ result: ExecResult; stdout: Buffer }> {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (this.client === undefined || this.lost !== undefined) await this.ready();
    // the host's loop when it is free; kill commands never wait for it (it runs what they stop)
    if (!priority && this.muxOn() && options.become?.password === undefined && muxCanCarry(options.stdin)) {
      const mux = await this.idleMux();
      if (mux && !options.signal?.aborted) {
        const done = await this.driveMux(mux, command, options, captureLimit);
        if (done) return done;
      }
    }
    const wrapped = wrapCommand(command, options, undefined, this.loginShell);
    // kill commands skip the queue: they must run even when every slot is taken by what they stop
    const release = priority ? () => {} : await this.limiter.acquire();
    try {
      // aborted while connecting or queued: nothing has started, so nothing is sent
      if (options.signal?.aborted) throw abortReason(options.signal);
      const ahead = priority || this.spares.length === 0 ? undefined : await this.takeSpare(command, options);
      if (ahead) {
        this.topUpSpares();
        return await this.drive(ahead.channel, ahead.tap, command, options, ahead.wrapped, captureLimit);
      }
      if (options.signal?.aborted) throw abortReason(options.signal);
      const sent = nowMs();
      let tap: ExitTap = { done: false };
      const channel = await this.openChannel<ClientChannel>((c, cb) =>
        c.exec(wrapped.text, (err, ch) => {
          // the exit status may come before drive() listens: see ExitTap
          if (!err) tap = tapExit(ch);
          cb(err, ch);
        }),
      );
      this.execMinMs = Math.min(this.execMinMs, nowMs() - sent);
      this.execSamples++;
      if (!priority) this.topUpSpares();
      return await this.drive(channel, tap, command, options, wrapped, captureLimit);
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- sessions started ahead

  private preopenOn(): boolean {
    // Off unless asked for: the round trip measured here is the controller's too, and a busy
    // controller on a LAN (50 handshakes at once at load 10) measured 20 ms and more, starting two
    // sessions per host for nothing.
    const mode = this.options.preopen ?? this.spec.preopen ?? this.envPreopen;
    if (mode === 'never' || this.preopenRefused || this.closed || this.lost) return false;
    return mode === 'always' || (this.stats.tcpRttMs >= PREOPEN_MIN_RTT_MS && this.execSamples >= 2 && this.execMinMs >= 2 * PREOPEN_MIN_RTT_MS);
  }

  /**
   * Start sessions ahead until PREOPEN_DEPTH wait, within the connection's channel limit (the
   * command that runs now holds one of its slots).
   */
  private topUpSpares(): void {
    const client = this.client;
    // the loader runs in the login shell when that is a POSIX one, as the direct form does
    const kind = this.loaderKind;
    if (!client || kind === undefined || !this.preopenOn()) return;
    while (this.spares.length < PREOPEN_DEPTH && this.limiter.inUse + this.spares.length < this.limiter.limit) {
      const nonce = newNonce();
      const pidTag = `__RUNBOOK_PID_${nonce}`;
      const loginShell = kind;
      const spare: Spare = { client, nonce, pidTag, loginShell, dead: false, used: false, ready: Promise.resolve(undefined) };
      spare.ready = new Promise<{ channel: ClientChannel; tap: ExitTap } | undefined>((resolve) => {
        try {
          client.exec(loaderText(pidTag, nonce, loginShell), (err, ch) => {
            if (err) {
              spare.dead = true;
              // MaxSessions: the commands need those sessions more than we need spares
              if (isChannelOpenFailure(err)) this.preopenRefused = true;
              return resolve(undefined);
            }
            this.stats.preopened++;
            // as in run(): an exit that comes before drive() listens is kept
            const tap = tapExit(ch, () => {
              if (!spare.used) spare.dead = true;
            });
            ch.once('close', () => {
              if (!spare.used) spare.dead = true;
            });
            if (spare.dead) ch.close();
            resolve({ channel: ch, tap });
          });
        } catch {
          // not connected any more
          spare.dead = true;
          resolve(undefined);
        }
      });
      this.spares.push(spare);
      this.note(`spare ${nonce} started (${this.spares.length} waiting, ${this.limiter.inUse} in use)`);
    }
  }

  /**
   * A session started ahead, with the command's script written to it (and its wrapping, whose
   * markers use that session's nonce), or undefined: none is there, or the command cannot go
   * that way (its script is too long).
   */
  private async takeSpare(
    command: ShellCommand,
    options: ExecOptions,
  ): Promise<{ channel: ClientChannel; tap: ExitTap; wrapped: ReturnType<typeof wrapCommand> } | undefined> {
    while (this.spares.length > 0) {
      const spare = this.spares[0]!;
      // a session still starting was asked for earlier than a new one would be: wait for it
      const started = await spare.ready;
      const channel = started?.channel;
      // taken by another command meanwhile (spares are shared by the connection's commands)
      if (this.spares[0] !== spare) continue;
      if (!channel || spare.dead || spare.client !== this.client) {
        this.note(`spare ${spare.nonce} discarded (${!channel ? 'failed' : spare.dead ? 'ended' : 'old connection'})`);
        this.spares.shift();
        channel?.close();
        continue;
      }
      if (options.signal?.aborted) return undefined;
      const wrapped = wrapCommand(command, options, spare.nonce, spare.loginShell);
      const script = loaderScript(wrapped.text, spare.pidTag, spare.nonce);
      if (script === undefined) {
        this.note(`spare ${spare.nonce} not used: script too long or not the wrapper's`);
        return undefined;
      }
      this.note(`spare ${spare.nonce} used`);
      this.spares.shift();
      spare.used = true;
      this.stats.channelsOpened++;
      this.stats.preopenUsed++;
      channel.write(script);
      return { channel, tap: started.tap, wrapped };
    }
    return undefined;
  }

  /** a line in the RUNBOOK_SSH_TRACE log (measuring only) */
  private note(line: string): void {
    const trace = process.env.RUNBOOK_SSH_TRACE;
    if (trace) appendFileSync(trace, `${(performance.timeOrigin + performance.now()).toFixed(1)} ${this.host} runbook: ${line}\n`);
  }

  /** End the sessions started ahead (their loaders see EOF and exit without running anything). */
  private dropSpares(): void {
    const spares = this.spares;
    this.spares = [];
    for (const s of spares) {
      s.dead = true;
      void s.ready.then((started) => started?.channel.close());
    }
  }

  private drive(
    channel: ClientChannel,
    tap: ExitTap,
    command: ShellCommand,
    options: ExecOptions,
    wrapped: ReturnType<typeof wrapCommand>,
    captureLimit: number | undefined,
  ): Promise<{ result: ExecResult; stdout: Buffer }> {
    const session = new ExecSession({
      host: this.host,
      loginUser: this.spec.user,
      command,
      options,
      wrapped,
      captureLimit,
      io: new ChannelInput(channel),
    });
    channel.on('data', (d: Buffer) => session.stdout(d));
    channel.stderr.on('data', (d: Buffer) => session.stderr(d));
    const early = tap.exit;
    if (early) exitInto(session, early.code, early.signal);
    else tap.session = session;

    return new Promise((resolve, reject) => {
      const w = this.watch(session, options, () => channel.close(), resolve, reject);
      // the result is final only when the channel closes (exit-status may come before the last output)
      channel.on('close', () => {
        w.unlisten();
        if (!session.gotExit && !this.lost) {
          // the connection may be going down: give its close event a moment to tell us
          setTimeout(w.finish, 50);
        } else w.finish();
      });
    });
  }

  /**
   * What every running command waits under: its timeout, an abort (Ctrl-C), the connection
   * going away. `finish` settles the promise with the session's result (or the reason it has
   * none); `dispose` stops watching without settling; `unlisten` stops listening for the
   * connection's loss (its channel closed).
   */
  private watch(
    session: ExecSession,
    options: ExecOptions,
    giveUp: () => void,
    resolve: (r: { result: ExecResult; stdout: Buffer }) => void,
    reject: (e: unknown) => void,
  ): { finish: () => void; dispose: () => void; unlisten: () => void; stopping: () => boolean } {
    const signal = options.signal;
    // told directly by whoever aborts the signal, when they offer it (ExecOptions.abortWatchers)
    const watchers = signal ? options.abortWatchers : undefined;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    // made only when the command has to be stopped (timeout, abort): most never are
    let escalation: StopEscalation | undefined;
    const dispose = (): boolean => {
      if (finished) return false;
      finished = true;
      this.inFlight.delete(onLost);
      if (timer !== undefined) clearTimeout(timer);
      escalation?.dispose();
      if (watchers) watchers.delete(stop);
      else signal?.removeEventListener('abort', stop);
      return true;
    };
    const finish = (): void => {
      if (!dispose()) return;
      if (session.loginShell !== undefined) {
        this.loginShell = loginShellKind(session.loginShell);
        this.loaderKind = loaderKind(session.loginShell);
        this.loginShellKnown = true;
        // start the loop now, not when the next command comes: on a slow link its session's two
        // round trips then overlap the controller's work between the two commands
        if (this.mux === undefined && this.muxOpening === undefined && !this.lost && this.muxOn()) void this.idleMux();
      }
      const lost = this.lost;
      if (lost && !session.gotExit) return reject(lost);
      if (signal?.aborted && !session.timedOut) return reject(abortReason(signal));
      resolve({ result: session.result(), stdout: session.stdoutBuffer() });
    };
    const stop = (): void => {
      escalation ??= new StopEscalation({
        send: (sig) => this.signalRemote(session, sig, options.become),
        // a host that does not answer any more: give up on the channel
        giveUp: () => {
          giveUp();
          finish();
        },
        graceMs: KILL_GRACE_MS,
      });
      escalation.stop();
    };
    // a command aborted before its pid was known is stopped as soon as the pid arrives
    session.onPid = () => {
      if (escalation?.stopping) void this.signalRemote(session, 'TERM', options.become);
    };
    if (signal) {
      if (watchers) watchers.add(stop);
      else signal.addEventListener('abort', stop, { once: true });
      // an abort while the channel was opening fires no event any more: stop what just started
      if (signal.aborted) stop();
    }
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        session.timedOut = true;
        stop();
      }, options.timeoutMs);
    }
    const onLost = (): void => {
      // ssh2 closes every channel of a dead connection, but do not count on it
      setTimeout(finish, session.gotExit ? 100 : 10);
    };
    this.inFlight.add(onLost);
    return { finish, dispose: () => void dispose(), unlisten: () => this.inFlight.delete(onLost), stopping: () => escalation?.stopping === true };
  }

  // ---------------------------------------------------------------- the host's command loop

  /**
   * Whether commands go through the loop: on a login bash, and on a host whose login shell is
   * not known yet (the loop is started speculatively with the first command: it is the login
   * shell's own command, and one that is not bash ends it at once; see muxLoop).
   */
  private muxOn(): boolean {
    const shellFits = this.loaderKind === 'posix' || !this.loginShellKnown;
    return (this.spec.mux ?? this.envMux) && shellFits && this.muxFailures < MUX_MAX_FAILURES && this.limiter.limit >= 2 && !this.closed;
  }

  /** The loop's ready line came: the login shell is a bash that runs runbook's scripts as the direct form does. */
  private loopStarted(): void {
    this.loginShellKnown = true;
    this.loginShell = 'posix';
    this.loaderKind = 'posix';
  }

  /** The loop when it is free (started now if there is none); undefined: busy, or it cannot start. */
  private async idleMux(): Promise<MuxChannel | undefined> {
    const have = this.mux;
    if (have && !have.dead && have.client === this.client) return have.busy ? undefined : have;
    this.muxOpening ??= this.openMux().finally(() => {
      this.muxOpening = undefined;
    });
    const mux = await this.muxOpening;
    return mux && !mux.busy && !mux.dead ? mux : undefined;
  }

  private async openMux(): Promise<MuxChannel | undefined> {
    const client = this.client;
    if (!client) return undefined;
    // the loop holds one of the connection's channel slots for as long as it runs
    const release = await this.limiter.acquire();
    const readyTag = muxReadyTag(newNonce());
    let channel: ClientChannel;
    try {
      channel = await this.openChannel<ClientChannel>((c, cb) => c.exec(muxLoop(readyTag), cb));
    } catch {
      release();
      this.muxFailures++;
      return undefined;
    }
    if (this.client !== client || this.closed) {
      channel.close();
      release();
      return undefined;
    }
    const mux = new MuxChannel(channel, client, readyTag, (m) => {
      release();
      if (this.mux === m) this.mux = undefined;
      // a loop that never started (no bash 4.2 here, an rc file that exits) will not start next time
      if (!m.started) this.muxFailures = MUX_MAX_FAILURES;
      else if (!m.closing && !this.lost && !this.closed) this.muxFailures++;
    });
    this.mux = mux;
    return mux;
  }

  /**
   * Run a command in the loop. undefined: it did not start there (too big for a frame, or the
   * loop ended before the command's pid line: nothing of it ran), so it is to be exec'd.
   */
  private async driveMux(mux: MuxChannel, command: ShellCommand, options: ExecOptions, captureLimit: number | undefined): Promise<{ result: ExecResult; stdout: Buffer } | undefined> {
    // while the login shell is not known, the loop was started speculatively: it gets no bytes
    // until it has said it runs (a shell that is not bash has ended it, and must never read a
    // frame as its input)
    if (!this.loginShellKnown) {
      // within the command's own timeout too: the wait for the loop is part of its time
      if (!mux.started && !(await readyWithin(mux, Math.min(MUX_READY_WAIT_MS, options.timeoutMs ?? Infinity), options.signal))) {
        if (!mux.dead && !options.signal?.aborted) {
          this.muxFailures = MUX_MAX_FAILURES;
          mux.close();
        }
        return undefined;
      }
      this.loopStarted();
    }
    // taken meanwhile by a command that waited for the same loop (nothing is awaited from here
    // to send(), so the check holds)
    if (mux.busy || mux.dead) return undefined;
    const framed = muxCommand(command, options);
    if (!framed) return undefined;
    const { frame, endTag, wrapped } = framed;
    const session = new ExecSession({ host: this.host, loginUser: this.spec.user, command, options, wrapped, captureLimit, io: NO_INPUT });
    this.stats.muxCommands++;
    return await new Promise((resolve, reject) => {
      const w = this.watch(session, options, () => mux.close(), resolve, reject);
      const onEnd = (): void => {
        const code = cmd.outCode ?? 255;
        // killed by our TERM/KILL: reported as a signal, as an exec'd command's is
        const sig = w.stopping() && code > 128 ? signalName(code - 128) : null;
        session.exit(sig === null ? code : null, sig);
        w.finish();
      };
      const onClose = (): void => {
        cmd.flushHeld();
        if (session.outerPid === undefined && !this.lost && !options.signal?.aborted && !session.timedOut) {
          // nothing of the command ran: it goes the old way
          w.dispose();
          this.stats.muxRetried++;
          return resolve(undefined);
        }
        // the loop itself was ended (`kill $$`): the command ends with it, as an exec'd one would
        if (mux.exit) exitInto(session, mux.exit.code, mux.exit.signal);
        setTimeout(w.finish, session.gotExit || this.lost ? 0 : 50);
      };
      const cmd = new MuxCommand(session, endTag, onEnd, onClose);
      mux.send(cmd, frame);
    });
  }

  private async signalRemote(session: ExecSession, sig: StopSignal, become: BecomeOptions | undefined): Promise<void> {
    const pids = [session.outerPid, session.innerPid].filter((p): p is number => p !== undefined);
    if (pids.length === 0 || this.lost) return;
    const script = rawCommand(killScript(sig, pids));
    try {
      // as the login user first (its own processes), then through sudo for what runs as root
      await this.run(script, { timeoutMs: 10_000 }, undefined, true);
      if (become) await this.run(script, { become, timeoutMs: 10_000 }, undefined, true);
    } catch {
      // the connection is going away: nothing left to stop
    }
  }

  // ---------------------------------------------------------------- files

  private async withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const release = await this.limiter.acquire();
    try {
      const sftp = await this.openChannel<SFTPWrapper>((c, cb) => c.sftp(cb));
      try {
        return await fn(sftp);
      } finally {
        sftp.end();
      }
    } finally {
      release();
    }
  }

  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    // become: one sudo script, no SFTP channel
    if (options.become) return atomicPut(this, sftpFiles(this, undefined), path, content, options);
    await this.withSftp((sftp) => atomicPut(this, sftpFiles(this, sftp), path, content, options));
  }

  async get(path: string, options: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (options.become) {
      const { result, stdout } = await this.run(sh`cat -- ${path}`, { become: options.become }, GET_LIMIT);
      if (!result.ok) throw new ExecError({ ...result, stdout: '' });
      return stdout;
    }
    return this.withSftp(
      (sftp) =>
        new Promise<Buffer>((resolve, reject) => {
          sftp.readFile(path, (err, data) => {
            if (!err) return resolve(data);
            reject(new ExecError(failedResult(this.host, `get ${path}`, `cannot read ${path}: ${err.message}`)));
          });
        }),
    );
  }
}

export interface ConnectErrorContext {
  /** auth methods tried, as words (`publickey (/path)`, `password`) */
  tried: string[];
  /** methods the server said it accepts */
  serverMethods?: string[] | undefined;
  /** key files that could not be used, and why */
  unusable: string[];
  connectTimeoutMs: number;
}

/** An ssh2 connect error → UnreachableError with a reason and words an operator can act on. */
export function describeConnectError(
  host: string,
  hop: { label: string; address: string; port: number; user: string },
  err: Error & { level?: string; code?: string },
  ctx: ConnectErrorContext,
): UnreachableError {
  const where = `${hop.address}:${hop.port}`;
  const code = err.code ?? '';
  const mk = (reason: UnreachableReason, message: string): UnreachableError => new UnreachableError(host, reason, `${host}: ${message}`, { cause: err });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return mk('dns', `the name "${hop.address}" does not resolve (${code}); check ansible_host / HostName for ${hop.label}`);
  }
  if (code === 'ECONNREFUSED') return mk('refused', `connection refused by ${where} (${hop.label}): is sshd running and listening on port ${hop.port}?`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return mk('timeout', `no route to ${where} (${hop.label}, ${code}): the host is down or the network unreachable`);
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return mk('timeout', `timed out after ${Math.round(ctx.connectTimeoutMs / 1000)}s connecting to ${where} (${hop.label}): the host is down, firewalled, or sshd does not answer`);
  }
  if (err.level === 'client-authentication') {
    const methods = ctx.tried.length > 0 ? ctx.tried.join(', ') : 'none (no key file, agent or password was available)';
    const accepts = ctx.serverMethods ? `; the server accepts: ${ctx.serverMethods.join(', ')}` : '';
    const notes = ctx.unusable.length > 0 ? `; not usable: ${ctx.unusable.join('; ')}` : '';
    return mk('auth', `authentication failed for user "${hop.user}" on ${hop.label} (tried: ${methods}${accepts}${notes})`);
  }
  if (code === 'ECONNRESET' || /Connection lost before handshake/i.test(err.message)) {
    return mk('connection-lost', `${hop.label} closed the connection before the SSH handshake finished (${err.message})`);
  }
  return mk('other', `cannot connect to ${hop.label}: ${err.message}`);
}

/** The file calls of an atomic put over SFTP (the login user's rights: no owner is kept). */
function sftpFiles(t: SshTransport, sftp: SFTPWrapper | undefined): PutFileOps {
  const use = (): SFTPWrapper => {
    if (sftp === undefined) throw new Error('no SFTP channel');
    return sftp;
  };
  return {
    existing: (path) => new Promise((r) => use().stat(path, (err, st) => r(err ? undefined : { mode: st.mode & 0o7777 }))),
    writeNew: (tmp, data) => sftpWrite(use(), tmp, data),
    chmod: (tmp, mode) => new Promise<void>((res, rej) => use().chmod(tmp, mode, (err) => (err ? rej(err) : res()))),
    rename: (tmp, path) =>
      new Promise<void>((res, rej) =>
        use().ext_openssh_rename(tmp, path, (err) => {
          if (!err) return res();
          // servers without posix-rename: mv -f is atomic on the same filesystem too
          t.exec(sh`mv -f -- ${tmp} ${path}`).then((r) => (r.ok ? res() : rej(new Error(r.stderr.trim() || err.message))), rej);
        }),
      ),
    remove: (tmp) => new Promise<void>((r) => use().unlink(tmp, () => r())),
  };
}

function sftpWrite(sftp: SFTPWrapper, path: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    // 'wx': exclusive create, never through an existing file or symlink
    sftp.open(path, 'wx', { mode: 0o600 }, (err, handle) => {
      if (err) return reject(err);
      const writeAt = (offset: number): void => {
        if (offset >= data.length) {
          sftp.close(handle, (e) => (e ? reject(e) : resolve()));
          return;
        }
        const len = Math.min(32768, data.length - offset);
        sftp.write(handle, data, offset, len, offset, (e) => {
          if (e) sftp.close(handle, () => reject(e));
          else writeAt(offset + len);
        });
      };
      writeAt(0);
    });
  });
}

/** Whether the loop said it runs within `ms` (false at once on an abort: the command then goes the exec way, which sees the abort). */
function readyWithin(mux: MuxChannel, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void mux.ready.then(done);
  });
}
