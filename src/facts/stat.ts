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
  /** realpath of the path (links resolved) */
  realpath?: string;
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

function extraFact(path: string, o: StatOptions): Fact<StatExtra> {
  const L = o.follow ? sh`-L ` : sh``;
  const mime = o.mime ? sh`; if command -v file >/dev/null 2>&1; then printf 'mime:%s\\n' "$(file -b ${o.follow ? sh`-L ` : sh``}--mime-type --mime-encoding -- ${path} 2>/dev/null)"; fi` : sh``;
  const attrs = o.attributes ? sh`; a=$(lsattr -vd -- ${path} 2>/dev/null) && printf 'attr:%s\\n' "$a"` : sh``;
  return {
    name: 'stat-extra',
    command: sh`if [ -e ${path} ] || [ -L ${path} ]; then stat ${L}-c 'extra:%F|%b|%B|%t|%T' -- ${path}; [ -r ${path} ] && echo readable; [ -w ${path} ] && echo writeable; [ -x ${path} ] && echo executable; printf 'real:%s\\n' "$(realpath -m -- ${path} 2>/dev/null)"${mime}${attrs}; fi; :`,
    parse(stdout) {
      const out: StatExtra = { readable: false, writeable: false, executable: false };
      for (const line of stdout.split('\n')) {
        if (line.startsWith('extra:')) {
          const [kind = '', blocks = '', bsize = '', major = '0', minor = '0'] = line.slice(6).split('|');
          out.kind = kind;
          out.blocks = Number(blocks);
          out.blockSize = Number(bsize);
          const maj = parseInt(major, 16);
          const min = parseInt(minor, 16);
          // Linux's dev_t encoding, as os.stat's st_rdev
          out.rdev = ((maj & 0xfff) << 8) | (min & 0xff) | ((min & ~0xff) << 12) | ((maj & ~0xfff) * 2 ** 32);
        } else if (line === 'readable') out.readable = true;
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

const NATIVE: Record<string, 'sha1' | 'sha256'> = { sha1: 'sha1', sha256: 'sha256' };

/** The stat module's probe: one command. */
export function statFact(path: string, o: StatOptions): Fact<StatState> {
  const native = o.checksum ? NATIVE[o.checksum] : undefined;
  const file = fileFact(path, { follow: o.follow, ...(native ? { checksum: native } : {}) });
  const parts: Array<Fact<unknown>> = [file, extraFact(path, o)];
  // the other algorithms Ansible offers: the host's coreutils tool of the same name
  if (o.checksum && !native) parts.push({ name: 'sum', command: sh`if [ -f ${path} ]; then ${sh`${`${o.checksum}sum`}`} < ${path}; fi; :`, parse: (out) => /^([0-9a-f]+)/.exec(out)?.[1] });
  const all = combineFacts(parts);
  return {
    name: 'stat',
    command: all.command,
    parse(stdout, stderr, code) {
      const [f, extra, sum] = all.parse(stdout, stderr, code) as [FileState, StatExtra, string | undefined];
      return { file: sum !== undefined ? { ...f, checksum: sum } : f, extra };
    },
  };
}
