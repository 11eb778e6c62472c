// A line typed without echo (passwords). Only from a terminal: a password piped into stdin
// would be read by whatever asked first, and a run that waits on a closed pipe hangs.
import { UsageError } from '../util/errors.js';
import type { CommandIo } from './command.js';

/** Ask for a hidden line on the terminal; without one, fail with `noTerminal` (what to use instead). */
export async function askHidden(io: CommandIo, prompt: string, noTerminal: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY) throw new UsageError(noTerminal);
  io.stderr.write(prompt);
  return new Promise<string>((resolvePw, reject) => {
    let pw = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolvePw(pw);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') pw = pw.slice(0, -1);
        else pw += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Whether a question can be put to a person now: stdin is a terminal and this is not CI
 * (CI=true with a terminal attached is still nobody to answer). When not, the reason.
 */
export function whyNoAnswer(io: CommandIo): string | undefined {
  const ci = io.env.CI;
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return 'CI is set';
  if ((io.stdin as NodeJS.ReadStream).isTTY !== true) return 'stdin is not a terminal';
  return undefined;
}

/**
 * Ask a question on the terminal and read one typed line (echoed, as the terminal edits it).
 * Never waits where nobody can answer (no terminal, CI): fails with `noTerminal` instead.
 * `signal` withdraws the question (a timeout answered for the operator): the terminal is no
 * longer read, so the process can end (a stdin left reading keeps it alive).
 */
export async function askLine(io: CommandIo, prompt: string, noTerminal: string, signal?: AbortSignal): Promise<string> {
  const why = whyNoAnswer(io);
  if (why !== undefined) throw new UsageError(`${noTerminal} (${why})`);
  if (signal?.aborted) throw new UsageError(`${noTerminal}: withdrawn`);
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(prompt);
  return new Promise<string>((resolveLine, reject) => {
    let line = '';
    stdin.setEncoding('utf8');
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      signal?.removeEventListener('abort', onAbort);
      stdin.pause();
      if (err) reject(err);
      else resolveLine(line.trim());
    };
    const onAbort = (): void => {
      // the cursor still sits after the question: end its line
      io.stderr.write('\n');
      done(new UsageError(`${noTerminal}: withdrawn`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (chunk: string): void => {
      const nl = chunk.search(/[\r\n]/);
      if (nl < 0) line += chunk;
      else {
        line += chunk.slice(0, nl);
        done();
      }
    };
    // Ctrl-D: nobody will answer; what was typed so far is the answer
    const onEnd = (): void => done();
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
