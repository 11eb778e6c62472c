// The controller side of one wrapped command (see wrap.ts), independent of how bytes travel
// (ssh channel or local child process): strips the pid/success markers and the sudo prompt,
// answers the prompt once with the password, feeds the user's stdin only once the real command
// runs, captures both streams up to a cap, streams masked lines to onOutput, builds the result.
import { StringDecoder } from 'node:string_decoder';
import { maskSecrets, type ShellCommand } from './command.js';
import type { ExecOptions, ExecResult } from './types.js';
import type { WrappedCommand } from './wrap.js';

export const DEFAULT_CAPTURE_LIMIT = 1024 * 1024;

/** shared by every session for "nothing yet" (never written to: a zero-length Buffer has no bytes) */
const EMPTY = Buffer.alloc(0);

export interface SessionIO {
  writeStdin(data: string | Buffer): void;
  endStdin(): void;
}

export interface SessionParams {
  host: string;
  /** the user sudo asks the password of (the login user) */
  loginUser: string;
  command: ShellCommand;
  options: ExecOptions;
  /** the wrapping's tags (the session never reads the text sent) */
  wrapped: Omit<WrappedCommand, 'text'>;
  io: SessionIO;
  /** bytes kept in memory per stream */
  captureLimit?: number;
}

type Stream = 'stdout' | 'stderr';

/** a pid line found by findMarker */
export interface Marker {
  /** where the line starts and where the byte after its newline is */
  index: number;
  end: number;
  pid: number;
  /** what follows the pid after one space (the portable wrapper's login shell) */
  rest: string | undefined;
}

/** `head` (ASCII) is at `at` in `buf` */
function bytesAt(buf: Buffer, head: string, at: number): boolean {
  if (at + head.length > buf.length) return false;
  for (let i = 0; i < head.length; i++) if (buf[at + i] !== head.charCodeAt(i)) return false;
  return true;
}

/**
 * The first complete `<tag>:<pid>[ <rest>]\n` line in `buf`: where it starts and ends, the pid
 * and what follows it. Byte search, no RegExp: the tags differ per command and compiling a
 * pattern for each was a tenth of the controller's CPU per command. The line is nearly always
 * the first thing in the buffer: that is checked first, without Buffer.indexOf's string search.
 */
export function findMarker(buf: Buffer, tag: string): Marker | undefined {
  const head = `${tag}:`;
  let index = bytesAt(buf, head, 0) ? 0 : buf.indexOf(head, 0, 'latin1');
  while (index !== -1) {
    const start = index + head.length;
    const nl = buf.indexOf(10, start);
    if (nl === -1) return undefined;
    // digits up to the first space or the newline
    let i = start;
    while (i < nl && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
    if (i > start && (i === nl || buf[i] === 0x20)) {
      return { index, end: nl + 1, pid: Number(buf.toString('latin1', start, i)), rest: i === nl ? undefined : buf.toString('latin1', i + 1, nl) };
    }
    index = buf.indexOf(head, index + 1, 'latin1');
  }
  return undefined;
}

/** Live output goes out line by line so a secret is never split across two chunks. */
export class LineEmitter {
  // made on the first bytes: most commands print nothing on stderr, many nothing on stdout
  private decoder: StringDecoder | undefined;
  private pending = '';
  constructor(
    private readonly stream: Stream,
    private readonly secrets: readonly string[],
    private readonly sink: ExecOptions['onOutput'],
  ) {}

  push(chunk: Buffer): void {
    if (!this.sink) return;
    this.pending += (this.decoder ??= new StringDecoder('utf8')).write(chunk);
    const cut = this.pending.lastIndexOf('\n');
    // a very long line without newline (progress output) is flushed anyway
    if (cut === -1 && this.pending.length < 65536) return;
    const upTo = cut === -1 ? this.safeCut(this.pending) : cut + 1;
    this.emit(this.pending.slice(0, upTo));
    this.pending = this.pending.slice(upTo);
  }

  /**
   * Where a long line without a newline may be cut so that no secret is split across the two
   * chunks (each chunk is masked on its own): the last longest-secret-minus-one characters wait
   * for more data, and the cut moves back before any secret that would straddle it.
   */
  private safeCut(text: string): number {
    const longest = this.secrets.reduce((m, x) => Math.max(m, x.length), 0);
    let at = Math.max(0, text.length - Math.max(0, longest - 1));
    for (let moved = true; moved && at > 0; ) {
      moved = false;
      for (const secret of this.secrets) {
        if (secret === '') continue;
        const from = Math.max(0, at - secret.length + 1);
        const i = text.indexOf(secret, from);
        if (i !== -1 && i < at && i + secret.length > at) {
          at = i;
          moved = true;
        }
      }
    }
    // one secret filling the whole buffer from its start: emit it whole (masked) rather than stall
    return at === 0 ? text.length : at;
  }

  /** A stream's whole output in one call (nothing was pushed before): ExecOptions.outputAtEnd. */
  whole(all: Buffer): void {
    if (!this.sink || all.length === 0) return;
    this.emit(all.toString('utf8'));
  }

  flush(): void {
    if (!this.sink) return;
    if (this.decoder) this.pending += this.decoder.end();
    if (this.pending) this.emit(this.pending);
    this.pending = '';
  }

  private emit(text: string): void {
    try {
      this.sink?.(this.stream, maskSecrets(text, this.secrets));
    } catch {
      // a broken output sink must not break the command
    }
  }
}

class Capture {
  // most commands send their output in one chunk: kept as is, no array and no copy
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    if (this.first === undefined) this.first = part;
    else (this.more ??= [this.first]).push(part);
    this.size += part.length;
  }
  buffer(): Buffer {
    if (this.more) return Buffer.concat(this.more);
    return this.first ?? EMPTY;
  }
}

export type BecomeFailure = 'incorrect-password' | 'password-required';

export class ExecSession {
  readonly secrets: string[];
  /** pid (= process group) of the outer shell */
  outerPid: number | undefined;
  /** pid of the shell sudo started */
  innerPid: number | undefined;
  /** the real command is running (markers seen) */
  running = false;
  becomeFailure: BecomeFailure | undefined;
  exitCode: number | null = null;
  signal: string | null = null;
  /** the login shell the portable wrapper reported ($SHELL), when it did */
  loginShell: string | undefined;
  gotExit = false;
  timedOut = false;
  /** called when a pid becomes known (to kill a command that was aborted early) */
  onPid: (() => void) | undefined;

  private readonly out: Capture;
  private readonly err: Capture;
  private readonly liveOut: LineEmitter;
  private readonly liveErr: LineEmitter;
  private stdoutPre: Buffer = EMPTY;
  private stderrPre: Buffer = EMPTY;
  private pidSeen = false;
  private passwordSent = false;
  private promptsSeen = 0;
  private stdinDone = false;
  private readonly started = Date.now();
  /** outputAtEnd: the whole output went to onOutput (result() may be asked again) */
  private toldAtEnd = false;

  constructor(private readonly p: SessionParams) {
    const extra = p.options.secrets ?? [];
    const pw = p.options.become?.password;
    this.secrets = [...p.command.secrets(), ...extra, ...(pw ? [pw] : [])].filter((s) => s.length > 0);
    const limit = p.captureLimit ?? DEFAULT_CAPTURE_LIMIT;
    this.out = new Capture(limit);
    this.err = new Capture(limit);
    this.liveOut = new LineEmitter('stdout', this.secrets, p.options.onOutput);
    this.liveErr = new LineEmitter('stderr', this.secrets, p.options.onOutput);
    // without become the command starts at once: its stdin can go now
    if (!p.wrapped.okTag) this.feedStdin();
  }

  /** The command as shown to people. */
  get display(): string {
    return maskSecrets(this.p.command.toDisplay(), this.secrets);
  }

  stdout(chunk: Buffer): void {
    if (this.running && this.pidSeen) return this.deliver('stdout', chunk);
    this.stdoutPre = this.stdoutPre.length === 0 ? chunk : Buffer.concat([this.stdoutPre, chunk]);
    this.scanStdout();
  }

  stderr(chunk: Buffer): void {
    if (this.running || this.p.wrapped.prompt === undefined) return this.deliver('stderr', chunk);
    this.stderrPre = this.stderrPre.length === 0 ? chunk : Buffer.concat([this.stderrPre, chunk]);
    this.scanPrompt();
  }

  exit(code: number | null, signal: string | null): void {
    this.gotExit = true;
    this.exitCode = code;
    this.signal = signal === null ? null : signal.startsWith('SIG') ? signal : `SIG${signal}`;
  }

  /** Raw captured stdout (for file reads through sudo). */
  stdoutBuffer(): Buffer {
    return this.out.buffer();
  }

  result(): ExecResult {
    this.flushPre();
    if (this.p.options.outputAtEnd && !this.toldAtEnd) {
      this.toldAtEnd = true;
      this.liveOut.whole(this.out.buffer());
      this.liveErr.whole(this.err.buffer());
    }
    this.liveOut.flush();
    this.liveErr.flush();
    // the captured streams are the module's data (a registered `stdout` compared with a vaulted
    // value must hold the value, as in Ansible): they are masked where they leave the run (every
    // event, error and the recap: src/engine/run.ts), the live lines and the command shown here
    let stderr = this.err.buffer().toString('utf8');
    let exitCode = this.gotExit ? this.exitCode : null;
    // sudo configured with passwd_tries=1 does not ask again: it says so and exits
    if (this.becomeFailure === undefined && !this.running && this.passwordSent && /incorrect password attempt|Sorry, try again/.test(stderr)) {
      this.becomeFailure = 'incorrect-password';
    }
    if (this.becomeFailure !== undefined) {
      stderr = this.becomeMessage(this.becomeFailure);
      exitCode = this.exitCode ?? 1;
      if (exitCode === 0) exitCode = 1;
    } else if (!this.running && this.p.wrapped.okTag && /a password is required/.test(stderr)) {
      this.becomeFailure = 'password-required';
      stderr = this.becomeMessage('password-required');
    }
    return {
      host: this.p.host,
      command: this.display,
      exitCode,
      signal: this.signal,
      stdout: this.out.buffer().toString('utf8'),
      stderr,
      truncated: this.out.truncated || this.err.truncated,
      timedOut: this.timedOut,
      durationMs: Date.now() - this.started,
      ok: exitCode === 0 && this.signal === null && !this.timedOut,
    };
  }

  private becomeMessage(f: BecomeFailure): string {
    const { loginUser, host } = this.p;
    if (f === 'incorrect-password') {
      return `sudo: incorrect password for user ${loginUser} on ${host} (check the become password: --ask-become-pass or ansible_become_password)`;
    }
    return `sudo: a password is required for user ${loginUser} on ${host}: give the become password (--ask-become-pass or ansible_become_password)`;
  }

  private deliver(stream: Stream, chunk: Buffer): void {
    if (chunk.length === 0) return;
    const live = !this.p.options.outputAtEnd;
    if (stream === 'stdout') {
      this.out.push(chunk);
      if (live) this.liveOut.push(chunk);
    } else {
      this.err.push(chunk);
      if (live) this.liveErr.push(chunk);
    }
  }

  private scanStdout(): void {
    const { pidTag, okTag } = this.p.wrapped;
    if (!this.pidSeen) {
      // `<tag>:<pid>` or, from the portable wrapper, `<tag>:<pid> <login shell>`
      const m = findMarker(this.stdoutPre, pidTag);
      if (!m) return this.overflowPre();
      this.pidSeen = true;
      this.outerPid = m.pid;
      if (m.rest !== undefined) this.loginShell = m.rest;
      // anything before the marker (a chatty shell rc file) is ordinary output
      this.deliver('stdout', this.stdoutPre.subarray(0, m.index));
      this.stdoutPre = this.stdoutPre.subarray(m.end);
      this.onPid?.();
      if (!okTag) {
        this.running = true;
        const rest = this.stdoutPre;
        this.stdoutPre = EMPTY;
        this.deliver('stdout', rest);
        return;
      }
      return this.scanStdout();
    }
    if (!okTag) return;
    const m = findMarker(this.stdoutPre, okTag);
    if (!m) return this.overflowPre();
    this.innerPid = m.pid;
    this.deliver('stdout', this.stdoutPre.subarray(0, m.index));
    const rest = this.stdoutPre.subarray(m.end);
    this.stdoutPre = EMPTY;
    this.startRunning();
    this.deliver('stdout', rest);
    this.onPid?.();
  }

  /** A host that never prints the marker must not make us buffer without end. */
  private overflowPre(): void {
    if (this.stdoutPre.length > 256 * 1024) {
      const all = this.stdoutPre;
      this.stdoutPre = EMPTY;
      this.deliver('stdout', all);
    }
  }

  private startRunning(): void {
    this.running = true;
    this.flushStderrPre();
    this.feedStdin();
  }

  private scanPrompt(): void {
    const prompt = this.p.wrapped.prompt;
    if (prompt === undefined) return;
    const text = this.stderrPre.toString('utf8');
    const count = text.split(prompt).length - 1;
    if (count > this.promptsSeen) {
      this.promptsSeen = count;
      if (!this.passwordSent) {
        this.passwordSent = true;
        this.p.io.writeStdin(`${this.p.options.become?.password ?? ''}\n`);
      } else if (this.becomeFailure === undefined) {
        // sudo asks again: the password was wrong. Never send it twice; EOF makes sudo give up.
        this.becomeFailure = 'incorrect-password';
        this.stdinDone = true;
        this.p.io.endStdin();
      }
    }
  }

  private flushStderrPre(): void {
    if (this.stderrPre.length === 0) return;
    const prompt = this.p.wrapped.prompt;
    let text = this.stderrPre.toString('utf8');
    this.stderrPre = EMPTY;
    if (prompt !== undefined) text = text.split(prompt).join('');
    // sudo -S echoes a newline after reading the password
    text = text.replace(/^\n/, '');
    this.deliver('stderr', Buffer.from(text, 'utf8'));
  }

  private flushPre(): void {
    if (this.stdoutPre.length > 0) {
      const rest = this.stdoutPre;
      this.stdoutPre = EMPTY;
      this.deliver('stdout', rest);
    }
    this.flushStderrPre();
  }

  private feedStdin(): void {
    if (this.stdinDone) return;
    this.stdinDone = true;
    const input = this.p.options.stdin;
    if (input !== undefined && input.length > 0) this.p.io.writeStdin(input);
    if (!this.p.wrapped.stdinNull) this.p.io.endStdin();
  }
}
