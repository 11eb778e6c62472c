// One FIFO semaphore for every "at most N at once" in runbook: hosts worked on at once (--forks),
// channels open on one SSH connection, SSH handshakes in flight. FIFO so waiters take turns in
// the order they asked (inventory order under the linear strategy).
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** highest number of slots held at once, and slots handed out in total */
  readonly stats = { peak: 0, acquired: 0 };

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  /** Wait for a slot; the returned function gives it back (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    this.stats.acquired++;
    this.stats.peak = Math.max(this.stats.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter (active stays the same)
      if (next) next();
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
