// file: a path is a directory, a file with given attributes, a symlink, or absent.
// One probe (`stat`, plus a `find` for recurse) decides; only the missing steps run.
import { rawCommand, sh, type ShellCommand } from '../transport/command.js';
import { fileFact, pathTypeFact, type FileState } from '../facts/file.js';
import { combineFacts } from '../facts/combine.js';
import type { Fact } from '../facts/types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands } from './util/file-ops.js';
import { parseModeArg, plainOctalMode, wantedMode } from './util/mode.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { attrLetters, attrsFor, differingLetterSets, fastModeOk } from './util/fast.js';
import { pathInfo, pathState, withChmodPathInfo, withPathInfo } from './util/path-info.js';
import { joinCommands, simpleCommand } from './runner.js';

export interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'absent' | 'touch' | 'link' | 'hard';
  mode?: string | number;
  owner?: string;
  group?: string;
  recurse?: boolean | string;
  src?: string;
  force?: boolean | string;
  follow?: boolean | string;
  modification_time?: string;
  modification_time_format?: string;
  access_time?: string;
  access_time_format?: string;
  attributes?: string;
}

export interface FileProbe {
  state: FileState;
  /** recurse: some path below does not have the wanted owner/group/mode */
  recurseMismatch?: boolean;
  /** state=hard: the link's source */
  src?: FileState;
  /** attributes: the path's flags as lsattr prints them (`--------------e-------`), or the error */
  attrs?: { flags?: string; error?: string };
  /** a timestamp in modification_time/access_time, as epoch seconds on the host's clock and zone */
  wantMtime?: number;
  wantAtime?: number;
}

function recurseFact(args: FileArgs): Fact<boolean> | undefined {
  if (!toBool(args.recurse) || (args.state ?? 'directory') !== 'directory') return undefined;
  const tests: ShellCommand[] = [];
  if (args.owner !== undefined) tests.push(/^\d+$/.test(args.owner) ? sh`! -uid ${args.owner}` : sh`! -user ${args.owner}`);
  if (args.group !== undefined) tests.push(/^\d+$/.test(args.group) ? sh`! -gid ${args.group}` : sh`! -group ${args.group}`);
  const mode = parseModeArg(args.mode);
  if (mode && 'octal' in mode) tests.push(sh`! -perm ${mode.octal}`);
  else if (mode) tests.push(sh`-true`); // symbolic: cannot test cheaply; re-apply when anything is below
  if (tests.length === 0) return undefined;
  const expr = tests.flatMap((t, i) => (i === 0 ? [t] : [sh` -o `, t]));
  return {
    name: 'recurse-mismatch',
    command: sh`[ -d ${args.path} ] && find ${args.path} -mindepth 1 \\( ${expr} \\) -print -quit 2>/dev/null; :`,
    parse: (stdout) => stdout.trim() !== '',
  };
}

/** lsattr of a path (nothing when it does not exist): file's, copy's and lineinfile's `attributes` probe. */
export function attrsFact(path: string): Fact<{ flags?: string; error?: string }> {
  return {
    name: 'lsattr',
    command: sh`if [ -e ${path} ]; then lsattr -d -- ${path} 2>&1; fi`,
    parse(stdout, _e, code) {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (line === '') return {};
      if (code !== 0) return { error: line };
      return { flags: line.split(/\s+/)[0] ?? '' };
    },
  };
}

/** A date the host turns into epoch seconds (its own time zone, as Ansible's module reads it). */
function epochFact(when: string): Fact<number | undefined> {
  return { name: 'epoch', command: sh`date -d ${when} +%s`, parse: (o, _e, c) => (c === 0 && /^-?\d+$/.test(o.trim()) ? Number(o.trim()) : undefined) };
}

const TIME_DIRECTIVES: Record<string, string> = { Y: '(\\d{4})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})', y: '(\\d{2})' };

/**
 * A modification_time/access_time timestamp read with its strptime format (%Y %m %d %H %M %S
 * %y) → `YYYY-MM-DD HH:MM:SS` for the host's `date -d`. Throws on a mismatch.
 */
export function parseTimestamp(value: string, format: string): string {
  const order: string[] = [];
  let re = '^';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length) {
      const d = format[++i]!;
      if (d === '%') re += '%';
      else if (TIME_DIRECTIVES[d]) {
        re += TIME_DIRECTIVES[d];
        order.push(d);
      } else throw new TypeError(`time format directive %${d} is not supported (use %Y %m %d %H %M %S %y)`);
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`${re}$`).exec(value);
  if (!m) throw new TypeError(`${JSON.stringify(value)} does not match the time format ${JSON.stringify(format)}`);
  const v: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  order.forEach((d, i) => {
    const n = Number(m[i + 1]);
    if (d === 'y') v.Y = n < 69 ? 2000 + n : 1900 + n;
    else v[d] = n;
  });
  const p = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${v.Y}-${p(v.m)}-${p(v.d)} ${p(v.H)}:${p(v.M)}:${p(v.S)}`;
}

const DEFAULT_TIME_FORMAT = '%Y%m%d%H%M.%S';

function timeSpec(value: string | undefined, format: string | undefined): string | undefined {
  if (value === undefined || value === 'preserve' || value === 'now') return undefined;
  return parseTimestamp(value, format ?? DEFAULT_TIME_FORMAT);
}

/**
 * Shell (no process) that sets the positional parameters to the path's missing directories,
 * outermost first. undefined for a path with `.` or `..` in it, whose components are not the
 * directories mkdir makes.
 */
export function missingDirs(path: string): ShellCommand | undefined {
  const p = path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  if (p.split('/').some((c) => c === '.' || c === '..')) return undefined;
  return sh`rb_d=${p}; set --; while [ ! -e "$rb_d" ] && [ ! -L "$rb_d" ]; do set -- "$rb_d" "$@"; case $rb_d in */*) rb_d=$\{rb_d%/*}; [ -n "$rb_d" ] || break ;; *) break ;; esac; done`;
}

/** The task sets a modification or access time (anything but `preserve`). */
function setsTimes(args: Pick<FileArgs, 'modification_time' | 'access_time'>): boolean {
  return (args.modification_time !== undefined && args.modification_time !== 'preserve') || (args.access_time !== undefined && args.access_time !== 'preserve');
}

/** The shell variable the probe leaves the path's stat line in, for fileFast's classify. */
const FILE_KEEP = 'rb_st';

/** Whether the probe describes a symlink's target (Ansible's follow) rather than the link. */
function probeFollows(args: FileArgs): boolean {
  return toBool(args.follow, true) && (args.state === 'directory' || args.state === 'file' || args.state === 'touch' || args.state === undefined);
}

export function fileProbeFact(args: FileArgs): Fact<FileProbe> {
  // like Ansible (follow: yes), a symlink to a directory is that directory, except for the
  // states that act on the link itself
  const follow = probeFollows(args);
  // keep: the one-command path's classify reads this stat line (no second stat)
  const parts: Array<[keyof FileProbe, Fact<unknown>]> = [['state', fileFact(args.path, { follow, keep: FILE_KEEP })]];
  const rec = recurseFact(args);
  if (rec) parts.push(['recurseMismatch', rec]);
  if (args.state === 'hard' && args.src !== undefined) parts.push(['src', fileFact(args.src, { follow: true })]);
  if (args.attributes !== undefined && args.attributes !== '') parts.push(['attrs', attrsFact(args.path)]);
  let m: string | undefined;
  let a: string | undefined;
  try {
    m = timeSpec(args.modification_time, args.modification_time_format);
    a = timeSpec(args.access_time, args.access_time_format);
  } catch {
    // the plan reports the bad timestamp
  }
  if (m !== undefined) parts.push(['wantMtime', epochFact(m)]);
  if (a !== undefined) parts.push(['wantAtime', epochFact(a)]);
  const all = combineFacts(parts.map(([, f]) => f));
  // the parser and the names alone wait for the output (not the facts and their command text)
  const parseAll = all.parse;
  const keys = parts.map(([k]) => k);
  return {
    name: 'file',
    command: all.command,
    parse(o, e, c) {
      const values = parseAll(o, e, c);
      const out: Record<string, unknown> = {};
      keys.forEach((k, i) => (out[k] = values[i]));
      return out as unknown as FileProbe;
    },
  };
}

function describeType(st: FileState): string {
  return st.type === 'file' ? 'a file' : st.type === 'directory' ? 'a directory' : st.type === 'link' ? 'a symlink' : 'a special file';
}

/** lsattr's flags → the set of attribute letters (dashes dropped). */
function flagSet(flags: string): Set<string> {
  return new Set([...flags].filter((c) => c !== '-'));
}

/** `attributes` (`+i`, `-a`, `=ie`, `i`) against the current flags: the chattr to run, if any. */
export function attributeChange(wanted: string, current: string | undefined): { command?: string; before: string; after: string } | undefined {
  const op = '+-='.includes(wanted[0] ?? '') ? wanted[0]! : '=';
  const letters = [...(op === wanted[0] ? wanted.slice(1) : wanted)].filter((c) => c !== '-' && c !== ' ');
  const have = flagSet(current ?? '');
  const after = new Set(have);
  if (op === '=') {
    after.clear();
    for (const l of letters) after.add(l);
  } else {
    for (const l of letters) {
      if (op === '+') after.add(l);
      else after.delete(l);
    }
  }
  const same = after.size === have.size && [...after].every((l) => have.has(l));
  const show = (s: Set<string>) => [...s].sort().join('');
  if (same) return undefined;
  return { command: `${op}${letters.join('')}`, before: show(have), after: show(after) };
}

/** The chattr that gives `path` the `attributes` wanted (current flags from attrsFact; none yet: a new file). */
export function chattrStep(path: string, wanted: string, current: { flags?: string; error?: string } | undefined): { command?: ShellCommand; change: string; before: string; after: string; error?: string } {
  if (current?.error) return { change: '', before: '', after: '', error: `cannot read the attributes of ${path}: ${current.error}` };
  const c = attributeChange(wanted, current?.flags);
  if (!c?.command) return { change: '', before: c?.before ?? '', after: c?.after ?? '' };
  return { command: sh`chattr ${c.command} -- ${path}`, change: `attributes ${c.before || '(none)'} → ${c.after || '(none)'}`, before: c.before, after: c.after };
}

export function planFile(args: FileArgs, probe: FileProbe, _env: PlanEnv): Plan {
  const st = probe.state;
  const path = args.path;
  if (st.error) return failPlan(`cannot inspect ${path}: ${st.error}`);
  const prevState = pathState(st);
  const state = args.state ?? (st.exists ? (st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : prevState === 'hard' ? 'hard' : 'file') : toBool(args.recurse) ? 'directory' : 'file');
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const base: Record<string, unknown> = { path };
  if (state === 'touch' || state === 'link' || state === 'hard') base.dest = path;
  if ((state === 'link' || state === 'hard') && args.src !== undefined) base.src = args.src;
  const diff = { before: { path, state: prevState } as Record<string, unknown>, after: { path, state } as Record<string, unknown> };
  base.diff = diff;
  const data = base;
  const fail = (msg: string): Plan => failPlan(msg, { ...data, state: prevState });
  // what the path is once nothing has to change: Ansible's path information from the probe
  const unchanged = (msg: string, current: FileState = st): Plan => noop(msg, { ...data, ...pathInfo(current) });

  // attributes (chattr), times (touch -d): the extra steps on an existing path
  const extras = (isDir: boolean): { commands: ShellCommand[]; changes: string[]; error?: string } => {
    const commands: ShellCommand[] = [];
    const changes: string[] = [];
    if (args.attributes !== undefined && args.attributes !== '') {
      const c = chattrStep(path, args.attributes, probe.attrs);
      if (c.error !== undefined) return { commands, changes, error: c.error };
      if (c.command) {
        commands.push(c.command);
        changes.push(c.change);
        diff.before.attributes = c.before;
        diff.after.attributes = c.after;
      }
    }
    // most tasks set no time: no tuples to build and walk then (per task and host)
    if (!setsTimes(args)) return { commands, changes };
    for (const [kind, value, want, current, flag] of [
      ['modification', args.modification_time, probe.wantMtime, st.mtime, '-m'],
      ['access', args.access_time, probe.wantAtime, st.atime, '-a'],
    ] as const) {
      if (value === undefined || value === 'preserve') continue;
      if (value === 'now') {
        // touch has its own default; on other states `now` sets the time on every run (Ansible)
        if (state !== 'touch') {
          commands.push(sh`touch ${flag} -c -- ${path}`);
          changes.push(`${kind} time now`);
        }
        continue;
      }
      if (want === undefined) return { commands, changes, error: `${kind}_time ${JSON.stringify(value)}: the host could not read it as a date` };
      if (current !== want) {
        commands.push(sh`touch ${flag} -c -d ${`@${want}`} -- ${path}`);
        changes.push(`${kind} time ${value}`);
      }
    }
    void isDir;
    return { commands, changes };
  };

  const withAttrs = (commands: ShellCommand[], what: string, current: FileState | undefined, isDir: boolean, opts: { created?: boolean; modeSet?: string; targets?: ShellCommand } = {}): Plan => {
    const a = attributeCommands(path, current, opts.modeSet === undefined ? attrs : { ...attrs, mode: undefined }, { isDir, ...(opts.targets ? { targets: opts.targets } : {}) });
    if (opts.modeSet !== undefined) a.changes.unshift(`mode ${opts.modeSet}`);
    const x = current?.exists || opts.created ? extras(isDir) : { commands: [], changes: [] };
    if ('error' in x && x.error) return fail(x.error);
    if (current?.mode !== undefined && a.commands.some((c) => c.toShell().startsWith('chmod'))) {
      diff.before.mode = current.mode;
      diff.after.mode = wantedMode(args.mode, current.mode, isDir);
    }
    if (current?.owner !== undefined && args.owner !== undefined && a.changes.some((c) => c.startsWith('owner'))) {
      diff.before.owner = current.owner;
      diff.after.owner = args.owner;
    }
    if (current?.group !== undefined && args.group !== undefined && a.changes.some((c) => c.startsWith('group'))) {
      diff.before.group = current.group;
      diff.after.group = args.group;
    }
    const setAttrs = [...a.commands, ...x.commands];
    const all = [...commands, ...setAttrs];
    if (all.length === 0) return unchanged(`${path} is already ${what} with the wanted attributes`, current ?? st);
    const parts = [...(commands.length ? [`created ${what}`] : []), ...a.changes, ...x.changes];
    // a new file whose attributes cannot be set is removed again (Ansible's touch)
    const cmds = opts.created && commands.length > 0 && setAttrs.length > 0 ? [...commands, sh`{ ${joinCommands(setAttrs)}; } || { rm -f -- ${path}; false; }`] : all;
    const follow = isDir || state === 'touch' || state === 'file';
    const plan: Plan = { commands: cmds, msg: `${path}: ${parts.join(', ')}`, data };
    // only a mode to set on what the probe described: its path information is known without a `stat`
    const onlyMode = commands.length === 0 && x.commands.length === 0 && a.commands.length === 1 && a.commands[0]!.toShell().startsWith('chmod ') && current !== undefined && current === st;
    if (onlyMode) return withChmodPathInfo(plan, path, follow, { state: current, followed: probeFollows(args), mode: wantedMode(args.mode, current.mode, isDir), isDir });
    return withPathInfo(plan, path, follow);
  };

  switch (state) {
    case 'absent':
      if (!st.exists) return unchanged(`${path} is already absent`);
      // a templated path that rendered empty or to the root must never reach `rm -rf`
      if (/^\/*$/.test(path.trim()) || path.trim() === '.' || path.trim() === '..') return fail(`refusing to remove ${JSON.stringify(path)}`);
      return { commands: [simpleCommand(sh`rm -rf -- ${path}`)], msg: `removed ${describeType(st).replace(/^an? /, '')} ${path}`, data: { ...data, state: 'absent' } };
    case 'directory': {
      if (st.exists && st.type !== 'directory') {
        return fail(`${path} exists and is ${describeType(st)}, not a directory: remove it first or choose another path`);
      }
      if (!st.exists) {
        const missing = missingDirs(path);
        // a path with `.` or `..` in it: mkdir -p, and the attributes on the path only
        if (!missing) return withAttrs([sh`mkdir -p -- ${path}`], 'a directory', undefined, true);
        // As Ansible, every directory the task creates gets the mode, owner and group, not
        // only the last: the host lists the missing ones (no process), one mkdir makes them
        // all. A plain octal mode is mkdir's own (-m: exactly that mode, umask aside).
        const mode = wantedMode(args.mode, undefined, true);
        const all = rawCommand('"$@"');
        if (mode !== undefined && plainOctalMode(mode)) return withAttrs([sh`${missing}; mkdir -p -m ${mode} -- ${all}`], 'a directory', undefined, true, { modeSet: mode, targets: all });
        return withAttrs([sh`${missing}; mkdir -p -- ${all}`], 'a directory', undefined, true, { targets: all });
      }
      if (toBool(args.recurse) && probe.recurseMismatch) {
        const rec = attributeCommands(path, undefined, attrs, { recurse: true, isDir: true });
        return withPathInfo({ commands: rec.commands, msg: `${path}: set ${rec.changes.join(', ')} recursively`, data }, path, true);
      }
      return withAttrs([], 'a directory', st, true);
    }
    case 'file':
      if (!st.exists) return fail(`file ${path} does not exist: use state=touch to create an empty file, or copy to give it content`);
      if (st.type === 'directory') return fail(`${path} is a directory, not a file`);
      return withAttrs([], 'a file', st, false);
    case 'touch': {
      const mtime = args.modification_time ?? 'now';
      const atime = args.access_time ?? 'now';
      const isDir = st.type === 'directory';
      if (!st.exists) {
        // created now: timestamps given are applied after the attributes
        return withAttrs([sh`touch -- ${path}`], 'a file', undefined, false, { created: true });
      }
      if (mtime === 'preserve' && atime === 'preserve') return withAttrs([], isDir ? 'a directory' : 'a file', st, isDir);
      const touch = mtime === 'now' || atime === 'now' ? [sh`touch ${mtime === 'now' && atime !== 'now' ? sh`-m ` : atime === 'now' && mtime !== 'now' ? sh`-a ` : sh``}-- ${path}`] : [];
      const p = withAttrs(touch, isDir ? 'a directory' : 'a file', st, isDir);
      if (touch.length === 0 || p.failed) return p;
      const rest = p.msg.slice(p.msg.indexOf(': ') + 2).split(', ').slice(1);
      return { ...p, msg: `touched ${path}${rest.length ? `: ${rest.join(', ')}` : ''}` };
    }
    case 'link': {
      if (args.src === undefined) return fail('state=link needs src: the path the link points to');
      if (st.exists && st.type === 'link' && st.linkTarget === args.src) {
        const own = attributeCommands(path, st, { owner: args.owner, group: args.group });
        if (own.commands.length === 0) return unchanged(`${path} already links to ${args.src}`);
        return withPathInfo({ commands: [sh`chown -h ${[args.owner ?? '', args.group ? `:${args.group}` : ''].join('')} -- ${path}`], msg: `${path}: ${own.changes.join(', ')}`, data }, path);
      }
      if (st.exists && st.type === 'directory') return fail(`${path} is a directory; refusing to replace it with a link`);
      if (st.exists && st.type === 'file' && !toBool(args.force)) {
        return fail(`${path} is a regular file; set force: yes to replace it with a link to ${args.src}`);
      }
      const cmds = [sh`ln -sfn -- ${args.src} ${path}`];
      if (args.owner !== undefined || args.group !== undefined) cmds.push(sh`chown -h ${[args.owner ?? '', args.group ? `:${args.group}` : ''].join('')} -- ${path}`);
      return withPathInfo({ commands: cmds, msg: st.exists ? `${path} now links to ${args.src} (was ${st.linkTarget ?? describeType(st)})` : `created link ${path} → ${args.src}`, data }, path);
    }
    case 'hard': {
      if (args.src === undefined) return fail('state=hard needs src: the file the hard link points to');
      const src = probe.src;
      if (!src?.exists) return fail(`src file ${args.src} does not exist: a hard link needs an existing file`);
      if (src.type === 'directory') return fail(`${args.src} is a directory: directories cannot be hard-linked`);
      const same = st.exists && st.inode !== undefined && st.inode === src.inode && st.dev === src.dev;
      if (same) return withAttrs([], 'a hard link', st, false);
      if (st.exists && st.type === 'directory') return fail(`${path} is a directory; refusing to replace it with a hard link`);
      if (st.exists && !toBool(args.force)) {
        return fail(prevState === 'hard' ? `Cannot link, different hard link exists at destination: ${path} (force: yes replaces it)` : `Cannot link, ${prevState} exists at destination: ${path} (force: yes replaces it)`);
      }
      const made = withAttrs([sh`ln -f -- ${args.src} ${path}`], 'a hard link', src, false);
      return { ...made, msg: st.exists ? `${path} is now a hard link to ${args.src} (was ${describeType(st)})` : `created hard link ${path} → ${args.src}` };
    }
  }
}

/**
 * The one-command path for directory/file/absent: the host classifies the path (missing, a
 * directory with these attribute differences, ...) and runs the plan for that class.
 */
export function fileFast(args: FileArgs): FastPath<FileProbe> | undefined {
  if (toBool(args.recurse) || !fastModeOk(args.mode) || !toBool(args.follow, true)) return undefined;
  if ((args.attributes !== undefined && args.attributes !== '') || setsTimes(args)) return undefined;
  const p = args.path;
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const like = (type: 'file' | 'directory', letters: string): FileProbe => ({ state: { path: p, exists: true, type, ...attrsFor(letters, attrs) } });
  switch (args.state) {
    case 'directory':
      return {
        classify: sh`if [ -d ${p} ]; then k=dir:; ${attrLetters(FILE_KEEP, attrs)}; elif [ -e ${p} ] || [ -L ${p} ]; then k=other; else k=new; fi`,
        cases: [{ key: 'new', state: { state: { path: p, exists: false } } }, ...differingLetterSets(attrs).map((l) => ({ key: `dir:${l}`, state: like('directory', l) }))],
      };
    case 'file':
      return {
        classify: sh`if [ ! -e ${p} ]; then k=missing; elif [ -d ${p} ]; then k=isdir; else k=file:; ${attrLetters(FILE_KEEP, attrs)}; fi`,
        cases: differingLetterSets(attrs).map((l) => ({ key: `file:${l}`, state: like('file', l) })),
      };
    case 'absent': {
      // the removal needs only what the path was (a directory or a link: no `stat`)
      const what = pathTypeFact(p);
      const parseWhat = what.parse;
      return {
        classify: sh`if [ -e ${p} ] || [ -L ${p} ]; then k=rm; else k=gone; fi`,
        cases: [{ key: 'rm', state: { state: { path: p, exists: true, type: 'file' } } }],
        probe: { name: 'file', command: what.command, parse: (o, e, c) => ({ state: parseWhat(o, e, c) }) },
      };
    }
    default:
      return undefined;
  }
}

export const fileModule = defineModule<FileArgs, FileProbe>({
  name: 'file',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'name'], description: 'path to manage' },
      state: {
        type: 'string',
        enum: ['file', 'directory', 'absent', 'touch', 'link', 'hard'],
        description: '`directory` creates it (with parents: each directory it creates gets mode, owner and group, as in Ansible), `absent` removes it (recursively), `touch` creates an empty file or updates its times, `link` makes a symlink to `src`, `hard` a hard link to `src`, `file` only sets attributes of an existing file. Default: the current type, or `file` (`directory` with recurse).',
      },
      mode: modeSchema(),
      owner: { type: 'string', description: 'user name or uid that should own the path' },
      group: { type: 'string', description: 'group name or gid' },
      recurse: boolSchema('state=directory: apply owner, group and mode to everything below too', false),
      src: { type: 'string', description: 'state=link: what the link points to; state=hard: the existing file to link' },
      force: boolSchema('state=link/hard: replace an existing file (or other link) with the link', false),
      follow: boolSchema('a symlink at `path` stands for its target (its attributes are set on the target)', true),
      modification_time: { type: 'string', description: '`preserve` (default, except touch), `now` (touch\'s default; on other states: set on every run), or a timestamp in modification_time_format' },
      modification_time_format: { type: 'string', default: '%Y%m%d%H%M.%S', description: 'strptime format of modification_time (%Y %m %d %H %M %S %y); read in the host\'s time zone' },
      access_time: { type: 'string', description: 'like modification_time, for the access time' },
      access_time_format: { type: 'string', default: '%Y%m%d%H%M.%S', description: 'strptime format of access_time' },
      attributes: { type: 'string', aliases: ['attr'], description: 'ext2 attributes as `chattr` takes them: `+i`, `-a`, `=ie`; letters alone mean exactly these (lsattr\'s order)' },
    },
    required: ['path'],
  }),
  doc: {
    short: 'Manage a directory, a file\'s attributes, a symlink, or make sure a path is absent',
    description:
      'Reads the path with one `stat` and runs only what differs: `mkdir -p`, `chmod`, `chown`, `ln -sfn` or `rm -rf`. A second run reports ok. With `recurse`, one `find` tells whether anything below differs.',
    returns: {
      path: 'the path',
      dest: 'the path (state=touch, link, hard: Ansible\'s key for them)',
      state: 'what the path is after the task: `file`, `directory`, `link`, `hard` or `absent`',
      'mode / owner / group / uid / gid / size': 'the path\'s attributes after the task',
      src: 'link target (state=link, hard)',
      diff: '`before` and `after`: `path`, `state` (and `mode`, `owner`, `group`, `attributes` where they change), as Ansible registers it',
    },
    example: '- file:\n    path: /etc/allmon3\n    state: directory\n    owner: root\n    group: www-data\n    mode: "0750"',
    notes: [
      '`state: touch` changes the file times on every run (as in Ansible) unless `modification_time: preserve` and `access_time: preserve`; a new file whose owner, group or mode cannot be set is removed again.',
      '`attributes` needs `lsattr`/`chattr` (e2fsprogs) and a filesystem that has them; `e` (extents) cannot be cleared, so `=` lists should keep it, as in Ansible.',
      'A mode written as a YAML number (`mode: 0644`) is read as octal digits; quote it to be explicit.',
    ],
  },
  homePaths: ['path', 'src'],
  probe: (args) => fileProbeFact(args),
  plan: planFile,
  fast: (args) => fileFast(args),
});
