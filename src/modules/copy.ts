// copy: a file on the host has exactly this content and these attributes. One probe returns
// the destination's sha256, mode and owner; when they match nothing else runs, otherwise one
// command writes a temp file, sets attributes, validates, backs up and renames it into place.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { fileFact, type FileState } from '../facts/file.js';
import { combineFacts } from '../facts/combine.js';
import type { Fact } from '../facts/types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands, backupPathFor, writeFileCommand } from './util/file-ops.js';
import { attrLetters, attrsFor, fastModeOk, letterSets } from './util/fast.js';
import { raw, sh } from '../transport/command.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { fileDiff } from '../util/diff.js';
import { readControllerFile } from './util/local-file.js';
import { pathInfo, withPathInfo } from './util/path-info.js';

export interface CopyArgs {
  dest: string;
  content?: string;
  src?: string;
  owner?: string;
  group?: string;
  mode?: string | number;
  backup?: boolean | string;
  validate?: string;
  force?: boolean | string;
}

/** What the planner gets: the arguments plus the bytes to write (read or rendered on the controller). */
export interface CopyPlanArgs extends CopyArgs {
  /** the content the destination must have */
  text: string;
  /** reading or rendering the content failed: the task fails with this */
  error?: string;
}

export interface CopyProbe {
  /** the path as given */
  dest: FileState;
  /** dest/basename(src) when dest may be a directory */
  inDir?: FileState;
  /** the directory the file goes into */
  parent?: FileState;
}

/** Diff output is capped: enough to read, not enough to flood a terminal. */
export const DIFF_MAX_BYTES = 256 * 1024;

function targetCandidates(args: CopyArgs): { direct: string; inDir?: string } {
  if (args.src !== undefined && args.content === undefined) {
    const base = posix.basename(args.src);
    if (args.dest.endsWith('/')) return { direct: posix.join(args.dest, base) };
    return { direct: args.dest, inDir: posix.join(args.dest, base) };
  }
  return { direct: args.dest };
}

/** The shell variables the probe leaves the stat and checksum lines in (fileFact's `keep`), for copyFast's classify. */
const KEEP = { to: 'rb_to', in: 'rb_in' } as const;

export function copyProbeFact(args: CopyArgs, env: Pick<PlanEnv, 'diff'>): Fact<CopyProbe> {
  const t = targetCandidates(args);
  // follow: a destination that is a symlink is compared by its target (mode, content)
  const opts = { checksum: 'sha256' as const, content: env.diff, maxContentBytes: DIFF_MAX_BYTES, follow: true };
  const parentPath = posix.dirname(t.direct.replace(/\/+$/, '')) || '/';
  // the parent matters only for a destination that is not there yet: no stat of it otherwise
  const parentFact = fileFact(parentPath, { follow: true });
  const parent: Fact<FileState | undefined> = {
    name: 'parent',
    command: sh`if [ -e ${t.direct} ] || [ -L ${t.direct} ]; then echo unasked; else ${parentFact.command}; fi`,
    parse: (stdout, stderr, code) => (stdout === 'unasked\n' ? undefined : parentFact.parse(stdout, stderr, code)),
  };
  const facts = [fileFact(t.direct, { ...opts, keep: KEEP.to }), parent, ...(t.inDir ? [fileFact(t.inDir, { ...opts, keep: KEEP.in })] : [])];
  const all = combineFacts(facts);
  return {
    name: 'copy',
    command: all.command,
    parse(stdout, stderr, code) {
      const [dest, parent, inDir] = all.parse(stdout, stderr, code) as [FileState, FileState | undefined, FileState | undefined];
      return { dest, parent, inDir };
    },
  };
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function planCopy(args: CopyPlanArgs, probe: CopyProbe | undefined, env: PlanEnv): Plan {
  if (args.error !== undefined || !probe) return failPlan(args.error ?? 'copy needs src or content');
  let target = probe.dest;
  let parent = probe.parent;
  if (target.exists && target.type === 'directory') {
    if (args.content !== undefined || !probe.inDir) return failPlan(`${target.path} is a directory: give the file's full path as dest`);
    // dest is a directory: the file goes inside it under the source's name
    target = probe.inDir;
    parent = probe.dest;
  }
  const dest = target.path;
  const data: Record<string, unknown> = {
    dest,
    checksum: createHash('sha1').update(args.text).digest('hex'),
    md5sum: createHash('md5').update(args.text).digest('hex'),
    size: Buffer.byteLength(args.text),
  };
  if (args.src !== undefined) data.src = args.src;
  if (target.error) return failPlan(`cannot inspect ${dest}: ${target.error}`, data);
  if (target.exists && target.type === 'directory') return failPlan(`${dest} is a directory, not a file`, data);
  if (!target.exists && parent && !parent.exists) {
    return failPlan(`destination directory ${parent.path} does not exist: create it first (file: path=${parent.path} state=directory)`, data);
  }
  if (!target.exists && parent?.exists && parent.type !== undefined && parent.type !== 'directory') {
    return failPlan(`${parent.path} is not a directory, so ${dest} cannot be created in it`, data);
  }
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  if (target.exists && target.checksum === sha256(args.text)) {
    const a = attributeCommands(dest, target, attrs, { isDir: false });
    if (a.commands.length === 0) return noop(`${dest} already has this content`, { ...data, ...pathInfo(target) });
    return withPathInfo({ commands: a.commands, msg: `${dest}: content unchanged; ${a.changes.join(', ')}`, data }, dest, true);
  }
  if (target.exists && !toBool(args.force, true)) return noop(`${dest} exists and force is off: left as it is`, { dest, ...(args.src !== undefined ? { src: args.src } : {}), ...pathInfo(target) });
  const backupFile = target.exists && toBool(args.backup) ? backupPathFor(dest, env.now) : undefined;
  if (backupFile) data.backup_file = backupFile;
  const command = writeFileCommand(dest, {
    mode: wantedMode(args.mode, target.mode, false),
    owner: args.owner,
    group: args.group,
    exists: target.exists,
    backupFile,
    validate: args.validate,
    tmpSuffix: env.tmpSuffix,
  });
  const plan: Plan = {
    commands: [command],
    stdin: args.text,
    msg: target.exists ? `${dest}: content updated${backupFile ? ` (backup ${backupFile})` : ''}` : `${dest}: created`,
    data,
  };
  if (env.diff) {
    const before = target.exists ? (target.contentTruncated ? `(more than ${DIFF_MAX_BYTES} bytes, not shown)\n` : (target.content ?? '')) : '';
    const after = Buffer.byteLength(args.text) > DIFF_MAX_BYTES ? `(more than ${DIFF_MAX_BYTES} bytes, not shown)\n` : args.text;
    plan.diff = [fileDiff(dest, before, after)];
  }
  return withPathInfo(plan, dest, true);
}

/** Above this size the content is not sent along on spec: the planned path probes first. */
export const FAST_MAX_BYTES = 64 * 1024;

/**
 * The one-command path: the host classifies the target (same content with these attributes,
 * different content, new, ...) and runs the plan for that class; content goes along on stdin.
 */
export function copyFast(args: CopyPlanArgs): FastPath<CopyProbe | undefined> | undefined {
  if (args.error !== undefined || !fastModeOk(args.mode) || Buffer.byteLength(args.text) > FAST_MAX_BYTES) return undefined;
  const t = targetCandidates(args);
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const D = raw('"$d"');
  const parent = posix.dirname(t.direct.replace(/\/+$/, '')) || '/';
  // the probe's stat and checksum lines of the chosen target: `$rb_s`, `$rb_c`
  const keep = (w: 'to' | 'in') => raw(`w=${w}; rb_s=$${KEEP[w]}; rb_c=$${KEEP[w]}_sum`);
  const pick = t.inDir ? sh`d=${t.direct}; ${keep('to')}; if [ -d ${D} ]; then d=${t.inDir}; ${keep('in')}; fi` : sh`d=${t.direct}; ${keep('to')}`;
  const classify = sh`${pick}; if [ -d ${D} ]; then k=isdir; elif [ -f ${D} ]; then if [ "$rb_c" = ${`${sha256(args.text)}  -`} ]; then k=same:; ${attrLetters('rb_s', attrs)}; else k=write; fi; elif [ -e ${D} ] || [ -L ${D} ]; then k=other; elif [ "$w" = in ] || [ -d ${parent} ]; then k=new; else k=noparent; fi; k="$w:$k"`;
  const dir: FileState = { path: t.direct, exists: true, type: 'directory' };
  const probeFor = (where: 'to' | 'in', target: FileState): CopyProbe =>
    where === 'to' ? { dest: target, parent: { path: parent, exists: true, type: 'directory' } } : { dest: dir, parent: { path: parent, exists: true, type: 'directory' }, inDir: target };
  const cases: FastPath<CopyProbe | undefined>['cases'] = [];
  for (const where of t.inDir ? (['to', 'in'] as const) : (['to'] as const)) {
    const path = where === 'to' ? t.direct : t.inDir!;
    cases.push({ key: `${where}:new`, state: probeFor(where, { path, exists: false }) });
    cases.push({ key: `${where}:write`, state: probeFor(where, { path, exists: true, type: 'file', checksum: 'other', mode: '0644' }) });
    for (const letters of letterSets(attrs)) {
      cases.push({ key: `${where}:same:${letters}`, state: probeFor(where, { path, exists: true, type: 'file', checksum: sha256(args.text), ...attrsFor(letters, attrs) }) });
    }
  }
  return { classify, cases };
}

/** copy's and template's parts after the content is known (template renders it first). */
export const COPY_PARTS = {
  probe: (args: CopyPlanArgs, env: PlanEnv) => (args.error === undefined ? copyProbeFact(args, env) : undefined),
  plan: planCopy,
  fast: (args: CopyPlanArgs) => copyFast(args),
};

/** Arguments copy and template share (schema properties). */
export const WRITE_FILE_PROPERTIES = {
  dest: { type: 'string', minLength: 1, aliases: ['path'], description: 'path of the file on the host (for copy with src: may be a directory, or end with `/`)' },
  owner: { type: 'string', description: 'user name or uid that should own the file' },
  group: { type: 'string', description: 'group name or gid' },
  mode: modeSchema('permissions, e.g. `"0644"` or `u=rw,g=r,o=r`; default: keep the current mode, or the umask default for a new file'),
  backup: boolSchema('keep a copy of the old file as `DEST.YYYY-MM-DD@HH:MM:SS~` when the content changes', false),
  validate: { type: 'string', description: 'command that checks the new file before it replaces the old one; `%s` is the temp file\'s path (e.g. `apachectl -t -f %s`, `visudo -cf %s`)' },
  force: boolSchema('replace the file when its content differs; `no` only creates missing files', true),
} as const;

export const copyModule = defineModule<CopyArgs, CopyProbe | undefined, CopyPlanArgs>({
  name: 'copy',
  schema: moduleSchema({
    properties: {
      src: { type: 'string', description: 'file on the controller, relative to the playbook directory (or its `files/`)' },
      content: { type: 'string', description: 'the file\'s content, given inline (instead of src)' },
      ...WRITE_FILE_PROPERTIES,
    },
    required: ['dest'],
    extra: { oneOf: [{ required: ['src'] }, { required: ['content'] }] },
  }),
  doc: {
    short: 'Make a file on the host have this content, owner, group and mode',
    description:
      'One probe reads the destination\'s sha256, mode and owner. If they match, nothing else runs. Otherwise one command writes a temp file next to the destination, sets its attributes, runs `validate`, makes the backup and renames it into place (atomic: readers see the old or the new file, never half of one; a failed validation leaves the old file).',
    returns: {
      dest: 'the file written',
      src: 'the source file (when src was given)',
      checksum: 'sha1 of the content',
      size: 'content size in bytes',
      backup_file: 'the backup made (backup: yes and the file changed)',
    },
    example: '- copy:\n    dest: /etc/sudoers.d/deploy\n    content: "deploy ALL=(ALL) NOPASSWD: ALL\\n"\n    owner: root\n    mode: "0440"\n    validate: visudo -cf %s',
    notes: [
      'src is read as text (UTF-8); a directory as src is not supported: copy files one by one (loop).',
      'With --diff the old and new content are shown (up to 256 KiB each).',
    ],
  },
  homePaths: ['dest'],
  async prepare(ctx, args) {
    if (args.content !== undefined) return { ...args, text: args.content };
    if (args.src !== undefined) return { ...args, text: await readControllerFile(ctx, args.src, 'files') };
    return { ...args, text: '', error: 'copy needs src or content' };
  },
  ...COPY_PARTS,
});
