// unarchive: unpack a tar (.tar, .tar.gz, .tar.bz2, .tar.xz, .tar.zst) or zip archive into an
// existing directory, from the controller or already on the host (remote_src), as Ansible's
// unarchive. Idempotent the way Ansible decides it: the archive's members are compared with
// dest (GNU tar's --diff, filtered as Ansible filters it; zip members by content), and with
// owner/group/mode the members' attributes too. One probe asks all of it (an archive from the
// controller goes along on its stdin, into a temp file it removes); when something differs one
// command unpacks (the archive sent again), sets the attributes and cleans up.
import { ARCHIVE, ATTRIBUTE_TARGETS, attributeTargets, listMembersCommand, unarchiveFact, TAR_FLAG, type UnarchiveState } from '../facts/unarchive.js';
import { sh, type ShellCommand } from '../transport/command.js';
import { globMatch } from '../util/glob.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { defineModule, joinCommands } from './runner.js';
import { boolSchema, listSchema, modeSchema, toBool, toList } from './util/args.js';
import { ownerSpec } from './util/file-ops.js';
import { readControllerSource } from './util/local-file.js';
import { parseModeArg, sameMode, wantedMode } from './util/mode.js';
import { moduleSchema } from './util/schema.js';

export interface UnarchiveArgs {
  src: string;
  dest: string;
  remote_src?: boolean | string;
  /** deprecated inverse of remote_src */
  copy?: boolean | string;
  creates?: string;
  list_files?: boolean | string;
  include?: string[] | string;
  exclude?: string[] | string;
  extra_opts?: string[] | string;
  keep_newer?: boolean | string;
  owner?: string;
  group?: string;
  mode?: string | number;
  decrypt?: boolean | string;
  validate_certs?: boolean | string;
  io_buffer_size?: number;
}

export interface UnarchivePlanArgs extends UnarchiveArgs {
  /** the controller's archive (not with remote_src) */
  archive?: Buffer;
  error?: string;
}

function isRemote(a: UnarchiveArgs): boolean {
  if (a.remote_src !== undefined) return toBool(a.remote_src);
  return a.copy !== undefined && !toBool(a.copy, true);
}

const listOf = (v: string[] | string | undefined): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : toList(v));

// tar --diff lines that mean "not unarchived" (Ansible's regexes); owner/group/mode lines only
// where the task does not set them itself afterwards
const ALWAYS = [/: Mod time differs$/, /: Warning: Cannot stat: No such file or directory$/, /: Invalid owner/, /: Invalid group/, /: Symlink differs$/, /: Contents differ$/, /: Size differs$/];
const EMPTY_FILE = /: : Warning: Cannot stat: No such file or directory$/;

/** Which tar --diff lines count (Ansible's TgzArchive.is_unarchived); `root`: the probe ran as root. */
export function tarDifferences(lines: readonly string[], a: Pick<UnarchiveArgs, 'owner' | 'group' | 'mode'>, root: boolean): string[] {
  return lines.filter((l) => {
    if (EMPTY_FILE.test(l)) return false;
    if (root && a.owner === undefined && /: Uid differs$/.test(l)) return true;
    if (root && a.group === undefined && /: Gid differs$/.test(l)) return true;
    if (a.mode === undefined && /: Mode differs$/.test(l)) return true;
    return ALWAYS.some((r) => r.test(l));
  });
}

/** zip members kept by include/exclude (fnmatch on the member name, as Ansible). */
function zipSelected(members: readonly string[], include: readonly string[], exclude: readonly string[]): string[] {
  if (include.length) return members.filter((m) => include.some((p) => globMatch(p, m)));
  return members.filter((m) => !exclude.some((p) => globMatch(p, m)));
}

/** How many members (and top folders) there are whose owner, group or mode is not the task's. */
function attributeDifferences(a: UnarchivePlanArgs, members: readonly string[], st: UnarchiveState): number {
  let count = 0;
  for (const name of attributeTargets(members)) {
    const s = st.stats?.[name];
    if (!s) continue;
    const want = a.mode !== undefined && s.type !== 'link' ? wantedMode(a.mode, s.mode, s.type === 'directory') : undefined;
    const modeDiffers = want !== undefined && !sameMode(want, s.mode);
    const ownerDiffers = a.owner !== undefined && a.owner !== s.owner && a.owner !== String(s.uid);
    const groupDiffers = a.group !== undefined && a.group !== s.group && a.group !== String(s.gid);
    if (modeDiffers || ownerDiffers || groupDiffers) count++;
  }
  return count;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `runbook-fail: MSG` on stderr, then false: the task's message when the group before it fails. */
const failWith = (msg: string): ShellCommand => sh`{ echo ${`runbook-fail: ${msg}`} >&2; false; }`;

export function planUnarchive(a: UnarchivePlanArgs, st: UnarchiveState | undefined, _env: PlanEnv): Plan {
  const remote = isRemote(a);
  if (a.error !== undefined || !st) return failPlan(a.error ?? 'unarchive: nothing was probed');
  if (a.creates !== undefined && st.creates) return { commands: [], skipped: true, changed: false, msg: `skipped, since ${a.creates} exists` };
  const include = listOf(a.include);
  const exclude = listOf(a.exclude);
  const extraOpts = listOf(a.extra_opts);
  const data: Record<string, unknown> = { dest: a.dest, src: a.src };
  if (st.src === 'missing') return failPlan(remote ? `Source '${a.src}' does not exist` : `Source '${a.src}' failed to transfer`, data);
  if (st.src === 'unreadable') return failPlan(`Source '${a.src}' not readable`, data);
  if (st.src === 'empty') return failPlan(`Invalid archive '${a.src}', the file is 0 bytes`, data);
  if (st.dest.kind !== 'directory') return failPlan(`Destination '${a.dest}' is not a directory`, data);
  if (!st.handler) return failPlan(`Failed to find handler for "${a.src}". Make sure the required command to extract the file is installed.\n${st.handlerError ?? ''}`.trimEnd(), data);
  const zip = st.handler === 'ZipArchive';
  if (zip && toBool(a.keep_newer)) return failPlan("unarchive: keep_newer is supported for tar archives only (a zip member's time is not compared here)", data);
  data.handler = st.handler;
  const members = zip ? zipSelected(st.members, include, exclude) : st.members;
  const d = st.dest;
  Object.assign(data, { state: 'directory', mode: d.mode, owner: d.owner, group: d.group, uid: d.uid, gid: d.gid, size: d.size });
  if (toBool(a.list_files)) data.files = members;
  const differences = zip
    ? [...(st.zipMissing ?? []), ...(st.zipDiffers ?? [])].filter((m) => members.includes(m))
    : tarDifferences(st.tarDiff ?? [], a, st.uid === 0);
  const attrs = a.owner !== undefined || a.group !== undefined || a.mode !== undefined;
  const attrCount = attrs && differences.length === 0 ? attributeDifferences(a, members, st) : 0;
  if (differences.length === 0 && attrCount === 0) return noop(`${a.dest}: already unpacked from ${a.src}`, data);

  // one command: the archive (sent again from the controller into a temp file, or the host's
  // own), unpacked when its contents differ, then owner/group/mode on every member and top folder
  const A = ARCHIVE;
  const body: ShellCommand[] = [];
  const tarFlag = zip ? undefined : TAR_FLAG[st.handler as keyof typeof TAR_FLAG];
  if (differences.length > 0) {
    let extract: ShellCommand;
    if (zip) {
      extract = sh`unzip ${['-o', ...extraOpts, A, ...include, ...(exclude.length ? ['-x', ...exclude] : []), '-d', a.dest]}`;
    } else {
      const flags = [...(tarFlag ? [tarFlag] : []), ...(extraOpts.length ? ['--show-transformed-names', ...extraOpts] : []), ...(a.owner !== undefined ? [`--owner=${a.owner}`] : []), ...(a.group !== undefined ? [`--group=${a.group}`] : []), ...(toBool(a.keep_newer) ? ['--keep-newer-files'] : []), ...exclude.map((e) => `--exclude=${e.replace(/\/+$/, '')}`)];
      extract = sh`LC_ALL=C tar ${['--extract', '-C', a.dest, ...flags, '-f', A, ...include]}`;
    }
    body.push(sh`{ ${extract} || ${failWith(`failed to unpack ${a.src} to ${a.dest}`)}; }`);
  }
  if (attrs) {
    const list = listMembersCommand(zip ? undefined : (tarFlag ?? ''), { extraOpts, exclude, include });
    const spec = ownerSpec(a.owner, a.group);
    const mode = parseModeArg(a.mode);
    const modeWord = mode ? ('octal' in mode ? mode.octal : mode.symbolic) : undefined;
    const fail = failWith(`failed to set owner/group/mode of what ${a.src} holds in ${a.dest}`);
    // chown -h: a link itself, never what it points to; chmod skips links (find -prune ! -type l) so a link in the archive cannot aim it outside dest
    if (spec !== undefined) body.push(sh`{ ${list} | (cd -- ${a.dest} && ${ATTRIBUTE_TARGETS} | xargs -0 -r chown -h ${spec} --) || ${fail}; }`);
    if (modeWord !== undefined) body.push(sh`{ ${list} | (cd -- ${a.dest} && ${ATTRIBUTE_TARGETS} | xargs -0 -r sh -c 'exec find "$@" -prune ! -type l -exec chmod "$0" -- {} +' ${modeWord}) || ${fail}; }`);
  }
  const joined = joinCommands(body);
  const command = remote
    ? sh`a=${a.src} && ${joined}`
    : sh`a=$(mktemp "\${TMPDIR:-/tmp}/.runbook-unarchive.XXXXXX") && { { cat > ${A} && ${joined}; }; r=$?; rm -f -- ${A}; [ "$r" -eq 0 ]; }`;
  const msg = differences.length > 0 ? `${a.dest}: unpacked ${a.src} (${plural(differences.length, 'difference')})` : `${a.dest}: owner/group/mode set on ${plural(attrCount, 'path')} from ${a.src}`;
  const plan: Plan = { commands: [command], msg, data, progress: `unpacking ${a.src}` };
  if (!remote && a.archive !== undefined) plan.stdin = a.archive;
  return plan;
}

export const unarchiveModule = defineModule<UnarchiveArgs, UnarchiveState | undefined, UnarchivePlanArgs>({
  name: 'unarchive',
  aliases: ['ansible.builtin.unarchive'],
  schema: moduleSchema({
    properties: {
      src: { type: 'string', minLength: 1, description: 'the archive: a file on the controller (relative to the playbook directory or its `files/`), or with remote_src a path on the host' },
      dest: { type: 'string', minLength: 1, description: 'directory on the host the archive is unpacked into; it must exist' },
      remote_src: boolSchema('src is already on the host (default false)'),
      copy: boolSchema('deprecated: the opposite of remote_src (default true); not together with remote_src'),
      creates: { type: 'string', description: 'a path on the host; when it exists the task is skipped' },
      list_files: boolSchema('register the archive\'s members as `files`', false),
      include: listSchema('only these members (patterns, as fnmatch) are unpacked; not with exclude'),
      exclude: listSchema('members (patterns) left out; not with include'),
      extra_opts: listSchema('more options for tar or unzip, one word per item (e.g. `[--strip-components, "1"]`)'),
      keep_newer: boolSchema('do not replace files in dest that are newer than the archive\'s (tar)', false),
      owner: { type: 'string', description: 'owner of every unpacked member' },
      group: { type: 'string', description: 'group of every unpacked member' },
      mode: modeSchema('mode of every unpacked member, octal or symbolic (`u+rwX,g-w`)'),
      decrypt: boolSchema('a vault-encrypted archive is decrypted on the controller before it is sent', true),
      validate_certs: boolSchema('accepted for compatibility (a URL src is not supported)', true),
      io_buffer_size: { type: 'integer', description: 'accepted for compatibility; the host\'s tar and unzip read the archive' },
    },
    required: ['src', 'dest'],
  }),
  doc: {
    short: 'Unpack a tar or zip archive (from the controller or on the host) into a directory, when dest does not hold it yet',
    description:
      'One probe finds the archive\'s handler (zip by unzip, .tar/.tar.gz/.tar.bz2/.tar.xz/.tar.zst by GNU tar), lists its members and compares them with dest as Ansible does (tar --diff; a zip member by content); an archive from the controller goes along on the probe\'s stdin into a temp file that the probe removes. When nothing differs (and owner/group/mode already match), nothing else runs. Otherwise one command unpacks (the archive is sent again), sets owner/group/mode on every member and on the top folders (as Ansible does; chmod never follows a link out of dest) and removes the temp file. dest must exist. Files in dest that are not in the archive are left alone.',
    returns: {
      dest: 'the destination directory',
      src: 'the archive',
      handler: 'what unpacked it: ZipArchive, TgzArchive, TarArchive, TarBzipArchive, TarXzArchive, TarZstdArchive',
      files: 'the archive\'s members (list_files: true)',
      state: 'directory',
      mode: 'dest\'s mode',
      owner: 'dest\'s owner',
      group: 'dest\'s group',
      uid: 'dest\'s uid',
      gid: 'dest\'s gid',
      size: 'dest\'s size (the directory itself)',
    },
    example: '- unarchive:\n    src: allmon3-1.2.tar.gz\n    dest: /opt\n    creates: /opt/allmon3-1.2/VERSION\n\n- unarchive:\n    src: /tmp/site.zip\n    dest: /var/www/html\n    remote_src: true\n    owner: www-data\n    mode: u+rwX,g+rX,o+rX',
    notes: [
      'A URL as src (Ansible downloads it on the host) is not supported: fetch it with get_url first, then unarchive with remote_src.',
      'Under --check the answer is exact (the probe compares; nothing is unpacked). Ansible skips tar archives under check mode.',
      'keep_newer works with tar archives; with a zip it is refused (its members\' times are not compared).',
      'A zip member counts as unpacked when dest holds the same bytes (a link: the same target); unlike Ansible, its time and permission bits are not compared.',
      '`src` is returned as given; Ansible returns the temporary path on the host for an archive from the controller. `extract_results` and `diff` are not returned.',
      'include and exclude are mutually exclusive (Ansible\'s message); copy and remote_src too.',
      'The archive is compared and unpacked by the host\'s GNU tar or unzip: they must be installed there.',
    ],
  },
  homePaths: ['dest', 'creates'],
  async prepare(ctx, args) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(args.src)) {
      return { ...args, error: `unarchive: a URL src (${args.src}) is not supported: download it with get_url first, then unarchive it with remote_src: true` };
    }
    if (args.remote_src !== undefined && args.copy !== undefined) return { ...args, error: 'parameters are mutually exclusive: copy|remote_src' };
    if (listOf(args.include).length && listOf(args.exclude).length) return { ...args, error: 'parameters are mutually exclusive: include|exclude' };
    if (isRemote(args)) return { ...args };
    const source = await readControllerSource(ctx, args.src, { decrypt: toBool(args.decrypt, true), localFollow: true, what: 'unarchive src' });
    if (source.kind === 'directory') return { ...args, error: `unarchive src '${args.src}' is a directory (${source.path}), not an archive` };
    return { ...args, archive: source.bytes };
  },
  probe: (a) =>
    a.error !== undefined
      ? undefined
      : unarchiveFact(
          {
            ...(isRemote(a) ? { remoteSrc: a.src } : {}),
            dest: a.dest,
            ...(a.creates !== undefined ? { creates: a.creates } : {}),
            include: listOf(a.include),
            exclude: listOf(a.exclude),
            extraOpts: listOf(a.extra_opts),
            ...(a.owner !== undefined ? { owner: a.owner } : {}),
            ...(a.group !== undefined ? { group: a.group } : {}),
            keepNewer: toBool(a.keep_newer),
            stats: a.owner !== undefined || a.group !== undefined || a.mode !== undefined,
          },
          a.archive,
        ),
  plan: planUnarchive,
});
