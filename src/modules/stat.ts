// stat: what is at a path (never changes anything). One probe: stat plus, for regular files,
// a checksum; registered under `stat` with Ansible's field names.
import { fileFact, type FileState } from '../facts/file.js';
import { failPlan, noop } from './contract.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface StatArgs {
  path: string;
  follow?: boolean | string;
  get_checksum?: boolean | string;
  checksum_algorithm?: 'sha1' | 'sha256';
}

/** FileState → Ansible's `stat` dictionary. */
export function statResult(st: FileState): Record<string, unknown> {
  if (!st.exists) return { exists: false };
  const mode = st.mode ?? '0000';
  const bits = parseInt(mode, 8);
  const out: Record<string, unknown> = {
    exists: true,
    path: st.path,
    isdir: st.type === 'directory',
    isreg: st.type === 'file',
    islnk: st.type === 'link',
    mode,
    uid: st.uid,
    gid: st.gid,
    pw_name: st.owner,
    gr_name: st.group,
    size: st.size,
    mtime: st.mtime,
    executable: (bits & 0o111) !== 0,
    xusr: (bits & 0o100) !== 0,
    rusr: (bits & 0o400) !== 0,
    wusr: (bits & 0o200) !== 0,
    roth: (bits & 0o004) !== 0,
    woth: (bits & 0o002) !== 0,
  };
  if (st.linkTarget !== undefined) out.lnk_source = st.linkTarget;
  if (st.checksum !== undefined) out.checksum = st.checksum;
  return out;
}

export const statModule = defineModule<StatArgs, FileState>({
  name: 'stat',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'name'], description: 'the path to inspect' },
      follow: boolSchema('follow a symlink and describe its target', false),
      get_checksum: boolSchema('compute a checksum of a regular file', true),
      checksum_algorithm: { type: 'string', enum: ['sha1', 'sha256'], default: 'sha1', aliases: ['checksum', 'checksum_algo'], description: 'checksum algorithm' },
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
      'stat.checksum': 'sha1 (or checksum_algorithm) of a regular file',
      'stat.lnk_source': 'symlink target',
    },
    example: '- stat:\n    path: /etc/letsencrypt/live/{{ domain }}/fullchain.pem\n  register: cert\n- debug:\n    msg: "certificate present"\n  when: cert.stat.exists',
  },
  probe: (args) => fileFact(args.path, { follow: toBool(args.follow), checksum: toBool(args.get_checksum, true) ? (args.checksum_algorithm ?? 'sha1') : undefined }),
  plan(args, st) {
    if (st.error) return failPlan(`cannot stat ${args.path}: ${st.error}`);
    return noop(st.exists ? `${args.path} exists (${st.type})` : `${args.path} does not exist`, { stat: statResult(st) });
  },
});
