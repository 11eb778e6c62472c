// pause (Ansible's): wait a set time, or until the operator answers a prompt. Runs once per
// batch, not per host (the engine treats it as run_once, as Ansible's pause bypasses the host
// loop), on the controller. With seconds/minutes it waits that long and the prompt is only a
// message (input is not read); without, it shows the prompt and waits for a line, returned as
// `user_input` (hidden while typing when echo is false). Without a terminal (CI, no TTY on
// stdin) a prompt is skipped with a warning and `user_input` is empty, as Ansible does; a timed
// pause still waits. Ctrl-C ends the pause and the run stops as usual.
import type { ModuleDefinition } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

interface PauseArgs {
  minutes?: number | string;
  seconds?: number | string;
  prompt?: string;
  echo?: boolean;
}

const DURATION = { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$' }] };

export const pauseModule: ModuleDefinition<PauseArgs> = defineModule({
  name: 'pause',
  controllerOnly: true,
  schema: moduleSchema({
    properties: {
      minutes: { ...DURATION, description: 'pause for this many minutes (0 or less: 1 second)' },
      seconds: { ...DURATION, description: 'pause for this many seconds (0 or less: 1 second)' },
      prompt: { type: 'string', description: 'text shown; without minutes/seconds, the question whose answer is `user_input`' },
      echo: { type: 'boolean', default: true, description: 'show what the operator types (no effect with minutes/seconds)' },
    },
    extra: { not: { required: ['minutes', 'seconds'] } },
  }),
  doc: {
    short: 'Pause the play for a time, or until the operator answers a prompt',
    description:
      'Runs once per batch (not once per host). In a run without a terminal (CI=true, stdin not a TTY) a prompt is not waited for: a warning says so and `user_input` is empty; a timed pause still waits.',
    returns: {
      user_input: 'what the operator typed (prompt without minutes/seconds); empty otherwise',
      start: 'when the pause began (local time, "YYYY-MM-DD HH:MM:SS.ffffff")',
      stop: 'when it ended',
      delta: 'whole seconds paused',
      echo: 'the echo setting',
      stdout: '"Paused for N seconds" / "Paused for N minutes" for a timed pause',
    },
    example: '- pause:\n    prompt: "Canary done: check the dashboards, then press Enter"\n- pause:\n    minutes: 2\n- pause:\n    prompt: "Type the release tag"\n    echo: false\n  register: answer',
    notes: ['minutes and seconds are mutually exclusive.', 'For a per-host wait use wait_for.'],
  },
  async run(ctx, args) {
    const echo = args.echo ?? true;
    const start = new Date();
    const signal = ctx.signal ?? new AbortController().signal;
    let userInput = '';
    let stdout = '';
    const timed = args.minutes !== undefined || args.seconds !== undefined;
    if (timed) {
      const minutes = args.minutes !== undefined;
      const n = Number(minutes ? args.minutes : args.seconds);
      const ms = n > 0 ? n * (minutes ? 60_000 : 1000) : 1000;
      ctx.interact?.say(`${args.prompt ? `${args.prompt}\n` : ''}Pausing for ${Math.round(ms / 1000)} seconds (Ctrl-C stops the run)`);
      await sleep(ms, signal);
      stdout = `Paused for ${minutes ? n : Math.round(ms / 1000)} ${minutes ? 'minutes' : 'seconds'}`;
    } else if (ctx.interact?.interactive) {
      const text = args.prompt ?? 'Press enter to continue, Ctrl-C to interrupt';
      userInput = await ctx.interact.prompt(`[pause]\n${text}:\n`, echo, signal);
    } else {
      ctx.warn('Not waiting for response to prompt as stdin is not interactive');
    }
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('interrupted');
    const stop = new Date();
    return {
      changed: false,
      ...(stdout ? { msg: stdout } : {}),
      data: { user_input: userInput, start: stamp(start), stop: stamp(stop), delta: Math.floor((stop.getTime() - start.getTime()) / 1000), echo, stdout, rc: 0, stderr: '' },
    };
  },
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) return resolveSleep();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Python's str(datetime.now()): what Ansible's pause registers as start/stop. */
function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}
