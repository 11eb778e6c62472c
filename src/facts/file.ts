// The state of one path: type, mode, owner, size, mtime, link target, and on request a
// checksum and the content. One `stat` plus optional extras, so a module needs one round trip.
import { sh, raw, ShellCommand } from '../transport/command.js';
import type { Fact } from './types.js';

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface FileState {
  path: string;
  exists: boolean;
  type?: FileType;
  /** 4-digit octal, e.g. '0644' */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  /** seconds since the epoch */
  mtime?: number;
  /** last access, seconds since the epoch */
  atime?: number;
  /** last status change, seconds since the epoch */
  ctime?: number;
  inode?: number;
  /** device number of the filesystem */
  dev?: number;
  /** hard links */
  nlink?: number;
  /** stat's own words for the type (`%F`): regular file, directory, fifo, socket, character special file, ... */
  kind?: string;
  /** allocated blocks and the size `blocks` counts in (`%b`, `%B`) */
  blocks?: number;
  blockSize?: number;
  /** a device file's major/minor as one number (Python's st_rdev) */
  rdev?: number;
  /** symlink target as stored in the link */
  linkTarget?: string;
  /** hex digest when asked for (regular files only) */
  checksum?: string;
  /** content when asked for (regular files only) */
  content?: string;
  /** content was cut at maxContentBytes */
  contentTruncated?: boolean;
  /** the probe could not read the path (permission denied...) */
  error?: string;
}

export interface FileFactOptions {
  checksum?: 'sha1' | 'sha256';
  /** include the content (text) */
  content?: boolean;
  /** cap for content; the whole file when undefined */
  maxContentBytes?: number;
  /** stat the link target instead of the link (stat -L) */
  follow?: boolean;
  /**
   * Also leave the stat line in the shell variable `$KEEP` (empty when the path is absent or
   * could not be read) and the checksum line in `$KEEP_sum`: a one-command path's classify
   * step (modules/util/fast.ts) reads them instead of running `stat` and the checksum again.
   * Must be a shell name; each fact of a combined probe needs its own.
   */
  keep?: string;
}

// the same one `stat` also gives atime, ctime, inode, device, link count, blocks and a device
// file's major/minor (stat's and file's results: no second `stat` for the stat module)
const STAT_FORMAT = '%F|%a|%u|%g|%U|%G|%s|%Y|%X|%Z|%i|%d|%h|%b|%B|%t|%T';

export function fileFactCommand(path: string, opts: FileFactOptions = {}): ShellCommand {
  const statFlag = opts.follow ? raw('-L ') : raw('');
  const keep = opts.keep;
  if (keep !== undefined && !/^[a-z_][a-z0-9_]*$/.test(keep)) throw new Error(`internal error: ${keep} is not a shell variable name`);
  // No `exit` anywhere: the command may run inside a combined probe (src/facts/combine.ts).
  const extras: ShellCommand[] = [sh`if [ -L ${path} ]; then printf 'link:%s\\n' "$(readlink -- ${path})"; fi`];
  // without follow the state is the link's own: a link has no content to sum (Ansible's stat
  // sums regular files only, a link is not one)
  const regular = opts.follow ? sh`[ -f ${path} ]` : sh`[ -f ${path} ] && [ ! -L ${path} ]`;
  if (opts.checksum) {
    const tool = raw(opts.checksum === 'sha1' ? 'sha1sum' : 'sha256sum');
    // the tool's own line (`HASH  -`) is parsed here: no subshell, no `cut` (two processes fewer
    // per stat in a fleet); a file that cannot be read still ends the line. Kept: `$(exec ...)`
    // is one process in bash and dash alike (without `exec` bash forks once more for the `<`).
    extras.push(
      keep === undefined
        ? sh`if ${regular}; then printf 'sum:'; ${tool} < ${path} || echo; fi`
        : sh`if ${regular}; then ${raw(keep)}_sum=$(exec ${tool} < ${path}); printf 'sum:%s\\n' "$${raw(keep)}_sum"; fi`,
    );
  }
  if (opts.content) {
    const reader = opts.maxContentBytes !== undefined ? sh`head -c ${opts.maxContentBytes + 1} -- ${path}` : sh`cat -- ${path}`;
    extras.push(sh`if [ -f ${path} ]; then echo content: && ${reader}; fi`);
  }
  const joined = new ShellCommand(extras.flatMap((e, i) => (i === 0 ? [e] : [raw('; '), e])));
  const format = 'stat:' + STAT_FORMAT;
  if (keep === undefined) {
    return sh`if [ -e ${path} ] || [ -L ${path} ]; then stat ${statFlag}-c ${format} -- ${path} && { ${joined}; }; else echo absent; fi`;
  }
  // `NAME=$(stat ...)` is one process too (the subshell execs stat), and the status is stat's
  const K = raw(keep);
  return sh`${K}=; ${K}_sum=; if [ -e ${path} ] || [ -L ${path} ]; then ${K}=$(stat ${statFlag}-c ${format} -- ${path}) && printf '%s\\n' "$${K}" && { ${joined}; }; else echo absent; fi`;
}

export function parseFileState(path: string, stdout: string, stderr: string, exitCode: number | null, opts: FileFactOptions = {}): FileState {
  if (exitCode !== 0) {
    return { path, exists: true, error: (stderr.trim().split('\n').pop() ?? '') || `could not inspect ${path} (exit ${exitCode})` };
  }
  if (stdout.startsWith('absent')) return { path, exists: false };
  const st: FileState = { path, exists: true };
  let rest = stdout;
  while (rest.length > 0) {
    const nl = rest.indexOf('\n');
    const line = nl < 0 ? rest : rest.slice(0, nl);
    const after = nl < 0 ? '' : rest.slice(nl + 1);
    if (line === 'content:') {
      let content = after;
      if (opts.maxContentBytes !== undefined && Buffer.byteLength(content) > opts.maxContentBytes) {
        content = Buffer.from(content).subarray(0, opts.maxContentBytes).toString();
        st.contentTruncated = true;
      }
      st.content = content;
      break;
    }
    if (line.startsWith('stat:')) {
      const [kind = '', mode = '', uid = '', gid = '', owner = '', group = '', size = '', mtime = '', ...more] = line.slice(5).split('|');
      st.type = kind.includes('regular') ? 'file' : kind === 'directory' ? 'directory' : kind === 'symbolic link' ? 'link' : 'other';
      st.mode = mode.padStart(4, '0');
      st.uid = Number(uid);
      st.gid = Number(gid);
      st.owner = owner;
      st.group = group;
      st.size = Number(size);
      st.mtime = Number(mtime);
      const [atime, ctime, inode, dev, nlink, blocks, blockSize, major, minor] = more;
      st.kind = kind;
      if (atime !== undefined) st.atime = Number(atime);
      if (ctime !== undefined) st.ctime = Number(ctime);
      if (inode !== undefined) st.inode = Number(inode);
      if (dev !== undefined) st.dev = Number(dev);
      if (nlink !== undefined) st.nlink = Number(nlink);
      if (blocks !== undefined) st.blocks = Number(blocks);
      if (blockSize !== undefined) st.blockSize = Number(blockSize);
      if (major !== undefined && minor !== undefined) {
        const maj = parseInt(major, 16);
        const min = parseInt(minor, 16);
        // Linux's dev_t encoding, as os.stat's st_rdev
        st.rdev = ((maj & 0xfff) << 8) | (min & 0xff) | ((min & ~0xff) << 12) | ((maj & ~0xfff) * 2 ** 32);
      }
    } else if (line.startsWith('link:')) {
      st.linkTarget = line.slice(5);
    } else if (line.startsWith('sum:')) {
      const sum = line.slice(4).split(' ')[0] ?? '';
      if (/^[0-9a-f]+$/.test(sum)) st.checksum = sum;
    }
    rest = after;
  }
  return st;
}

/** The state of `path` on the host. */
export function fileFact(path: string, opts: FileFactOptions = {}): Fact<FileState> {
  return {
    name: 'file',
    command: fileFactCommand(path, opts),
    parse: (stdout, stderr, exitCode) => parseFileState(path, stdout, stderr, exitCode, opts),
  };
}
