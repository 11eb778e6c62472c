// `--json`: NDJSON on stdout, one event per line, the recap last. Command output chunks are
// only included with -vv (they can be large); everything else always. The lines of one turn of
// the event loop go out in one write (turn-writer.ts); the recap and close() write at once.
import type { Reporter, RunEvent } from './events.js';
import { createTurnWriter } from './turn-writer.js';

export interface JsonReporterOptions {
  verbosity?: number;
}

export function createJsonReporter(out: NodeJS.WritableStream, options: JsonReporterOptions = {}): Reporter {
  const verbosity = options.verbosity ?? 0;
  const w = createTurnWriter(out);
  return {
    onEvent(event: RunEvent): void {
      if (event.type === 'output' && verbosity < 2) return;
      w.write(`${JSON.stringify(event)}\n`);
      if (event.type === 'recap') w.flush();
    },
    close: () => w.flush(),
  };
}
