// Several sinks at once (terminal + --log): one reporter that forwards to each.
import type { Reporter, RunEvent } from './events.js';

export function combineReporters(...reporters: Array<Reporter | undefined>): Reporter {
  const list = reporters.filter((r): r is Reporter => r !== undefined);
  return {
    onEvent(event: RunEvent): void {
      // indexed: every event of every host passes here (a for-of is an iterator and a result object per reporter in unoptimised code)
      for (let i = 0; i < list.length; i++) (list[i] as Reporter).onEvent?.(event);
    },
    async close(): Promise<void> {
      for (const r of list) await r.close?.();
    },
  };
}

/** Collects events in memory (tests, and `runbook` tools built on the engine). */
export function createMemoryReporter(): Reporter & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return {
    events,
    onEvent(event) {
      events.push(event);
    },
  };
}
