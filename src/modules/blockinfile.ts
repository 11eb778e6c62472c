// blockinfile: a block of lines between two marker lines is in a text file (or is not). The
// file is read once (stat + content in one probe); the edit is Ansible's algorithm run on the
// controller; the new content is written atomically only when it differs, so an unchanged
// block costs one remote command.
import { posix } from 'node:path';
import { sh } from '../transport/command.js';
import { textFileFact, type TextFileState } from '../facts/text-file.js';
import type { FileState } from '../facts/file.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands, backupPathFor, writeFileCommand } from './util/file-ops.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { fileDiff } from '../util/diff.js';
import { pythonRegex } from './lineinfile.js';

export interface BlockinfileArgs {
  path: string;
  state?: 'present' | 'absent';
  marker?: string;
  block?: string;
  insertafter?: string;
  insertbefore?: string;
  create?: boolean | string;
  backup?: boolean | string;
  validate?: string;
  marker_begin?: string;
  marker_end?: string;
  append_newline?: boolean | string;
  prepend_newline?: boolean | string;
  owner?: string;
  group?: string;
  mode?: string | number;
  unsafe_writes?: boolean | string;
}

/** The pure edit (Ansible's blockinfile): the file's content (undefined: missing) → the new content. */
export function editBlock(original: string | undefined, args: BlockinfileArgs): string {
  const lines = original === undefined || original === '' ? [] : original.split(/(?<=\n)/);
  const present = (args.state ?? 'present') === 'present';
  let insertafter = args.insertafter;
  const insertbefore = args.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  const insertre =
    insertafter !== undefined && insertafter !== 'EOF' ? pythonRegex(insertafter) : insertbefore !== undefined && insertbefore !== 'BOF' ? pythonRegex(insertbefore) : undefined;
  const marker = args.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const marker0 = `${marker.split('{mark}').join(args.marker_begin ?? 'BEGIN')}\n`;
  const marker1 = `${marker.split('{mark}').join(args.marker_end ?? 'END')}\n`;
  let block = args.block ?? '';
  let blocklines: string[] = [];
  if (present && block !== '') {
    if (!block.endsWith('\n')) block += '\n';
    blocklines = [marker0, ...block.split(/(?<=\n)/), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  for (const [i, line] of lines.entries()) {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  }
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre) {
      for (const [i, line] of lines.entries()) if (insertre.test(line.replace(/\n$/, ''))) n0 = i;
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  // a line separator before the block
  if (n0 > 0 && !(lines[n0 - 1] ?? '').endsWith('\n')) lines[n0 - 1] += '\n';
  if (toBool(args.prepend_newline) && present && n0 !== 0 && lines[n0 - 1] !== '\n') {
    lines.splice(n0, 0, '\n');
    n0 += 1;
  }
  lines.splice(n0, 0, ...blocklines);
  if (toBool(args.append_newline) && present) {
    const after = n0 + blocklines.length;
    if (after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n');
  }
  return lines.join('');
}

/** Ansible's check_file_attrs wording, appended to the message when mode/owner/group change. */
export const ATTRS_CHANGED = 'ownership, perms or SE linux context changed';

export interface TextEdit {
  path: string;
  state: FileState;
  /** the new content (equal to the current one: no write) */
  after: string;
  /** Ansible's message for the content change ('' when none) */
  msg: string;
  attrs: { mode?: string | number | undefined; owner?: string | undefined; group?: string | undefined };
  backup?: boolean | string | undefined;
  validate?: string | undefined;
  /** registered values besides msg/changed */
  data?: Record<string, unknown>;
}

/**
 * The write of a text-editing module (blockinfile, replace): atomically when the content
 * differs (with backup, validate and the wanted attributes), else only the attributes.
 */
export function planTextEdit(e: TextEdit, env: PlanEnv): Plan {
  const st = e.state;
  const data: Record<string, unknown> = { ...e.data };
  const before = st.exists ? (st.content ?? '') : '';
  const attrs = attributeCommands(e.path, st.exists ? st : undefined, e.attrs, { isDir: false });
  if (st.exists && before === e.after) {
    if (attrs.commands.length === 0) return noop(e.msg, data);
    return { commands: attrs.commands, msg: e.msg === '' ? ATTRS_CHANGED : `${e.msg} and ${ATTRS_CHANGED}`, data };
  }
  const backupFile = st.exists && toBool(e.backup) ? backupPathFor(e.path, env.now) : undefined;
  if (backupFile) data.backup_file = backupFile;
  const parent = posix.dirname(e.path);
  const mkdir = !st.exists && parent !== '.' && parent !== '/' ? [sh`mkdir -p -- ${parent}`] : [];
  const msg = st.exists && attrs.commands.length > 0 ? `${e.msg} and ${ATTRS_CHANGED}` : e.msg;
  const plan: Plan = {
    commands: [
      ...mkdir,
      writeFileCommand(e.path, {
        mode: wantedMode(e.attrs.mode, st.mode, false),
        owner: e.attrs.owner,
        group: e.attrs.group,
        exists: st.exists,
        backupFile,
        validate: e.validate,
        tmpSuffix: env.tmpSuffix,
        stdin: e.after,
      }),
    ],
    stdin: e.after,
    msg,
    data,
  };
  if (env.diff) plan.diff = [fileDiff(e.path, before, e.after)];
  return plan;
}

export function planBlockinfile(args: BlockinfileArgs, st: TextFileState, env: PlanEnv): Plan {
  const path = args.path;
  if (st.error) return failPlan(`cannot read ${path}: ${st.error}`);
  if (st.exists && st.type === 'directory') return failPlan(`Path ${path} is a directory !`, { rc: 256 });
  if (st.exists && st.type !== 'file') return failPlan(`${path} is not a regular file`);
  const present = (args.state ?? 'present') === 'present';
  if (!st.exists) {
    if (!toBool(args.create)) return failPlan(`Path ${path} does not exist !`, { rc: 257 });
    if (!present) return noop(`File ${path} not present`);
  }
  let after: string;
  try {
    after = editBlock(st.exists ? (st.content ?? '') : undefined, args);
  } catch (e) {
    return failPlan((e as Error).message);
  }
  const before = st.exists ? (st.content ?? '') : undefined;
  const blockWanted = present && (args.block ?? '') !== '';
  const msg = before === after ? '' : before === undefined ? 'File created' : blockWanted ? 'Block inserted' : 'Block removed';
  if (!st.exists && after === '') return noop('', {}); // create: yes with no block: Ansible writes nothing either
  return planTextEdit({ path: st.realPath ?? path, state: st, after, msg, attrs: { mode: args.mode, owner: args.owner, group: args.group }, backup: args.backup, validate: args.validate }, env);
}

export const blockinfileModule = defineModule<BlockinfileArgs, TextFileState>({
  name: 'blockinfile',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'destfile', 'name'], description: 'the file to edit' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the block must be there' },
      marker: { type: 'string', default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'the marker line template; `{mark}` becomes marker_begin / marker_end' },
      block: { type: 'string', aliases: ['content'], default: '', description: 'the text between the markers; empty removes the block (as state=absent)' },
      insertafter: { type: 'string', description: '`EOF` (default) or a regular expression: a new block goes after the last matching line (end of file when none matches)' },
      insertbefore: { type: 'string', description: '`BOF` or a regular expression: a new block goes before the last matching line' },
      create: boolSchema('create the file when it does not exist', false),
      backup: boolSchema('keep a timestamped copy of the old file when it changes', false),
      validate: { type: 'string', description: 'command that checks the edited file before it replaces the old one; `%s` is its temp path' },
      marker_begin: { type: 'string', default: 'BEGIN', description: 'what `{mark}` becomes in the first marker line' },
      marker_end: { type: 'string', default: 'END', description: 'what `{mark}` becomes in the last marker line' },
      append_newline: boolSchema('add a blank line after the block when the next line is not blank', false),
      prepend_newline: boolSchema('add a blank line before the block when the previous line is not blank', false),
      owner: { type: 'string', description: 'owner of the file' },
      group: { type: 'string', description: 'group of the file' },
      mode: modeSchema(),
      unsafe_writes: boolSchema('accepted for compatibility: runbook always writes atomically (temp file + rename)', false),
    },
    required: ['path'],
    extra: { not: { required: ['insertafter', 'insertbefore'] } },
  }),
  doc: {
    short: 'Insert, update or remove a block of lines between marker lines in a text file',
    description:
      'The file is read once; the block is placed with Ansible\'s rules (an existing block between the markers is replaced where it is; a new one goes after the last line matching `insertafter`, before the last line matching `insertbefore`, or at the end) and the file is written atomically only when it changes. The marker lines are Ansible\'s, so a block written by Ansible is recognised and the other way round.',
    returns: {
      msg: '`Block inserted`, `Block removed`, `File created` or empty when nothing changed (with ` and ownership, perms or SE linux context changed` when attributes changed)',
      backup_file: 'the backup made (backup: yes and the file changed)',
    },
    example: '- blockinfile:\n    path: /etc/ssh/sshd_config\n    block: |\n      Match User deploy\n        PasswordAuthentication no\n    validate: sshd -t -f %s',
    notes: [
      'insertafter and insertbefore are mutually exclusive; regular expressions use Python syntax as far as JavaScript shares it, matched line by line (a MULTILINE-flagged pattern is matched per line too).',
      'A symbolic link at path is followed: the file it points to is edited (as Ansible does).',
    ],
  },
  probe: (args) => textFileFact(args.path),
  plan: planBlockinfile,
});
