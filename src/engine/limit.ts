// A small concurrency limiter (vitest's limit-concurrency idea): `forks` hosts at once.
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.size) {
      // FIFO, so hosts take turns in the order they asked (inventory order under linear)
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // hand the slot straight to the next waiter: active stays the same
      if (next) next();
      else this.active--;
    };
  }
}

/**
 * The linear strategy's barrier. Every task of a play has a position in definition order
 * (block, then rescue, then always); each host only moves forward. A host may start the task
 * at position p once no other host of the batch is still before p, so all hosts finish a task
 * before any starts the next, while hosts in a rescue branch still move through their own tasks.
 */
export class Lockstep {
  private readonly at = new Map<string, number>();
  private readonly waiting = new Map<string, { pos: number; resolve: () => void }>();
  private open = false;

  constructor(hosts: readonly string[]) {
    for (const h of hosts) this.at.set(h, -1);
  }

  /** Wait until the host may run the task at `pos`. */
  arrive(host: string, pos: number): Promise<void> {
    this.at.set(host, pos);
    if (this.open || pos <= this.min()) {
      this.wake();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiting.set(host, { pos, resolve });
      this.wake();
    });
  }

  /** The host has no more tasks (done, failed, unreachable): nobody waits for it. */
  leave(host: string): void {
    this.at.delete(host);
    this.wake();
  }

  /** Stop synchronising (Ctrl-C, fatal error): release every waiter. */
  release(): void {
    this.open = true;
    this.wake();
  }

  private min(): number {
    let m = Infinity;
    for (const p of this.at.values()) if (p < m) m = p;
    return m;
  }

  private wake(): void {
    const m = this.min();
    for (const [host, w] of this.waiting) {
      if (this.open || w.pos <= m) {
        this.waiting.delete(host);
        w.resolve();
      }
    }
  }
}

/** Resolves after ms, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
