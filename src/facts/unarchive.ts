// What unarchive needs to know, in one command: does `creates` exist, is the archive there
// (remote_src) or sent on stdin (from the controller: it lands in a temp file the probe removes
// again), which handler reads it (Ansible's names: zip by unzip, tar by GNU tar with the
// compression its first bytes name, and the compressor must be installed), its members, and
// whether dest already holds them: GNU tar's own `--diff` (what Ansible runs), or for zip each
// member compared with `cmp`. With owner, group or mode the current attributes of the members
// (and of their top folders, which Ansible sets too) come along: one `stat` for all. Sections
// follow src/facts/sections.ts; lines that carry archive names are prefixed with `|`, so a
// member called `@@x` cannot pose as a section marker.
import { raw, sh, type ShellCommand } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export type ArchiveHandler = 'ZipArchive' | 'TgzArchive' | 'TarArchive' | 'TarBzipArchive' | 'TarXzArchive' | 'TarZstdArchive';

export interface MemberStat {
  mode: string;
  owner: string;
  group: string;
  uid: number;
  gid: number;
  type: 'file' | 'directory' | 'link' | 'other';
}

export interface UnarchiveState {
  /** `creates` exists on the host (then nothing else was asked) */
  creates?: boolean;
  /** the uid the probe ran as (tar's Uid/Gid differences count only for root, as in Ansible) */
  uid?: number;
  /** the archive: there (ok), missing, empty (0 bytes), unreadable */
  src: 'ok' | 'missing' | 'empty' | 'unreadable';
  /** dest: a directory (with its stat), missing, or something else */
  dest: { kind: 'directory' | 'missing' | 'other'; mode?: string; owner?: string; group?: string; uid?: number; gid?: number; size?: number };
  handler?: ArchiveHandler;
  /** why no handler reads it (missing tool, not an archive) */
  handlerError?: string;
  /** member paths as the handler lists them (tar: include/exclude applied; zip: all) */
  members: string[];
  /** tar --diff lines (stdout and stderr) */
  tarDiff?: string[];
  /** zip: members not in dest (or not the right type) and members whose content differs */
  zipMissing?: string[];
  zipDiffers?: string[];
  /** with owner/group/mode: current attributes of each member and top folder there is (by name, no trailing `/`) */
  stats?: Record<string, MemberStat>;
}

export interface UnarchiveProbeOptions {
  /** the archive on the host; undefined: it comes on stdin (from the controller) */
  remoteSrc?: string;
  dest: string;
  creates?: string;
  include: readonly string[];
  exclude: readonly string[];
  extraOpts: readonly string[];
  owner?: string;
  group?: string;
  keepNewer: boolean;
  /** read the members' attributes (owner, group or mode given) */
  stats: boolean;
}

/** tar's flag for a handler (GNU tar would detect the compression itself; Ansible passes it). */
export const TAR_FLAG: Record<Exclude<ArchiveHandler, 'ZipArchive'>, string> = {
  TgzArchive: '-z',
  TarArchive: '',
  TarBzipArchive: '-j',
  TarXzArchive: '-J',
  TarZstdArchive: '--zstd',
};

/** The archive's path in the commands: a shell variable set by the probe or the plan. */
export const ARCHIVE = raw('"$a"');

/** tar's filter arguments, in Ansible's order: --show-transformed-names + extra_opts, then --exclude=... */
export function tarFilters(o: Pick<UnarchiveProbeOptions, 'extraOpts' | 'exclude'>): string[] {
  return [...(o.extraOpts.length ? ['--show-transformed-names', ...o.extraOpts] : []), ...o.exclude.map((e) => `--exclude=${e.replace(/\/+$/, '')}`)];
}

/**
 * The member names of the archive at "$a", one a line: tar's (its include/exclude and
 * extra_opts applied, names unquoted) or zipinfo's (include/exclude as unzip matches them).
 * `tarFlag`: the handler's flag ('' for none; the probe's `$f`); undefined for zip.
 */
export function listMembersCommand(tarFlag: string | ShellCommand | undefined, o: Pick<UnarchiveProbeOptions, 'extraOpts' | 'exclude' | 'include'>): ShellCommand {
  if (tarFlag === undefined) return sh`unzip ${['-Z1', ARCHIVE, ...o.include, ...(o.exclude.length ? ['-x', ...o.exclude] : [])]}`;
  return sh`LC_ALL=C tar ${['--list', '--quoting-style=literal', ...(tarFlag === '' ? [] : [tarFlag]), ...tarFilters(o), '-f', ARCHIVE, ...o.include]}`;
}

/**
 * A member list on stdin → NUL-separated `./`-relative paths of the members (no trailing `/`)
 * and their top folders (Ansible sets the attributes of those too), each once.
 */
export const ATTRIBUTE_TARGETS = raw(`awk '{ sub(/^\\/+/, ""); sub(/\\/+$/, ""); if ($0 != "") print "./" $0; i = index($0, "/"); if (i > 1) print "./" substr($0, 1, i - 1) }' | sort -u | tr '\\n' '\\0'`);

/** The same targets, computed from member names (the plan's side of ATTRIBUTE_TARGETS). */
export function attributeTargets(members: readonly string[]): string[] {
  const out = new Set<string>();
  for (const m of members) {
    const name = m.replace(/\/+$/, '');
    if (name !== '') out.add(name);
    const i = name.indexOf('/');
    if (i > 0) out.add(name.slice(0, i));
  }
  return [...out].sort();
}

// the compressor each tar handler needs, and the magic bytes that name it
const MAGIC = sh`m=$(od -An -tx1 -N6 -- ${ARCHIVE} | tr -d ' \\n'); h=TarArchive; f=; z=; case $m in 504b0304*|504b0506*|504b0708*) h=ZipArchive;; 1f8b*) h=TgzArchive; f=-z; z=gzip;; 425a68*) h=TarBzipArchive; f=-j; z=bzip2;; fd377a585a00*) h=TarXzArchive; f=-J; z=xz;; 28b52ffd*) h=TarZstdArchive; f=--zstd; z=zstd;; esac`;

/** The probe; `archive`: the controller's archive, sent on stdin (remoteSrc unset). */
export function unarchiveFact(o: UnarchiveProbeOptions, archive?: Buffer): Fact<UnarchiveState> {
  const A = ARCHIVE;
  const dest = o.dest;
  const fromController = o.remoteSrc === undefined;
  const stage = fromController ? sh`a=$(mktemp "\${TMPDIR:-/tmp}/.runbook-unarchive.XXXXXX") && cat > ${A}` : sh`a=${o.remoteSrc}`;
  const cleanup = fromController ? sh`rm -f -- ${A}` : sh`:`;
  const diffFlags = [...(o.owner !== undefined ? [`--owner=${o.owner}`] : []), ...(o.group !== undefined ? [`--group=${o.group}`] : []), ...(o.keepNewer ? ['--keep-newer-files'] : [])];
  // Ansible's order: flag, extra_opts, owner/group/keep_newer, excludes, -f, includes
  const tarDiff = sh`LC_ALL=C tar ${['--diff', '-C', dest, raw('$f'), ...(o.extraOpts.length ? ['--show-transformed-names', ...o.extraOpts] : []), ...diffFlags, ...o.exclude.map((e) => `--exclude=${e.replace(/\/+$/, '')}`), '-f', A, ...o.include]} 2>&1 | sed 's/^/|/'`;
  // zip: each member against dest; a directory member must be a directory, a file a regular file with the same bytes, a link (stored as its target) a link to the same target
  // (unzip reads a member name as a pattern: [ ] * ? and \\ in a name are escaped with \\)
  const zipCompare = sh`unzip -Z1 ${A} | while IFS= read -r m; do p=$m; case $m in *'['*|*']'*|*'*'*|*'?'*|*'\\'*) p=$(printf '%s\\n' "$m" | sed 's/[][*?\\]/\\\\&/g');; esac; case $m in */) [ -d ${dest}/"$m" ] || printf 'missing %s\\n' "$m";; *) if [ -L ${dest}/"$m" ]; then [ "$(readlink ${dest}/"$m")" = "$(unzip -p ${A} "$p")" ] || printf 'differs %s\\n' "$m"; elif [ ! -f ${dest}/"$m" ]; then printf 'missing %s\\n' "$m"; elif ! unzip -p ${A} "$p" | cmp -s - ${dest}/"$m"; then printf 'differs %s\\n' "$m"; fi;; esac; done`;
  const statMembers = o.stats ? sh`; echo '@@stats'; (cd -- ${dest} && < "$l" ${ATTRIBUTE_TARGETS} | xargs -0 -r stat -c '%a|%U|%G|%u|%g|%F|%n' -- 2>/dev/null); :` : sh``;
  const tarList = listMembersCommand(sh`$f`, o);
  const handler = sh`${MAGIC}; l=$(mktemp); if [ "$h" = ZipArchive ]; then if ! command -v unzip >/dev/null 2>&1; then echo '@@handler none'; echo "Unable to find required 'unzip' or 'zipinfo' binary in the path (install the unzip package on the host)"; elif ! e=$(unzip -Z1 ${A} 2>&1 >"$l"); then echo '@@handler none'; echo "Command \\"unzip\\" could not handle archive: $e"; else echo "@@handler $h"; echo "@@uid $(id -u)"; echo '@@members'; sed 's/^/|/' "$l"; echo '@@zip'; ${zipCompare}${statMembers}; fi; elif ! tar --version 2>/dev/null | grep -q GNU; then echo '@@handler none'; if command -v tar >/dev/null 2>&1; then echo 'Command "tar" is not GNU tar. GNU tar required.'; else echo "Unable to find required 'gtar' or 'tar' binary in the path"; fi; elif [ -n "$z" ] && ! command -v "$z" >/dev/null 2>&1; then echo '@@handler none'; echo "Unable to find required '$z' binary in the path (GNU tar needs it to read this archive)"; elif ! e=$(${tarList} 2>&1 >"$l"); then echo '@@handler none'; echo "Command \\"tar\\" could not handle archive: $e"; elif [ ! -s "$l" ]; then echo '@@handler none'; echo 'Command "tar" found no files in archive. Empty archive files are not supported.'; else echo "@@handler $h"; echo "@@uid $(id -u)"; echo '@@members'; sed 's/^/|/' "$l"; echo '@@tardiff'; ${tarDiff}${statMembers}; fi; rm -f -- "$l"`;
  const srcCheck = sh`if [ ! -e ${A} ]; then echo '@@src missing'; elif [ ! -r ${A} ]; then echo '@@src unreadable'; elif [ ! -s ${A} ]; then echo '@@src empty'; else echo '@@src ok'; fi`;
  const destCheck = sh`if [ -d ${dest} ]; then echo '@@dest directory'; stat -L -c '%a|%U|%G|%u|%g|%s' -- ${dest}; elif [ -e ${dest} ]; then echo '@@dest other'; else echo '@@dest missing'; fi`;
  const main = sh`${stage}; ${srcCheck}; ${destCheck}; if [ -r ${A} ] && [ -s ${A} ] && [ -d ${dest} ]; then ${handler}; fi; ${cleanup}`;
  // creates there: nothing else is asked (the controller's archive is read off stdin and dropped)
  const command =
    o.creates !== undefined
      ? sh`if [ -e ${o.creates} ] || [ -L ${o.creates} ]; then echo '@@creates yes'; ${fromController ? sh`cat > /dev/null` : sh`:`}; else echo '@@creates no'; ${main}; fi`
      : main;
  return {
    name: 'unarchive',
    command,
    ...(fromController && archive !== undefined ? { stdin: archive } : {}),
    parse: (stdout) => parseUnarchive(stdout),
  };
}

const TYPES: Record<string, MemberStat['type']> = { 'regular file': 'file', 'regular empty file': 'file', directory: 'directory', 'symbolic link': 'link' };

const unbar = (l: string): string => (l.startsWith('|') ? l.slice(1) : l);

export function parseUnarchive(stdout: string): UnarchiveState {
  const st: UnarchiveState = { src: 'missing', dest: { kind: 'missing' }, members: [] };
  for (const s of parseSections(stdout)) {
    const lines = s.lines.filter((l) => l !== '');
    switch (s.name) {
      case 'creates':
        st.creates = s.args === 'yes';
        break;
      case 'uid':
        st.uid = Number(s.args);
        break;
      case 'src':
        st.src = s.args === 'ok' || s.args === 'empty' || s.args === 'unreadable' ? s.args : 'missing';
        break;
      case 'dest': {
        const kind = s.args === 'directory' || s.args === 'other' ? s.args : 'missing';
        st.dest = { kind };
        const [mode = '', owner = '', group = '', uid = '', gid = '', size = ''] = (lines[0] ?? '').split('|');
        if (kind === 'directory' && lines[0]) st.dest = { kind, mode: mode.padStart(4, '0'), owner, group, uid: Number(uid), gid: Number(gid), size: Number(size) };
        break;
      }
      case 'handler':
        if (s.args === 'none') st.handlerError = lines.join('\n');
        else st.handler = s.args as ArchiveHandler;
        break;
      case 'members':
        // Ansible does not allow absolute names: they are relative to dest; a name that
        // --strip-components emptied is no member
        st.members = lines.map((l) => unbar(l).replace(/^\/+/, '')).filter((l) => l !== '');
        break;
      case 'tardiff':
        st.tarDiff = lines.map(unbar).filter((l) => l !== '');
        break;
      case 'zip':
        st.zipMissing = lines.filter((l) => l.startsWith('missing ')).map((l) => l.slice(8));
        st.zipDiffers = lines.filter((l) => l.startsWith('differs ')).map((l) => l.slice(8));
        break;
      case 'stats': {
        const stats: Record<string, MemberStat> = {};
        for (const l of lines) {
          const [mode = '', owner = '', group = '', uid = '', gid = '', type = '', ...name] = l.split('|');
          // the probe named them `./NAME`
          stats[name.join('|').replace(/^\.\//, '')] = { mode: mode.padStart(4, '0'), owner, group, uid: Number(uid), gid: Number(gid), type: TYPES[type] ?? 'other' };
        }
        st.stats = stats;
        break;
      }
    }
  }
  return st;
}
