// mount (ansible.posix.mount), Linux: the fstab entry of a mount point and whether it is mounted.
// The fstab edit is Ansible's (fields escaped as fstab wants, the entry found by its mount point,
// a swap entry by its source too); the mount state is the host's own (/proc/self/mountinfo).
// One probe, then one command that does everything the state needs; a mount that fails puts
// the fstab file back and removes the directories it made, as Ansible does.
import { sh, type ShellCommand } from '../transport/command.js';
import { mountFact, type MountEntry, type MountState } from '../facts/mount.js';
import { fileDiff } from '../util/diff.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { defineModule, FAIL_MARKER, joinCommands } from './runner.js';
import { boolSchema, toBool } from './util/args.js';
import { backupPathFor, writeFileCommand } from './util/file-ops.js';
import { moduleSchema } from './util/schema.js';

const STATES = ['absent', 'absent_from_fstab', 'absent_mount', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral'] as const;
type MountStateArg = (typeof STATES)[number];

export interface MountArgs {
  path: string;
  src?: string;
  fstype?: string;
  opts?: string;
  opts_no_log?: boolean;
  dump?: string | number;
  passno?: string | number;
  state: MountStateArg;
  fstab?: string;
  boot?: boolean;
  backup?: boolean;
}

const DEFAULT_FSTAB = '/etc/fstab';

/** The entry's values as Ansible fills them in (Linux): defaults, `noauto` for boot=false. */
interface Entry {
  name: string;
  src?: string;
  fstype?: string;
  opts: string;
  dump: string;
  passno: string;
  fstab: string;
  boot: 'yes' | 'no';
}

function resolveEntry(args: MountArgs): { e: Entry; warnings: string[] } {
  const warnings: string[] = [];
  let opts = args.opts ?? 'defaults';
  let boot: 'yes' | 'no' = 'yes';
  const boots = args.boot === undefined ? true : toBool(args.boot);
  if (boots && opts.split(',').includes('noauto')) warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
  else if (!boots) {
    boot = 'no';
    opts = `${opts},noauto`;
  }
  const e: Entry = { name: args.path, opts, dump: String(args.dump ?? '0'), passno: String(args.passno ?? '0'), fstab: args.fstab ?? DEFAULT_FSTAB, boot };
  if (args.src !== undefined) e.src = args.src;
  if (args.fstype !== undefined) e.fstype = args.fstype;
  return { e, warnings };
}

/** fstab's escapes for a field (Ansible's: backslash, space, ampersand). */
export function escapeFstab(v: string): string {
  return v.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

const FIELDS = ['src', 'name', 'fstype', 'opts', 'dump', 'passno'] as const;
type Fields = Record<(typeof FIELDS)[number], string>;

/** The file's lines, each with its newline (a last line without one gets one, as Ansible writes it). */
function linesOf(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/).map((l) => (l.endsWith('\n') ? l : `${l}\n`));
}

/** An entry line's fields (4 to 6 on Linux; dump and passno default to 0), or undefined for anything else. */
function entryOf(line: string): Fields | undefined {
  if (line.trim() === '' || line.trim().startsWith('#')) return undefined;
  const f = (line.split('#')[0] ?? '').split(/\s+/).filter((x) => x !== '');
  if (f.length < 4 || f.length > 6) return undefined;
  return { src: f[0] ?? '', name: f[1] ?? '', fstype: f[2] ?? '', opts: f[3] ?? '', dump: f[4] ?? '0', passno: f[5] ?? '0' };
}

/** Whether an entry is the one for this mount point (swap entries, all on `none`, also by source). */
function isEntryFor(ld: Fields, e: Entry): boolean {
  if (ld.name !== escapeFstab(e.name)) return false;
  return !(e.src !== undefined && ld.name === 'none' && ld.fstype === 'swap' && ld.src !== e.src);
}

const lineOf = (f: Fields): string => `${f.src} ${f.name} ${f.fstype} ${f.opts} ${f.dump} ${f.passno}\n`;

/** Ansible's set_mount: the entry updated where it differs, or added at the end. */
export function setMount(text: string, e: Entry): { content: string; changed: boolean } {
  const want: Fields = { src: escapeFstab(e.src ?? ''), name: escapeFstab(e.name), fstype: escapeFstab(e.fstype ?? ''), opts: escapeFstab(e.opts), dump: escapeFstab(e.dump), passno: escapeFstab(e.passno) };
  let exists = false;
  let changed = false;
  const out = linesOf(text).map((line) => {
    const ld = entryOf(line);
    if (!ld || !isEntryFor(ld, e)) return line;
    exists = true;
    if (FIELDS.every((k) => ld[k] === want[k])) return line;
    changed = true;
    return lineOf(want);
  });
  if (!exists) {
    out.push(lineOf(want));
    changed = true;
  }
  return { content: out.join(''), changed };
}

/** Ansible's unset_mount: every entry of this mount point removed. */
export function unsetMount(text: string, e: Entry): { content: string; changed: boolean } {
  const lines = linesOf(text);
  const out = lines.filter((line) => {
    const ld = entryOf(line);
    return !ld || !isEntryFor(ld, e);
  });
  return { content: out.join(''), changed: out.length !== lines.length };
}

/** `mount -T FILE` for another fstab than /etc/fstab (util-linux). */
const fstabArgs = (e: Entry): ShellCommand => (e.fstab !== DEFAULT_FSTAB ? sh` -T ${e.fstab}` : sh``);
const ephemeralArgs = (e: Entry): ShellCommand => sh` -t ${e.fstype ?? ''}${e.opts !== 'defaults' ? sh` -o ${e.opts}` : sh``} ${e.src ?? ''}`;

/** Run `cmd` keeping its output in $rb_o; when it fails, run `undo` and fail with `prefix` + the output. */
function orFail(cmd: ShellCommand, prefix: string, undo: readonly ShellCommand[] = []): ShellCommand {
  const restore = undo.length > 0 ? sh`${joinCommands(undo.map((u) => sh`{ ${u} || :; }`))}; ` : sh``;
  return sh`{ ${cmd} || { ${restore}printf '%s%s\\n' ${`${FAIL_MARKER}${prefix}`} "$rb_o" >&2; false; }; }`;
}

const run = (cmd: ShellCommand): ShellCommand => sh`rb_o=$(${cmd} 2>&1)`;

/** The directories `mkdir -p` creates for the mount point, outermost first. */
function missingDirs(path: string, existing: string): string[] {
  if (!path.startsWith(`${existing === '/' ? '' : existing}/`)) return [];
  const rest = path.slice(existing === '/' ? 1 : existing.length + 1).split('/').filter((x) => x !== '');
  const base = existing === '/' ? '' : existing;
  return rest.map((_, i) => `${base}/${rest.slice(0, i + 1).join('/')}`);
}

/** The mount on this point, if any (a trailing slash does not matter). */
function mountOn(st: MountState, path: string): MountEntry | undefined {
  return st.mounts[path.length > 1 ? path.replace(/\/+$/, '') : path];
}

export function planMount(args: MountArgs, st: MountState, env: PlanEnv): Plan {
  const { e, warnings } = resolveEntry(args);
  const state = args.state;
  const data: Record<string, unknown> = { name: e.name, ...(e.src !== undefined ? { src: e.src } : {}), ...(e.fstype !== undefined ? { fstype: e.fstype } : {}), opts: e.opts, dump: e.dump, passno: e.passno, fstab: e.fstab, boot: e.boot, backup_file: '' };
  const withWarnings = (p: Plan): Plan => (warnings.length > 0 ? { ...p, warnings: [...(p.warnings ?? []), ...warnings] } : p);
  if (state === 'mounted' || state === 'present' || state === 'ephemeral') {
    const missing = (['src', 'fstype'] as const).filter((k) => args[k] === undefined);
    if (missing.length > 0) return failPlan(`state is ${state} but all of the following are missing: ${missing.join(', ')}`, data);
  }
  const fs = st.fstab;
  if (state !== 'ephemeral') {
    if (fs.error) return failPlan(`Failed to open ${e.fstab} due to ${fs.error}`, data);
    if (fs.exists && fs.type !== 'file') return failPlan(`${e.fstab} is not a regular file`, data);
  }
  const text = fs.exists ? (fs.content ?? '') : '';
  const mounted = mountOn(st, e.name);

  /** write the new fstab (creating it and its directory when missing), with Ansible's backup */
  const write = (content: string): { commands: ShellCommand[]; stdin: string; diff?: Plan['diff'] } => {
    const backupFile = fs.exists && toBool(args.backup) ? backupPathFor(e.fstab, env.now) : undefined;
    if (backupFile) data.backup_file = backupFile;
    const parent = e.fstab.includes('/') ? e.fstab.slice(0, e.fstab.lastIndexOf('/')) : '';
    return {
      commands: [...(!fs.exists && parent !== '' ? [sh`mkdir -p -- ${parent}`] : []), writeFileCommand(e.fstab, { exists: fs.exists, backupFile, tmpSuffix: env.tmpSuffix })],
      stdin: content,
      ...(env.diff ? { diff: [fileDiff(e.fstab, text, content)] } : {}),
    };
  };
  const umount = orFail(run(sh`umount ${e.name}`), `Error unmounting ${e.name}: `);

  if (state === 'present' || state === 'absent_from_fstab') {
    const edit = state === 'present' ? setMount(text, e) : unsetMount(text, e);
    if (!edit.changed) return withWarnings(noop(state === 'present' ? `${e.name} is in ${e.fstab} as wanted` : `${e.name} is not in ${e.fstab}`, data));
    const w = write(edit.content);
    return withWarnings({ ...w, msg: state === 'present' ? `${e.name} written to ${e.fstab}` : `${e.name} removed from ${e.fstab}`, data });
  }

  if (state === 'absent' || state === 'absent_mount') {
    // only an entry in fstab makes this a change (Ansible: "no effect" without one)
    const edit = unsetMount(text, e);
    if (!edit.changed) return withWarnings(noop(`${e.name} is not in ${e.fstab}`, data));
    const w = write(edit.content);
    // unmounted first: a failing umount leaves the entry, so a second run tries again
    const rm = state === 'absent' && st.path !== 'missing' ? [orFail(run(sh`rmdir -- ${e.name}`), `Error rmdir ${e.name}: `)] : [];
    const done = [`removed from ${e.fstab}`, ...(mounted ? ['unmounted'] : []), ...(rm.length > 0 ? ['mount point removed'] : [])];
    return withWarnings({ commands: [...(mounted ? [umount] : []), ...w.commands, ...rm], stdin: w.stdin, ...(w.diff ? { diff: w.diff } : {}), msg: `${e.name} ${done.join(', ')}`, data });
  }

  if (state === 'unmounted') {
    if (!mounted) return withWarnings(noop(`${e.name} is not mounted`, data));
    return withWarnings({ commands: [umount], msg: `${e.name} unmounted`, data });
  }

  if (state === 'remounted') {
    const opts = e.opts !== 'defaults' ? `remount,${e.opts}` : 'remount';
    const remount = run(sh`mount -o ${opts}${fstabArgs(e)} ${e.name}`);
    const cmd =
      e.opts !== 'defaults'
        ? sh`{ ${remount} || { printf '%s\\n' ${`${FAIL_MARKER}Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.`} >&2; false; }; }`
        : orFail(sh`{ ${remount} || { ${run(sh`umount ${e.name}`)} && ${run(sh`mount${fstabArgs(e)} ${e.name}`)}; }; }`, `Error remounting ${e.name}: `);
    return withWarnings({ commands: [cmd], changed: true, msg: `${e.name} remounted`, data });
  }

  // mounted, ephemeral: the mount point made when missing (and removed again if the mount fails)
  const dirs = st.path === 'missing' ? missingDirs(e.name.replace(/\/+$/, ''), st.existing) : [];
  const mkdir = dirs.length > 0 ? [sh`mkdir -p -- ${e.name}`] : [];
  const rmdirs = dirs.length > 0 ? [sh`rmdir -- ${[...dirs].reverse()}`] : [];

  if (state === 'ephemeral') {
    if (mounted) {
      // the same source (a device, or the directory a bind mount shows): remount with these options
      if (mounted.src !== e.src && mounted.bound !== e.src) {
        return failPlan(
          'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.',
          data,
        );
      }
      const remount = run(sh`mount -o remount${ephemeralArgs(e)} ${e.name}`);
      const cmd = orFail(sh`{ ${remount} || { ${run(sh`umount ${e.name}`)} && ${run(sh`mount${ephemeralArgs(e)} ${e.name}`)}; }; }`, `Error mounting ${e.name}: `);
      return withWarnings({ commands: [cmd], changed: true, msg: `${e.name} remounted (ephemeral)`, data });
    }
    return withWarnings({ commands: [...mkdir, orFail(run(sh`mount${ephemeralArgs(e)} ${e.name}`), `Error mounting ${e.name}: `, rmdirs)], changed: true, msg: `${e.name} mounted (ephemeral)`, data });
  }

  // mounted
  const edit = setMount(text, e);
  if (mounted && !edit.changed) return withWarnings(noop(`${e.name} is mounted and in ${e.fstab} as wanted`, data));
  const w = edit.changed ? write(edit.content) : undefined;
  // what puts fstab back if the mount fails: the old file kept aside, or none if there was none
  const old = `${e.fstab}.runbook-${env.tmpSuffix}.old`;
  const keep = w && fs.exists ? [sh`cp -p -- ${e.fstab} ${old}`] : [];
  const putBack = w ? [fs.exists ? sh`mv -f -- ${old} ${e.fstab}` : sh`rm -f -- ${e.fstab}`] : [];
  const dropOld = w && fs.exists ? [sh`rm -f -- ${old}`] : [];
  const mountCmd = mounted
    ? orFail(sh`{ ${run(sh`mount -o remount${fstabArgs(e)} ${e.name}`)} || { ${run(sh`umount ${e.name}`)} && ${run(sh`mount${fstabArgs(e)} ${e.name}`)}; }; }`, `Error mounting ${e.name}: `, putBack)
    : orFail(run(sh`mount${fstabArgs(e)} ${e.name}`), `Error mounting ${e.name}: `, [...putBack, ...rmdirs]);
  const msg = mounted ? `${e.fstab} updated and ${e.name} remounted` : `${e.name} mounted${w ? ` and written to ${e.fstab}` : ''}`;
  return withWarnings({
    commands: [...keep, ...(w?.commands ?? []), ...mkdir, mountCmd, ...dropOld],
    ...(w ? { stdin: w.stdin } : {}),
    ...(w?.diff ? { diff: w.diff } : {}),
    msg,
    data,
  });
}

export const mountModule = defineModule<MountArgs, MountState>({
  name: 'mount',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['name'], description: 'the mount point (absolute)' },
      src: { type: 'string', description: 'the device (or `server:/export`, a directory to bind, `tmpfs`...); required for mounted, present, ephemeral' },
      fstype: { type: 'string', description: 'the filesystem type (`none` for a bind mount); required for mounted, present, ephemeral' },
      opts: { type: 'string', description: 'mount options (fstab(5)); default `defaults`' },
      opts_no_log: boolSchema('keep opts out of every output (they may hold a password)', false),
      dump: { type: ['string', 'integer'], default: '0', description: 'fstab\'s dump field' },
      passno: { type: ['string', 'integer'], default: '0', description: 'fstab\'s pass field' },
      state: { type: 'string', enum: [...STATES], description: 'mounted (in fstab and mounted), unmounted (fstab unchanged), present (fstab only), absent (out of fstab, unmounted, mount point removed), absent_mount (same, the directory kept), absent_from_fstab (fstab only), remounted (always a change), ephemeral (mounted, fstab untouched)' },
      fstab: { type: 'string', minLength: 1, description: 'the file to use instead of /etc/fstab (mount then reads it with `-T`)' },
      boot: boolSchema('mounted at boot; false adds `noauto` to the options (ignored when opts has noauto)', true),
      backup: boolSchema('keep a timestamped copy of fstab before changing it', false),
    },
    required: ['path', 'state'],
  }),
  homePaths: ['path', 'src', 'fstab'],
  secretArgs: (a) => (toBool(a.opts_no_log) && typeof a.opts === 'string' ? ['opts'] : []),
  doc: {
    short: 'Manage fstab entries and what is mounted (ansible.posix.mount, Linux)',
    description:
      'As ansible.posix.mount on Linux: the entry of `path` in fstab (fields escaped as fstab wants: `\\040` for a space) is added, updated or removed, and the mount state read from the host\'s /proc/self/mountinfo (bind mounts included) is brought to `state`. mounted creates a missing mount point, writes fstab, and mounts (or remounts when the entry changed); when the mount fails, fstab is put back and the directories made are removed. absent and absent_mount change something only when fstab has the entry (as Ansible); they unmount before fstab is written, so a failed umount leaves the entry for the next run. remounted and ephemeral always report a change. With `fstab`, mount reads that file (`mount -T`). --check and --diff show the fstab edit.',
    returns: {
      name: 'the mount point',
      src: 'the source',
      fstype: 'the filesystem type',
      opts: 'the options written (with `noauto` for boot: false)',
      dump: 'the dump field',
      passno: 'the pass field',
      fstab: 'the fstab file used',
      boot: '`yes`, or `no` for boot: false',
      backup_file: 'the backup made (backup: true and fstab changed), else empty',
    },
    example: '- mount:\n    path: /srv/data\n    src: /dev/vdb1\n    fstype: ext4\n    opts: noatime\n    state: mounted',
    notes: ['Linux only (util-linux mount); Solaris vfstab and the BSDs are not handled.', 'absent and absent_from_fstab also remove an entry written with 4 or 5 fields (Ansible\'s own removal only sees 6).'],
  },
  probe: (args) => mountFact(args.path, args.fstab ?? DEFAULT_FSTAB),
  plan: planMount,
});
