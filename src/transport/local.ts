// `connection: local`: the controller itself, with the same wrapper, become, timeout and atomic
// put semantics as the ssh transport.
import { spawn } from 'node:child_process';
import { chmod, chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rawCommand, sh, type ShellCommand } from './command.js';
import { ExecError } from './errors.js';
import { ExecSession } from './exec-session.js';
import type { BecomeOptions, ExecOptions, ExecResult, PutOptions, Transport } from './types.js';
import { installScript, killScript, tempName, validateMode, wrapCommand } from './wrap.js';
import { userInfo } from 'node:os';

/** after TERM, how long a command gets to exit before KILL */
const KILL_GRACE_MS = 2000;
const GET_LIMIT = 512 * 1024 * 1024;

export class LocalTransport implements Transport {
  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  async exec(command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    return (await this.run(command, options)).result;
  }

  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    const mode = validateMode(options.mode);
    const become = options.become;
    if (become) {
      const script = installScript(path, tempName(path), options);
      const r = await this.exec(rawCommand(script), { become, stdin: content });
      if (!r.ok) throw new ExecError({ ...r, command: `put ${path}` });
      return;
    }
    const tmp = join(dirname(path), tempName(path));
    try {
      const existing = await stat(path).catch(() => undefined);
      await writeFile(tmp, content, { flag: 'wx', mode: 0o600 });
      await chmod(tmp, mode ?? (existing ? existing.mode & 0o7777 : 0o644));
      if (options.owner !== undefined || options.group !== undefined) {
        const r = await this.exec(sh`chown -- ${`${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}`} ${tmp}`);
        if (!r.ok) throw new ExecError({ ...r, command: `put ${path}` });
      } else if (existing && process.getuid?.() === 0) {
        await chown(tmp, existing.uid, existing.gid);
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof ExecError) throw e;
      throw new ExecError(failure(this.host, `put ${path}`, (e as Error).message));
    }
  }

  async get(path: string, options: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (options.become) {
      const { result, stdout } = await this.run(sh`cat -- ${path}`, { become: options.become }, GET_LIMIT);
      if (!result.ok) throw new ExecError({ ...result, stdout: '' });
      return stdout;
    }
    try {
      return await readFile(path);
    } catch (e) {
      throw new ExecError(failure(this.host, `get ${path}`, (e as Error).message));
    }
  }

  private run(command: ShellCommand, options: ExecOptions, captureLimit?: number): Promise<{ result: ExecResult; stdout: Buffer }> {
    // the text is run by /bin/sh itself: no login shell in between
    const wrapped = wrapCommand(command, options, undefined, 'posix');
    const child = spawn('/bin/sh', ['-c', wrapped.text], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const session = new ExecSession({
      host: this.host,
      loginUser: userInfo().username,
      command,
      options,
      wrapped,
      captureLimit,
      io: {
        writeStdin: (d) => child.stdin.write(d),
        endStdin: () => child.stdin.end(),
      },
    });
    // EPIPE when the command exits without reading its stdin is not an error
    child.stdin.on('error', () => {});
    child.stdout.on('data', (d: Buffer) => session.stdout(d));
    child.stderr.on('data', (d: Buffer) => session.stderr(d));

    return new Promise((resolve, reject) => {
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> => {
        stopping ??= (async () => {
          this.signalAll(child.pid, session, 'TERM', options.become);
          await new Promise((r) => setTimeout(r, KILL_GRACE_MS).unref());
          if (child.exitCode === null && child.signalCode === null) this.signalAll(child.pid, session, 'KILL', options.become);
        })();
        return stopping;
      };
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              session.timedOut = true;
              void stop();
            }, options.timeoutMs)
          : undefined;
      const onAbort = (): void => void stop();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) void stop();
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ExecError(failure(this.host, session.display, e.message)));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        session.exit(code, signal);
        const result = session.result();
        if (options.signal?.aborted && !session.timedOut) {
          reject(abortReason(options.signal));
          return;
        }
        resolve({ result, stdout: session.stdoutBuffer() });
      });
    });
  }

  private signalAll(pid: number | undefined, session: ExecSession, sig: 'TERM' | 'KILL', become: BecomeOptions | undefined): void {
    const pids = [pid, session.outerPid, session.innerPid].filter((p): p is number => p !== undefined);
    let denied = false;
    for (const p of new Set(pids)) {
      for (const target of [-p, p]) {
        try {
          process.kill(target, `SIG${sig}`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EPERM') denied = true;
        }
      }
    }
    // a command running as another user through sudo is stopped through sudo
    if (denied && become) void this.exec(rawCommand(killScript(sig, [...new Set(pids)])), { become });
  }
}

function failure(host: string, command: string, message: string): ExecResult {
  return { host, command, exitCode: 1, signal: null, stdout: '', stderr: message, truncated: false, timedOut: false, durationMs: 0, ok: false };
}

export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the command was aborted');
  e.name = 'AbortError';
  return e;
}
