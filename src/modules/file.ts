// file: a path is a directory, a file with given attributes, a symlink, or absent.
// One probe (`stat`, plus a `find` for recurse) decides; only the missing steps run.
import { sh, type ShellCommand } from '../transport/command.js';
import { fileFact, type FileState } from '../facts/file.js';
import { combineFacts } from '../facts/combine.js';
import type { Fact } from '../facts/types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands } from './util/file-ops.js';
import { parseModeArg } from './util/mode.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { attrLetters, attrsFor, fastModeOk, letterSets } from './util/fast.js';

export interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'absent' | 'touch' | 'link';
  mode?: string | number;
  owner?: string;
  group?: string;
  recurse?: boolean | string;
  src?: string;
  force?: boolean | string;
  modification_time?: string;
  access_time?: string;
}

export interface FileProbe {
  state: FileState;
  /** recurse: some path below does not have the wanted owner/group/mode */
  recurseMismatch?: boolean;
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

export function fileProbeFact(args: FileArgs): Fact<FileProbe> {
  // like Ansible (follow: yes), a symlink to a directory is that directory, except for the
  // states that act on the link itself
  const follow = args.state === 'directory' || args.state === 'file' || args.state === 'touch';
  const state = fileFact(args.path, { follow });
  const rec = recurseFact(args);
  if (!rec) return { name: 'file', command: state.command, parse: (o, e, c) => ({ state: state.parse(o, e, c) }) };
  const both = combineFacts([state, rec] as const);
  return { name: 'file', command: both.command, parse: (o, e, c) => {
    const [st, mismatch] = both.parse(o, e, c);
    return { state: st, recurseMismatch: mismatch };
  } };
}

function describeType(st: FileState): string {
  return st.type === 'file' ? 'a file' : st.type === 'directory' ? 'a directory' : st.type === 'link' ? 'a symlink' : 'a special file';
}

export function planFile(args: FileArgs, probe: FileProbe, _env: PlanEnv): Plan {
  const st = probe.state;
  const path = args.path;
  if (st.error) return failPlan(`cannot inspect ${path}: ${st.error}`);
  const state = args.state ?? (st.exists ? (st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : 'file') : 'file');
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const data: Record<string, unknown> = { path, state };
  const withAttrs = (commands: ShellCommand[], what: string, current: FileState | undefined, isDir: boolean): Plan => {
    const a = attributeCommands(path, current, attrs, { isDir });
    const all = [...commands, ...a.commands];
    if (all.length === 0) return noop(`${path} is already ${what} with the wanted attributes`, data);
    const parts = [...(commands.length ? [`created ${what}`] : []), ...a.changes];
    return { commands: all, msg: `${path}: ${parts.join(', ')}`, data };
  };

  switch (state) {
    case 'absent':
      if (!st.exists) return noop(`${path} is already absent`, data);
      // a templated path that rendered empty or to the root must never reach `rm -rf`
      if (/^\/*$/.test(path.trim()) || path.trim() === '.' || path.trim() === '..') return failPlan(`refusing to remove ${JSON.stringify(path)}`, data);
      return { commands: [sh`rm -rf -- ${path}`], msg: `removed ${describeType(st).replace(/^an? /, '')} ${path}`, data };
    case 'directory': {
      if (st.exists && st.type !== 'directory') {
        return failPlan(`${path} exists and is ${describeType(st)}, not a directory: remove it first or choose another path`, data);
      }
      if (!st.exists) return withAttrs([sh`mkdir -p -- ${path}`], 'a directory', undefined, true);
      if (toBool(args.recurse) && probe.recurseMismatch) {
        const rec = attributeCommands(path, undefined, attrs, { recurse: true, isDir: true });
        return { commands: rec.commands, msg: `${path}: set ${rec.changes.join(', ')} recursively`, data };
      }
      return withAttrs([], 'a directory', st, true);
    }
    case 'file':
      if (!st.exists) return failPlan(`file ${path} does not exist: use state=touch to create an empty file, or copy to give it content`, data);
      if (st.type === 'directory') return failPlan(`${path} is a directory, not a file`, data);
      return withAttrs([], 'a file', st, false);
    case 'touch': {
      const preserve = args.modification_time === 'preserve' && (args.access_time ?? 'preserve') === 'preserve';
      if (st.exists && preserve) return withAttrs([], st.type === 'directory' ? 'a directory' : 'a file', st, st.type === 'directory');
      const p = withAttrs([sh`touch -- ${path}`], 'a file', st.exists ? st : undefined, st.type === 'directory');
      return { ...p, msg: st.exists ? `touched ${path}${p.msg.includes(':') ? p.msg.slice(p.msg.indexOf(':')) : ''}` : p.msg };
    }
    case 'link': {
      if (args.src === undefined) return failPlan('state=link needs src: the path the link points to', data);
      data.src = args.src;
      if (st.exists && st.type === 'link' && st.linkTarget === args.src) {
        const own = attributeCommands(path, st, { owner: args.owner, group: args.group });
        if (own.commands.length === 0) return noop(`${path} already links to ${args.src}`, data);
        return { commands: [sh`chown -h ${[args.owner ?? '', args.group ? `:${args.group}` : ''].join('')} -- ${path}`], msg: `${path}: ${own.changes.join(', ')}`, data };
      }
      if (st.exists && st.type === 'directory') return failPlan(`${path} is a directory; refusing to replace it with a link`, data);
      if (st.exists && st.type === 'file' && !toBool(args.force)) {
        return failPlan(`${path} is a regular file; set force: yes to replace it with a link to ${args.src}`, data);
      }
      const cmds = [sh`ln -sfn -- ${args.src} ${path}`];
      if (args.owner !== undefined || args.group !== undefined) cmds.push(sh`chown -h ${[args.owner ?? '', args.group ? `:${args.group}` : ''].join('')} -- ${path}`);
      return { commands: cmds, msg: st.exists ? `${path} now links to ${args.src} (was ${st.linkTarget ?? describeType(st)})` : `created link ${path} → ${args.src}`, data };
    }
  }
}

/**
 * The one-command path for directory/file/absent: the host classifies the path (missing, a
 * directory with these attribute differences, ...) and runs the plan for that class.
 */
export function fileFast(args: FileArgs): FastPath<FileProbe> | undefined {
  if (toBool(args.recurse) || !fastModeOk(args.mode)) return undefined;
  const p = args.path;
  const P = sh`${p}`;
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const like = (type: 'file' | 'directory', letters: string): FileProbe => ({ state: { path: p, exists: true, type, ...attrsFor(letters, attrs) } });
  switch (args.state) {
    case 'directory':
      return {
        classify: sh`if [ -d ${p} ]; then k=dir:; ${attrLetters(P, attrs)}; elif [ -e ${p} ] || [ -L ${p} ]; then k=other; else k=new; fi`,
        cases: [{ key: 'new', state: { state: { path: p, exists: false } } }, ...letterSets(attrs).map((l) => ({ key: `dir:${l}`, state: like('directory', l) }))],
      };
    case 'file':
      return {
        classify: sh`if [ ! -e ${p} ]; then k=missing; elif [ -d ${p} ]; then k=isdir; else k=file:; ${attrLetters(P, attrs)}; fi`,
        cases: letterSets(attrs).map((l) => ({ key: `file:${l}`, state: like('file', l) })),
      };
    case 'absent':
      return {
        classify: sh`if [ -e ${p} ] || [ -L ${p} ]; then k=rm; else k=gone; fi`,
        cases: [{ key: 'rm', state: { state: { path: p, exists: true, type: 'file' } } }],
      };
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
        enum: ['file', 'directory', 'absent', 'touch', 'link'],
        description: '`directory` creates it (with parents), `absent` removes it (recursively), `touch` creates an empty file or updates its times, `link` makes a symlink to `src`, `file` only sets attributes of an existing file. Default: the current type, or `file`.',
      },
      mode: modeSchema(),
      owner: { type: 'string', description: 'user name or uid that should own the path' },
      group: { type: 'string', description: 'group name or gid' },
      recurse: boolSchema('state=directory: apply owner, group and mode to everything below too', false),
      src: { type: 'string', description: 'state=link: what the link points to' },
      force: boolSchema('state=link: replace an existing regular file with the link', false),
      modification_time: { type: 'string', description: 'state=touch: `preserve` leaves an existing file alone (idempotent touch)' },
      access_time: { type: 'string', description: 'state=touch: `preserve` (with modification_time) leaves times alone' },
    },
    required: ['path'],
  }),
  doc: {
    short: 'Manage a directory, a file\'s attributes, a symlink, or make sure a path is absent',
    description:
      'Reads the path with one `stat` and runs only what differs: `mkdir -p`, `chmod`, `chown`, `ln -sfn` or `rm -rf`. A second run reports ok. With `recurse`, one `find` tells whether anything below differs.',
    returns: { path: 'the path', state: 'the state asked for', src: 'link target (state=link)' },
    example: '- file:\n    path: /etc/allmon3\n    state: directory\n    owner: root\n    group: www-data\n    mode: "0750"',
    notes: [
      '`state: touch` changes the file times on every run (as in Ansible) unless `modification_time: preserve` and `access_time: preserve`.',
      'A mode written as a YAML number (`mode: 0644`) is read as octal digits; quote it to be explicit.',
    ],
  },
  probe: (args) => fileProbeFact(args),
  plan: planFile,
  fast: (args) => fileFast(args),
});
