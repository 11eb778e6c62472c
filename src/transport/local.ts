// `connection: local`: the controller itself, with the same wrapper, become, timeout and atomic
// put semantics as the ssh transport.
import { spawn } from 'node:child_process';
import { chmod, chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { atomicPut, type PutFileOps } from './atomic-put.js';
import { rawCommand, sh, type ShellCommand } from './command.js';
import { ExecError, failedResult } from './errors.js';
import { ExecSession } from './exec-session.js';
import { StopEscalation, abortReason, type StopSignal } from './stop.js';
import type { BecomeOptions, ExecOptions, ExecResult, PutOptions, Transport } from './types.js';
import { killScript, wrapCommand } from './wrap.js';
import { userInfo } from 'node:os';

/** after TERM, how long a command gets to exit before KILL */
const KILL_GRACE_MS = 2000;
const GET_LIMIT = 512 * 1024 * 1024;

/** The file calls of an atomic put on the controller. */
const LOCAL_FILES: PutFileOps = {
  existing: async (path) => {
    const st = await stat(path).catch(() => undefined);
    return st === undefined ? undefined : { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  },
  writeNew: (tmp, data) => writeFile(tmp, data, { flag: 'wx', mode: 0o600 }),
  chmod: (tmp, mode) => chmod(tmp, mode),
  // only root can give a file away; anyone else writes files they own, as ssh does
  keepOwner: async (tmp, { uid, gid }) => {
    if (process.getuid?.() === 0 && uid !== undefined && gid !== undefined) await chown(tmp, uid, gid);
  },
  rename: (tmp, path) => rename(tmp, path),
  remove: (tmp) => rm(tmp, { force: true }),
};

export class LocalTransport implements Transport {
  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  async exec(command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    return (await this.run(command, options)).result;
  }

  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    await atomicPut(this, LOCAL_FILES, path, content, options);
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
      throw new ExecError(failedResult(this.host, `get ${path}`, (e as Error).message));
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
      const escalation = new StopEscalation({
        send: (sig) => this.signalAll(child.pid, session, sig, options.become),
        exited: () => child.exitCode !== null || child.signalCode !== null,
        graceMs: KILL_GRACE_MS,
      });
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              session.timedOut = true;
              escalation.stop();
            }, options.timeoutMs)
          : undefined;
      const onAbort = (): void => escalation.stop();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) escalation.stop();
      child.on('error', (e) => {
        clearTimeout(timer);
        escalation.dispose();
        reject(new ExecError(failedResult(this.host, session.display, e.message)));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        escalation.dispose();
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

  private signalAll(pid: number | undefined, session: ExecSession, sig: StopSignal, become: BecomeOptions | undefined): void {
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

