// Which screen reporter a run gets, for every command that runs tasks (apply, run):
//   --json                      NDJSON events
//   a terminal (not CI, not TERM=dumb)   the live view (src/report/tree.ts)
//   anything else (pipe, file, CI=true)  one plain line per event
// NO_COLOR (https://no-color.org: set and not empty) turns colours off in either.
import type { CommandIo } from './command.js';
import type { Reporter } from '../report/events.js';
import { createJsonReporter } from '../report/json.js';
import { createPlainReporter } from '../report/plain.js';
import { createTreeReporter } from '../report/tree.js';
import { COLOR, NO_COLOR } from '../report/style.js';

export interface ScreenOptions {
  json: boolean;
  verbosity: number;
  diff: boolean;
  /** the command that re-runs this one, for the recap's hint */
  rerun: string;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/** Is stdout a terminal a live view can be drawn on? */
export function isLiveTerminal(io: CommandIo): boolean {
  return io.stdout.isTTY === true && !truthy(io.env.CI) && io.env.TERM !== 'dumb';
}

/** A screen reporter; `pause`/`resume` take a live view off the screen while a question is asked. */
export type ScreenReporter = Reporter & { pause(): void; resume(): void };

export function createScreenReporter(io: CommandIo, o: ScreenOptions): ScreenReporter {
  const still = { pause: (): void => undefined, resume: (): void => undefined };
  if (o.json) return { ...createJsonReporter(io.stdout, { verbosity: o.verbosity }), ...still };
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const common = { verbosity: o.verbosity, rerun: o.rerun, diff: o.diff, displayRoot: io.cwd };
  if (isLiveTerminal(io)) return createTreeReporter(io.stdout, { ...common, style: noColor ? NO_COLOR : COLOR });
  return { ...createPlainReporter(io.stdout, common), ...still };
}
