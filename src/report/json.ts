// `--json`: NDJSON on stdout, one event per line, the recap last. Command output chunks are
// only included with -vv (they can be large); everything else always.
import type { Reporter, RunEvent } from './events.js';

export interface JsonReporterOptions {
  verbosity?: number;
}

export function createJsonReporter(out: NodeJS.WritableStream, options: JsonReporterOptions = {}): Reporter {
  const verbosity = options.verbosity ?? 0;
  return {
    onEvent(event: RunEvent): void {
      if (event.type === 'output' && verbosity < 2) return;
      out.write(`${JSON.stringify(event)}\n`);
    },
  };
}
