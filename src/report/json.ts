// `--json`: NDJSON on stdout, one event per line, the recap last. Command output chunks are
// only included with -vv (they can be large); everything else always.
//
// The lines of the events that come in one turn of the event loop (a fleet's hosts finishing a
// task together) go out in one write: a write per event was two syscalls per remote command
// (stdout is synchronous for files and pipes), a measurable share of the controller's CPU per
// command. Nothing waits longer than that turn; the recap and close() write at once.
import type { Reporter, RunEvent } from './events.js';

export interface JsonReporterOptions {
  verbosity?: number;
}

/** a backlog this large is written without waiting for the end of the turn */
const FLUSH_AT = 64 * 1024;

export function createJsonReporter(out: NodeJS.WritableStream, options: JsonReporterOptions = {}): Reporter {
  const verbosity = options.verbosity ?? 0;
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  return {
    onEvent(event: RunEvent): void {
      if (event.type === 'output' && verbosity < 2) return;
      pending += `${JSON.stringify(event)}\n`;
      if (event.type === 'recap' || pending.length >= FLUSH_AT) return flush();
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: () => flush(),
  };
}
