// The linear strategy's barrier (Lockstep) and the retry delay that Ctrl-C cuts short (sleep).

/**
 * The linear strategy's barrier. Every task of a play has a position in definition order
 * (block, then rescue, then always); each host only moves forward. A host may start the task
 * at position p once no other host of the batch is still before p, so all hosts finish a task
 * before any starts the next, while hosts in a rescue branch still move through their own tasks.
 */
export class Lockstep {
  /** host → the position it waits at or runs */
  private readonly at = new Map<string, number>();
  /** position → how many hosts are there (few distinct positions: min is cheap) */
  private readonly counts = new Map<number, number>();
  /**
   * position → the hosts waiting to run it. Keyed by position so that an arrival that does not
   * move the minimum wakes nobody without looking at each waiter: with a waiter list, every
   * arrival scanned every host already waiting, O(hosts²) per task.
   */
  private readonly waiting = new Map<number, Array<() => void>>();
  private open = false;

  constructor(hosts: readonly string[]) {
    for (const h of hosts) this.move(h, -1);
  }

  /** Wait until the host may run the task at `pos`. */
  arrive(host: string, pos: number): Promise<void> {
    this.move(host, pos);
    if (this.open || pos <= this.min()) {
      this.wake();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const at = this.waiting.get(pos);
      if (at) at.push(resolve);
      else this.waiting.set(pos, [resolve]);
      this.wake();
    });
  }

  /** The host has no more tasks (done, failed, unreachable): nobody waits for it. */
  leave(host: string): void {
    this.move(host, undefined);
    this.wake();
  }

  /** Stop synchronising (Ctrl-C, fatal error): release every waiter. */
  release(): void {
    this.open = true;
    this.wake();
  }

  private move(host: string, pos: number | undefined): void {
    const old = this.at.get(host);
    if (old !== undefined) {
      const n = (this.counts.get(old) ?? 1) - 1;
      if (n <= 0) this.counts.delete(old);
      else this.counts.set(old, n);
    }
    if (pos === undefined) {
      this.at.delete(host);
      return;
    }
    this.at.set(host, pos);
    this.counts.set(pos, (this.counts.get(pos) ?? 0) + 1);
  }

  private min(): number {
    let m = Infinity;
    for (const p of this.counts.keys()) if (p < m) m = p;
    return m;
  }

  private wake(): void {
    if (this.waiting.size === 0) return;
    const m = this.open ? Infinity : this.min();
    for (const [pos, resolves] of this.waiting) {
      if (pos > m) continue;
      this.waiting.delete(pos);
      for (let i = 0; i < resolves.length; i++) (resolves[i] as () => void)();
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
