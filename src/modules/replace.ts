// replace: every match of a regular expression in a file is replaced (Python's re.subn with
// MULTILINE, optionally only in the part after/before other patterns). The file is read once;
// the substitution runs on the controller; the result is written atomically only when it
// differs, so a file already as wanted costs one remote command.
import { textFileFact, type TextFileState } from '../facts/text-file.js';
import { boolSchema, modeSchema } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { pythonRegex } from './lineinfile.js';
import { planTextEdit } from './blockinfile.js';

export interface ReplaceArgs {
  path: string;
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
  backup?: boolean | string;
  validate?: string;
  encoding?: string;
  owner?: string;
  group?: string;
  mode?: string | number;
  unsafe_writes?: boolean | string;
}

/**
 * A Python pattern as a JavaScript RegExp with Python's flags: leading inline flags `(?imsx)`
 * become RegExp flags, `\A` and `\Z` (string start/end, also under MULTILINE) become lookarounds.
 */
export function pythonPattern(pattern: string, flags: string): RegExp {
  let p = pattern;
  const f = new Set(flags);
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    for (const c of inline[1] ?? '') {
      if (c === 'i' || c === 'm' || c === 's') f.add(c);
      else if (c === 'x') throw new TypeError(`the (?x) verbose flag of ${JSON.stringify(pattern)} is not supported: write the pattern without it`);
    }
    p = p.slice(inline[0].length);
  }
  p = p.replace(/(\\\\)|\\A|\\Z/g, (all, esc: string | undefined) => (esc ? all : all === '\\A' ? '(?<![\\s\\S])' : '(?![\\s\\S])'));
  const base = pythonRegex(p);
  return new RegExp(base.source, [...f].join('') + 'g');
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Python's re.sub template: `\1`, `\g<1>`, `\g<name>`, `\n`-style escapes; an unknown letter escape is an error, as in Python. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(g<([^>]*)>|\d{1,2}|.)/gs, (_all, what: string, g: string | undefined) => {
    if (g !== undefined) {
      const v = /^\d+$/.test(g) ? m[Number(g)] : m.groups?.[g];
      if (!/^\d+$/.test(g) && !(m.groups && g in m.groups)) throw new TypeError(`unknown group name ${JSON.stringify(g)} in replace`);
      return v ?? '';
    }
    if (/^\d/.test(what)) {
      if (Number(what) >= m.length) throw new TypeError(`invalid group reference ${what} in replace`);
      return m[Number(what)] ?? '';
    }
    const e = ESCAPES[what];
    if (e !== undefined) return e;
    if (/[A-Za-z]/.test(what)) throw new TypeError(`bad escape \\${what} in replace`);
    return `\\${what}`;
  });
}

/** re.subn(regexp, replace, text) with MULTILINE: the new text and the number of replacements. */
export function subn(regexp: string, template: string, text: string): { text: string; count: number } {
  const re = pythonPattern(regexp, 'm');
  let count = 0;
  const out = text.replace(re, (...a: unknown[]) => {
    count++;
    // rebuild the match object the template expands from
    const groupsAt = a.length - 1;
    const hasGroups = typeof a[groupsAt] === 'object' && a[groupsAt] !== null;
    const parts = a.slice(0, hasGroups ? groupsAt - 2 : a.length - 2) as Array<string | undefined>;
    const m = Object.assign([...parts], { index: 0, input: text, groups: hasGroups ? (a[groupsAt] as Record<string, string>) : undefined }) as unknown as RegExpExecArray;
    return expandTemplate(template, m);
  });
  return { text: out, count };
}

export function planReplace(args: ReplaceArgs, st: TextFileState, env: PlanEnv): Plan {
  const path = args.path;
  if (args.encoding !== undefined && !/^utf-?8$/i.test(args.encoding)) return failPlan(`replace: encoding ${args.encoding} is not supported: runbook edits UTF-8 text files only`);
  if (st.error) return failPlan(`cannot read ${path}: ${st.error}`);
  if (st.exists && st.type === 'directory') return failPlan(`Path ${path} is a directory !`, { rc: 256 });
  if (!st.exists) return failPlan(`Path ${path} does not exist !`, { rc: 257 });
  if (st.type !== 'file') return failPlan(`${path} is not a regular file`);
  const contents = st.content ?? '';
  try {
    let section = contents;
    let start = 0;
    let end = contents.length;
    let pattern = '';
    if (args.after !== undefined && args.before !== undefined) pattern = `${args.after}(?P<subsection>.*?)${args.before}`;
    else if (args.after !== undefined) pattern = `${args.after}(?P<subsection>.*)`;
    else if (args.before !== undefined) pattern = `(?P<subsection>.*)${args.before}`;
    if (pattern !== '') {
      const re = new RegExp(pythonPattern(pattern, 's').source, 'sd');
      const m = re.exec(contents);
      const span = m?.indices?.groups?.subsection;
      if (!m || !span) return noop(`Pattern for before/after params did not match the given file: ${pattern}`);
      [start, end] = span;
      section = contents.slice(start, end);
    }
    const r = subn(args.regexp, args.replace ?? '', section);
    const changed = r.count > 0 && r.text !== section;
    const after = changed ? contents.slice(0, start) + r.text + contents.slice(end) : contents;
    return planTextEdit(
      { path: st.realPath ?? path, state: st, after, msg: changed ? `${r.count} replacements made` : '', attrs: { mode: args.mode, owner: args.owner, group: args.group }, backup: args.backup, validate: args.validate },
      env,
    );
  } catch (e) {
    return failPlan(`replace: ${(e as Error).message}`);
  }
}

export const replaceModule = defineModule<ReplaceArgs, TextFileState>({
  name: 'replace',
  schema: moduleSchema({
    properties: {
      path: { type: 'string', minLength: 1, aliases: ['dest', 'destfile', 'name'], description: 'the file to edit' },
      regexp: { type: 'string', minLength: 1, description: 'Python regular expression (MULTILINE: `^`/`$` match at every line); every match is replaced' },
      replace: { type: 'string', default: '', description: 'the replacement; `\\1`, `\\g<1>`, `\\g<name>` insert groups of the match' },
      after: { type: 'string', description: 'only replace in the text after the first match of this pattern (DOTALL)' },
      before: { type: 'string', description: 'only replace in the text before this pattern (DOTALL; with after: up to the first match after it)' },
      backup: boolSchema('keep a timestamped copy of the old file when it changes', false),
      validate: { type: 'string', description: 'command that checks the edited file before it replaces the old one; `%s` is its temp path' },
      encoding: { type: 'string', default: 'utf-8', description: 'the file\'s encoding (only utf-8 is supported)' },
      owner: { type: 'string', description: 'owner of the file' },
      group: { type: 'string', description: 'group of the file' },
      mode: modeSchema(),
      unsafe_writes: boolSchema('accepted for compatibility: runbook always writes atomically (temp file + rename)', false),
    },
    required: ['path', 'regexp'],
  }),
  doc: {
    short: 'Replace every match of a regular expression in a file',
    description:
      'Python `re.subn` semantics (MULTILINE) on the controller, on the content read in one probe; the file is written atomically only when a replacement changed it. `after`/`before` limit the replacement to a part of the file, as in Ansible.',
    returns: {
      msg: '`N replacements made`, or empty when nothing changed (with ` and ownership, perms or SE linux context changed` when attributes changed)',
      backup_file: 'the backup made (backup: yes and the file changed)',
    },
    example: '- replace:\n    path: /etc/hosts\n    regexp: \'(\\s+)old\\.host\\.name(\\s+.*)?$\'\n    replace: \'\\1new.host.name\\2\'',
    notes: ['A symbolic link at path is followed: the file it points to is edited.', 'Python-only regular expression syntax JavaScript lacks (possessive quantifiers, `(?x)`) is an error, not silently different.'],
  },
  probe: (args) => textFileFact(args.path),
  plan: planReplace,
});
