// stat: what is at a path (never changes anything). One probe: stat plus, for regular files,
// a checksum; registered under `stat` with Ansible's field names.
import type { FileState } from '../facts/file.js';
import { statFact, type StatExtra, type StatState } from '../facts/stat.js';
import { failPlan, noop } from './contract.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface StatArgs {
  path: string;
  follow?: boolean | string;
  get_checksum?: boolean | string;
  checksum_algorithm?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5';
  get_mime?: boolean | string;
  get_attributes?: boolean | string;
}

// lsattr's letters → the names Ansible reports in `attributes` (its FILE_ATTRIBUTES)
const ATTRIBUTE_NAMES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted', h: 'blocksize', i: 'immutable',
  I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

/** FileState (+ the stat extras) → Ansible's `stat` dictionary. */
export function statResult(st: FileState, extra: StatExtra = {}): Record<string, unknown> {
  if (!st.exists) return { exists: false };
  const mode = st.mode ?? '0000';
  const bits = parseInt(mode, 8);
  const kind = extra.kind ?? '';
  const out: Record<string, unknown> = {
    exists: true,
    path: st.path,
    mode,
    isdir: st.type === 'directory',
    ischr: kind === 'character special file',
    isblk: kind === 'block special file',
    isreg: st.type === 'file',
    isfifo: kind === 'fifo',
    islnk: st.type === 'link',
    issock: kind === 'socket',
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    inode: st.inode,
    dev: st.dev,
    nlink: st.nlink,
    atime: st.atime,
    mtime: st.mtime,
    ctime: st.ctime,
    wusr: (bits & 0o200) !== 0,
    rusr: (bits & 0o400) !== 0,
    xusr: (bits & 0o100) !== 0,
    wgrp: (bits & 0o020) !== 0,
    rgrp: (bits & 0o040) !== 0,
    xgrp: (bits & 0o010) !== 0,
    woth: (bits & 0o002) !== 0,
    roth: (bits & 0o004) !== 0,
    xoth: (bits & 0o001) !== 0,
    isuid: (bits & 0o4000) !== 0,
    isgid: (bits & 0o2000) !== 0,
    pw_name: st.owner,
    gr_name: st.group,
  };
  if (extra.blocks !== undefined) out.blocks = extra.blocks;
  if (extra.blockSize !== undefined) out.block_size = extra.blockSize;
  if (extra.rdev !== undefined) out.device_type = extra.rdev;
  // access for the user the task runs as (the become user), as os.access tells Ansible
  out.readable = extra.readable ?? false;
  out.writeable = extra.writeable ?? false;
  out.executable = extra.executable ?? false;
  if (st.type === 'link') {
    out.lnk_target = st.linkTarget;
    if (extra.realpath !== undefined) out.lnk_source = extra.realpath;
  }
  if (st.checksum !== undefined) out.checksum = st.checksum;
  if (extra.mimetype !== undefined || extra.mimeAsked) {
    out.mimetype = extra.mimetype ?? 'unknown';
    out.charset = extra.charset ?? 'unknown';
  }
  if (extra.attrFlags !== undefined) {
    out.attr_flags = extra.attrFlags.replace(/-/g, '');
    out.attributes = [...extra.attrFlags].filter((c) => c !== '-').map((c) => ATTRIBUTE_NAMES[c] ?? c);
    out.version = extra.version;
  }
  return out;
}

export const statModule = defineModule<StatArgs, StatState>({
  name: 'stat',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'name'], description: 'the path to inspect' },
      follow: boolSchema('follow a symlink and describe its target', false),
      get_checksum: boolSchema('compute a checksum of a regular file', true),
      checksum_algorithm: { type: 'string', enum: ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5'], default: 'sha1', aliases: ['checksum', 'checksum_algo'], description: 'checksum algorithm (the host\'s coreutils `*sum` tool)' },
      get_mime: boolSchema('report `mimetype` and `charset` from `file --mime-type --mime-encoding` (`unknown` when `file` is not installed)', true),
      get_attributes: boolSchema('report `attributes`, `attr_flags` and `version` from `lsattr` (absent where the filesystem has none)', true),
    },
    required: ['path'],
  }),
  doc: {
    short: 'Describe a path on the host (exists, type, mode, owner, size, checksum)',
    description: 'One command (`stat`, and a checksum for regular files). Never changes anything, so it also runs in --check.',
    returns: {
      'stat.exists': 'whether the path exists',
      'stat.isdir / isreg / islnk': 'directory / regular file / symlink',
      'stat.mode': 'permissions as a 4-digit octal string, e.g. "0644"',
      'stat.uid / gid / pw_name / gr_name': 'owner and group',
      'stat.size / mtime': 'size in bytes, modification time (epoch seconds)',
      'stat.atime / ctime / inode / dev / nlink': 'access and change times (epoch seconds), inode, device, link count',
      'stat.checksum': 'sha1 (or checksum_algorithm) of a regular file',
      'stat.lnk_target': 'symlink target as stored in the link',
      'stat.lnk_source': 'the absolute path the link resolves to',
      'stat.readable / writeable / executable': 'access for the user the task runs as',
      'stat.mimetype / charset': 'from `file --mime-type --mime-encoding`, `unknown` without `file`',
      'stat.attributes / attr_flags / version': 'ext2 attributes from `lsattr`',
      'stat.isuid / isgid / ischr / isblk / isfifo / issock / blocks / block_size / device_type': 'as Python\'s os.stat',
    },
    example: '- stat:\n    path: /etc/letsencrypt/live/{{ domain }}/fullchain.pem\n  register: cert\n- debug:\n    msg: "certificate present"\n  when: cert.stat.exists',
  },
  homePaths: ['path'],
  probe: (args) =>
    statFact(args.path, {
      follow: toBool(args.follow),
      ...(toBool(args.get_checksum, true) ? { checksum: args.checksum_algorithm ?? 'sha1' } : {}),
      mime: toBool(args.get_mime, true),
      attributes: toBool(args.get_attributes, true),
    }),
  plan(args, { file: st, extra }) {
    if (st.error) return failPlan(`cannot stat ${args.path}: ${st.error}`);
    return noop(st.exists ? `${args.path} exists (${st.type})` : `${args.path} does not exist`, { stat: statResult(st, extra) });
  },
});
