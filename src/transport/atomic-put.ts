// How every transport writes a file: never in place. The content goes to a new temp file in the
// destination directory (exclusive create, 0600), gets its mode (and owner) there, and is
// renamed over the destination, so a reader sees the old file or the new one, never half of
// one, and a failed put leaves the destination untouched. With become, the same steps run as
// one script through sudo (wrap.ts installScript). The transports supply only the file calls.
import { posix } from 'node:path';
import { rawCommand, sh, type ShellCommand } from './command.js';
import { ExecError, UnreachableError, failedResult } from './errors.js';
import type { ExecOptions, ExecResult, PutOptions } from './types.js';
import { installScript, tempName, validateMode } from './wrap.js';

/** What a transport does to the files of one put. */
export interface PutFileOps {
  /** mode bits (and owner, where known) of the destination, undefined when there is none */
  existing(path: string): Promise<{ mode: number; uid?: number; gid?: number } | undefined>;
  /** create `tmp` exclusively (never through an existing file or symlink), mode 0600, with `data` */
  writeNew(tmp: string, data: Buffer): Promise<void>;
  chmod(tmp: string, mode: number): Promise<void>;
  /** give `tmp` the destination's owner when no owner was asked for (where the transport can) */
  keepOwner?(tmp: string, existing: { uid?: number; gid?: number }): Promise<void>;
  /** rename `tmp` over `path` (atomic on one filesystem) */
  rename(tmp: string, path: string): Promise<void>;
  /** remove `tmp`, ignoring errors */
  remove(tmp: string): Promise<void>;
}

export interface PutTarget {
  host: string;
  exec(command: ShellCommand, options?: ExecOptions): Promise<ExecResult>;
}

export async function atomicPut(target: PutTarget, files: PutFileOps, path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
  const mode = validateMode(options.mode);
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (options.become) {
    // root-owned destinations: the content goes through sudo's stdin into a temp file in the
    // destination directory, then `mv -f` (installScript)
    const r = await target.exec(rawCommand(installScript(path, tempName(path), options)), { become: options.become, stdin: data });
    if (!r.ok) throw new ExecError({ ...r, command: `put ${path}` });
    return;
  }
  const tmp = posix.join(posix.dirname(path), tempName(path));
  try {
    const existing = await files.existing(path);
    await files.writeNew(tmp, data);
    await files.chmod(tmp, mode ?? existing?.mode ?? 0o644);
    if (options.owner !== undefined || options.group !== undefined) {
      const who = `${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}`;
      const r = await target.exec(sh`chown -- ${who} ${tmp}`);
      if (!r.ok) throw new Error(`cannot set owner ${who}: ${r.stderr.trim()}`);
    } else if (existing !== undefined) await files.keepOwner?.(tmp, existing);
    await files.rename(tmp, path);
  } catch (e) {
    await files.remove(tmp);
    if (e instanceof UnreachableError) throw e;
    throw new ExecError(failedResult(target.host, `put ${path}`, `cannot write ${path}: ${(e as Error).message}`));
  }
}
