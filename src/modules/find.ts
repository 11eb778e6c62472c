// find: the files under some directories that match Ansible's filters (patterns or regexes on
// the base name, excludes, type, age, size, mode, hidden, depth), registered as stat-like
// entries. One `find -printf` per path lists everything with its stat fields in one command;
// the filters run on the controller; only `contains` and `get_checksum` ask the host again
// (grep / sha*sum on the candidates). Read-only: never changes anything, also runs in --check.
import { posix } from 'node:path';
import { findFact, fileChecksFact, type FileChecks, type FindState, type FoundEntry } from '../facts/find.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { failPlan, noop, step, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { globToRegExp } from '../util/glob.js';
import { pythonPattern } from './replace.js';

type Algo = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5';

export interface FindArgs {
  paths: string | string[];
  patterns?: string | string[];
  excludes?: string | string[];
  use_regex?: boolean | string;
  contains?: string;
  read_whole_file?: boolean | string;
  file_type?: 'file' | 'directory' | 'link' | 'any';
  recurse?: boolean | string;
  hidden?: boolean | string;
  follow?: boolean | string;
  age?: string | number;
  age_stamp?: 'atime' | 'ctime' | 'mtime';
  size?: string | number;
  depth?: number;
  get_checksum?: boolean | string;
  checksum_algorithm?: Algo;
  mode?: string | number;
  exact_mode?: boolean | string;
  encoding?: string;
}

const UNITS_AGE: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const UNITS_SIZE: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `age: -2d`, `size: 10m` → a signed number of seconds / bytes (Ansible's syntax). */
export function parseAmount(v: string | number, units: Record<string, number>, what: string): number {
  const m = new RegExp(`^(-?\\d+)([${Object.keys(units).join('')}])?$`).exec(String(v).trim().toLowerCase());
  if (!m) throw new TypeError(`failed to process ${what} ${JSON.stringify(v)}: use a number with an optional unit (${Object.keys(units).join(', ')})`);
  return Number(m[1]) * (units[m[2] ?? Object.keys(units)[0]!] ?? 1);
}

interface Filters {
  match(name: string): boolean;
  age?: number;
  size?: number;
  mode?: number;
}

function filters(a: FindArgs): Filters {
  const regex = toBool(a.use_regex);
  const compile = (p: string): ((s: string) => boolean) => {
    if (regex) {
      const re = pythonPattern(p, '');
      // Python's re.match: anchored at the start only
      const anchored = new RegExp(`^(?:${re.source})`, re.flags.replace('g', ''));
      return (s) => anchored.test(s);
    }
    const g = globToRegExp(p);
    return (s) => g.test(s);
  };
  const patterns = toList(a.patterns).map(compile);
  const excludes = toList(a.excludes).map(compile);
  const f: Filters = {
    match: (name) => (patterns.length === 0 || patterns.some((p) => p(name))) && !excludes.some((p) => p(name)),
  };
  if (a.age !== undefined) f.age = parseAmount(a.age, UNITS_AGE, 'age');
  if (a.size !== undefined) f.size = parseAmount(a.size, UNITS_SIZE, 'size');
  if (a.mode !== undefined) {
    const m = String(a.mode).trim();
    if (!/^0?[0-7]{3,4}$/.test(m)) throw new TypeError(`mode ${JSON.stringify(a.mode)}: give an octal mode such as "0644" (symbolic modes are not supported by find)`);
    f.mode = parseInt(m, 8);
  }
  return f;
}

/** Ansible's statinfo() for one entry. */
export function statEntry(e: FoundEntry, follow: boolean): Record<string, unknown> {
  const type = follow ? e.targetType : e.type;
  const m = e.mode;
  const r: Record<string, unknown> = {
    path: e.path,
    mode: (m & 0o7777).toString(8).padStart(4, '0'),
    isdir: type === 'd',
    ischr: type === 'c',
    isblk: type === 'b',
    isreg: type === 'f',
    isfifo: type === 'p',
    islnk: type === 'l',
    issock: type === 's',
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    inode: e.inode,
    dev: e.dev,
    nlink: e.nlink,
    atime: e.atime,
    mtime: e.mtime,
    ctime: e.ctime,
    gr_name: e.group,
    pw_name: e.owner,
    wusr: Boolean(m & 0o200),
    rusr: Boolean(m & 0o400),
    xusr: Boolean(m & 0o100),
    wgrp: Boolean(m & 0o20),
    rgrp: Boolean(m & 0o40),
    xgrp: Boolean(m & 0o10),
    woth: Boolean(m & 0o2),
    roth: Boolean(m & 0o4),
    xoth: Boolean(m & 0o1),
    isuid: Boolean(m & 0o4000),
    isgid: Boolean(m & 0o2000),
  };
  if (type === 'l') {
    r.lnk_target = e.linkTarget;
    r.lnk_source = posix.resolve(posix.dirname(e.path), e.linkTarget);
  }
  return r;
}

interface Selection {
  files: Array<Record<string, unknown>>;
  examined: number;
  skipped: Record<string, string>;
  /** regular files that still need the content check */
  candidates: string[];
}

function select(a: FindArgs, st: FindState): Selection | { error: string } {
  let f: Filters;
  try {
    f = filters(a);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const fileType = a.file_type ?? 'file';
  const follow = toBool(a.follow);
  const hidden = toBool(a.hidden);
  const stamp = a.age_stamp ?? 'mtime';
  const exact = toBool(a.exact_mode, true);
  const out: Selection = { files: [], examined: 0, skipped: {}, candidates: [] };
  for (const p of st.paths) {
    if (!p.entries) {
      out.skipped[p.path] = p.error ?? `${p.path} could not be read`;
      continue;
    }
    for (const e of p.entries) {
      out.examined++;
      const name = posix.basename(e.path);
      if (!hidden && name.startsWith('.')) continue;
      const type = follow ? e.targetType : e.type;
      if (!f.match(name)) continue;
      if (f.age !== undefined) {
        const age = st.now - e[stamp];
        if (f.age >= 0 ? age < f.age : age > -f.age) continue;
      }
      if (f.mode !== undefined && (exact ? (e.mode & 0o7777) !== f.mode : (e.mode & f.mode) !== f.mode)) continue;
      const isFile = type === 'f';
      const wanted = fileType === 'any' || (fileType === 'file' && isFile) || (fileType === 'directory' && type === 'd') || (fileType === 'link' && type === 'l');
      if (!wanted) continue;
      if (isFile && fileType === 'file' && f.size !== undefined && (f.size >= 0 ? e.size < f.size : e.size > -f.size)) continue;
      out.files.push(statEntry(e, follow));
      if (isFile) out.candidates.push(e.path);
    }
  }
  return out;
}

function result(a: FindArgs, sel: Selection, checks: FileChecks | undefined): Plan {
  let files = sel.files;
  if (a.contains !== undefined) files = files.filter((f) => f.isreg === true && checks?.containing.has(f.path as string));
  if (checks && toBool(a.get_checksum)) for (const f of files) if (f.isreg === true) f.checksum = checks.checksums.get(f.path as string);
  const skipped = Object.keys(sel.skipped).length > 0;
  const plan = noop(skipped ? 'Not all paths examined, check warnings for details' : 'All paths examined', {
    files,
    matched: files.length,
    examined: sel.examined,
    skipped_paths: sel.skipped,
  });
  if (skipped) plan.warnings = Object.values(sel.skipped);
  return plan;
}

export function planFind(a: FindArgs, st: FindState, _env?: PlanEnv): Plan {
  if (a.encoding !== undefined && !/^utf-?8$/i.test(a.encoding)) return failPlan(`find: encoding ${a.encoding} is not supported (contains reads UTF-8)`);
  const sel = select(a, st);
  if ('error' in sel) return failPlan(sel.error);
  const algo = a.checksum_algorithm ?? 'sha1';
  const needContent = a.contains !== undefined && (a.file_type ?? 'file') !== 'directory';
  const needSums = toBool(a.get_checksum);
  if ((needContent || needSums) && sel.candidates.length > 0) {
    const fact = fileChecksFact(sel.candidates, { ...(needContent ? { contains: a.contains } : {}), wholeFile: toBool(a.read_whole_file), ...(needSums ? { checksum: algo } : {}) });
    return { commands: [], msg: 'checking file contents', next: step(fact, (checks) => result(a, sel, checks)) };
  }
  return result(a, sel, undefined);
}

/** find's -maxdepth from recurse/depth (Ansible: depth counts levels below each path, 1 = its entries). */
function maxdepth(a: FindArgs): number | undefined {
  if (!toBool(a.recurse)) return 1;
  return a.depth;
}

export const findModule = defineModule<FindArgs, FindState>({
  name: 'find',
  schema: moduleSchema({
    properties: {
      paths: { ...listSchema('directories to search (a list, or comma-separated)'), aliases: ['name', 'path'] },
      patterns: { ...listSchema('shell globs (or Python regexes with use_regex) the base name must match one of; default: all'), aliases: ['pattern'], default: [] },
      excludes: { ...listSchema('globs (or regexes) of base names to leave out'), aliases: ['exclude'] },
      use_regex: boolSchema('patterns and excludes are Python regular expressions (matched at the start of the name) instead of globs', false),
      contains: { type: 'string', description: 'a regular expression the content must match (a line of it, or the whole file with read_whole_file); files only' },
      read_whole_file: boolSchema('match contains against the whole file instead of line by line', false),
      file_type: { type: 'string', enum: ['file', 'directory', 'link', 'any'], default: 'file', description: 'which kind of entry to return' },
      recurse: boolSchema('descend into subdirectories', false),
      hidden: boolSchema('include names starting with a dot', false),
      follow: boolSchema('follow symbolic links (descend into linked directories, report the target\'s type)', false),
      age: { type: ['string', 'integer'], description: 'at least this old (`2d`, `3h`, `30m`, `1w`, seconds); negative: at most this old' },
      age_stamp: { type: 'string', enum: ['atime', 'ctime', 'mtime'], default: 'mtime', description: 'which time age compares' },
      size: { type: ['string', 'integer'], description: 'files at least this big (`10m`, `1g`, `512k`, bytes); negative: at most this big' },
      depth: { type: 'integer', minimum: 1, description: 'with recurse: how many levels down (1 = only the entries of each path)' },
      get_checksum: boolSchema('add `checksum` (checksum_algorithm) to each regular file', false),
      checksum_algorithm: { type: 'string', enum: ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5'], default: 'sha1', aliases: ['checksum', 'checksum_algo'], description: 'algorithm of get_checksum' },
      mode: { type: ['string', 'integer'], description: 'only entries with this octal mode' },
      exact_mode: boolSchema('mode must match exactly (else: at least these bits)', true),
      encoding: { type: 'string', description: 'encoding of contains matching (only utf-8)' },
    },
    required: ['paths'],
  }),
  doc: {
    short: 'Find files by name, type, age, size, mode or content',
    description:
      'One `find -printf` per path lists every entry with its stat fields in one command; Ansible\'s filters are applied on the controller. `contains` and `get_checksum` ask the host once more for the candidates only (`grep -P`, `sha1sum`). Paths that are not readable directories are reported in `skipped_paths`, with a warning, as Ansible does.',
    returns: {
      files: 'the matches, each with Ansible\'s stat fields (path, mode, isdir, isreg, islnk, size, uid, gid, pw_name, gr_name, mtime, atime, ctime, inode, dev, nlink, the r/w/x bits, isuid, isgid; lnk_source/lnk_target for links; checksum with get_checksum)',
      matched: 'number of matches',
      examined: 'number of entries looked at',
      skipped_paths: 'path → why it was skipped',
      msg: '`All paths examined` or `Not all paths examined, check warnings for details`',
    },
    example: '- find:\n    paths: /var/log\n    patterns: "*.gz"\n    age: 4w\n    recurse: true\n  register: old_logs',
    notes: ['contains uses grep -P (PCRE) on the host, which reads Python regular expressions alike in practice.', 'Needs GNU find and grep (Debian\'s findutils and grep).'],
  },
  probe: (a) => findFact(toList(a.paths), { maxdepth: maxdepth(a), follow: toBool(a.follow) }),
  plan: planFind,
});
