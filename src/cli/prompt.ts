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
