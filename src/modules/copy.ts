// copy: a file on the host has exactly this content and these attributes. One probe returns
// the destination's sha256, mode and owner; when they match nothing else runs, otherwise one
// command writes a temp file, sets attributes, validates, backs up and renames it into place.
import { hexDigest } from '../util/digest.js';
import { posix } from 'node:path';
import { fileFact, readableInShell, type FileFactOptions, type FileState } from '../facts/file.js';
import { combineFacts } from '../facts/combine.js';
import type { Fact } from '../facts/types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands, backupPathFor, writeFileCommand } from './util/file-ops.js';
import { attrLetters, attrsFor, differingLetterSets, fastModeOk } from './util/fast.js';
import { raw, sh } from '../transport/command.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { fileDiff } from '../util/diff.js';
import { readControllerSource, type TreeEntry } from './util/local-file.js';
import { destTreeFact, planCopyTree, remoteTreesFact, type CopyTrees } from './copy-dir.js';
import { pathInfo, withPathInfo } from './util/path-info.js';
import { attrsFact, chattrStep } from './file.js';

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
  /** the source is on the host already */
  remote_src?: boolean | string;
  /** a destination that is a symlink: write to its target (default: replace the link, as Ansible) */
  follow?: boolean | string;
  /** symlinks inside a source directory on the controller are followed (default) or copied as links */
  local_follow?: boolean | string;
  /** a vault-encrypted source is decrypted on the controller (default) or copied as it is */
  decrypt?: boolean | string;
  /** mode of the directories a recursive copy creates */
  directory_mode?: string | number;
  /** the sha1 the transferred file must have (checked on the host before it is put in place) */
  checksum?: string;
  /** chattr attributes of the file (as file's `attributes`) */
  attributes?: string;
  /** accepted for compatibility: runbook always writes atomically */
  unsafe_writes?: boolean | string;
}

/** What the planner gets: the arguments plus the bytes to write (read or rendered on the controller). */
export interface CopyPlanArgs extends CopyArgs {
  /** the content the destination must have (bytes: a binary or decrypted source file) */
  text: string | Buffer;
  /** reading or rendering the content failed: the task fails with this */
  error?: string;
  /** `mode: preserve`: the source file's mode on the controller */
  srcMode?: string;
  /** src is a directory on the controller: its tree (copy-dir.ts plans it) */
  tree?: TreeEntry[];
}

export interface CopyProbe {
  /** the path as given */
  dest: FileState;
  /** dest/basename(src) when dest may be a directory */
  inDir?: FileState;
  /** the directory the file goes into */
  parent?: FileState;
  /** remote_src: the source on the host */
  src?: FileState;
  /** follow: where a destination symlink leads (`readlink -f`) */
  real?: string;
  /** a directory copy: the source tree (remote_src) and the destination's */
  trees?: CopyTrees;
  /** attributes: lsattr of the path as given, and of dest/basename(src) */
  attrs?: { flags?: string; error?: string };
  inDirAttrs?: { flags?: string; error?: string };
}

function wantsAttributes(args: CopyArgs): boolean {
  return args.attributes !== undefined && args.attributes !== '';
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

export function copyProbeFact(args: CopyArgs, env: Pick<PlanEnv, 'diff'>, stdinSame?: FileFactOptions['stdinSame']): Fact<CopyProbe> {
  const t = targetCandidates(args);
  // follow: a destination that is a symlink is compared by its target (mode, content)
  // remote_src compares with the source's sha1 (which is also what copy registers as `checksum`)
  const opts: FileFactOptions = { checksum: isRemoteSrc(args) ? 'sha1' : 'sha256', content: env.diff, maxContentBytes: DIFF_MAX_BYTES, follow: true, ...(stdinSame ? { stdinSame } : {}) };
  const parentPath = posix.dirname(t.direct.replace(/\/+$/, '')) || '/';
  // the parent matters only for a destination that is not there yet: no stat of it otherwise
  const parentFact = fileFact(parentPath, { follow: true });
  // the parsers alone are kept for the output (not the facts: their command text would wait with them)
  const parentParse = parentFact.parse;
  // The plan asks of the parent only whether it is a directory: the shell's own test answers
  // that (no `stat` process); anything else gets the full stat, for the plan's messages.
  const parent: Fact<FileState | undefined> = {
    name: 'parent',
    command: sh`if [ -e ${t.direct} ] || [ -L ${t.direct} ]; then echo unasked; elif [ -d ${parentPath} ]; then echo directory; else ${parentFact.command}; fi`,
    parse: (stdout, stderr, code) =>
      stdout === 'unasked\n' ? undefined : stdout === 'directory\n' && code === 0 ? { path: parentPath, exists: true, type: 'directory' } : parentParse(stdout, stderr, code),
  };
  const facts = [fileFact(t.direct, { ...opts, keep: KEEP.to }), parent, ...(t.inDir ? [fileFact(t.inDir, { ...opts, keep: KEEP.in })] : [])];
  const all = combineFacts(facts);
  const parseAll = all.parse;
  return {
    name: 'copy',
    command: all.command,
    parse(stdout, stderr, code) {
      const [dest, parent, inDir] = parseAll(stdout, stderr, code) as [FileState, FileState | undefined, FileState | undefined];
      return { dest, parent, inDir };
    },
  };
}

/** The source is on the host (`remote_src: true`). */
export function isRemoteSrc(args: CopyArgs): boolean {
  return args.content === undefined && args.src !== undefined && toBool(args.remote_src);
}

/** follow: where a destination that is a symlink leads (only links cost a `readlink`). */
function realFact(paths: readonly string[]): Fact<string | undefined> {
  const each = paths.map((p) => sh`if [ -L ${p} ]; then readlink -f -- ${p}; fi`);
  let command = each[0] ?? sh`:`;
  for (const c of each.slice(1)) command = sh`${command}; ${c}`;
  return { name: 'realpath', command, parse: (o) => o.split('\n').find((l) => l !== '') };
}

/**
 * The planned path's probe: copy's file probe, plus the source on the host (remote_src), the
 * trees of a recursive copy, or where a destination link leads (follow).
 */
export function copyPlannedProbe(args: CopyPlanArgs, env: Pick<PlanEnv, 'diff'>): Fact<CopyProbe> {
  if (args.tree !== undefined) {
    const t = destTreeFact(args);
    return { name: 'copy', command: t.command, parse: (o, e, c) => ({ dest: { path: args.dest, exists: false }, trees: t.parse(o, e, c) }) };
  }
  const base = copyProbeFact(args, env);
  const remote = isRemoteSrc(args) && args.src !== undefined;
  const follow = toBool(args.follow);
  const attrs = wantsAttributes(args);
  if (!remote && !follow && !attrs) return base;
  const t = targetCandidates(args);
  const parts = [
    base,
    remote ? fileFact(args.src!, { checksum: 'sha1', follow: true }) : undefined,
    remote ? remoteTreesFact(args) : undefined,
    follow ? realFact([t.direct, ...(t.inDir ? [t.inDir] : [])]) : undefined,
    attrs ? attrsFact(t.direct) : undefined,
    attrs && t.inDir ? attrsFact(t.inDir) : undefined,
  ] as const;
  const present = parts.filter((p) => p !== undefined) as Array<Fact<unknown>>;
  const all = combineFacts(present, 'copy');
  const parseAll = all.parse;
  return {
    name: 'copy',
    command: all.command,
    parse(stdout, stderr, code) {
      const values = parseAll(stdout, stderr, code);
      let i = 0;
      const probe = { ...(values[i++] as CopyProbe) };
      if (remote) {
        probe.src = values[i++] as FileState;
        const trees = values[i++] as CopyTrees | undefined;
        if (trees) probe.trees = trees;
      }
      if (follow) {
        const real = values[i++] as string | undefined;
        if (real !== undefined) probe.real = real;
      }
      if (attrs) {
        probe.attrs = values[i++] as CopyProbe['attrs'];
        if (t.inDir) probe.inDirAttrs = values[i++] as CopyProbe['attrs'];
      }
      return probe;
    },
  };
}

export function sha256(text: string | Buffer): string {
  return hexDigest('sha256', text);
}

/** Ansible's `mode: preserve`: the source's mode (controller file, or the host's for remote_src). */
function wantedFileMode(args: CopyPlanArgs, src: FileState | undefined): string | number | undefined {
  if (args.mode !== 'preserve') return args.mode;
  return src?.mode ?? args.srcMode;
}

export function planCopy(args: CopyPlanArgs, probe: CopyProbe | undefined, env: PlanEnv): Plan {
  if (args.error !== undefined || !probe) return failPlan(args.error ?? 'copy needs src or content');
  const remote = isRemoteSrc(args);
  if (remote) {
    const src = probe.src;
    if (!src?.exists) return failPlan(`Source ${args.src} not found`);
    if (src.error || (src.type === 'file' && src.checksum === undefined)) return failPlan(`Source ${args.src} not readable`);
  }
  if (args.tree !== undefined || probe.trees) {
    // both are about one file; a tree copy would have to drop them silently
    for (const k of ['checksum', 'attributes'] as const) if (args[k] !== undefined && args[k] !== '') return failPlan(`copy: ${k} applies to a single file, not to a directory copy (src ${args.src ?? ''})`);
    return planCopyTree(args, probe.trees, env);
  }
  if (args.checksum !== undefined && !/^[0-9a-fA-F]{40}$/.test(args.checksum)) return failPlan(`copy: checksum ${JSON.stringify(args.checksum)} is not a SHA1 (40 hex digits)`);
  let target = probe.dest;
  let parent = probe.parent;
  let flags = probe.attrs;
  if (target.exists && target.type === 'directory') {
    if (args.content !== undefined || !probe.inDir) return failPlan(`${target.path} is a directory: give the file's full path as dest`);
    // dest is a directory: the file goes inside it under the source's name
    target = probe.inDir;
    parent = probe.dest;
    flags = probe.inDirAttrs;
  }
  // a destination symlink: follow writes to where it leads; otherwise the link itself is replaced (Ansible)
  const isLink = target.exists && target.linkTarget !== undefined;
  const follow = toBool(args.follow);
  if (isLink && follow && probe.real) target = { ...target, path: probe.real };
  const replaceLink = isLink && !follow;
  const dest = target.path;
  const text = remote ? undefined : args.text;
  const data: Record<string, unknown> = remote
    ? { dest, checksum: probe.src?.checksum, size: probe.src?.size }
    : {
        dest,
        checksum: hexDigest('sha1', args.text),
        md5sum: hexDigest('md5', args.text),
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
  const mode = wantedFileMode(args, probe.src);
  const attrs = { mode, owner: args.owner, group: args.group };
  // chattr after the file is in place (a replaced link or a new file starts with no flags)
  const chattr = wantsAttributes(args) ? chattrStep(dest, args.attributes!, replaceLink || !target.exists ? undefined : flags) : undefined;
  if (chattr?.error !== undefined) return failPlan(chattr.error, data);
  const chattrCommands = chattr?.command ? [chattr.command] : [];
  const wantedSum = remote ? probe.src?.checksum : sha256(args.text);
  if (target.exists && !replaceLink && target.checksum === wantedSum) {
    const a = attributeCommands(dest, target, attrs, { isDir: false });
    const commands = [...a.commands, ...chattrCommands];
    if (commands.length === 0) return noop(`${dest} already has this content`, { ...data, ...pathInfo(target) });
    return withPathInfo({ commands, msg: `${dest}: content unchanged; ${[...a.changes, ...(chattr?.command ? [chattr.change] : [])].join(', ')}`, data }, dest, true);
  }
  if (target.exists && !toBool(args.force, true)) return noop(`${dest} exists and force is off: left as it is`, { dest, ...(args.src !== undefined ? { src: args.src } : {}), ...pathInfo(target) });
  const backupFile = target.exists && toBool(args.backup) ? backupPathFor(dest, env.now) : undefined;
  if (backupFile) data.backup_file = backupFile;
  const command = writeFileCommand(dest, {
    mode: wantedMode(mode, target.mode, false),
    owner: args.owner,
    group: args.group,
    exists: target.exists,
    backupFile,
    validate: args.validate,
    tmpSuffix: env.tmpSuffix,
    ...(args.checksum !== undefined ? { checksum: args.checksum } : {}),
    ...(text !== undefined ? { stdin: text } : {}),
    // remote_src: the host copies its own file; nothing travels
    ...(remote && args.src !== undefined ? { reader: sh`cat -- ${args.src}` } : {}),
  });
  const plan: Plan = {
    commands: [command, ...chattrCommands],
    msg: replaceLink ? `${dest}: symlink replaced by a file (follow is off)` : target.exists ? `${dest}: content updated${backupFile ? ` (backup ${backupFile})` : ''}` : `${dest}: created`,
    data,
  };
  if (text !== undefined) plan.stdin = text;
  if (env.diff && text !== undefined) {
    const before = target.exists ? (target.contentTruncated ? `(more than ${DIFF_MAX_BYTES} bytes, not shown)\n` : (target.content ?? '')) : '';
    const after = Buffer.byteLength(text) > DIFF_MAX_BYTES ? `(more than ${DIFF_MAX_BYTES} bytes, not shown)\n` : isBinary(text) ? '(binary content, not shown)\n' : text.toString();
    plan.diff = [fileDiff(dest, before, after)];
  }
  return withPathInfo(plan, dest, true);
}

/** Bytes that are not UTF-8 text (a NUL, or an invalid sequence): not shown in a diff. */
function isBinary(text: string | Buffer): boolean {
  if (typeof text === 'string') return false;
  if (text.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(text);
    return false;
  } catch {
    return true;
  }
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
    for (const letters of differingLetterSets(attrs)) {
      cases.push({ key: `${where}:same:${letters}`, state: probeFor(where, { path, exists: true, type: 'file', checksum: sha256(args.text), ...attrsFor(letters, attrs) }) });
    }
  }
  // the content is on stdin here: a destination of the same size is compared with it in the
  // shell (bash), no sha256sum (facts/file.ts stdinSame)
  const probe = readableInShell(args.text) ? copyProbeFact(args, { diff: false }, { sum: `${sha256(args.text)}  -`, bytes: Buffer.byteLength(args.text) }) : undefined;
  return probe ? { classify, cases, probe } : { classify, cases };
}

/** copy's and template's parts after the content is known (template renders it first). */
export const COPY_PARTS = {
  probe: (args: CopyPlanArgs, env: PlanEnv) => (args.error === undefined ? copyPlannedProbe(args, env) : undefined),
  plan: planCopy,
  // remote_src, a directory src and follow take the planned path (their probes ask more)
  // checksum and attributes too (the probe reads the flags; the write checks the sha1)
  fast: (args: CopyPlanArgs) => (args.tree !== undefined || isRemoteSrc(args) || toBool(args.follow) || args.checksum !== undefined || wantsAttributes(args) ? undefined : copyFast(args)),
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
  attributes: { type: 'string', aliases: ['attr'], description: 'ext2 attributes as `chattr` takes them (`+i`, `-a`, `=ie`; letters alone mean exactly these), set once the file is in place, as file\'s `attributes`' },
  unsafe_writes: boolSchema('accepted for compatibility: runbook always writes atomically (temp file + rename)', false),
} as const;

export const copyModule = defineModule<CopyArgs, CopyProbe | undefined, CopyPlanArgs>({
  name: 'copy',
  schema: moduleSchema({
    properties: {
      src: { type: 'string', description: 'file or directory on the controller, relative to the playbook directory (or its `files/`); with remote_src a path on the host. A directory is copied recursively: ending in `/` its contents go into dest, otherwise the directory itself (dest/NAME)' },
      content: { type: 'string', description: 'the file\'s content, given inline (instead of src)' },
      ...WRITE_FILE_PROPERTIES,
      mode: modeSchema('permissions, e.g. `"0644"` or `u=rw,g=r,o=r`, or `preserve` (the source file\'s mode); default: keep the current mode, or the umask default for a new file'),
      remote_src: boolSchema('src is a file or directory on the host, copied there (nothing is sent from the controller)', false),
      follow: boolSchema('a destination that is a symlink is written through (its target gets the content); off: the link is replaced by a file, as Ansible', false),
      local_follow: boolSchema('symlinks inside a src directory on the controller are followed; off: they are made as symlinks on the host', true),
      decrypt: boolSchema('a vault-encrypted src is decrypted on the controller before it is sent; off: the encrypted file is copied as it is', true),
      checksum: { type: 'string', description: 'the SHA1 the file must have: the bytes that arrived on the host are checked before they replace dest, and the task fails (`Copied file does not match the expected checksum. Transfer failed.`) when they differ. Not for a directory src' },
      directory_mode: modeSchema('mode of the directories a recursive copy creates (existing directories keep theirs); default: the umask default'),
    },
    required: ['dest'],
    extra: { oneOf: [{ required: ['src'] }, { required: ['content'] }] },
  }),
  doc: {
    short: 'Make a file (or a directory tree) on the host have this content, owner, group and mode',
    description:
      'One probe reads the destination\'s sha256, mode and owner. If they match, nothing else runs. Otherwise one command writes a temp file next to the destination, sets its attributes, runs `validate`, makes the backup and renames it into place (atomic: readers see the old or the new file, never half of one; a failed validation leaves the old file). A directory `src` is copied recursively: one probe lists the destination tree with every file\'s sha1, and one command creates the missing directories and writes the files that differ, each atomically; files only in dest are left alone. With `remote_src` the source is read on the host and nothing travels.',
    returns: {
      dest: 'the file written (a directory copy: dest as given)',
      src: 'the source file (when src was given)',
      checksum: 'sha1 of the content',
      md5sum: 'md5 of the content (not with remote_src)',
      size: 'content size in bytes',
      backup_file: 'the backup made (backup: yes and the file changed)',
      state: 'file (directory for a directory copy)',
      mode: 'the file\'s mode after the task',
      owner: 'its owner',
      group: 'its group',
      uid: 'its owner\'s uid',
      gid: 'its group\'s gid',
    },
    example: '- copy:\n    dest: /etc/sudoers.d/deploy\n    content: "deploy ALL=(ALL) NOPASSWD: ALL\\n"\n    owner: root\n    mode: "0440"\n    validate: visudo -cf %s\n\n- copy:\n    src: site/          # the contents of files/site into /var/www/html\n    dest: /var/www/html\n    directory_mode: "0755"\n\n- copy:\n    src: /etc/app/app.conf\n    dest: /etc/app/app.conf.orig\n    remote_src: true',
    notes: [
      'src is sent as bytes (binary files are fine). A vault-encrypted src is decrypted on the controller with the run\'s vault passwords (decrypt: false sends it encrypted); its content is then a secret of the run, masked in every output.',
      'A recursive copy writes each file atomically, not the tree as a whole; with --diff it shows no per-file diff.',
      'With --diff the old and new content are shown (up to 256 KiB each; binary content is not shown).',
      '`attributes` (as file\'s) are set with `chattr` once the file is in place, so an immutable (`i`) file whose content must change fails at the rename, as in Ansible; `checksum` is checked only when the content is written (a dest that already has it is left alone, as Ansible).',
    ],
  },
  homePaths: ['dest'],
  async prepare(ctx, args) {
    if (args.content !== undefined) return { ...args, text: args.content };
    if (args.src === undefined) return { ...args, text: '', error: 'copy needs src or content' };
    // the host has the source: the probe reads it there
    if (toBool(args.remote_src)) return { ...args, text: '' };
    const source = await readControllerSource(ctx, args.src, { decrypt: toBool(args.decrypt, true), localFollow: toBool(args.local_follow, true), what: 'copy src' });
    if (source.kind === 'directory') return { ...args, text: '', tree: source.entries, srcMode: source.mode };
    return { ...args, text: source.bytes, srcMode: source.mode };
  },
  ...COPY_PARTS,
});
