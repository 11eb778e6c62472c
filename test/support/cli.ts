// Running the CLI in-process for tests: `main` with captured output streams, and the --json
// events parsed.
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { RecapEvent, RunEvent } from '../../src/report/events.js';

/** An output stream that keeps what was written (not a terminal unless a test says so). */
export class TextSink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** the --json events (empty without --json) */
  events: RunEvent[];
  /** the last event, when it is the recap */
  recap?: RecapEvent;
}

/** `runbook ARGS` in `cwd` with only PATH (and `env`) in the environment and no input. */
export async function runCli(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await main(args, { stdout: out, stderr: err, stdin: new PassThrough(), env: { PATH: process.env.PATH ?? '', ...o.env }, cwd: o.cwd });
  const events = args.includes('--json') ? out.text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent) : [];
  const last = events.at(-1);
  return { code, out: out.text, err: err.text, events, ...(last?.type === 'recap' ? { recap: last } : {}) };
}
