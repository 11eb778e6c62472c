// What unarchive needs to know, in one command: does `creates` exist, is the archive there
// (remote_src) or sent on stdin (from the controller: it lands in a temp file the probe removes
// again), which handler reads it (Ansible's: zip by unzip, tar by GNU tar with the compression
// its first bytes name), its members, and whether dest already holds them: GNU tar's own
// `--diff` (what Ansible runs), or for zip each member compared with `cmp`. With owner, group
// or mode the members' current attributes come along (one `stat` for all). Sections follow
// src/facts/sections.ts.
import { raw, sh, ShellCommand } from '../transport/command.js';
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
  /** `creates` exists on the host */
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
  /** with owner/group/mode: each member's current attributes (absent members are missing) */
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

/** tar's flag for a handler (GNU tar also detects compression itself; Ansible passes it). */
export const TAR_FLAG: Record<Exclude<ArchiveHandler, 'ZipArchive'>, string> = {
  TgzArchive: '-z',
  TarArchive: '',
  TarBzipArchive: '-j',
  TarXzArchive: '-J',
  TarZstdArchive: '--zstd',
};

const words = (list: readonly string[]): ShellCommand => new ShellCommand(list.flatMap((w, i) => (i === 0 ? [sh`${w}`] : [raw(' '), sh`${w}`])));

/** tar's filter arguments (Ansible's order): --show-transformed-names + extra_opts, --exclude=..., then -f comes before the includes. */
export function tarFilters(o: Pick<UnarchiveProbeOptions, 'extraOpts' | 'exclude'>): string[] {
  return [...(o.extraOpts.length ? ['--show-transformed-names', ...o.extraOpts] : []), ...o.exclude.map((e) => `--exclude=${e.replace(/\/+$/, '')}`)];
}

/** The probe; `archive`: the controller's archive, sent on stdin (remoteSrc unset). */
export function unarchiveFact(o: UnarchiveProbeOptions, archive?: Buffer): Fact<UnarchiveState> {
  const A = raw('"$a"');
  const dest = o.dest;
  const stage = o.remoteSrc === undefined ? sh`a=$(mktemp "\${TMPDIR:-/tmp}/.runbook-unarchive.XXXXXX") && cat > ${A}` : sh`a=${o.remoteSrc}`;
  const cleanup = o.remoteSrc === undefined ? sh`rm -f -- ${A}` : sh`:`;
  const tarArgs = tarFilters(o);
  const diffFlags = [...(o.owner !== undefined ? [`--owner=${o.owner}`] : []), ...(o.group !== undefined ? [`--group=${o.group}`] : []), ...(o.keepNewer ? ['--keep-newer-files'] : [])];
  const tarList = sh`LC_ALL=C tar --list -C ${dest} $f ${words(tarArgs)} -f ${A} ${words(o.include)}`;
  const tarDiff = sh`LC_ALL=C tar --diff -C ${dest} $f ${words([...tarArgs, ...diffFlags])} -f ${A} ${words(o.include)} 2>&1`;
  // zip: each member against dest; a directory member must be a directory
  const zipCompare = sh`unzip -Z1 ${A} | while IFS= read -r m; do case $m in */) [ -d ${dest}/"$m" ] || printf 'missing %s\\n' "$m";; *) if [ -L ${dest}/"$m" ] || [ ! -f ${dest}/"$m" ]; then printf 'missing %s\\n' "$m"; elif ! unzip -p ${A} "$m" | cmp -s - ${dest}/"$m"; then printf 'differs %s\\n' "$m"; fi;; esac; done`;
  const statMembers = o.stats ? sh`; echo '@@stats'; (cd -- ${dest} && sed 's,/*$,,' "$l" | tr '\\n' '\\0' | xargs -0 -r stat -c '%a|%U|%G|%u|%g|%F|%n' -- 2>/dev/null); :` : sh``;
  const creates = o.creates !== undefined ? sh`if [ -e ${o.creates} ] || [ -L ${o.creates} ]; then echo '@@creates yes'; else echo '@@creates no'; fi; ` : sh``;
  const command = sh`${creates}${stage}; if [ ! -e ${A} ]; then echo '@@src missing'; elif [ ! -r ${A} ]; then echo '@@src unreadable'; elif [ ! -s ${A} ]; then echo '@@src empty'; else echo '@@src ok'; fi; if [ -d ${dest} ]; then echo '@@dest directory'; stat -L -c '%a|%U|%G|%u|%g|%s' -- ${dest}; elif [ -e ${dest} ]; then echo '@@dest other'; else echo '@@dest missing'; fi; if [ -r ${A} ] && [ -s ${A} ] && [ -d ${dest} ]; then m=$(od -An -tx1 -N6 -- ${A} | tr -d ' \\n'); h=; f=; case $m in 504b0304*|504b0506*) h=ZipArchive;; 1f8b*) h=TgzArchive; f=-z;; 425a68*) h=TarBzipArchive; f=-j;; fd377a585a00*) h=TarXzArchive; f=-J;; 28b52ffd*) h=TarZstdArchive; f=--zstd;; *) h=TarArchive;; esac; l=$(mktemp); if [ "$h" = ZipArchive ]; then if ! command -v unzip >/dev/null 2>&1; then echo '@@handler none'; echo "Unable to find required 'unzip' or 'zipinfo' binary in the path."; elif ! unzip -Z1 ${A} > "$l" 2>/dev/null; then echo '@@handler none'; echo 'Command "unzip" could not handle archive'; else echo "@@handler $h"; echo '@@members'; cat "$l"; echo '@@zip'; ${zipCompare}${statMembers}; fi; elif ! tar --version 2>/dev/null | grep -q GNU; then echo '@@handler none'; echo "Unable to find required 'gtar' or 'tar' binary in the path (GNU tar)"; elif ! ${tarList} > "$l" 2>/dev/null || [ ! -s "$l" ]; then echo '@@handler none'; echo "Command \\"tar\\" could not handle archive (not an archive, or a compressor for it is missing)"; else echo "@@handler $h"; echo "@@uid $(id -u)"; echo '@@members'; cat "$l"; echo '@@tardiff'; ${tarDiff}${statMembers}; fi; rm -f -- "$l"; fi; ${cleanup}`;
  return {
    name: 'unarchive',
    command,
    ...(o.remoteSrc === undefined && archive !== undefined ? { stdin: archive } : {}),
    parse: (stdout) => parseUnarchive(stdout),
  };
}

const TYPES: Record<string, MemberStat['type']> = { 'regular file': 'file', 'regular empty file': 'file', directory: 'directory', 'symbolic link': 'link' };

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
        // Ansible does not allow absolute names: they are relative to dest
        st.members = lines.map((l) => l.replace(/^\/+/, ''));
        break;
      case 'tardiff':
        st.tarDiff = lines;
        break;
      case 'zip':
        st.zipMissing = lines.filter((l) => l.startsWith('missing ')).map((l) => l.slice(8));
        st.zipDiffers = lines.filter((l) => l.startsWith('differs ')).map((l) => l.slice(8));
        break;
      case 'stats': {
        const stats: Record<string, MemberStat> = {};
        for (const l of lines) {
          const [mode = '', owner = '', group = '', uid = '', gid = '', type = '', ...name] = l.split('|');
          stats[name.join('|')] = { mode: mode.padStart(4, '0'), owner, group, uid: Number(uid), gid: Number(gid), type: TYPES[type] ?? 'other' };
        }
        st.stats = stats;
        break;
      }
    }
  }
  return st;
}
