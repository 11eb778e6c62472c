// The controller's side of a host's command loop (mux.ts): the loop's session, which command
// runs in it now, and that command's share of the two streams.
import type { ClientChannel } from 'ssh2';
import { findMarker, type ExecSession } from './exec-session.js';
import { EndScanner } from './mux.js';

/** one command sent to the loop */
export class MuxCommand {
  readonly out: EndScanner;
  readonly err: EndScanner;
  /** the exit code on the end line of each stream, once it came */
  outCode: number | undefined;
  errCode: number | undefined;
  constructor(
    readonly session: ExecSession,
    endTag: string,
    /** both end lines came: the command is over */
    readonly onEnd: () => void,
    /** the loop's session closed first */
    readonly onClose: () => void,
  ) {
    this.out = new EndScanner(endTag);
    this.err = new EndScanner(endTag);
  }

  /** output held back as a possible end line that never completed: it was the command's */
  flushHeld(): void {
    const o = this.out.rest();
    if (o) this.session.stdout(o);
    const e = this.err.rest();
    if (e) this.session.stderr(e);
  }
}

const EMPTY = Buffer.alloc(0);
/** what an rc file may print before the ready line, at most (more is dropped as it comes) */
const PRE_MAX = 64 * 1024;

export class MuxChannel {
  /** the session closed */
  dead = false;
  /** closed by us (the transport closing), not by the host */
  closing = false;
  /** the loop's exit status as the session sent it (ssh.ts's exitInto reads it as an exec's) */
  exit: { code: number | null | undefined; signal: string | undefined } | undefined;
  current: MuxCommand | undefined;
  private readyOut = false;
  private readyErr = false;
  private preOut: Buffer = EMPTY;
  private preErr: Buffer = EMPTY;

  /** resolves true once the loop has printed its ready line, false if its session closed before */
  readonly ready: Promise<boolean>;
  private settleReady: (started: boolean) => void = () => {};

  constructor(
    private readonly channel: ClientChannel,
    /** the connection it belongs to (a reconnect makes a new loop) */
    readonly client: object,
    private readonly readyTag: string,
    onClosed: (mux: MuxChannel) => void,
  ) {
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
    });
    channel.on('data', (d: Buffer) => this.onData('out', d));
    channel.stderr.on('data', (d: Buffer) => this.onData('err', d));
    channel.on('exit', (code: number | null | undefined, signal?: string) => {
      this.exit ??= { code, signal };
    });
    channel.on('close', () => {
      this.dead = true;
      this.settleReady(this.readyOut);
      const c = this.current;
      this.current = undefined;
      onClosed(this);
      c?.onClose();
    });
  }

  /** the loop printed its ready line (it runs): one that never did cannot run on this host */
  get started(): boolean {
    return this.readyOut;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(command: MuxCommand, frame: Buffer): void {
    this.current = command;
    this.channel.write(frame);
  }

  close(): void {
    this.closing = true;
    this.channel.close();
  }

  /**
   * End the loop: EOF on its stdin when nothing runs (it exits at once), else close the channel;
   * resolves when the session has closed, or after `waitMs`.
   */
  end(waitMs: number): Promise<void> {
    this.closing = true;
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.channel.once('close', done);
      if (this.current) this.channel.close();
      else this.channel.end();
    });
  }

  /** A chunk of one stream of the loop's session: the running command's, up to its end line. */
  private onData(stream: 'out' | 'err', d: Buffer): void {
    const out = stream === 'out';
    if (!(out ? this.readyOut : this.readyErr)) {
      const rest = this.skipToReady(stream, d);
      if (rest === undefined) return;
      d = rest;
    }
    const c = this.current;
    // nothing runs, or the command has ended: late output of something it left running
    if (!c || (out ? c.outCode : c.errCode) !== undefined || d.length === 0) return;
    const r = (out ? c.out : c.err).push(d);
    if (r.data.length > 0) {
      if (out) c.session.stdout(r.data);
      else c.session.stderr(r.data);
    }
    if (!r.end) return;
    if (out) c.outCode = r.end.code;
    else c.errCode = r.end.code;
    this.maybeEnd(c);
  }

  /** What follows the ready line on a stream (what an rc file printed before it is dropped); undefined: not there yet. */
  private skipToReady(stream: 'out' | 'err', d: Buffer): Buffer | undefined {
    const pre = stream === 'out' ? this.preOut : this.preErr;
    let buf = pre.length === 0 ? d : Buffer.concat([pre, d]);
    const m = findMarker(buf, this.readyTag);
    if (!m) {
      if (buf.length > PRE_MAX) buf = buf.subarray(buf.length - PRE_MAX);
      if (stream === 'out') this.preOut = buf;
      else this.preErr = buf;
      return undefined;
    }
    if (stream === 'out') {
      this.readyOut = true;
      this.preOut = EMPTY;
      this.settleReady(true);
    } else {
      this.readyErr = true;
      this.preErr = EMPTY;
    }
    return buf.subarray(m.end);
  }

  private maybeEnd(c: MuxCommand): void {
    if (c.outCode === undefined || c.errCode === undefined) return;
    this.current = undefined;
    c.onEnd();
  }
}
