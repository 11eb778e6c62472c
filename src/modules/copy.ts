// copy: a file on the host has exactly this content and these attributes. One probe returns
// the destination's sha256, mode and owner; when they match nothing else runs, otherwise one
// command writes a temp file, sets attributes, validates, backs up and renames it into place.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { fileFact, type FileState } from '../facts/file.js';
import { combineFacts } from '../facts/combine.js';
import { readFact } from '../facts/run-fact.js';
import type { Fact } from '../facts/types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands, backupPathFor, createTemp, keepOwner, ownerSpec, tempPathFor, writeFileCommand } from './util/file-ops.js';
import { attributeFixes, fastModeOk, parseFastResult, PRINT_RESULT, RESULT_MARKER } from './util/fast.js';
import { raw, sh, ShellCommand } from '../transport/command.js';
import { ExecError } from '../transport/errors.js';
import { parseModeArg, wantedMode } from './util/mode.js';
import { applyPlan, failPlan, noop, type Plan } from './util/plan.js';
import { planEnv, type PlanEnv, type Planner } from './util/planner.js';
import { fileDiff } from './util/diff.js';
import { readControllerFile } from './util/local-file.js';

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

export function copyProbeFact(args: CopyArgs, env: Pick<PlanEnv, 'diff'>): Fact<CopyProbe> {
  const t = targetCandidates(args);
  // follow: a destination that is a symlink is compared by its target (mode, content)
  const opts = { checksum: 'sha256' as const, content: env.diff, maxContentBytes: DIFF_MAX_BYTES, follow: true };
  const parentPath = posix.dirname(t.direct.replace(/\/+$/, '')) || '/';
  const facts = [fileFact(t.direct, opts), fileFact(parentPath, { follow: true }), ...(t.inDir ? [fileFact(t.inDir, opts)] : [])];
  const all = combineFacts(facts);
  return {
    name: 'copy',
    command: all.command,
    parse(stdout, stderr, code) {
      const [dest, parent, inDir] = all.parse(stdout, stderr, code);
      return { dest: dest!, parent, inDir };
    },
  };
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function planCopy(args: CopyPlanArgs, probe: CopyProbe, env: PlanEnv): Plan {
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
    size: Buffer.byteLength(args.text),
  };
  if (args.src !== undefined) data.src = args.src;
  if (target.error) return failPlan(`cannot inspect ${dest}: ${target.error}`, data);
  if (target.exists && target.type === 'directory') return failPlan(`${dest} is a directory, not a file`, data);
  if (!target.exists && parent && !parent.exists) {
    return failPlan(`destination directory ${parent.path} does not exist: create it first (file: path=${parent.path} state=directory)`, data);
  }
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  if (target.exists && target.checksum === sha256(args.text)) {
    const a = attributeCommands(dest, target, attrs, { isDir: false });
    if (a.commands.length === 0) return noop(`${dest} already has this content`, data);
    return { commands: a.commands, msg: `${dest}: content unchanged; ${a.changes.join(', ')}`, data };
  }
  if (target.exists && !toBool(args.force, true)) return noop(`${dest} exists and force is off: left as it is`, data);
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
  return plan;
}

export const copyPlanner: Planner<CopyPlanArgs, CopyProbe> = { plan: planCopy };

/** Above this size the content is not sent along on spec: the planned path probes first. */
export const FAST_MAX_BYTES = 64 * 1024;

/**
 * The one-command path (see util/fast.ts): the host compares the destination's sha1 with the
 * content's (one `sha1sum`, no temp file, when nothing changed); only when they differ does it
 * read the content from stdin into a temp file next to the destination, which then replaces it.
 * Undefined when the planned path is needed.
 */
export function copyFastCommand(args: CopyArgs, env: PlanEnv, text: string): ShellCommand | undefined {
  if (env.check || env.diff || args.validate !== undefined || toBool(args.backup) || !toBool(args.force, true) || !fastModeOk(args.mode) || args.dest.endsWith('/')) {
    return undefined;
  }
  if (Buffer.byteLength(text) > FAST_MAX_BYTES) return undefined;
  const sum = `${createHash('sha1').update(text).digest('hex')}  -`;
  const t = targetCandidates(args);
  // $d: the file to write (dest, or dest/basename(src) when dest is a directory), $t: its temp file
  const pick = t.inDir
    ? sh`if [ -d ${t.direct} ]; then d=${t.inDir}; t=${tempPathFor(t.inDir, env.tmpSuffix)}; else d=${t.direct}; t=${tempPathFor(t.direct, env.tmpSuffix)}; fi`
    : sh`d=${t.direct}; t=${tempPathFor(t.direct, env.tmpSuffix)}`;
  const D = raw('"$d"');
  const T = raw('"$t"');
  const fixes = attributeFixes(new ShellCommand([D]), { mode: args.mode, owner: args.owner, group: args.group }) ?? sh`:`;
  const mode = parseModeArg(args.mode);
  const setMode = mode && 'octal' in mode ? sh`chmod ${mode.octal} -- ${T}` : sh`{ [ -z "$e" ] || chmod --reference=${D} -- ${T}; }`;
  const spec = ownerSpec(args.owner, args.group);
  const setOwner = spec !== undefined ? sh`chown ${spec} -- ${T}` : sh`{ [ -z "$e" ] || ${keepOwner(D, T)}; }`;
  return sh`c=; ${pick}; if [ -d ${D} ]; then ${raw(`printf '${RESULT_MARKER}isdir\\n'`)}; exit 0; fi; if [ -f ${D} ] && [ "$(sha1sum < ${D})" = ${sum} ]; then ${fixes}; else if [ -e ${D} ]; then e=1; else e=; fi; { ${createTemp(T)} && ${setMode} && ${setOwner} && mv -f -- ${T} ${D}; } || { rm -f -- ${T}; exit 1; }; c=written; fi; printf 'runbook-target:%s\\n' ${D}; ${PRINT_RESULT}`;
}

async function runCopyFast(ctx: ModuleContext, args: CopyArgs, text: string, command: ShellCommand): Promise<ModuleResult | undefined> {
  const r = await ctx.exec(command, { stdin: text });
  const changes = parseFastResult(r.stdout);
  const target = r.stdout.split('\n').find((l) => l.startsWith('runbook-target:'))?.slice(15) ?? args.dest;
  const data: Record<string, unknown> = { dest: target, checksum: createHash('sha1').update(text).digest('hex'), size: Buffer.byteLength(text) };
  if (args.src !== undefined) data.src = args.src;
  if (r.ok && changes !== undefined) {
    if (changes.includes('isdir')) return undefined; // the target is a directory: the planned path explains
    if (changes.length === 0) return { changed: false, msg: `${target} already has this content`, data };
    return { changed: true, msg: `${target}: ${changes.map((c) => (c === 'written' ? 'content written' : c)).join(', ')}`, data };
  }
  if (/Directory nonexistent|No such file or directory/.test(r.stderr)) {
    const parent = posix.dirname(args.dest);
    return { changed: false, failed: true, msg: `destination directory ${parent} does not exist: create it first (file: path=${parent} state=directory)`, data };
  }
  return { changed: false, failed: true, msg: new ExecError(r).message, data };
}

/** The shared run of copy and template once the content is known. */
export async function runCopy(ctx: ModuleContext, args: CopyArgs, text: string): Promise<ModuleResult> {
  const env = planEnv(ctx);
  const fast = copyFastCommand(args, env, text);
  if (fast) {
    const done = await runCopyFast(ctx, args, text, fast);
    if (done) return done;
  }
  const probe = await readFact(ctx, copyProbeFact(args, env));
  return applyPlan(ctx, planCopy({ ...args, text }, probe, env));
}

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

export const copyModule: ModuleDefinition<CopyArgs> = defineModule({
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
  async run(ctx, args) {
    let text: string;
    if (args.content !== undefined) text = args.content;
    else if (args.src !== undefined) text = await readControllerFile(ctx, args.src, 'files');
    else return { changed: false, failed: true, msg: 'copy needs src or content' };
    return runCopy(ctx, args, text);
  },
});
