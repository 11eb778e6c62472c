// How every transport stops a running command (timeout or abort): TERM at once, KILL when the
// command is still there after a grace period, and, where the other side may not answer at all
// (ssh), give up after one more grace period. One place, so both transports stop alike.

export type StopSignal = 'TERM' | 'KILL';

export interface StopEscalationOptions {
  /** send the signal to the command's processes (errors are the caller's to swallow) */
  send(sig: StopSignal): void | Promise<void>;
  /** whether the command has exited (no KILL then); default: never known, always KILL */
  exited?: () => boolean;
  /** after KILL and one more grace period: stop waiting for the command (close the channel) */
  giveUp?: () => void;
  /** time between the steps */
  graceMs: number;
}

export class StopEscalation {
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;

  constructor(private readonly o: StopEscalationOptions) {}

  /** stop() has been called */
  get stopping(): boolean {
    return this.started;
  }

  /** Start stopping the command; later calls do nothing. */
  stop(): void {
    if (this.started) return;
    this.started = true;
    void this.o.send('TERM');
    this.later(() => {
      if (this.o.exited?.() === true) return;
      void this.o.send('KILL');
      const giveUp = this.o.giveUp;
      if (giveUp !== undefined) this.later(giveUp);
    });
  }

  /** The command is over: cancel the pending steps. */
  dispose(): void {
    this.timers.forEach(clearTimeout);
  }

  private later(fn: () => void): void {
    // never the reason the process stays alive: the command's own handles do that
    this.timers.push(setTimeout(fn, this.o.graceMs).unref());
  }
}

/** The error an aborted exec rejects with: the signal's reason, else an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the command was aborted');
  e.name = 'AbortError';
  return e;
}
