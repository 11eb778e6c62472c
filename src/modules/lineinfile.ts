// lineinfile: one line in a text file is present (replacing the line a regexp matches) or
// absent. The file is read once (stat + content in one probe); the edit is computed on the
// controller (Ansible's algorithm); the new content is written atomically only if it differs.
import { raw, sh, type ShellCommand } from '../transport/command.js';
import { attrLetters, attrsFor, differingLetterSets, fastModeOk } from './util/fast.js';
import { fileFact, smallTextFact, type FileState } from '../facts/file.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { appendLineCommand, attributeCommands, backupPathFor, writeFileCommand } from './util/file-ops.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { fileDiff } from '../util/diff.js';
import { combineFacts } from '../facts/combine.js';
import type { Fact } from '../facts/types.js';
import { attrsFact, chattrStep } from './file.js';

export interface LineinfileArgs {
  path: string;
  line?: string;
  regexp?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  firstmatch?: boolean | string;
  backrefs?: boolean | string;
  create?: boolean | string;
  backup?: boolean | string;
  owner?: string;
  group?: string;
  mode?: string | number;
  validate?: string;
  /** chattr attributes of the file (as file's `attributes`) */
  attributes?: string;
  /** accepted for compatibility: runbook always writes atomically */
  unsafe_writes?: boolean | string;
}

/** The probe: the file's stat and content, and its lsattr flags when `attributes` is given. */
export type LineinfileState = FileState & { attrs?: { flags?: string; error?: string } };

function wantsAttributes(args: LineinfileArgs): boolean {
  return args.attributes !== undefined && args.attributes !== '';
}

export function lineinfileProbe(args: LineinfileArgs): Fact<LineinfileState> {
  // keep: the one-command path's classify reads this stat line (no second stat)
  // shellText: under bash a small file is read by `read` into $rb_st_txt (no `cat`), which the
  // one-command path's classify tests with `case` (no `grep`)
  const file = fileFact(args.path, { content: true, follow: true, keep: LINE_KEEP, shellText: true });
  if (!wantsAttributes(args)) return file;
  const all = combineFacts([file, attrsFact(args.path)]);
  const parseAll = all.parse;
  return {
    name: 'lineinfile',
    command: all.command,
    parse(o, e, c) {
      const [st, attrs] = parseAll(o, e, c) as [FileState, LineinfileState['attrs']];
      return attrs === undefined ? st : { ...st, attrs };
    },
  };
}

/** Python `re` syntax → JavaScript RegExp (named groups are the common difference). */
export function pythonRegex(pattern: string): RegExp {
  const js = pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
  try {
    return new RegExp(js);
  } catch (e) {
    throw new TypeError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Expand `\1`, `\g<1>`, `\g<name>` in line with a match's groups (backrefs: yes). */
export function expandBackrefs(line: string, m: RegExpExecArray): string {
  return line.replace(/\\(?:g<(\w+)>|(\d+))/g, (_all, name: string | undefined, num: string | undefined) => {
    if (num !== undefined) return m[Number(num)] ?? '';
    if (name !== undefined) return /^\d+$/.test(name) ? (m[Number(name)] ?? '') : (m.groups?.[name] ?? '');
    return '';
  });
}

export interface LineEdit {
  content: string;
  changed: boolean;
  /** Ansible's message: `line added`, `line replaced`, `N line(s) removed`, or '' (no change) */
  msg: string;
  /** state=absent: how many lines matched (Ansible's `found`) */
  found?: number;
}

/** The pure edit: current content (undefined when the file is missing) → new content. */
export function editLines(current: string | undefined, args: LineinfileArgs): LineEdit {
  const state = args.state ?? 'present';
  const text = current ?? '';
  const lines = text === '' ? [] : text.split(/(?<=\n)/);
  const strip = (l: string) => l.replace(/\r?\n$/, '');
  const re = args.regexp !== undefined ? pythonRegex(args.regexp) : undefined;
  const matches = (l: string): RegExpExecArray | null | boolean =>
    re ? re.exec(strip(l)) : args.search_string !== undefined ? strip(l).includes(args.search_string) : false;
  const firstmatch = toBool(args.firstmatch);

  if (state === 'absent') {
    const kept = lines.filter((l) => {
      if (re || args.search_string !== undefined) return !matches(l);
      return strip(l) !== args.line;
    });
    const removed = lines.length - kept.length;
    if (removed === 0) return { content: text, changed: false, msg: '', found: 0 };
    return { content: kept.join(''), changed: true, msg: `${removed} line(s) removed`, found: removed };
  }

  const line = args.line ?? '';
  let index = -1;
  let match: RegExpExecArray | null = null;
  if (re || args.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      const m = matches(lines[i] ?? '');
      if (m) {
        index = i;
        if (m !== true) match = m;
        if (firstmatch) break;
      }
    }
  }
  const backrefs = toBool(args.backrefs);
  if (index >= 0) {
    const newLine = backrefs && match ? expandBackrefs(line, match) : line;
    const old = lines[index] ?? '';
    if (strip(old) === newLine) return { content: text, changed: false, msg: '' };
    const ending = /\r\n$/.test(old) ? '\r\n' : '\n';
    lines[index] = newLine + (old.endsWith('\n') ? ending : '');
    return { content: lines.join(''), changed: true, msg: 'line replaced' };
  }
  if (backrefs) return { content: text, changed: false, msg: '' };
  if (lines.some((l) => strip(l) === line)) return { content: text, changed: false, msg: '' };

  // insert
  let at = lines.length;
  if (args.insertbefore === 'BOF') at = 0;
  else if (args.insertbefore !== undefined || (args.insertafter !== undefined && args.insertafter !== 'EOF')) {
    const pattern = pythonRegex((args.insertbefore ?? args.insertafter)!);
    let found = -1;
    for (let i = 0; i < lines.length; i++) {
      if (pattern.test(strip(lines[i] ?? ''))) {
        found = i;
        if (firstmatch) break;
      }
    }
    if (found >= 0) at = args.insertbefore !== undefined ? found : found + 1;
  }
  // a file without a final newline gets one before a line is added after its last line
  if (at === lines.length && lines.length > 0 && !(lines[lines.length - 1] ?? '').endsWith('\n')) {
    lines[lines.length - 1] += '\n';
  }
  lines.splice(at, 0, line + '\n');
  return { content: lines.join(''), changed: true, msg: 'line added' };
}

/** Ansible's words for a changed owner, group or mode. */
const ATTRS_CHANGED = 'ownership, perms or SE linux context changed';

export function planLineinfile(args: LineinfileArgs, st: LineinfileState, env: PlanEnv): Plan {
  const path = args.path;
  const data: Record<string, unknown> = { path, backup: '' };
  if (st.error) return failPlan(`cannot read ${path}: ${st.error}`, data);
  if (st.exists && st.type !== 'file') return failPlan(`${path} is not a regular file`, data);
  const state = args.state ?? 'present';
  if (state === 'present' && args.line === undefined) return failPlan('state=present needs line', data);
  if (state === 'absent' && args.line === undefined && args.regexp === undefined && args.search_string === undefined) {
    return failPlan('state=absent needs regexp, search_string or line', data);
  }
  if (!st.exists) {
    if (state === 'absent') return noop('file not present', data);
    // Ansible's words and rc; create: yes creates it
    if (!toBool(args.create)) return failPlan(`Destination ${path} does not exist !`, { ...data, rc: 257 });
  }
  let edit: LineEdit;
  try {
    edit = editLines(st.exists ? st.content : undefined, args);
  } catch (e) {
    return failPlan((e as Error).message, data);
  }
  if (edit.found !== undefined) data.found = edit.found;
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  // chattr once the file is in place (a file created now starts with no flags)
  const chattr = wantsAttributes(args) ? chattrStep(path, args.attributes!, st.exists ? st.attrs : undefined) : undefined;
  if (chattr?.error !== undefined) return failPlan(chattr.error, data);
  const chattrCommands = chattr?.command ? [chattr.command] : [];
  if (!edit.changed) {
    const commands = [...attributeCommands(path, st, attrs).commands, ...chattrCommands];
    if (commands.length === 0) return noop(edit.msg, data);
    return { commands, msg: ATTRS_CHANGED, data };
  }
  // Ansible tells an attribute change after the edit's message
  const attrsToo = attributeCommands(path, st.exists ? st : undefined, attrs).commands.length > 0 || chattrCommands.length > 0;
  const msg = attrsToo ? `${edit.msg} and ${ATTRS_CHANGED}` : edit.msg;
  if (st.exists && isSimpleAppend(args) && edit.msg === 'line added') {
    // the line goes at the end: the host appends it to what it has (no content travels)
    const plan: Plan = {
      commands: [appendLineCommand(path, args.line ?? '', { mode: wantedMode(args.mode, st.mode, false), owner: args.owner, group: args.group, tmpSuffix: env.tmpSuffix, shellText: `${LINE_KEEP}_txt` }), ...chattrCommands],
      msg,
      data,
    };
    if (env.diff) plan.diff = [fileDiff(path, st.content ?? '', edit.content)];
    return plan;
  }
  const backupFile = st.exists && toBool(args.backup) ? backupPathFor(path, env.now) : undefined;
  if (backupFile) data.backup = backupFile;
  // create: yes also creates the missing parent directories (as Ansible does)
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const mkdir = !st.exists && parent !== '' ? [sh`mkdir -p -- ${parent}`] : [];
  const plan: Plan = {
    commands: [
      ...mkdir,
      writeFileCommand(path, {
        mode: wantedMode(args.mode, st.mode, false),
        owner: args.owner,
        group: args.group,
        exists: st.exists,
        backupFile,
        validate: args.validate,
        tmpSuffix: env.tmpSuffix,
        stdin: edit.content,
      }),
      ...chattrCommands,
    ],
    stdin: edit.content,
    msg,
    data,
  };
  if (env.diff) plan.diff = [fileDiff(path, st.content ?? '', edit.content)];
  return plan;
}

/** The everyday case: this exact line somewhere in the file, appended at the end when missing. */
function isSimpleAppend(args: LineinfileArgs): boolean {
  return (
    (args.state ?? 'present') === 'present' &&
    args.line !== undefined &&
    !args.line.includes('\n') &&
    args.regexp === undefined &&
    args.search_string === undefined &&
    args.insertbefore === undefined &&
    (args.insertafter === undefined || args.insertafter === 'EOF') &&
    !toBool(args.backrefs) &&
    !toBool(args.backup) &&
    args.validate === undefined
  );
}

/** The shell variable the probe leaves the file's stat line in, for lineinfileFast's classify. */
const LINE_KEEP = 'rb_st';

/**
 * The one-command path of the everyday case: `grep -x` tells the host whether the line is
 * there (and which attributes differ), and it runs the plan for that class.
 */
export function lineinfileFast(args: LineinfileArgs): FastPath<FileState> | undefined {
  // attributes: the planned path reads the flags
  if (!isSimpleAppend(args) || !fastModeOk(args.mode) || wantsAttributes(args)) return undefined;
  const p = args.path;
  const line = args.line ?? '';
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const file = (content: string, letters: string): FileState => ({ path: p, exists: true, type: 'file', content, ...attrsFor(letters, attrs) });
  return {
    // a line ending in CR (a CRLF file) counts as the line, as in the planner
    classify: sh`if [ -f ${p} ]; then ${hasLine(p, line)}; if [ -n "$rb_has" ]; then k=has:; ${attrLetters(LINE_KEEP, attrs)}; else k=add; fi; elif [ -e ${p} ] || [ -L ${p} ]; then k=other; else k=missing; fi`,
    cases: [{ key: 'add', state: file('', '') }, ...differingLetterSets(attrs).map((l) => ({ key: `has:${l}`, state: file(`${line}\n`, l) }))],
    // no attributes to compare: the plan reads the content alone (a small file: no `stat`)
    ...(attrs.mode === undefined && attrs.owner === undefined && attrs.group === undefined ? { probe: smallTextFact(p, LINE_KEEP) } : {}),
  };
}

/**
 * Sets `$rb_has` when the file has `line` as a whole line (or with a CR before its newline), as
 * `grep -qxF` tells. When the probe left the whole text in `$rb_st_txt` (bash, a small file
 * without NUL), the shell's `case` looks for it between newlines, with the text wrapped in
 * newlines so the first and a last unterminated line count: no `grep` process. Compared in the
 * C locale (bytes, as grep -F matches them); an empty line is left to grep (the wrapping newline
 * after a final newline would look like one).
 */
function hasLine(p: string, line: string): ShellCommand {
  const grep = sh`grep -qxF -e ${line} -e ${`${line}\r`} -- ${p} && rb_has=1`;
  if (line === '') return sh`rb_has=; ${grep}`;
  const nl = raw('"$rb_nl"');
  return sh`rb_has=; if [ -n "$\{${raw(LINE_KEEP)}_txt_ok-}" ]; then rb_nl='
'; rb_lc=$\{LC_ALL-}; rb_lcs=$\{LC_ALL+s}; LC_ALL=C; case "$rb_nl$${raw(LINE_KEEP)}_txt$rb_nl" in *${nl}${line}${nl}*|*${nl}${`${line}\r`}${nl}*) rb_has=1 ;; esac; if [ -n "$rb_lcs" ]; then LC_ALL=$rb_lc; else unset LC_ALL; fi; else ${grep}; fi`;
}

export const lineinfileModule = defineModule<LineinfileArgs, LineinfileState>({
  name: 'lineinfile',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'destfile', 'name'], description: 'the file to edit' },
      line: { type: 'string', aliases: ['value'], description: 'the line that must be in the file (state=present)' },
      regexp: { type: 'string', aliases: ['regex'], description: 'Python-style regular expression: the last matching line is replaced by `line` (present) or every matching line is removed (absent)' },
      search_string: { type: 'string', description: 'like regexp, but a literal substring' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the line must be there' },
      insertafter: { type: 'string', description: '`EOF` (default) or a regular expression: a new line goes after the last line that matches (end of file when none does)' },
      insertbefore: { type: 'string', description: '`BOF` or a regular expression: a new line goes before the last line that matches' },
      firstmatch: boolSchema('with insertafter/insertbefore/regexp: use the first matching line instead of the last', false),
      backrefs: boolSchema('`line` may use `\\1` / `\\g<name>` from regexp; when regexp does not match, the file is left alone', false),
      create: boolSchema('create the file when it does not exist (otherwise that is an error)', false),
      backup: boolSchema('keep a timestamped copy of the old file when it changes', false),
      owner: { type: 'string', description: 'owner of the file' },
      group: { type: 'string', description: 'group of the file' },
      mode: modeSchema(),
      validate: { type: 'string', description: 'command that checks the edited file before it replaces the old one; `%s` is its temp path' },
      attributes: { type: 'string', aliases: ['attr'], description: 'ext2 attributes as `chattr` takes them (`+i`, `-a`, `=ie`; letters alone mean exactly these), set once the file is in place, as file\'s `attributes`' },
      unsafe_writes: boolSchema('accepted for compatibility: runbook always writes atomically (temp file + rename)', false),
    },
    required: ['path'],
    extra: { not: { required: ['insertafter', 'insertbefore'] } },
  }),
  doc: {
    short: 'Make sure one line is in a text file (or is not)',
    description:
      'The file is read once; the edit is made on the controller with Ansible\'s rules (replace the last line matching `regexp`, else add `line` after `insertafter` / before `insertbefore`, else at the end) and the result is written atomically only when it differs.',
    returns: {
      msg: 'Ansible\'s message: `line added`, `line replaced`, `N line(s) removed`, with ` and ownership, perms or SE linux context changed` when attributes changed too; empty when nothing changed',
      path: 'the file',
      backup: 'the backup made (backup: yes and the file changed), else empty',
      found: 'state=absent: the number of lines that matched',
    },
    example: '- lineinfile:\n    path: /etc/ssh/sshd_config\n    regexp: "^#?PasswordAuthentication"\n    line: PasswordAuthentication no\n    validate: sshd -t -f %s',
    notes: ['insertafter and insertbefore are mutually exclusive.', 'Regular expressions use Python syntax as far as JavaScript shares it; `(?P<name>...)` is translated.'],
  },
  homePaths: ['path'],
  probe: lineinfileProbe,
  plan: planLineinfile,
  fast: (args) => lineinfileFast(args),
});
