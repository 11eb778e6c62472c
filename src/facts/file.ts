// The state of one path: type, mode, owner, size, mtime, link target, and on request a
// checksum and the content. One `stat` plus optional extras, so a module needs one round trip.
import { joinWith, sh, raw, type Raw, type ShellCommand } from '../transport/command.js';
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
  /**
   * With `keep` and `checksum`, on a one-command path whose stdin is this content (up to
   * SHELL_READ_MAX bytes, no NUL): under bash a regular file of the same size is compared with
   * stdin in the shell itself (both read by `read`, no process) and, when equal, the checksum
   * line is this content's `sum`; otherwise (dash, another size, a difference) the checksum tool
   * runs as without it. stdin is read once into `$_rb_c` (STDIN_READ), for the write too.
   */
  stdinSame?: { sum: string; bytes: number };
  /**
   * With `keep` and `content` (no cap): under bash a regular file of up to SHELL_READ_MAX bytes
   * is read by `read` (no `cat` process) into `$KEEP_txt`, printed from there, and
   * `$KEEP_txt_ok` is 1; a NUL in the file (read stops there), a bigger file or dash: `cat` as
   * without it, and `$KEEP_txt_ok` stays empty. A one-command path's classify may then test
   * the text with the shell's own `case` (lineinfile).
   */
  shellText?: boolean;
}

/**
 * Up to this many bytes of stdin are read by bash's `read` instead of a process. bash reads a
 * pipe a byte at a time: measured here, `cat` costs the host 1.2 ms of CPU (fork + exec) whatever
 * the size, `read` 0.25 ms for 100 bytes, 0.45 ms for 1000, 1.1 ms for 4000.
 */
export const SHELL_READ_MAX = 2048;

/**
 * bash only: all of stdin into `$_rb_c`, once per script (`$_rb_r` is read's status: 1 when it
 * reached the end, the only status that means all of it arrived). `IFS= read -r -d ''` keeps
 * every byte but NUL, its delimiter: only content without NUL may be read this way.
 */
export const STDIN_READ = `[ -n "\${_rb_r-}" ] || { IFS= read -r -d '' _rb_c; _rb_r=$?; }`;

/** Whether content can travel through STDIN_READ: small, and no NUL. */
export function readableInShell(content: string | Buffer): boolean {
  if (typeof content === 'string') return content.length <= SHELL_READ_MAX && Buffer.byteLength(content) <= SHELL_READ_MAX && !content.includes('\0');
  return content.length <= SHELL_READ_MAX && !content.includes(0);
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
        : opts.stdinSame === undefined
          ? sh`if ${regular}; then ${raw(keep)}_sum=$(exec ${tool} < ${path}); printf 'sum:%s\\n' "$${raw(keep)}_sum"; fi`
          : sameAsStdin(path, regular, keep, tool, opts.stdinSame),
    );
  }
  if (opts.content && opts.shellText && keep !== undefined && opts.maxContentBytes === undefined) {
    extras.push(shellTextRead(path, keep));
  } else if (opts.content) {
    const reader = opts.maxContentBytes !== undefined ? sh`head -c ${opts.maxContentBytes + 1} -- ${path}` : sh`cat -- ${path}`;
    extras.push(sh`if [ -f ${path} ]; then echo content: && ${reader}; fi`);
  }
  const joined = joinWith(extras, '; ');
  const format = 'stat:' + STAT_FORMAT;
  if (keep === undefined) {
    return sh`if [ -e ${path} ] || [ -L ${path} ]; then stat ${statFlag}-c ${format} -- ${path} && { ${joined}; }; else echo absent; fi`;
  }
  // `NAME=$(stat ...)` is one process too (the subshell execs stat), and the status is stat's
  const K = raw(keep);
  return sh`${K}=; ${K}_sum=; if [ -e ${path} ] || [ -L ${path} ]; then ${K}=$(stat ${statFlag}-c ${format} -- ${path}) && printf '%s\\n' "$${K}" && { ${joined}; }; else echo absent; fi`;
}

/**
 * The checksum step of `stdinSame`: the stat line in `$KEEP` gives the size (its 7th field);
 * `rb_o` stays unset when the file cannot be opened, and `read` returns 0 when it stops at a
 * NUL (then the file differs from a content without one): either way the tool decides.
 */
function sameAsStdin(path: string, regular: ShellCommand, keep: string, tool: ShellCommand | Raw, same: { sum: string; bytes: number }): ShellCommand {
  const K = raw(keep);
  return sh`if ${regular}; then if [ -n "\${BASH_VERSION-}" ]; then rb_z=$\{${K}#*|*|*|*|*|*|}; if [ "$\{rb_z%%|*}" = ${String(same.bytes)} ]; then ${raw(STDIN_READ)}; unset rb_o; if [ "$_rb_r" = 1 ]; then IFS= read -r -d '' rb_o < ${path}; [ $? = 1 ] && [ -n "$\{rb_o+s}" ] && [ "$rb_o" = "$_rb_c" ] && ${K}_sum=${same.sum}; fi 2>/dev/null; fi; fi; [ -n "$${K}_sum" ] || ${K}_sum=$(exec ${tool} < ${path}); printf 'sum:%s\\n' "$${K}_sum"; fi`;
}

/**
 * shellText's content step: the size is the stat line's 7th field; `read` returning 1 (the end
 * of the file, no NUL met) means `$KEEP_txt` holds all of it. `printf` is bash's builtin here.
 */
function shellTextRead(path: string, keep: string): ShellCommand {
  const K = raw(keep);
  return sh`if [ -f ${path} ]; then ${K}_txt_ok=; if [ -n "\${BASH_VERSION-}" ]; then rb_z=$\{${K}#*|*|*|*|*|*|}; rb_z=$\{rb_z%%|*}; if [ "$rb_z" -le ${String(SHELL_READ_MAX)} ] 2>/dev/null; then unset ${K}_txt; IFS= read -r -d '' ${K}_txt < ${path}; [ $? = 1 ] && [ -n "$\{${K}_txt+s}" ] && ${K}_txt_ok=1; fi 2>/dev/null; fi; if [ -n "$${K}_txt_ok" ]; then echo content: && printf '%s' "$${K}_txt"; else echo content: && cat -- ${path}; fi; fi`;
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
      // indexed, not destructured: array destructuring runs the iterator protocol (an object
      // per element) in code V8 has not optimised, and this runs for every path probed
      const f = line.slice(5).split('|');
      const kind = f[0] ?? '';
      st.type = kind.includes('regular') ? 'file' : kind === 'directory' ? 'directory' : kind === 'symbolic link' ? 'link' : 'other';
      st.mode = (f[1] ?? '').padStart(4, '0');
      st.uid = Number(f[2] ?? '');
      st.gid = Number(f[3] ?? '');
      st.owner = f[4] ?? '';
      st.group = f[5] ?? '';
      st.size = Number(f[6] ?? '');
      st.mtime = Number(f[7] ?? '');
      st.kind = kind;
      // the fields after mtime: atime, ctime, inode, dev, nlink, blocks, block size, major, minor
      if (f.length > 8) st.atime = Number(f[8]);
      if (f.length > 9) st.ctime = Number(f[9]);
      if (f.length > 10) st.inode = Number(f[10]);
      if (f.length > 11) st.dev = Number(f[11]);
      if (f.length > 12) st.nlink = Number(f[12]);
      if (f.length > 13) st.blocks = Number(f[13]);
      if (f.length > 14) st.blockSize = Number(f[14]);
      if (f.length > 16) {
        const maj = parseInt(f[15] as string, 16);
        const min = parseInt(f[16] as string, 16);
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

/**
 * A small text file's content, for a plan that reads only its content (not its mode, owner or
 * size: lineinfile with no attributes to set): under bash, a regular file (links followed) of
 * up to SHELL_READ_MAX bytes without NUL is read by `read` alone, no `stat` and no `cat`, and
 * left in `$KEEP_txt` with `$KEEP_txt_ok` 1 as fileFact's shellText leaves it. `read -n` stops
 * after SHELL_READ_MAX + 1 bytes (the C locale counts bytes), and its status is 1 only when it
 * met the end of the file first. Anything else (a bigger file, a NUL, no file, a directory, a
 * file it cannot read, dash) is fileFact with content, follow and shellText, as the planned
 * path probes it: the same state, the same errors.
 */
export function smallTextFact(path: string, keep: string): Fact<FileState> {
  const full = fileFact(path, { content: true, follow: true, keep, shellText: true });
  const parseFull = full.parse;
  const K = raw(keep);
  const read = sh`{ unset ${K}_txt; LC_ALL=C IFS= read -r -d '' -n ${String(SHELL_READ_MAX + 1)} ${K}_txt < ${path}; [ $? = 1 ] && [ -n "$\{${K}_txt+s}" ]; } 2>/dev/null`;
  return {
    name: 'file',
    command: sh`${K}=; ${K}_txt_ok=; if [ -n "\${BASH_VERSION-}" ] && [ -f ${path} ] && ${read}; then ${K}_txt_ok=1; printf 'text:\\ncontent:\\n%s' "$${K}_txt"; else ${full.command}; fi`,
    parse(stdout, stderr, exitCode) {
      if (exitCode !== 0 || !stdout.startsWith('text:\n')) return parseFull(stdout, stderr, exitCode);
      return { ...parseFileState(path, stdout.slice(6), stderr, exitCode), type: 'file' };
    },
  };
}

/**
 * What `path` is, where only its type matters (a removal: what it was, not its mode or owner):
 * a symlink or a directory is told by the shell's own tests, no process; anything else by
 * fileFact, whose `stat` also gives a regular file's link count (Ansible's `hard`) and an error
 * a person can act on. A missing path, or one the user cannot see, is `absent` as in fileFact.
 */
export function pathTypeFact(path: string): Fact<FileState> {
  const full = fileFact(path);
  const parseFull = full.parse;
  return {
    name: 'file',
    command: sh`if [ -L ${path} ]; then echo type:link; elif [ -d ${path} ]; then echo type:directory; else ${full.command}; fi`,
    parse(stdout, stderr, exitCode) {
      if (exitCode === 0 && stdout.startsWith('type:')) return { path, exists: true, type: stdout.startsWith('type:link') ? 'link' : 'directory' };
      return parseFull(stdout, stderr, exitCode);
    },
  };
}

/** The state of `path` on the host. */
export function fileFact(path: string, opts: FileFactOptions = {}): Fact<FileState> {
  return {
    name: 'file',
    command: fileFactCommand(path, opts),
    parse: (stdout, stderr, exitCode) => parseFileState(path, stdout, stderr, exitCode, opts),
  };
}
