// What is under some directories: one `find -printf` per path, every entry with its stat
// fields (type, mode, size, owners, times, inode, link target), plus the host's clock for age
// filters; and, for a second step, which of some files contain a pattern (grep -P) and their
// checksums. Read-only.
import { raw, sh, ShellCommand } from '../transport/command.js';
import type { Fact } from './types.js';

export interface FoundEntry {
  path: string;
  /** find's %y (the entry itself) and %Y (a link's target) */
  type: string;
  targetType: string;
  mode: number;
  size: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  mtime: number;
  atime: number;
  ctime: number;
  dev: number;
  inode: number;
  nlink: number;
  linkTarget: string;
}

export interface FindState {
  /** the host's clock (seconds) */
  now: number;
  /** per path asked: its entries, or undefined when it is not a readable directory */
  paths: Array<{ path: string; entries?: FoundEntry[]; error?: string }>;
}

const FORMAT = '%y\\t%Y\\t%m\\t%s\\t%U\\t%G\\t%u\\t%g\\t%T@\\t%A@\\t%C@\\t%D\\t%i\\t%n\\t%l\\t%p\\0';

export function parseFoundEntry(record: string): FoundEntry | undefined {
  const f = record.split('\t');
  if (f.length < 16) return undefined;
  const n = (i: number) => Number(f[i]);
  return {
    type: f[0]!,
    targetType: f[1]!,
    mode: parseInt(f[2]!, 8),
    size: n(3),
    uid: n(4),
    gid: n(5),
    owner: f[6]!,
    group: f[7]!,
    mtime: n(8),
    atime: n(9),
    ctime: n(10),
    dev: n(11),
    inode: n(12),
    nlink: n(13),
    linkTarget: f[14]!,
    // a path may itself contain tabs: everything after the 15th
    path: f.slice(15).join('\t'),
  };
}

export function parseFind(stdout: string, paths: readonly string[]): FindState {
  const nowM = /^@@now (\d+)/m.exec(stdout);
  const state: FindState = { now: nowM ? Number(nowM[1]) : Math.floor(Date.now() / 1000), paths: [] };
  const parts = stdout.split(/^@@path \d+\n/m).slice(1);
  paths.forEach((path, i) => {
    const body = parts[i] ?? '';
    if (body.startsWith('@@not-a-dir')) {
      state.paths.push({ path, error: `${path} was skipped as it does not seem to be a valid directory or it cannot be accessed` });
      return;
    }
    const end = body.lastIndexOf('\n@@rc ');
    const records = (end >= 0 ? body.slice(0, end) : body).split('\0').filter((r) => r !== '' && r !== '\n');
    const entries = records.map((r) => parseFoundEntry(r.replace(/^\n/, ''))).filter((e): e is FoundEntry => e !== undefined);
    state.paths.push({ path, entries });
  });
  return state;
}

export function findFact(paths: readonly string[], o: { maxdepth?: number; follow?: boolean }): Fact<FindState> {
  const flag = o.follow ? raw('-L ') : raw('');
  const depth = o.maxdepth !== undefined ? sh` -maxdepth ${o.maxdepth}` : sh``;
  const parts = paths.map((p, i) => sh`printf '@@path %s\\n' ${i}; if [ -d ${p} ] && [ -r ${p} ]; then find ${flag}${p} -mindepth 1${depth} -printf ${raw(`'${FORMAT}'`)} 2>/dev/null; printf '\\n@@rc %s\\n' "$?"; else echo '@@not-a-dir'; fi`);
  const all = new ShellCommand(parts.flatMap((p) => [p, raw('; ')]));
  return { name: 'find', command: sh`printf '@@now %s\\n' "$(date +%s)"; ${all}:`, parse: (stdout) => parseFind(stdout, paths) };
}

export interface FileChecks {
  /** files whose content matches */
  containing: Set<string>;
  /** path → checksum */
  checksums: Map<string, string>;
}

/** Which of `files` contain `pattern` (Python-like regex: grep -P; per line, or the whole file), and their checksums. */
export function fileChecksFact(files: readonly string[], o: { contains?: string; wholeFile?: boolean; checksum?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5' }): Fact<FileChecks> {
  const list = new ShellCommand(files.flatMap((f) => [raw(' '), sh`${f}`]));
  const steps: ShellCommand[] = [];
  if (o.contains !== undefined && files.length > 0) steps.push(sh`echo '@@contains'; grep -lsZP${o.wholeFile ? raw('z') : raw('')} -e ${o.contains} --${list}; echo`);
  if (o.checksum !== undefined && files.length > 0) steps.push(sh`echo '@@sums'; ${raw(`${o.checksum}sum`)} -z --${list} 2>/dev/null; echo`);
  const command = steps.length ? new ShellCommand(steps.flatMap((s) => [s, raw('; ')]).concat([raw(':')])) : sh`:`;
  return {
    name: 'file-checks',
    command,
    parse(stdout) {
      const out: FileChecks = { containing: new Set(), checksums: new Map() };
      const c = /@@contains\n([^]*?)\n(?:@@sums\n|$)/.exec(stdout);
      for (const f of (c?.[1] ?? '').split('\0')) if (f !== '') out.containing.add(f);
      const s = stdout.indexOf('@@sums\n');
      if (s >= 0) {
        for (const rec of stdout.slice(s + 7).split('\0')) {
          const m = /^\n?([0-9a-f]+) [ *](.*)$/s.exec(rec);
          if (m) out.checksums.set(m[2]!, m[1]!);
        }
      }
      return out;
    },
  };
}
