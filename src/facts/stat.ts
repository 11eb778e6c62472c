// Everything Ansible's `stat` reports about a path, in one command: the file fact (type, mode,
// owner, times, inode, checksum) plus what only the host can tell: the fine file type, blocks,
// device type, access for the user the task runs as, the resolved path of a link, the MIME type
// (`file`, when installed) and the ext2 attributes (`lsattr`, when the filesystem has them).
import { sh } from '../transport/command.js';
import { combineFacts } from './combine.js';
import { fileFact, type FileState } from './file.js';
import type { Fact } from './types.js';

export interface StatExtra {
  /** `%F` of stat: regular file, directory, symbolic link, fifo, socket, character special file, block special file */
  kind?: string;
  blocks?: number;
  blockSize?: number;
  /** major/minor of a device file as one number (Python's st_rdev) */
  rdev?: number;
  readable?: boolean;
  writeable?: boolean;
  executable?: boolean;
  /** realpath of the path (links resolved): asked for a link only (without follow) */
  realpath?: string;
  /** get_mime was asked for (Ansible then reports `unknown` when `file` cannot tell) */
  mimeAsked?: boolean;
  /** `file --mime-type --mime-encoding`: undefined when `file` is not installed */
  mimetype?: string;
  charset?: string;
  /** lsattr's flags and version; undefined when lsattr cannot tell */
  attrFlags?: string;
  version?: string;
}

export interface StatOptions {
  follow: boolean;
  checksum?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5';
  mime: boolean;
  attributes: boolean;
}

function extraFact(path: string, o: StatOptions, lsattrLast = false): Fact<StatExtra> {
  // only what the task asks for, and each tool as one process: `$(exec TOOL ... 2>/dev/null)`
  // (without `exec` bash forks once more for the redirection). The type, blocks and device
  // numbers come from the file fact's one `stat`.
  const mime = o.mime ? sh`; if command -v file >/dev/null 2>&1; then printf 'mime:%s\\n' "$(exec file -b ${o.follow ? sh`-L ` : sh``}--mime-type --mime-encoding -- ${path} 2>/dev/null)"; fi` : sh``;
  // lsattrLast: the probe's command ends with lsattr instead (statFact: exec'd, one process fewer)
  const attrs = o.attributes && !lsattrLast ? sh`; a=$(exec lsattr -vd -- ${path} 2>/dev/null) && printf 'attr:%s\\n' "$a"` : sh``;
  // lnk_source is reported for a link only (Ansible's too); with follow the path is its target
  const real = o.follow ? sh`` : sh`; if [ -L ${path} ]; then printf 'real:%s\\n' "$(exec realpath -m -- ${path} 2>/dev/null)"; fi`;
  return {
    name: 'stat-extra',
    command: sh`if [ -e ${path} ] || [ -L ${path} ]; then [ -r ${path} ] && echo readable; [ -w ${path} ] && echo writeable; [ -x ${path} ] && echo executable${real}${mime}${attrs}; fi; :`,
    parse(stdout) {
      const out: StatExtra = { readable: false, writeable: false, executable: false, mimeAsked: o.mime };
      for (const line of stdout.split('\n')) {
        if (line === 'readable') out.readable = true;
        else if (line === 'writeable') out.writeable = true;
        else if (line === 'executable') out.executable = true;
        else if (line.startsWith('real:')) out.realpath = line.slice(5);
        else if (line.startsWith('mime:')) {
          const [type = '', enc = ''] = line.slice(5).split(';');
          if (type.trim() !== '') {
            out.mimetype = type.trim();
            out.charset = enc.split('=')[1]?.trim() ?? 'unknown';
          }
        } else if (line.startsWith('attr:')) {
          const m = /^attr:\s*(\S+)\s+(\S+)\s/.exec(line);
          if (m) {
            out.version = m[1];
            out.attrFlags = m[2];
          }
        }
      }
      return out;
    },
  };
}

export interface StatState {
  file: FileState;
  extra: StatExtra;
}

const ATTR_MARK = '@@stat-lsattr';

const NATIVE: Record<string, 'sha1' | 'sha256'> = { sha1: 'sha1', sha256: 'sha256' };

/**
 * The stat module's probe: one command, and the whole of it (it ends by exec'ing lsattr: never
 * combine it with other facts or commands after it).
 */
export function statFact(path: string, o: StatOptions): Fact<StatState> {
  const native = o.checksum ? NATIVE[o.checksum] : undefined;
  const file = fileFact(path, { follow: o.follow, ...(native ? { checksum: native } : {}) });
  // lsattr is the last program the probe runs: the shell execs it (its process becomes
  // lsattr's), and what it prints after the marker line is the attributes; a failed lsattr (a
  // filesystem without them) exits non-zero and prints nothing, as `a=$(lsattr) && ...` did
  const lsattrLast = o.attributes && !(o.checksum && !native);
  const parts: Array<Fact<unknown>> = [file, extraFact(path, o, lsattrLast)];
  // the other algorithms Ansible offers: the host's coreutils tool of the same name
  if (o.checksum && !native) parts.push({ name: 'sum', command: sh`if [ -f ${path} ]${o.follow ? sh`` : sh` && [ ! -L ${path} ]`}; then ${sh`${`${o.checksum}sum`}`} < ${path}; fi; :`, parse: (out) => /^([0-9a-f]+)/.exec(out)?.[1] });
  const all = combineFacts(parts);
  // the parser alone waits for the output (not the facts and their command text)
  const parseAll = all.parse;
  return {
    name: 'stat',
    command: lsattrLast ? sh`${all.command}; if [ -e ${path} ] || [ -L ${path} ]; then printf '%s\\n' ${ATTR_MARK}; exec lsattr -vd -- ${path} 2>/dev/null; fi` : all.command,
    parse(stdout, stderr, code) {
      const at = lsattrLast ? stdout.lastIndexOf(`\n${ATTR_MARK}\n`) : -1;
      // past the marker every section was printed: their own exit codes count, not lsattr's
      const [f, more, sum] = parseAll(at < 0 ? stdout : stdout.slice(0, at + 1), stderr, at < 0 ? code : 0) as [FileState, StatExtra, string | undefined];
      // the fine type, blocks and device numbers are the file fact's (one stat)
      const extra: StatExtra = { ...more };
      if (at >= 0 && code === 0) {
        const m = /^\s*(\S+)\s+(\S+)\s/.exec(stdout.slice(at + ATTR_MARK.length + 2));
        if (m) {
          extra.version = m[1];
          extra.attrFlags = m[2];
        }
      }
      if (f.kind !== undefined) extra.kind = f.kind;
      if (f.blocks !== undefined) extra.blocks = f.blocks;
      if (f.blockSize !== undefined) extra.blockSize = f.blockSize;
      if (f.rdev !== undefined) extra.rdev = f.rdev;
      return { file: sum !== undefined ? { ...f, checksum: sum } : f, extra };
    },
  };
}
