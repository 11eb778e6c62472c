// Running the system commands the lab orchestrates (ip, unshare, sshd, openssl...).
// Every failure becomes an EnvironmentError that names the command and the tail of its
// stderr, because a lab failure is always "something on this machine is not as expected".
import { spawn } from 'node:child_process';
import { EnvironmentError } from '../util/errors.js';

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Run argv[0] with the rest as arguments (no shell); resolves whatever the exit code. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
      timeout: options.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new EnvironmentError(`lab: command not found: ${file} (is its package installed?)`));
      } else reject(e);
    });
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // EPIPE when the command does not read its stdin is not an error for us
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The last lines of a command's output, for error messages. */
export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Like run(), but a non-zero exit is an EnvironmentError saying what was being done. */
export async function runOk(argv: readonly string[], what: string, options: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, options);
  if (r.code !== 0) {
    const detail = tail(r.stderr || r.stdout);
    throw new EnvironmentError(
      `lab: ${what} failed (${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' ...' : ''}: ` +
        `${r.code === null ? `signal ${r.signal ?? '?'}` : `exit ${r.code}`})${detail ? `\n${detail}` : ''}`,
    );
  }
  return r;
}

/** Run tasks with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await sleep(intervalMs);
  }
}
