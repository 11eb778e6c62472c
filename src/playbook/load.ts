// parse → schema → normalise → semantic rules. The loader accepts what Ansible users write
// (yes/no booleans, key=value arguments, free-form commands, with_items, ansible.builtin.*
// names) and produces the plain data of ./types.ts, or every problem found, with positions.
import { existsSync } from 'node:fs';
import { dirname, resolve, relative } from 'node:path';
import type { Diagnostic, SourceLocation } from '../util/diagnostic.js';
import type { BlockNode, Play, Playbook, Serial, Step, TaskKeywords, TaskNode, Templated } from './types.js';
import { readYamlFile, type ParsedYaml, type YamlLimits } from './yaml.js';
import {
  BLOCK_KEYWORDS,
  COMMON_TASK_KEYWORDS,
  INCLUDE_KEYWORDS,
  PLAY_KEYWORDS,
  TASK_ONLY_KEYWORDS,
  UNSUPPORTED_KEYWORDS,
  keywordName,
  validateKeyword,
  validateModuleArgs,
  type KeywordSpec,
} from './schema.js';
import { describeSchemaErrors } from './messages.js';
import { parseAnsibleBool, parseYaml11Bool } from '../util/booleans.js';
import { IDENTIFIER, hasTemplate, runPlaybookRules } from './rules.js';
import { didYouMean } from '../util/edit-distance.js';
import { allModuleNames, getModule, indexModules } from '../modules/registry.js';
import { compile as compileTemplate } from '../template/compile.js';
import { knownFilters, knownTests } from '../template/known.js';
import { unknownTemplateNames } from './template-names.js';
import { expandSequence } from '../template/lookups/sequence.js';
import { knownLookups } from '../template/lookups/registry.js';
import type { ModuleDefinition } from '../modules/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ModuleDefinition<any>;
type Seg = string | number;
type Obj = Record<string, unknown>;

export interface LoadOptions {
  /** inventory lookup: hosts matched by a pattern (enables the hosts-no-match rule) */
  matchHosts?: (pattern: string) => string[];
  /** for a pattern that matches nothing: "did you mean" for its parts */
  hostPatternHint?: (pattern: string) => string;
  /** names given with -e (they win over register/loop vars: warned about) */
  extraVarNames?: string[];
  limits?: Partial<YamlLimits>;
  /** where module names are looked up (default: src/modules/registry.ts) */
  modules?: ModuleLookup;
}

export interface ModuleLookup {
  get(name: string): AnyModule | undefined;
  /** every name a module answers to, for "did you mean" */
  names(): string[];
}

const REGISTRY: ModuleLookup = { get: getModule, names: allModuleNames };

/** A lookup over a fixed list of modules (tests, tools); names include `ansible.builtin.NAME` etc. (moduleNamesOf). */
export function moduleLookup(modules: readonly AnyModule[]): ModuleLookup {
  const byName = indexModules(modules);
  return { get: (n) => byName.get(n), names: () => [...byName.keys()] };
}

export type LoadResult =
  | { ok: true; playbook: Playbook; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

/** The template library's parser messages, in the words of someone writing a playbook. */
function templateReason(e: unknown): string {
  const reason = (e as { reason?: unknown }).reason;
  const text = (typeof reason === 'string' ? reason : 'syntax error').replace(/^template syntax error: /, '');
  if (/Cannot read properties|Unexpected end of input/.test(text)) return 'the template ends too early: a `{{`, `{%` or `(` is not closed';
  if (/Unexpected token: CloseExpression/.test(text)) return 'the expression ends too early (something is missing before `}}`, e.g. after `|` or an operator)';
  if (/Expected closing expression token/.test(text)) return 'expected `}}` here: two values without an operator between them?';
  return text;
}

/** Far above any real playbook; stops imports that multiply (a → 10× b → 10× c ...). */
export const MAX_STEPS = 10_000;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A boolean keyword or argument as Ansible reads it (yes/no, on/off, 1/0, ...); undefined when not a boolean. */
export const toBool = parseAnsibleBool;

function toStringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x as string));
}

function toTags(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x) => String(x as string).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** `{{ expr }}` as a whole condition is the same expression; Ansible warns about it too. */
function toConditions(v: unknown): Array<string | boolean> {
  const list = Array.isArray(v) ? v : [v];
  return list.map((c) => {
    if (typeof c === 'boolean') return c;
    const s = String(c as string).trim();
    // only what bare YAML 1.1 reads as a boolean: `when: t` is the variable t
    const b = parseYaml11Bool(s);
    if (b !== undefined) return b;
    const whole = /^\{\{([\s\S]*)\}\}$/.exec(s);
    return whole !== null && !whole[1]?.includes('{{') ? (whole[1]?.trim() ?? s) : s;
  });
}

/** Ansible's ssh spellings (smart, paramiko) are ssh here. */
function connectionName(v: unknown): string {
  return String(v) === 'local' ? 'local' : 'ssh';
}

function toSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(v)) return Number(v);
  return undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return undefined;
}

/** Split `a=1 b="two words" c='x'` into tokens with their spans; quotes removed from values. */
export function splitKeyValue(text: string): Array<{ key?: string; value: string; start: number; end: number }> {
  const out: Array<{ key?: string; value: string; start: number; end: number }> = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    const start = i;
    let token = '';
    let quote: string | undefined;
    while (i < text.length) {
      const ch = text[i] ?? '';
      if (quote !== undefined) {
        if (ch === '\\' && quote === '"' && i + 1 < text.length) {
          token += text[i + 1];
          i += 2;
          continue;
        }
        if (ch === quote) quote = undefined;
        else token += ch;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
      } else if ((ch === '{' && (text[i + 1] === '{' || text[i + 1] === '%')) || (ch === '{' && text[i + 1] === '#')) {
        // a Jinja expression is one word even with spaces inside, as in Ansible's parser
        const close = text[i + 1] === '{' ? '}}' : text[i + 1] === '%' ? '%}' : '#}';
        const end = text.indexOf(close, i + 2);
        const stop = end < 0 ? text.length : end + 2;
        token += text.slice(i, stop);
        i = stop;
        continue;
      } else if (/\s/.test(ch)) {
        break;
      } else token += ch;
      i++;
    }
    const raw = text.slice(start, i);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(raw);
    if (m !== null && m[1] !== undefined) out.push({ key: m[1], value: token.slice(m[1].length + 1), start, end: i });
    else out.push({ value: token, start, end: i });
  }
  return out;
}

/** key=value strings are all strings; give booleans and numbers the type the module's schema wants. */
function coerceForSchema(m: AnyModule, key: string, value: string): unknown {
  const prop = (m.schema.properties as Record<string, Record<string, unknown>> | undefined)?.[key];
  const types = prop === undefined ? [] : Array.isArray(prop.type) ? (prop.type as unknown[]) : [prop.type];
  if (types.includes('boolean') && !types.includes('string')) {
    const b = toBool(value);
    if (b !== undefined) return b;
  }
  if ((types.includes('integer') || types.includes('number')) && !types.includes('string') && /^-?[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Task and block keywords that may be `{{ }}` templates, rendered per host when the task runs
 * (Ansible templates them in the task's post-validation, after the loop item is set).
 */
export const DYNAMIC_TASK_KEYWORDS = ['become', 'become_user', 'no_log', 'check_mode', 'diff', 'any_errors_fatal', 'run_once', 'timeout', 'environment'] as const;

/** Play keywords that may be templates: rendered by the plan with the play's variables and extra vars (not host variables), as Ansible does before it splits batches. */
export const DYNAMIC_PLAY_KEYWORDS = ['strategy', 'serial', 'max_fail_percentage', 'any_errors_fatal', 'gather_facts'] as const;

/** Every way to write a loop; a task has at most one. */
const LOOP_KEYS = ['loop', 'with_items', 'with_list', 'with_dict', 'with_sequence', 'with_together'] as const;

/** `{{ expr }}` as the whole string: the expression; undefined otherwise. */
function wholeExpression(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(v);
  return m?.[1] !== undefined && !m[1].includes('{{') && !m[1].includes('}}') ? m[1].trim() : undefined;
}

/**
 * with_dict / with_sequence / with_together as the equivalent `loop` value (a list, or a
 * template that renders to one), or why it cannot be converted.
 */
export function legacyLoop(key: 'with_dict' | 'with_sequence' | 'with_together', value: unknown): { loop: Templated } | { error: string; fix: string } {
  if (key === 'with_dict') {
    if (isObj(value)) return { loop: Object.entries(value).map(([k, v]) => ({ key: k, value: v })) };
    const expr = wholeExpression(value);
    if (expr !== undefined) return { loop: `{{ (${expr}) | dict2items }}` };
    return { error: `\`with_dict\` must be a mapping or a \`{{ }}\` template that renders to one, not the plain string '${String(value)}'`, fix: `write \`with_dict: "{{ ${String(value).trim()} }}"\`, or \`loop: "{{ mydict | dict2items }}"\`` };
  }
  if (key === 'with_together') {
    const lists = Array.isArray(value) ? value : [value];
    if (lists.every((l) => Array.isArray(l))) {
      const arrays = lists as unknown[][];
      const n = Math.max(0, ...arrays.map((a) => a.length));
      return { loop: Array.from({ length: n }, (_, i) => arrays.map((a) => (i < a.length ? a[i] : null))) };
    }
    // templates next to inline lists: a JSON list of strings and numbers is also a Jinja literal
    const plain = (l: unknown[]): boolean => l.every((x) => typeof x === 'string' || typeof x === 'number');
    const exprs = lists.map((l) => (Array.isArray(l) ? (plain(l as unknown[]) ? JSON.stringify(l) : undefined) : wholeExpression(l)));
    if (exprs.length > 0 && exprs.every((e): e is string => e !== undefined)) {
      const [first, ...rest] = exprs;
      return { loop: `{{ (${first ?? '[]'}) | zip_longest(${rest.map((e) => `(${e})`).join(', ')}) | list }}` };
    }
    return { error: '`with_together` must be a list of lists, or of `{{ }}` templates that render to lists', fix: 'e.g. `with_together: ["{{ names }}", "{{ ports }}"]`' };
  }
  // with_sequence
  const text = String(value).trim();
  const fix = 'e.g. `with_sequence: start=1 end=5 stride=1 format=web%02d`, or `count=3`; for templated bounds use `loop: "{{ range(a, b + 1) | list }}"`';
  if (hasTemplate(text)) return { error: '`with_sequence` with `{{ }}` templates is not supported: the sequence is built when the playbook is loaded', fix };
  const r = expandSequence(text);
  return 'items' in r ? { loop: r.items } : { error: `\`with_sequence\`${r.error}`, fix: r.fix ?? fix };
}

class Loader {
  readonly diagnostics: Diagnostic[] = [];
  readonly files = new Map<string, ParsedYaml>();
  /** tasks and blocks normalised so far, across includes (an include that fans out is capped) */
  steps = 0;
  stepLimitReported = false;

  readonly modules: ModuleLookup;

  constructor(readonly options: LoadOptions) {
    this.modules = options.modules ?? REGISTRY;
  }

  moduleList(): string {
    return [...new Set(this.modules.names().filter((n) => !n.includes('.')))].sort().join(', ');
  }

  report(severity: Diagnostic['severity'], y: ParsedYaml, path: readonly Seg[], code: string, message: string, fix?: string, atValue = false): void {
    const location = atValue ? y.locateValue(path) : y.locate(path);
    this.diagnostics.push({ severity, code, location, path: path.join('.'), message, ...(fix !== undefined ? { fix } : {}) });
  }
  error(y: ParsedYaml, path: readonly Seg[], code: string, message: string, fix?: string, atValue = false): void {
    this.report('error', y, path, code, message, fix, atValue);
  }
  warn(y: ParsedYaml, path: readonly Seg[], code: string, message: string, fix?: string, atValue = false): void {
    this.report('warning', y, path, code, message, fix, atValue);
  }

  locate = (file: string, path: ReadonlyArray<Seg>, atValue = false): SourceLocation => {
    const y = this.files.get(file);
    if (y === undefined) return { file, line: 1, col: 1 };
    return atValue ? y.locateValue(path) : y.locate(path);
  };

  /** Read a YAML file; errors are recorded. `site` says where it was referenced from. */
  async readFile(file: string, site?: { y: ParsedYaml; path: Seg[]; what: string }): Promise<ParsedYaml | undefined> {
    const cached = this.files.get(file);
    if (cached !== undefined) return cached;
    const r = await readYamlFile(file, this.options.limits);
    if (!r.ok) {
      for (const e of r.errors) {
        if (site !== undefined && (e.code === 'file-not-found' || e.code === 'file-not-readable')) {
          // point at the line that names the file, not at a file that is not there
          this.error(site.y, site.path, e.code === 'file-not-found' ? 'include-not-found' : e.code, `${site.what} ${e.message}`, e.fix, true);
        } else this.diagnostics.push(e);
      }
      return undefined;
    }
    this.diagnostics.push(...r.warnings);
    this.files.set(file, r.yaml);
    return r.yaml;
  }

  /** Check a keyword value against its spec; true when valid. */
  checkKeyword(y: ParsedYaml, path: Seg[], key: string, spec: KeywordSpec, value: unknown): boolean {
    // `key:` with nothing after it: treat lists as empty, everything else as a mistake
    const errors = validateKeyword(spec, value);
    if (errors.length === 0) return true;
    const problems = describeSchemaErrors(errors, value, { label: key, expect: spec.expect, schema: spec.schema });
    if (problems.length === 0) {
      this.error(y, path, 'bad-value', `\`${key}\` must be ${spec.expect}`, undefined, true);
    }
    for (const p of problems) {
      const at = [...path, ...p.path];
      const code = key === 'when' || key === 'changed_when' || key === 'failed_when' || key === 'until' ? 'non-boolean-when' : 'bad-value';
      const message = p.path.length === 0 && (p.keyword === 'type' || p.keyword === 'anyOf') ? `\`${key}\` must be ${spec.expect}` : p.message;
      const fix = p.fix ?? (spec.example !== undefined ? `e.g. \`${key}: ${spec.example}\` (${key}: ${spec.description})` : `\`${key}\`: ${spec.description}`);
      this.error(y, at, code, message, fix, !p.atKey);
    }
    return false;
  }

  // ------------------------------------------------------------------------------- playbook

  async loadPlaybookFile(file: string, stack: string[], site?: { y: ParsedYaml; path: Seg[] }): Promise<Play[]> {
    const y = await this.readFile(file, site !== undefined ? { ...site, what: 'import_playbook:' } : undefined);
    if (y === undefined) return [];
    const v = y.value;
    if (v === null || v === undefined) {
      this.error(y, [], 'empty-playbook', 'the playbook is empty', 'a playbook is a list of plays, e.g.\n  - hosts: all\n    tasks:\n      - debug: { msg: hello }');
      return [];
    }
    if (!Array.isArray(v)) {
      const looksLikePlay = isObj(v) && ('hosts' in v || 'tasks' in v);
      this.error(
        y,
        [],
        'playbook-not-list',
        `a playbook must be a list of plays, but this file is ${isObj(v) ? 'a mapping' : `a ${typeof v}`}`,
        looksLikePlay ? 'start the play with a dash: `- hosts: ...` and indent the rest under it' : 'write a list of plays: `- hosts: all` followed by `tasks:`',
      );
      return [];
    }
    if (v.length === 0) {
      this.error(y, [], 'empty-playbook', 'the playbook has no plays', 'add a play: `- hosts: all` with `tasks:`');
      return [];
    }
    const plays: Play[] = [];
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (isObj(item) && Object.keys(item).some((k) => keywordName(k) === 'import_playbook')) {
        plays.push(...(await this.importPlaybook(y, item, [i], stack)));
        continue;
      }
      const play = await this.normalisePlay(y, item, [i]);
      if (play !== undefined) plays.push(play);
    }
    return plays;
  }

  async importPlaybook(y: ParsedYaml, item: Obj, path: Seg[], stack: string[]): Promise<Play[]> {
    // `ansible.builtin.import_playbook` is the same keyword; positions use the key as written
    const key = Object.keys(item).find((k) => keywordName(k) === 'import_playbook') ?? 'import_playbook';
    for (const k of Object.keys(item)) {
      if (k !== key && k !== 'name') {
        this.error(y, [...path, k], 'bad-import', `\`${k}\` cannot be used with import_playbook`, 'put keywords on the plays of the imported playbook');
      }
    }
    const target = item[key];
    if (typeof target !== 'string' || target === '') {
      this.error(y, [...path, key], 'bad-value', '`import_playbook` must be a file name', 'e.g. `- import_playbook: site.yml`', true);
      return [];
    }
    if (hasTemplate(target)) {
      this.error(y, [...path, key], 'include-templated', 'import_playbook with a `{{ }}` file name is not supported: playbooks are resolved when loaded, before any variables exist', 'write the file name literally', true);
      return [];
    }
    const abs = resolve(dirname(y.file), target);
    if (stack.includes(abs)) {
      this.error(y, [...path, key], 'include-cycle', `import cycle: ${[...stack, abs].map((f) => relative(process.cwd(), f) || f).join(' → ')}`, 'remove the import that leads back to a playbook already being imported', true);
      return [];
    }
    return this.loadPlaybookFile(abs, [...stack, abs], { y, path: [...path, key] });
  }

  async normalisePlay(y: ParsedYaml, item: unknown, path: Seg[]): Promise<Play | undefined> {
    if (!isObj(item)) {
      this.error(y, path, 'play-not-mapping', `a play must be a mapping with \`hosts:\` and \`tasks:\`, not ${Array.isArray(item) ? 'a list' : item === null ? 'an empty entry' : `a ${typeof item}`}`, 'write `- hosts: all` and indent `tasks:` under it', true);
      return undefined;
    }
    const errorsBefore = this.errorCount();
    const valid = new Set<string>();
    for (const [k, value] of Object.entries(item)) {
      const spec = PLAY_KEYWORDS[k];
      if (spec !== undefined) {
        if (this.checkKeyword(y, [...path, k], k, spec, value)) valid.add(k);
        continue;
      }
      if (UNSUPPORTED_KEYWORDS[keywordName(k)] !== undefined) {
        this.error(y, [...path, k], 'unsupported-keyword', `\`${k}\` is not supported by runbook`, UNSUPPORTED_KEYWORDS[keywordName(k)]);
      } else if (this.modules.get(k) !== undefined || k === 'block' || keywordName(k) in INCLUDE_KEYWORDS) {
        this.error(y, [...path, k], 'task-in-play', `\`${k}\` is a task, but it is written directly in the play`, 'put tasks in a list under `tasks:`');
      } else if (k in COMMON_TASK_KEYWORDS || k in TASK_ONLY_KEYWORDS) {
        this.error(y, [...path, k], 'unknown-key', `\`${k}\` is a task keyword and cannot be set on a play`, 'set it on the tasks, or wrap them in a `block:` that has it');
      } else {
        const guess = didYouMean(k, Object.keys(PLAY_KEYWORDS));
        this.error(
          y,
          [...path, k],
          'unknown-key',
          `unknown key \`${k}\` in play${guess !== undefined ? `; did you mean \`${guess}\`?` : ''}`,
          guess !== undefined ? `rename it to \`${guess}\`` : `play keys are: ${Object.keys(PLAY_KEYWORDS).join(', ')}`,
        );
      }
    }
    if (!('hosts' in item)) {
      const taskLike = Object.keys(item).some((k) => this.modules.get(k) !== undefined);
      this.error(
        y,
        path,
        'missing-hosts',
        taskLike ? 'this looks like a task, but a playbook is a list of plays' : 'the play has no `hosts:`',
        taskLike ? 'put tasks under a play: `- hosts: all` / `  tasks:` / `    - <your tasks>` (task files are included with import_tasks)' : 'add `hosts: all` or a group name from the inventory',
      );
    }

    for (const key of ['name', 'hosts', 'vars', 'environment', 'ignore_errors'] as const) if (valid.has(key)) this.checkTemplates(y, [...path, key], item[key]);
    const hosts = valid.has('hosts') ? (Array.isArray(item.hosts) ? (item.hosts as string[]).join(':') : String(item.hosts)) : '';
    // templated play keywords: the plan renders them; templated task keywords on the play: every task renders them
    const dynamic: Record<string, Templated> = {};
    for (const key of DYNAMIC_PLAY_KEYWORDS) {
      const v = item[key];
      if (!valid.has(key)) continue;
      if (typeof v === 'string' && hasTemplate(v)) dynamic[key] = v;
      else if (key === 'serial' && Array.isArray(v) && v.some((x) => typeof x === 'string' && hasTemplate(x))) dynamic[key] = v;
      else continue;
      this.checkTemplates(y, [...path, key], v);
    }
    const taskDynamic: Record<string, string> = {};
    for (const key of ['become', 'become_user', 'check_mode', 'diff', 'no_log', 'environment'] as const) {
      const v = item[key];
      if (valid.has(key) && typeof v === 'string' && hasTemplate(v)) {
        if (key !== 'environment') this.checkTemplates(y, [...path, key], v);
        taskDynamic[key] = v;
      }
    }
    const b = (k: string): boolean | undefined => (valid.has(k) && !(k in dynamic) && !(k in taskDynamic) ? toBool(item[k]) : undefined);
    const vars = valid.has('vars') && isObj(item.vars) ? { ...item.vars } : {};
    const varsFiles: Play['varsFiles'] = [];
    if (valid.has('vars_files')) {
      const list: unknown[] = Array.isArray(item.vars_files) ? item.vars_files : [item.vars_files];
      for (let j = 0; j < list.length; j++) {
        const entry = list[j];
        const p = Array.isArray(item.vars_files) ? [...path, 'vars_files', j] : [...path, 'vars_files'];
        // a list inside vars_files: the first file that exists is read (Ansible); none is an error
        const candidates = (Array.isArray(entry) ? entry : [entry]).map((x) => String(x as string));
        const templated = candidates.find((f) => hasTemplate(f));
        if (templated !== undefined) {
          this.error(y, p, 'include-templated', `vars_files entry \`${templated}\` has a template; runbook reads vars files when the playbook is loaded, before host variables exist`, 'write the file name literally; for per-host files use a list of candidates (the first that exists is read)', true);
          continue;
        }
        let f = candidates[0] ?? '';
        if (candidates.length > 1) {
          const tried = candidates.map((c) => resolve(dirname(y.file), c));
          const found = tried.findIndex((t) => existsSync(t));
          if (found < 0) {
            this.error(y, p, 'include-not-found', `vars_files: none of these files exists: ${tried.join(', ')}`, 'create one of them, or fix the names (relative to the playbook)', true);
            continue;
          }
          f = candidates[found] ?? f;
        }
        const abs = resolve(dirname(y.file), f);
        const vy = await this.readFile(abs, { y, path: p, what: 'vars_files:' });
        if (vy === undefined) continue;
        if (vy.value === null) {
          varsFiles.push({ file: abs, vars: {} });
        } else if (!isObj(vy.value)) {
          this.error(vy, [], 'vars-not-mapping', 'a vars file must be a mapping of variable names to values', 'write `name: value` lines at the top level');
        } else {
          for (const k of Object.keys(vy.value)) {
            if (!IDENTIFIER.test(k)) this.error(vy, [k], 'bad-var-name', `\`${k}\` is not a valid variable name`, 'use letters, digits and underscores, not starting with a digit');
          }
          varsFiles.push({ file: abs, vars: { ...vy.value } });
        }
      }
    }
    let serial: Serial = [];
    if (valid.has('serial') && !('serial' in dynamic)) {
      serial = (Array.isArray(item.serial) ? (item.serial as unknown[]) : [item.serial]).map((x) => (typeof x === 'string' && /^[0-9]+$/.test(x) ? Number(x) : x)) as Serial;
    }
    for (const s of serial) {
      if (typeof s === 'string' && (Number.parseFloat(s) <= 0 || Number.parseFloat(s) > 100)) {
        this.error(y, [...path, 'serial'], 'bad-value', `serial percentage ${s} must be more than 0% and at most 100%`, 'e.g. `serial: "25%"`', true);
      }
    }
    let maxFail: number | undefined;
    if (valid.has('max_fail_percentage') && !('max_fail_percentage' in dynamic)) {
      const m = item.max_fail_percentage;
      maxFail = typeof m === 'number' ? m : Number.parseFloat(String(m));
      if (!(maxFail >= 0 && maxFail <= 100)) this.error(y, [...path, 'max_fail_percentage'], 'bad-value', '`max_fail_percentage` must be from 0 to 100', undefined, true);
    }

    const steps = async (k: 'pre_tasks' | 'tasks' | 'post_tasks' | 'handlers'): Promise<Step[]> =>
      valid.has(k) ? this.normaliseSteps(y, item[k], [...path, k], [y.file], k === 'handlers') : [];
    const preTasks = await steps('pre_tasks');
    const tasks = await steps('tasks');
    const postTasks = await steps('post_tasks');
    const handlerSteps = await steps('handlers');
    const handlers: TaskNode[] = [];
    for (const h of handlerSteps) {
      if (h.kind === 'task') handlers.push(h);
      else this.flattenHandlers(h, handlers);
    }
    if (this.errorCount() > errorsBefore && hosts === '') return undefined;
    const play: Play = {
      name: valid.has('name') ? String(item.name) : hosts,
      hosts,
      vars,
      varsFiles,
      gatherFacts: b('gather_facts') ?? true,
      serial,
      anyErrorsFatal: b('any_errors_fatal') ?? false,
      strategy: valid.has('strategy') && !('strategy' in dynamic) ? (item.strategy as 'linear' | 'free') : 'linear',
      tags: valid.has('tags') ? toTags(item.tags) : [],
      preTasks,
      tasks,
      postTasks,
      handlers,
      location: y.locate(path),
      path: path.join('.'),
    };
    const become = b('become');
    if (become !== undefined) play.become = become;
    if (valid.has('connection')) play.connection = connectionName(item.connection);
    if (valid.has('become_user') && !('become_user' in taskDynamic)) play.becomeUser = String(item.become_user);
    if (Object.keys(dynamic).length > 0) play.dynamic = dynamic;
    if (Object.keys(taskDynamic).length > 0) play.taskDynamic = taskDynamic;
    if (valid.has('environment') && isObj(item.environment)) play.environment = { ...item.environment };
    const checkMode = b('check_mode');
    if (checkMode !== undefined) play.checkMode = checkMode;
    const diff = b('diff');
    if (diff !== undefined) play.diff = diff;
    const noLog = b('no_log');
    if (noLog !== undefined) play.noLog = noLog;
    if (valid.has('ignore_errors')) play.ignoreErrors = toBool(item.ignore_errors) ?? item.ignore_errors;
    if (valid.has('remote_user')) play.remoteUser = String(item.remote_user);
    if (valid.has('become_method')) this.checkBecomeMethod(y, [...path, 'become_method'], item.become_method);
    if (maxFail !== undefined) play.maxFailPercentage = maxFail;
    this.rolloutKeywords(item, valid, play);
    return play;
  }

  /** Issue 18's play keywords (failure budget, fail_fast, order, approval), already schema-checked. */
  rolloutKeywords(item: Obj, valid: Set<string>, play: Play): void {
    const int = (k: string): number | undefined => (valid.has(k) ? toInt(item[k]) : undefined);
    const total = int('max_fail_total');
    if (total !== undefined) play.maxFailTotal = total;
    const unreachable = int('max_unreachable_total');
    if (unreachable !== undefined) play.maxUnreachableTotal = unreachable;
    const count = valid.has('count_unreachable') ? toBool(item.count_unreachable) : undefined;
    if (count !== undefined) play.countUnreachable = count;
    const fast = valid.has('fail_fast') ? toBool(item.fail_fast) : undefined;
    if (fast !== undefined) play.failFast = fast;
    if (valid.has('order')) play.order = item.order as NonNullable<Play['order']>;
    if (valid.has('approve_batches')) {
      const a = item.approve_batches;
      if (a === 'all') play.approveBatches = 'all';
      else if (a === 'first') play.approveBatches = [1];
      else if (typeof a === 'number') play.approveBatches = [a];
      else if (Array.isArray(a)) play.approveBatches = a.filter((x): x is number => typeof x === 'number');
    }
  }

  /** import_tasks inside handlers: the imported tasks are handlers; blocks are not. */
  flattenHandlers(b: BlockNode, out: TaskNode[]): void {
    if (b.rescue.length > 0 || b.always.length > 0 || !b.fromImport) {
      const y = this.files.get(b.location.file);
      if (y !== undefined) this.error(y, b.path.split('.'), 'block-in-handlers', 'blocks cannot be handlers', 'write each handler as a single task');
      return;
    }
    for (const s of b.block) {
      if (s.kind === 'task') {
        out.push({ ...s, tags: [...new Set([...b.tags, ...s.tags])], ...(s.when === undefined && b.when !== undefined ? { when: b.when } : {}) });
      } else this.flattenHandlers(s, out);
    }
  }

  errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }

  // ---------------------------------------------------------------------------------- tasks

  async normaliseSteps(y: ParsedYaml, list: unknown, path: Seg[], includeStack: string[], inHandlers: boolean): Promise<Step[]> {
    if (list === null || list === undefined) return [];
    if (!Array.isArray(list)) {
      // the keyword check already reported this
      return [];
    }
    const out: Step[] = [];
    for (let j = 0; j < list.length; j++) {
      const s = await this.normaliseTask(y, list[j], [...path, j], includeStack, inHandlers);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** Keywords shared by tasks and blocks, from already validated values. */
  commonKeywords(y: ParsedYaml, obj: Obj, path: Seg[], valid: Set<string>): TaskKeywords {
    const k: TaskKeywords = { tags: valid.has('tags') ? toTags(obj.tags) : [], location: y.locate(path), path: path.join('.') };
    for (const key of ['name', 'vars', 'environment', 'ignore_errors'] as const) if (valid.has(key)) this.checkTemplates(y, [...path, key], obj[key]);
    if (valid.has('name')) k.name = String(obj.name);
    if (valid.has('when')) k.when = this.conditions(y, [...path, 'when'], obj.when);
    // a `{{ }}` value is kept as written and rendered when the task runs (Ansible's post-validation)
    const dynamic: Record<string, string> = {};
    for (const key of DYNAMIC_TASK_KEYWORDS) {
      const v = obj[key];
      if (valid.has(key) && typeof v === 'string' && hasTemplate(v)) {
        this.checkTemplates(y, [...path, key], v);
        dynamic[key] = v;
      }
    }
    if (Object.keys(dynamic).length > 0) k.dynamic = dynamic;
    const bool = (key: string): boolean | undefined => (valid.has(key) && !(key in dynamic) ? toBool(obj[key]) : undefined);
    const become = bool('become');
    if (become !== undefined) k.become = become;
    if (valid.has('become_user') && !('become_user' in dynamic)) k.becomeUser = String(obj.become_user);
    if (valid.has('remote_user')) k.remoteUser = String(obj.remote_user);
    if (valid.has('become_method')) this.checkBecomeMethod(y, [...path, 'become_method'], obj.become_method);
    if (valid.has('ignore_errors')) k.ignoreErrors = toBool(obj.ignore_errors) ?? obj.ignore_errors;
    const noLog = bool('no_log');
    if (noLog !== undefined) k.noLog = noLog;
    const check = bool('check_mode');
    if (check !== undefined) k.checkMode = check;
    const once = bool('run_once');
    if (once !== undefined) k.runOnce = once;
    if (valid.has('delegate_to')) {
      this.checkTemplates(y, [...path, 'delegate_to'], obj.delegate_to);
      k.delegateTo = String(obj.delegate_to);
    }
    const delegateFacts = bool('delegate_facts');
    if (delegateFacts !== undefined) k.delegateFacts = delegateFacts;
    if (valid.has('connection')) k.connection = connectionName(obj.connection);
    const diff = bool('diff');
    if (diff !== undefined) k.diff = diff;
    const fatal = bool('any_errors_fatal');
    if (fatal !== undefined) k.anyErrorsFatal = fatal;
    if (valid.has('environment') && isObj(obj.environment)) k.environment = { ...obj.environment };
    if (valid.has('vars') && isObj(obj.vars)) k.vars = { ...obj.vars };
    if (valid.has('timeout') && !('timeout' in dynamic)) {
      const t = toInt(obj.timeout);
      if (t !== undefined) k.timeout = t;
    }
    if (valid.has('throttle')) {
      const t = toInt(obj.throttle);
      if (t !== undefined && t > 0) k.throttle = t;
    }
    return k;
  }

  /**
   * Ansible's older `action: copy src=a dest=b` (or `action: {module: copy, src: a}`): the same
   * task with the module as its key. Positions inside the arguments point at `action:`.
   */
  actionAsModule(y: ParsedYaml, raw: Obj, path: Seg[]): Obj | undefined {
    const spec = COMMON_TASK_KEYWORDS.action ?? TASK_ONLY_KEYWORDS.action;
    if (spec === undefined || !this.checkKeyword(y, [...path, 'action'], 'action', spec, raw.action)) return undefined;
    const { action, ...rest } = raw;
    let name: string;
    let args: unknown;
    if (typeof action === 'string') {
      const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(action);
      name = m?.[1] ?? '';
      args = m?.[2] === undefined || m[2] === '' ? null : m[2];
    } else {
      const { module, ...a } = action as Obj;
      name = String(module);
      args = a;
    }
    if (this.modules.get(name) === undefined) {
      const guess = didYouMean(name, this.modules.names());
      this.error(y, [...path, 'action'], 'unknown-module', `unknown module \`${name}\` in \`action:\`${guess !== undefined ? `; did you mean \`${guess}\`?` : ''}`, guess !== undefined ? `write \`action: ${guess} ...\`` : `runbook's modules are: ${this.moduleList()}`, true);
      return undefined;
    }
    const other = Object.keys(rest).find((k) => this.modules.get(k) !== undefined);
    if (other !== undefined) {
      this.error(y, [...path, other], 'two-modules', `the task has both \`action: ${name}\` and the module \`${other}\`; a task runs exactly one`, 'keep one of them');
      return undefined;
    }
    return { ...rest, [name]: args };
  }

  /** runbook becomes with sudo only: `become_method: sudo` is accepted (Ansible's default), anything else is an error. */
  checkBecomeMethod(y: ParsedYaml, path: Seg[], value: unknown): void {
    if (value === 'sudo') return;
    this.error(y, path, 'bad-value', `become_method \`${String(value)}\` is not supported: runbook becomes with sudo only`, 'write `become_method: sudo` or remove it (sudo is the default)', true);
  }

  /** Jinja syntax errors in any string below `value`, found now instead of on the first host. */
  checkTemplates(y: ParsedYaml, path: Seg[], value: unknown, depth = 0): void {
    if (typeof value === 'string') {
      if (!/\{\{|\{%|\{#/.test(value)) return;
      try {
        compileTemplate(value);
      } catch (e) {
        this.error(y, path, 'template-syntax', `template syntax error: ${templateReason(e)}`, 'check the Jinja syntax: every {{ has a }}, every {% if %} an {% endif %}, a filter name after each |', true);
        return;
      }
      this.checkTemplateNames(y, path, value);
    } else if (depth < 64 && Array.isArray(value)) {
      value.forEach((v, i) => this.checkTemplates(y, [...path, i], v, depth + 1));
    } else if (depth < 64 && isObj(value)) {
      for (const [k, v] of Object.entries(value)) this.checkTemplates(y, [...path, k], v, depth + 1);
    }
  }

  /** Unknown filter/test names in a template that compiles: an error now, not a failure on the first host. */
  checkTemplateNames(y: ParsedYaml, path: Seg[], template: string): void {
    for (const u of unknownTemplateNames(template)) {
      if (u.kind === 'lookup') {
        this.error(y, path, 'unknown-lookup', `unknown lookup \`${u.name}\`${u.guess !== undefined ? `; did you mean \`${u.guess}\`?` : ''}`, u.guess !== undefined ? `write \`lookup('${u.guess}', ...)\`` : `runbook's lookups are: ${knownLookups().join(', ')}`, true);
        continue;
      }
      const what = u.kind === 'filter' ? `\`| ${u.name}\`` : `\`is ${u.name}\``;
      this.error(
        y,
        path,
        u.kind === 'filter' ? 'unknown-filter' : 'unknown-test',
        `unknown Jinja ${u.kind} ${what}${u.guess !== undefined ? `; did you mean \`${u.guess}\`?` : ''}`,
        u.guess !== undefined ? `write \`${u.kind === 'filter' ? '| ' : 'is '}${u.guess}\`` : `runbook's ${u.kind}s are: ${(u.kind === 'filter' ? knownFilters() : knownTests()).join(', ')}`,
        true,
      );
    }
  }

  /** Conditions: `{{ }}` around a condition is redundant (warning); exact yes/no become booleans. */
  conditions(y: ParsedYaml, path: Seg[], value: unknown): Array<string | boolean> {
    const list = Array.isArray(value) ? value : [value];
    list.forEach((c, i) => {
      if (typeof c === 'string' && c.includes('{{')) {
        this.warn(
          y,
          Array.isArray(value) ? [...path, i] : path,
          'when-template',
          `conditions are already expressions; \`{{ }}\` in \`${String(path[path.length - 1])}\` is not needed`,
          `write it without braces, e.g. \`${String(path[path.length - 1])}: ${c.replace(/\{\{\s*|\s*\}\}/g, '').trim()}\``,
          true,
        );
      }
    });
    const conditions = toConditions(value);
    conditions.forEach((c, i) => {
      if (typeof c !== 'string') return;
      try {
        compileTemplate(`{{ ${c} }}`);
        this.checkTemplateNames(y, Array.isArray(value) ? [...path, i] : path, `{{ ${c} }}`);
      } catch (e) {
        this.error(
          y,
          Array.isArray(value) ? [...path, i] : path,
          'template-syntax',
          `\`${String(path[path.length - 1])}\` is not a valid expression: ${templateReason(e)}`,
          'write one Jinja expression, e.g. `result.rc == 0 and domain is defined`',
          true,
        );
      }
    });
    return conditions;
  }

  async normaliseTask(y: ParsedYaml, input: unknown, path: Seg[], includeStack: string[], inHandlers: boolean): Promise<Step | undefined> {
    // A file that imports another many times, which does the same, multiplies without a cycle.
    if (++this.steps > MAX_STEPS) {
      if (!this.stepLimitReported) {
        this.stepLimitReported = true;
        this.error(y, path, 'too-many-tasks', `the playbook expands to more than ${MAX_STEPS} tasks (imports multiply)`, 'import each task file once; use loops instead of repeating imports');
      }
      return undefined;
    }
    if (!isObj(input)) {
      const fix =
        typeof input === 'string' && this.modules.get(input) !== undefined
          ? `write \`- ${input}:\` with its arguments indented below (a colon after the module name)`
          : 'a task is a mapping, e.g. `- name: say hello` / `  debug: { msg: hello }`';
      this.error(y, path, 'task-not-mapping', `a task must be a mapping, not ${Array.isArray(input) ? 'a list' : input === null ? 'an empty entry' : `${typeof input} ${JSON.stringify(input)}`}`, fix, true);
      return undefined;
    }
    const local = 'local_action' in input ? this.localAction(y, input, path) : input;
    // `action: module args`: the same task with the module as its key
    const raw = local !== undefined && 'action' in local ? this.actionAsModule(y, local, path) : local;
    if (raw === undefined) return undefined;
    const valid = new Set<string>();
    const moduleKeys: string[] = [];
    const unknownKeys: string[] = [];
    // an unsupported keyword (include_vars, include_role) was the task's action: "no module" would repeat it
    let unsupported = false;
    const isBlock = 'block' in raw || 'rescue' in raw || 'always' in raw;
    // `ansible.builtin.import_tasks` is import_tasks: tables are looked up by the short name,
    // positions and messages keep the key as written
    const includeKeys = Object.keys(raw).filter((k) => keywordName(k) in INCLUDE_KEYWORDS);
    for (const [k, value] of Object.entries(raw)) {
      const spec = COMMON_TASK_KEYWORDS[k] ?? TASK_ONLY_KEYWORDS[k] ?? BLOCK_KEYWORDS[k] ?? INCLUDE_KEYWORDS[keywordName(k)];
      if (spec !== undefined) {
        if (this.checkKeyword(y, [...path, k], k, spec, value)) valid.add(k);
      } else if (UNSUPPORTED_KEYWORDS[keywordName(k)] !== undefined) {
        unsupported = true;
        this.error(y, [...path, k], 'unsupported-keyword', `\`${k}\` is not supported by runbook`, UNSUPPORTED_KEYWORDS[keywordName(k)]);
      } else if (this.modules.get(k) !== undefined) {
        moduleKeys.push(k);
      } else if (k in PLAY_KEYWORDS) {
        this.error(y, [...path, k], 'unknown-key', `\`${k}\` is a play keyword and cannot be set on a task`, 'move it to the play, or remove it');
      } else unknownKeys.push(k);
    }

    const taskKeywordNames = [...Object.keys(COMMON_TASK_KEYWORDS), ...Object.keys(TASK_ONLY_KEYWORDS), ...Object.keys(BLOCK_KEYWORDS), ...Object.keys(INCLUDE_KEYWORDS)];
    const reportUnknown = (k: string, asModule: boolean): void => {
      const kwGuess = didYouMean(k, taskKeywordNames);
      const modGuess = didYouMean(k, this.modules.names());
      if ((asModule && kwGuess === undefined) || (k.includes('.') && modGuess !== undefined)) {
        this.error(
          y,
          [...path, k],
          'unknown-module',
          `unknown module \`${k}\`${modGuess !== undefined ? `; did you mean \`${modGuess}\`?` : ''}`,
          modGuess !== undefined ? `rename it to \`${modGuess}\`` : `runbook's modules are: ${this.moduleList()}`,
        );
      } else {
        const guess = kwGuess ?? modGuess;
        this.error(y, [...path, k], 'unknown-key', `unknown key \`${k}\` in task${guess !== undefined ? `; did you mean \`${guess}\`?` : ''}`, guess !== undefined ? `rename it to \`${guess}\`` : 'remove it, or check the indentation');
      }
    };

    // ---- block
    if (isBlock) {
      if (!('block' in raw)) this.error(y, path, 'missing-block', '`rescue`/`always` need a `block:` in the same task', 'add `block:` with the tasks to protect');
      for (const k of Object.keys(raw)) {
        // `notify` on a block: every task of the block that changes something notifies (Ansible)
        if (k in TASK_ONLY_KEYWORDS && k !== 'notify') this.error(y, [...path, k], 'bad-block-key', `\`${k}\` cannot be used on a block`, 'put it on the tasks inside the block');
      }
      for (const k of moduleKeys) this.error(y, [...path, k], 'module-in-block', `a block cannot also call a module (\`${k}\`)`, 'move the module into its own task inside `block:`');
      for (const k of includeKeys) this.error(y, [...path, k], 'module-in-block', `a block cannot also have \`${k}\``, 'move it into its own task inside `block:`');
      for (const k of unknownKeys) reportUnknown(k, false);
      if (inHandlers) this.error(y, path, 'block-in-handlers', 'blocks cannot be handlers', 'write each handler as a single task');
      const kws = this.commonKeywords(y, raw, path, valid);
      return {
        ...kws,
        ...(valid.has('notify') ? { notify: toStringList(raw.notify) } : {}),
        kind: 'block',
        block: valid.has('block') ? await this.normaliseSteps(y, raw.block, [...path, 'block'], includeStack, inHandlers) : [],
        rescue: valid.has('rescue') ? await this.normaliseSteps(y, raw.rescue, [...path, 'rescue'], includeStack, inHandlers) : [],
        always: valid.has('always') ? await this.normaliseSteps(y, raw.always, [...path, 'always'], includeStack, inHandlers) : [],
      };
    }

    // ---- import_tasks / include_tasks
    if (includeKeys.length > 0) {
      if (includeKeys.length > 1) this.error(y, [...path, includeKeys[1] ?? ''], 'two-modules', 'a task can have only one of import_tasks and include_tasks', 'split into two tasks');
      for (const k of moduleKeys) this.error(y, [...path, k], 'two-modules', `a task cannot both include tasks and call a module (\`${k}\`)`, 'split into two tasks');
      for (const k of Object.keys(raw)) {
        if (k in TASK_ONLY_KEYWORDS) this.error(y, [...path, k], 'bad-include-key', `\`${k}\` cannot be used on ${includeKeys[0] ?? 'an include'} in runbook (task files are inserted when the playbook is loaded)`, 'put it on the tasks in the included file');
      }
      for (const k of unknownKeys) reportUnknown(k, false);
      const key = includeKeys[0] ?? 'import_tasks';
      if (!valid.has(key)) return undefined;
      const spec = raw[key];
      const target = typeof spec === 'string' ? spec : String((spec as Obj).file);
      const p = typeof spec === 'string' ? [...path, key] : [...path, key, 'file'];
      if (hasTemplate(target)) {
        this.error(y, p, 'include-templated', `${key} with a templated file name (\`${target}\`) is not supported: runbook resolves task files when the playbook is loaded, before variables exist`, 'write the file name literally; to choose between files, use two import_tasks with `when:`', true);
        return undefined;
      }
      const abs = resolve(dirname(y.file), target);
      if (includeStack.includes(abs)) {
        this.error(y, p, 'include-cycle', `include cycle: ${[...includeStack, abs].map((f) => relative(dirname(includeStack[0] ?? f), f) || f).join(' → ')}`, 'remove the include that leads back to a file already being included', true);
        return undefined;
      }
      const iy = await this.readFile(abs, { y, path: p, what: `${key}:` });
      if (iy === undefined) return undefined;
      let steps: Step[] = [];
      if (iy.value === null) steps = [];
      else if (!Array.isArray(iy.value)) {
        const playLike = isObj(iy.value) && 'hosts' in iy.value;
        this.error(iy, [], 'tasks-not-list', 'a task file must be a list of tasks', playLike ? 'this looks like a play; task files contain only the task list' : 'start each task with `- `');
      } else if (iy.value.some((t) => isObj(t) && 'hosts' in t)) {
        this.error(iy, [], 'tasks-not-list', `${key} expects a task file, but ${target} is a playbook`, 'use `- import_playbook:` at the top level of a playbook, or keep only tasks in this file');
      } else {
        steps = await this.normaliseSteps(iy, iy.value, [], [...includeStack, abs], inHandlers);
      }
      const kws = this.commonKeywords(y, raw, path, valid);
      kws.name ??= `${keywordName(key)}: ${target}`;
      const block: BlockNode = { ...kws, kind: 'block', block: steps, rescue: [], always: [], fromImport: abs };
      return block;
    }

    // ---- a module task
    const soleModule = moduleKeys.length === 1 ? this.modules.get(moduleKeys[0] ?? '') : undefined;
    const soleArgs = Object.keys((soleModule?.schema.properties as Obj | undefined) ?? {});
    const misindented = soleModule !== undefined ? unknownKeys.filter((k) => soleArgs.includes(k)) : [];
    for (const k of misindented) {
      const mk = moduleKeys[0] ?? '';
      this.error(y, [...path, k], 'misindented-argument', `\`${k}\` is an argument of \`${mk}\` but is written as a task keyword`, `indent it under \`${mk}:\` (arguments go two spaces deeper than the module name)`);
    }
    for (const k of unknownKeys.filter((u) => !misindented.includes(u))) reportUnknown(k, moduleKeys.length === 0 && unknownKeys.length === 1);
    // the module's own "missing argument" errors would only repeat the indentation problem
    if (misindented.length > 0) return undefined;
    if (moduleKeys.length === 0) {
      if (unknownKeys.length === 0 && !unsupported) {
        this.error(y, path, 'no-module', 'the task has no module: nothing to do', `add one module with its arguments, e.g. \`command: ...\`; runbook's modules are: ${this.moduleList()}`);
      }
      return undefined;
    }
    if (moduleKeys.length > 1) {
      this.error(
        y,
        [...path, moduleKeys[1] ?? ''],
        'two-modules',
        `the task has ${moduleKeys.length} modules (${moduleKeys.map((m) => `\`${m}\``).join(', ')}); a task runs exactly one`,
        'split it into one task per module (check the indentation too: arguments must be indented under their module)',
      );
      return undefined;
    }
    const moduleKey = moduleKeys[0] ?? '';
    const mod = this.modules.get(moduleKey);
    if (mod === undefined) return undefined;
    const args = this.moduleArgs(y, raw, path, moduleKey, mod, valid);
    this.checkTemplates(y, [...path, moduleKey], raw[moduleKey]);
    for (const key of ['args', ...LOOP_KEYS] as const) if (valid.has(key)) this.checkTemplates(y, [...path, key], raw[key]);

    const kws = this.commonKeywords(y, raw, path, valid);
    const task: TaskNode = { ...kws, kind: 'task', module: mod.name, args: args ?? {}, notify: valid.has('notify') ? toStringList(raw.notify) : [] };
    if (inHandlers && valid.has('listen')) task.listen = toStringList(raw.listen);
    if (!inHandlers && 'listen' in raw) this.warn(y, [...path, 'listen'], 'listen-outside-handlers', '`listen` only has an effect on handlers', 'move this task under `handlers:` or remove `listen`');

    // loops
    const loopKeys = LOOP_KEYS.filter((k) => k in raw);
    if (loopKeys.length > 1) this.error(y, [...path, loopKeys[1] ?? ''], 'two-loops', `the task has both \`${loopKeys[0]}\` and \`${loopKeys[1]}\``, 'keep one loop per task');
    const loopKey = loopKeys[0];
    const legacy = loopKey === 'with_dict' || loopKey === 'with_sequence' || loopKey === 'with_together';
    if (loopKey !== undefined && valid.has(loopKey) && !legacy && typeof raw[loopKey] === 'string' && !hasTemplate(raw[loopKey])) {
      this.error(y, [...path, loopKey], 'bad-value', `\`${loopKey}\` must be a list or a \`{{ }}\` template that renders to one, not the plain string '${raw[loopKey]}'`, `write \`${loopKey}: "{{ ${raw[loopKey]} }}"\` to loop over the variable, or a YAML list`, true);
    } else if (loopKey !== undefined && valid.has(loopKey) && legacy) {
      const r = legacyLoop(loopKey, raw[loopKey]);
      if ('loop' in r) task.loop = r.loop;
      else this.error(y, [...path, loopKey], 'bad-value', r.error, r.fix, true);
    } else if (loopKey !== undefined && valid.has(loopKey)) {
      const lv = raw[loopKey];
      // with_items flattens one level of nested lists; loop does not
      task.loop = loopKey === 'with_items' && Array.isArray(lv) ? (lv as unknown[]).flatMap((x): unknown[] => (Array.isArray(x) ? (x as unknown[]) : [x])) : lv;
    }
    if (valid.has('loop_control')) {
      const lc = raw.loop_control as Obj;
      if (loopKey === undefined) this.error(y, [...path, 'loop_control'], 'loop-control-without-loop', '`loop_control` without `loop`', 'add `loop:` or remove `loop_control`');
      task.loopControl = { loopVar: typeof lc.loop_var === 'string' ? lc.loop_var : 'item' };
      if (typeof lc.label === 'string') task.loopControl.label = lc.label;
      if (typeof lc.index_var === 'string') task.loopControl.indexVar = lc.index_var;
      if (lc.extended !== undefined) task.loopControl.extended = toBool(lc.extended) ?? false;
      if (lc.extended_allitems !== undefined) task.loopControl.extendedAllitems = toBool(lc.extended_allitems) ?? true;
      if (typeof lc.pause === 'number') task.loopControl.pause = lc.pause;
      if (lc.break_when !== undefined) task.loopControl.breakWhen = this.conditions(y, [...path, 'loop_control', 'break_when'], lc.break_when);
    } else if (loopKey !== undefined) task.loopControl = { loopVar: 'item' };
    if (valid.has('register')) task.register = String(raw.register);
    if (valid.has('changed_when')) task.changedWhen = this.conditions(y, [...path, 'changed_when'], raw.changed_when);
    if (valid.has('failed_when')) task.failedWhen = this.conditions(y, [...path, 'failed_when'], raw.failed_when);
    if (valid.has('until')) task.until = this.conditions(y, [...path, 'until'], raw.until);
    for (const key of ['retries', 'delay'] as const) {
      const v = raw[key];
      if (valid.has(key) && typeof v === 'string' && hasTemplate(v)) {
        this.checkTemplates(y, [...path, key], v);
        task.dynamic = { ...task.dynamic, [key]: v };
      }
    }
    const retries = valid.has('retries') ? toInt(raw.retries) : undefined;
    if (retries !== undefined) task.retries = retries;
    else if (task.until !== undefined && task.dynamic?.retries === undefined) task.retries = 3;
    // delay: seconds, fractions allowed (`delay: 0.5`, as Ansible's float field)
    const delay = valid.has('delay') ? toSeconds(raw.delay) : undefined;
    if (delay !== undefined) task.delay = delay;
    const asyncS = valid.has('async') ? toInt(raw.async) : undefined;
    if (asyncS !== undefined && asyncS > 0) {
      // not built yet: refused rather than run in the foreground behind the playbook's back
      this.error(y, [...path, 'async'], 'async-unsupported', '`async` (run the task as a background job) is not supported by runbook yet, nor is async_status', 'remove `async` and `poll` to run the task in the foreground (runbook waits for it; use `timeout:` to bound it)');
      task.async = asyncS;
    }
    const poll = valid.has('poll') ? toInt(raw.poll) : undefined;
    if (poll !== undefined) task.poll = poll;
    if (poll !== undefined && task.async === undefined) {
      this.warn(y, [...path, 'poll'], 'poll-without-async', '`poll` has no effect without `async`', 'add `async: <seconds>` to run the task as a background job, or remove `poll`');
    }
    if ((retries !== undefined || delay !== undefined) && task.until === undefined) {
      this.warn(y, [...path, retries !== undefined ? 'retries' : 'delay'], 'retries-without-until', '`retries`/`delay` have no effect without `until`', 'add `until: <condition>` (e.g. `until: result is succeeded`)');
    }
    if (args === undefined) return undefined;
    return task;
  }

  /**
   * `local_action: copy src=a dest=b` or `local_action: { module: copy, src: a, dest: b }`: the
   * task with the module as its key and `delegate_to: localhost` (Ansible's reading).
   */
  localAction(y: ParsedYaml, raw: Obj, path: Seg[]): Obj | undefined {
    const at = [...path, 'local_action'];
    const { local_action: value, ...rest } = raw;
    if ('delegate_to' in raw) {
      this.error(y, [...path, 'delegate_to'], 'bad-value', '`local_action` and `delegate_to` cannot both be set: local_action runs on localhost', 'keep one: `delegate_to: HOST` with the module as the task\'s key, or `local_action:`');
      return undefined;
    }
    let module: string | undefined;
    let args: unknown;
    if (typeof value === 'string') {
      const m = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(value);
      module = m?.[1];
      args = m?.[2]?.trim() ?? null;
    } else if (isObj(value) && typeof value.module === 'string') {
      const { module: name, ...moduleArgs } = value;
      module = name;
      args = moduleArgs;
    }
    if (module === undefined || module === '') {
      this.error(y, at, 'bad-value', '`local_action` needs a module: `local_action: command hostname` or `local_action: { module: command, cmd: hostname }`', undefined, true);
      return undefined;
    }
    if (module in rest) {
      this.error(y, at, 'two-modules', `\`local_action\` names \`${module}\`, which the task also has as a key`, 'keep one of them', true);
      return undefined;
    }
    return { ...rest, [module]: args, delegate_to: 'localhost' };
  }

  /** The text of a scalar as written in the file (for numbers: `0644` and `420` are the same value). */
  writtenAs(y: ParsedYaml, path: readonly Seg[]): string | undefined {
    const loc = y.locateValue(path);
    const line = y.source.split('\n')[loc.line - 1];
    return line === undefined ? undefined : /^[^\s,}\]#]+/.exec(line.slice(loc.col - 1))?.[0];
  }

  /** Module arguments from a mapping, a key=value string or a free-form string, merged with `args:`; validated. */
  moduleArgs(y: ParsedYaml, raw: Obj, path: Seg[], moduleKey: string, mod: AnyModule, valid: Set<string>): Record<string, Templated> | undefined {
    const value = raw[moduleKey];
    const at = [...path, moduleKey];
    let inline: Obj = {};
    if (value === null || value === undefined) inline = {};
    else if (isObj(value)) inline = { ...value };
    else if (typeof value === 'string' || typeof value === 'number') {
      const text = String(value);
      const tokens = splitKeyValue(text);
      if (mod.freeForm !== undefined) {
        // Ansible's command/shell take options inline: `command: certbot renew creates=/x chdir=/y`
        const known = new Set(Object.keys((mod.schema.properties as Obj | undefined) ?? {}));
        known.delete(mod.freeForm);
        const options = tokens.filter((t) => t.key !== undefined && known.has(t.key));
        let rest = text;
        for (const t of [...options].reverse()) rest = rest.slice(0, t.start) + rest.slice(t.end);
        for (const t of options) inline[t.key ?? ''] = coerceForSchema(mod, t.key ?? '', t.value);
        inline[mod.freeForm] = options.length > 0 ? rest.replace(/\s+/g, ' ').trim() : text;
      } else {
        const bad = tokens.find((t) => t.key === undefined);
        if (bad !== undefined) {
          this.error(
            y,
            at,
            'bad-module-args',
            `\`${moduleKey}\` takes its arguments as a mapping or as key=value pairs, but \`${bad.value}\` is neither`,
            `write them indented under \`${moduleKey}:\`, e.g. \`${moduleKey}:\` / \`  ${Object.keys((mod.schema.properties as Obj | undefined) ?? {})[0] ?? 'name'}: ...\``,
            true,
          );
          return undefined;
        }
        for (const t of tokens) inline[t.key ?? ''] = coerceForSchema(mod, t.key ?? '', t.value);
      }
    } else {
      this.error(y, at, 'bad-module-args', `arguments of \`${moduleKey}\` must be a mapping, not ${Array.isArray(value) ? 'a list' : typeof value}`, `write them indented under \`${moduleKey}:\` as \`name: value\` lines`, true);
      return undefined;
    }
    // inline arguments win over `args:` (as in Ansible)
    const args: Obj = { ...(valid.has('args') && isObj(raw.args) ? raw.args : {}), ...inline };
    // where an argument was written: under the module, under `args:`, or inside a key=value string
    const argPath = (k: Seg[]): Seg[] => {
      const first = k[0] === undefined ? undefined : String(k[0]);
      if (first !== undefined && !(first in inline) && valid.has('args') && isObj(raw.args) && first in raw.args) return [...path, 'args', ...k];
      return isObj(value) ? [...at, ...k] : at;
    };

    let ok = true;
    // numeric modes: Ansible reads YAML 1.1, so `mode: 0644` is the number 0o644 (420) and a
    // number is the mode's bits. `mode: 644` is decimal 644 = 0o1204, never what was meant:
    // an error here (Ansible takes it silently; runbook is stricter on purpose).
    for (const [k, v] of Object.entries(args)) {
      if (!/(^|_)mode$/.test(k) || typeof v !== 'number') continue;
      const written = isObj(value) || !(k in inline) ? this.writtenAs(y, argPath([k])) : undefined;
      const digits = String(v);
      const octalLiteral = written !== undefined && /^[-+]?0[0-7_]+$/.test(written);
      if (!octalLiteral && /^[0-7]{3,4}$/.test(digits)) {
        this.error(
          y,
          argPath([k]),
          'octal-mode',
          `\`${moduleKey}.${k}\` is the decimal number ${digits} (= 0o${v.toString(8)}), not the mode 0${digits}`,
          `write it with a leading zero (\`${k}: 0${digits}\`, YAML 1.1 octal as in Ansible) or quote it: \`${k}: '0${digits}'\``,
          true,
        );
        ok = false;
      } else if (Number.isInteger(v) && v >= 0 && v <= 0o7777) {
        // the bits, as the octal string every module reads
        args[k] = v.toString(8).padStart(4, '0');
      }
    }
    if (mod.name === 'set_fact') {
      // set_fact keys become variables: the same naming rule as register
      for (const k of Object.keys(args)) {
        if (k !== 'cacheable' && !IDENTIFIER.test(k) && !hasTemplate(k)) {
          this.error(y, argPath([k]), 'bad-var-name', `set_fact: \`${k}\` is not a valid variable name`, 'use letters, digits and underscores, not starting with a digit');
          ok = false;
        }
      }
    }
    const errors = validateModuleArgs(mod, args);
    const problems = describeSchemaErrors(errors, args, { label: moduleKey, schema: mod.schema, skipTemplates: true, noun: 'argument' }).filter(
      // the octal rule already explained numeric modes
      (p) => !(p.path.length === 1 && /(^|_)mode$/.test(String(p.path[0])) && typeof args[String(p.path[0])] === 'number'),
    );
    for (const p of problems) {
      this.error(y, argPath(p.path), p.kind === 'unknown-key' ? 'unknown-argument' : p.kind === 'missing' ? 'missing-argument' : 'bad-argument', p.message, p.fix, !p.atKey || !isObj(value));
      ok = false;
    }
    return ok ? args : undefined;
  }
}

/** Load, validate and normalise a playbook; every problem is returned, nothing is thrown for bad input. */
export async function loadPlaybook(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const loader = new Loader(options);
  const abs = resolve(file);
  const plays = await loader.loadPlaybookFile(abs, [abs]);
  const playbook: Playbook = { file: abs, plays };
  // notify checks on a half-loaded play would report handlers that merely failed to load
  loader.diagnostics.push(...runPlaybookRules(playbook, options, loader.locate, loader.errorCount() === 0));
  // relative paths in messages read better and match what the user typed
  const shown = (f: string): string => {
    const r = relative(process.cwd(), f);
    return r !== '' && !r.startsWith('..') ? r : f;
  };
  const diags = loader.diagnostics.map((d) => ({ ...d, location: { ...d.location, file: shown(d.location.file) } }));
  const errors = diags.filter((d) => d.severity === 'error');
  const warnings = diags.filter((d) => d.severity === 'warning');
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, playbook, warnings };
}
