// parse → schema → normalise → semantic rules. The loader accepts what Ansible users write
// (yes/no booleans, key=value arguments, free-form commands, with_items, ansible.builtin.*
// names) and produces the plain data of ./types.ts, or every problem found, with positions.
import { existsSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import type { Diagnostic, SourceLocation } from '../util/diagnostic.js';
import type { BlockNode, IncludeSpec, Play, Playbook, RoleRef, Serial, Step, TaskKeywords, TaskNode, Templated } from './types.js';
import { collectionsPathFromEnv, findRole, insideFolder, isDir as isDirectory, isFile as isFileSync, roleFiles, roleShortName, rolesPathFromEnv } from './roles.js';
import { searchCandidates, taskSearchPath } from './search-path.js';
import { readdirSync } from 'node:fs';
import { readYamlFile, unsafeText, type ParsedYaml, type YamlLimits } from './yaml.js';
import { checkRoleArgumentSpecs, type EntryPoint } from './argument-spec.js';
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
import { compile as compileTemplate } from '../template/compile.js';
import { knownFilters, knownLookupNames, knownTests } from '../template/known.js';
import { unknownTemplateNames } from './template-names.js';
import { expandSequence } from '../template/lookups/sequence.js';
import type { ModuleLookup, ModuleSpec } from './module-spec.js';

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
  /** where module names are looked up (the CLI passes src/modules/registry.ts's) */
  modules: ModuleLookup;
  /** roles_path (config file); default RUNBOOK_ROLES_PATH / ANSIBLE_ROLES_PATH, else Ansible's default */
  rolesPath?: string[];
  /** collections path for `ns.coll.role` names; default from the environment, else Ansible's default */
  collectionsPath?: string[];
}

type RoleFrom = Partial<Record<'tasks' | 'vars' | 'defaults' | 'handlers', string>>;

/** One use of a role: what it is called, which entry files, its vars and params. */
interface RoleUse {
  name: string;
  from: RoleFrom;
  vars: Obj;
  params: Obj;
  /** roles: and meta dependencies are run once per play unless allow_duplicates */
  dedupe: boolean;
  /** defaults and vars seen by the whole play (roles:, import_role) */
  public: boolean;
  /** `rolespec_validate` (default true): the role's argument spec is checked before its tasks */
  validate?: boolean;
}

/** What a play collects while its roles load. */
interface PlayRoles {
  /** public roles, in load order */
  roles: RoleRef[];
  /** the roles' handlers (they join the play's, before its own) */
  handlers: TaskNode[];
  /** role uses already loaded (dedup key → role) */
  seen: Map<string, RoleRef>;
  /** handler files already added */
  handlerFiles: Set<string>;
}

/** Task keywords (besides name/when/tags/...) each include form accepts. */
/** the modules that run as async jobs (src/modules/async-status.ts: one host command, detached) */
const ASYNC_MODULES: readonly string[] = ['command', 'shell', 'raw'];

const LOOP_KEYWORD_NAMES = ['loop', 'with_items', 'with_list', 'with_dict', 'with_sequence', 'with_together', 'loop_control'];
const INCLUDE_TASK_KEYS: Record<string, ReadonlySet<string>> = {
  import_tasks: new Set(),
  import_role: new Set(),
  include_tasks: new Set([...LOOP_KEYWORD_NAMES, 'args']),
  include_role: new Set([...LOOP_KEYWORD_NAMES, 'args']),
  include_vars: new Set([...LOOP_KEYWORD_NAMES, 'args', 'register', 'failed_when', 'changed_when']),
};
const INCLUDE_VARS_ARGS = new Set(['file', 'dir', 'name', 'depth', 'files_matching', 'ignore_files', 'extensions', 'ignore_unknown_extensions', 'hash_behaviour', 'free_form', '_raw_params']);

/** Where an include_tasks/import_tasks name is looked for: beside the including file, then along the search path's tasks/. */
export function taskFileCandidates(baseDir: string, searchPath: readonly string[], name: string): string[] {
  return [...new Set([resolve(baseDir, name), ...searchCandidates(searchPath, 'tasks', name)])];
}

/** Where an include_vars name is looked for: along the search path's vars/, then beside the including file. */
export function varsFileCandidates(baseDir: string, searchPath: readonly string[], name: string): string[] {
  return [...new Set([...searchCandidates(searchPath, 'vars', name), resolve(baseDir, name)])];
}

/** Give every step loaded from a role (that has no role of its own: a nested import_role keeps its) the role. */
export function stampRole(steps: readonly Step[], ref: RoleRef): void {
  for (const s of steps) {
    s.role ??= ref;
    if (s.kind === 'block') {
      stampRole(s.block, ref);
      stampRole(s.rescue, ref);
      stampRole(s.always, ref);
    } else if (s.include?.steps && s.include.role === undefined) stampRole(s.include.steps, ref);
  }
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
function coerceForSchema(m: ModuleSpec, key: string, value: string): unknown {
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

/** `with_<lookup>` beyond the forms the loader builds itself: the lookup's name, or undefined. */
function withLookupName(key: string): string | undefined {
  const m = /^with_([a-z_][a-z0-9_]*)$/.exec(key);
  return m?.[1] !== undefined && !(LOOP_KEYS as readonly string[]).includes(key) ? m[1] : undefined;
}

/** The variable that holds a `with_<lookup>` task's terms (rendered per host, then splatted into the query). */
export const WITH_TERMS_VAR = '__with_terms__';

/**
 * `with_<lookup>: terms` as Ansible runs it: the terms templated, a single value made a list
 * (listify_lookup_plugin_terms), then `query(lookup, *terms)`. first_found looks in the
 * action's own subdirectory first (Ansible's task executor: templates/ for template, vars/ for
 * include_vars, files/ otherwise).
 */
function withLookupLoop(name: string, action: string): string {
  const t = WITH_TERMS_VAR;
  const terms = `(${t} if (${t} is sequence and ${t} is not string and ${t} is not mapping) else [${t}])`;
  const subdir = action.includes('template') ? 'templates' : action.includes('var') ? 'vars' : 'files';
  return `{{ query('${name}', *${terms}${name === 'first_found' ? `, _subdir='${subdir}'` : ''}) }}`;
}

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

/** Every string of a value kept from templating (`!unsafe`): a spec's descriptions and choices are data. */
function unsafeDeep(v: unknown): unknown {
  if (typeof v === 'string') return unsafeText(v);
  if (Array.isArray(v)) return v.map(unsafeDeep);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsafeDeep(x)]));
  return v;
}

/**
 * The implicit task Ansible puts before a role's tasks when its entry point has an argument
 * spec: validate_argument_spec with the entry point's options (as written), the role's
 * parameters as provided arguments, tagged `always`, named as Ansible names it.
 */
function validationTask(y: ParsedYaml, entry: string, spec: EntryPoint, ref: RoleRef, dir: string): TaskNode {
  const raw = y.value !== null && isObj(y.value) && isObj(y.value.argument_specs) ? y.value.argument_specs[entry] : undefined;
  const options = isObj(raw) && isObj(raw.options) ? raw.options : {};
  return {
    kind: 'task',
    name: `Validating arguments against arg spec '${entry}'${spec.short_description !== undefined ? ` - ${spec.short_description}` : ''}`,
    module: 'validate_argument_spec',
    args: {
      argument_spec: unsafeDeep(options),
      provided_arguments: { ...(ref.params ?? {}) },
      validate_args_context: unsafeDeep({ type: 'role', name: ref.name, argument_spec_name: entry, path: dir }),
    },
    notify: [],
    tags: ['always'],
    location: y.locate(['argument_specs', entry]),
    path: `argument_specs.${entry}`,
  };
}

function newPlayRoles(): PlayRoles {
  return { roles: [], handlers: [], seen: new Map(), handlerFiles: new Set() };
}

class Loader {
  readonly diagnostics: Diagnostic[] = [];
  readonly files = new Map<string, ParsedYaml>();
  /** tasks and blocks normalised so far, across includes (an include that fans out is capped) */
  steps = 0;
  stepLimitReported = false;

  readonly modules: ModuleLookup;
  /** the directory of the playbook file whose play is being loaded: roles/ beside it */
  baseDir = '';
  /** the play being loaded: its roles and their handlers */
  play: PlayRoles = newPlayRoles();
  /** roles being loaded, innermost last (dependency cycles; role search path) */
  readonly roleStack: RoleRef[] = [];
  readonly rolesPath: string[];
  readonly collectionsPath: string[];
  /** each role directory's argument specs, read and checked once */
  readonly argumentSpecs = new Map<string, { y: ParsedYaml; entries: Record<string, EntryPoint> } | undefined>();

  constructor(readonly options: LoadOptions) {
    this.modules = options.modules;
    this.rolesPath = options.rolesPath ?? rolesPathFromEnv();
    this.collectionsPath = options.collectionsPath ?? collectionsPathFromEnv();
  }

  /** ansible_search_path while loading: the roles being loaded (innermost first), then the playbook's directory. */
  searchPath(): string[] {
    return taskSearchPath(this.baseDir, [...this.roleStack].reverse());
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
    this.baseDir = dirname(y.file);
    this.play = newPlayRoles();
    const preTasks = await steps('pre_tasks');
    // Ansible: roles run after pre_tasks (and their handlers), before tasks
    const roleSteps = valid.has('roles') ? await this.playRoles(y, item.roles, [...path, 'roles']) : [];
    const tasks = [...roleSteps, ...(await steps('tasks'))];
    const postTasks = await steps('post_tasks');
    const handlerSteps = await steps('handlers');
    // the roles' handlers come first, as Ansible compiles them
    const handlers: TaskNode[] = [...this.play.handlers];
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
    if (this.play.roles.length > 0) play.roles = this.play.roles;
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
        this.error(y, path, 'unknown-lookup', `unknown lookup \`${u.name}\`${u.guess !== undefined ? `; did you mean \`${u.guess}\`?` : ''}`, u.guess !== undefined ? `write \`lookup('${u.guess}', ...)\`` : `runbook's lookups are: ${knownLookupNames().join(', ')}`, true);
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
      const lookup = withLookupName(k);
      if (spec !== undefined) {
        if (this.checkKeyword(y, [...path, k], k, spec, value)) valid.add(k);
      } else if (lookup !== undefined && knownLookupNames().includes(lookup)) {
        valid.add(k);
      } else if (lookup !== undefined && this.modules.get(k) === undefined) {
        const guess = didYouMean(lookup, knownLookupNames());
        this.error(y, [...path, k], 'unknown-lookup', `\`${k}\`: no lookup named '${lookup}'${guess !== undefined ? `; did you mean \`with_${guess}\`?` : ''}`, guess !== undefined ? `rename it to \`with_${guess}\`` : `runbook's lookups are: ${knownLookupNames().join(', ')}`);
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

    // ---- import_tasks / include_tasks / import_role / include_role / include_vars
    if (includeKeys.length > 0) {
      if (includeKeys.length > 1) this.error(y, [...path, includeKeys[1] ?? ''], 'two-modules', `a task can have only one of ${includeKeys.map((k) => `\`${k}\``).join(' and ')}`, 'split into two tasks');
      for (const k of moduleKeys) this.error(y, [...path, k], 'two-modules', `a task cannot both include (\`${includeKeys[0] ?? ''}\`) and call a module (\`${k}\`)`, 'split into two tasks');
      const written = includeKeys[0] ?? 'import_tasks';
      const key = keywordName(written);
      const allowed = INCLUDE_TASK_KEYS[key] ?? new Set<string>();
      const isStatic = key === 'import_tasks' || key === 'import_role';
      for (const k of Object.keys(raw)) {
        const genericWith = withLookupName(k) !== undefined;
        if (!(k in TASK_ONLY_KEYWORDS || genericWith) || allowed.has(k) || (genericWith && !isStatic)) continue;
        const dynamic = key === 'import_role' ? 'include_role' : 'include_tasks';
        this.error(
          y,
          [...path, k],
          'bad-include-key',
          isStatic ? `\`${k}\` cannot be used on ${key}: it is resolved when the playbook is loaded, once` : `\`${k}\` cannot be used on ${key}`,
          isStatic && (LOOP_KEYWORD_NAMES.includes(k) || genericWith) ? `use \`${dynamic}\` to ${k === 'loop_control' ? 'loop' : k.replace(/^with_/, 'loop with ')} (resolved per host and item)` : 'put it on the included tasks',
        );
      }
      for (const k of unknownKeys) reportUnknown(k, false);
      if (!valid.has(written)) return undefined;
      if (key === 'import_tasks') return this.importTasks(y, raw, path, written, valid, includeStack, inHandlers);
      if (key === 'import_role') return this.importRole(y, raw, path, written, valid);
      return this.dynamicInclude(y, raw, path, written, key as IncludeSpec['action'], valid, includeStack, inHandlers);
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
    this.loopAndResult(y, raw, path, valid, task);
    if (args === undefined) return undefined;
    return task;
  }

  /** A task's loop, register, changed_when/failed_when and until/retries/delay (module tasks and dynamic includes). */
  loopAndResult(y: ParsedYaml, raw: Obj, path: Seg[], valid: Set<string>, task: TaskNode): void {
    // loops
    const generic = Object.keys(raw).find((k) => valid.has(k) && withLookupName(k) !== undefined);
    const loopKeys: string[] = [...LOOP_KEYS.filter((k) => k in raw), ...(generic !== undefined ? [generic] : [])];
    if (loopKeys.length > 1) this.error(y, [...path, loopKeys[1] ?? ''], 'two-loops', `the task has both \`${loopKeys[0]}\` and \`${loopKeys[1]}\``, 'keep one loop per task');
    const loopKey = loopKeys[0];
    const legacy = loopKey === 'with_dict' || loopKey === 'with_sequence' || loopKey === 'with_together';
    if (loopKey !== undefined && valid.has(loopKey) && !legacy && loopKey !== generic && typeof raw[loopKey] === 'string' && !hasTemplate(raw[loopKey])) {
      this.error(y, [...path, loopKey], 'bad-value', `\`${loopKey}\` must be a list or a \`{{ }}\` template that renders to one, not the plain string '${raw[loopKey]}'`, `write \`${loopKey}: "{{ ${raw[loopKey]} }}"\` to loop over the variable, or a YAML list`, true);
    } else if (loopKey !== undefined && valid.has(loopKey) && legacy) {
      const r = legacyLoop(loopKey, raw[loopKey]);
      if ('loop' in r) task.loop = r.loop;
      else this.error(y, [...path, loopKey], 'bad-value', r.error, r.fix, true);
    } else if (loopKey !== undefined && loopKey === generic) {
      this.checkTemplates(y, [...path, loopKey], raw[loopKey]);
      task.loop = withLookupLoop(withLookupName(loopKey) ?? '', task.module);
      task.vars = { ...task.vars, [WITH_TERMS_VAR]: raw[loopKey] };
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
      // only a module that is one host command can run detached (src/modules/async-status.ts);
      // any other is refused rather than run in the foreground behind the playbook's back
      if (!ASYNC_MODULES.includes(task.module)) {
        this.error(y, [...path, 'async'], 'async-unsupported', `\`async\` (run the task as a background job on the host) is supported for ${ASYNC_MODULES.join(', ')} only, not for \`${task.module}\`: runbook's other modules decide on the controller between host commands, so there is no one host process to detach`, `remove \`async\` and \`poll\` to run it in the foreground (use \`timeout:\` to bound it), or run the long part with \`command\`/\`shell\``);
      }
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
  }

  /** Resolve a task file name written in `y` (beside it, then along the search path): the file, or an error recorded. */
  async readTaskFile(y: ParsedYaml, p: Seg[], key: string, target: string, includeStack: string[], inHandlers = false): Promise<{ abs: string; steps?: Step[] } | undefined> {
    const candidates = taskFileCandidates(dirname(y.file), this.searchPath(), target);
    const abs = candidates.find(isFileSync) ?? candidates[0] ?? resolve(dirname(y.file), target);
    if (includeStack.includes(abs)) {
      this.error(y, p, 'include-cycle', `include cycle: ${[...includeStack, abs].map((f) => relative(dirname(includeStack[0] ?? f), f) || f).join(' → ')}`, 'remove the include that leads back to a file already being included', true);
      return undefined;
    }
    if (!candidates.some(isFileSync) && candidates.length > 1) {
      this.error(y, p, 'include-not-found', `${key}: file '${target}' not found; looked in: ${candidates.join(', ')}`, 'check the file name (relative names are looked for beside this file, then in tasks/ of the role and the playbook directory)', true);
      return undefined;
    }
    const iy = await this.readFile(abs, { y, path: p, what: `${key}:` });
    if (iy === undefined) return undefined;
    if (iy.value === null) return { abs, steps: [] };
    if (!Array.isArray(iy.value)) {
      const playLike = isObj(iy.value) && 'hosts' in iy.value;
      this.error(iy, [], 'tasks-not-list', 'a task file must be a list of tasks', playLike ? 'this looks like a play; task files contain only the task list' : 'start each task with `- `');
      return { abs };
    }
    if (iy.value.some((t) => isObj(t) && 'hosts' in t)) {
      this.error(iy, [], 'tasks-not-list', `${key} expects a task file, but ${target} is a playbook`, 'use `- import_playbook:` at the top level of a playbook, or keep only tasks in this file');
      return { abs };
    }
    return { abs, steps: await this.normaliseSteps(iy, iy.value, [], [...includeStack, abs], inHandlers) };
  }

  /** import_tasks: the file's tasks, inserted now, as a block carrying the import's keywords. */
  async importTasks(y: ParsedYaml, raw: Obj, path: Seg[], key: string, valid: Set<string>, includeStack: string[], inHandlers: boolean): Promise<Step | undefined> {
    const spec = raw[key];
    const target = typeof spec === 'string' ? spec : String((spec as Obj).file ?? (spec as Obj)._raw_params);
    const p = typeof spec === 'string' ? [...path, key] : [...path, key, 'file' in (spec as Obj) ? 'file' : '_raw_params'];
    if (isObj(spec) && 'apply' in spec) this.error(y, [...path, key, 'apply'], 'bad-include-key', '`apply` is for include_tasks (import_tasks passes its keywords to every task already)', 'put the keywords on the import_tasks task itself');
    if (hasTemplate(target)) {
      this.error(y, p, 'include-templated', `${key} with a templated file name (\`${target}\`) is not supported: import_tasks is resolved when the playbook is loaded, before variables exist`, 'use `include_tasks:` for a file name chosen per host at run time', true);
      return undefined;
    }
    const r = await this.readTaskFile(y, p, key, target, includeStack, inHandlers);
    if (r === undefined) return undefined;
    const steps = r.steps ?? [];
    const kws = this.commonKeywords(y, raw, path, valid);
    kws.name ??= `${keywordName(key)}: ${target}`;
    const block: BlockNode = { ...kws, kind: 'block', block: steps, rescue: [], always: [], fromImport: r.abs };
    return block;
  }

  /** import_role: the role's tasks, inserted now, as a block carrying the import's keywords and the role. */
  async importRole(y: ParsedYaml, raw: Obj, path: Seg[], key: string, valid: Set<string>): Promise<Step | undefined> {
    const use = this.roleArgs(y, [...path, key], raw[key], key);
    if (use === undefined) return undefined;
    if (hasTemplate(use.name) || Object.values(use.from).some((f) => f !== undefined && hasTemplate(f))) {
      this.error(y, [...path, key], 'include-templated', `${key} is resolved when the playbook is loaded, before variables exist: the role and its files must be named literally`, 'use `include_role:` to choose the role or its files per host at run time', true);
      return undefined;
    }
    const r = await this.loadRole({ y, path: [...path, key] }, use);
    if (r === undefined || r.duplicate) return undefined;
    const kws = this.commonKeywords(y, raw, path, valid);
    kws.name ??= `${keywordName(key)}: ${use.name}`;
    return { ...kws, kind: 'block', block: r.steps, rescue: [], always: [], role: r.ref };
  }

  /** The arguments of import_role/include_role: the role's name, its `*_from` files, allow_duplicates, public. */
  roleArgs(y: ParsedYaml, at: Seg[], spec: unknown, key: string): (RoleUse & { apply?: Obj }) | undefined {
    const args: Obj = typeof spec === 'string' ? { name: spec } : isObj(spec) ? spec : {};
    const name = args.name ?? args.role;
    if (typeof name !== 'string' || name === '') {
      this.error(y, at, 'missing-argument', `${key} needs the role's name: \`${key}: { name: ROLE }\``, `e.g. \`${key}:\` / \`  name: webserver\``);
      return undefined;
    }
    const from: RoleFrom = {};
    for (const f of ['tasks', 'vars', 'defaults', 'handlers'] as const) {
      const v = args[`${f}_from`];
      if (typeof v === 'string') from[f] = v;
    }
    const isStatic = keywordName(key) === 'import_role';
    if (isStatic && 'apply' in args) this.error(y, [...at, 'apply'], 'bad-include-key', '`apply` is for include_role (import_role passes its keywords to every task already)', 'put the keywords on the import_role task itself');
    const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'string' && hasTemplate(v) ? dflt : (toBool(v) ?? dflt));
    // Ansible: import_role/include_role run a role again by default; import_role's vars are seen by the play
    return {
      name,
      from,
      vars: {},
      params: {},
      dedupe: !bool(args.allow_duplicates, true),
      public: bool(args.public, isStatic),
      validate: bool(args.rolespec_validate, true),
      ...(isObj(args.apply) ? { apply: args.apply } : {}),
    };
  }

  /** `apply:` on include_tasks/include_role: block keywords given to every included task. */
  applyKeywords(y: ParsedYaml, at: Seg[], apply: Obj): TaskKeywords | undefined {
    const valid = new Set<string>();
    for (const [k, v] of Object.entries(apply)) {
      const spec = COMMON_TASK_KEYWORDS[k] ?? (k === 'notify' ? TASK_ONLY_KEYWORDS[k] : undefined);
      if (spec === undefined) {
        this.error(y, [...at, k], 'bad-include-key', `\`${k}\` cannot be applied to included tasks`, `\`apply\` takes task keywords such as ${['tags', 'become', 'when', 'vars', 'environment'].map((x) => `\`${x}\``).join(', ')}`);
        continue;
      }
      if (this.checkKeyword(y, [...at, k], k, spec, v)) valid.add(k);
    }
    return this.commonKeywords(y, apply, at, valid);
  }

  /** include_tasks / include_role / include_vars: a task resolved per host when reached (src/engine/include.ts). */
  async dynamicInclude(y: ParsedYaml, raw: Obj, path: Seg[], key: string, action: IncludeSpec['action'], valid: Set<string>, includeStack: string[], inHandlers: boolean): Promise<TaskNode | undefined> {
    const spec = raw[key];
    const at = [...path, key];
    const extra = valid.has('args') && isObj(raw.args) ? raw.args : {};
    let args: Obj;
    const include: IncludeSpec = { action, baseDir: dirname(y.file) };
    let ok = true;
    if (action === 'include_vars') {
      if (typeof spec === 'string') {
        const tokens = splitKeyValue(spec);
        args = tokens.every((t) => t.key !== undefined) && tokens.length > 0 ? Object.fromEntries(tokens.map((t) => [t.key ?? '', t.value])) : { file: spec };
      } else args = { ...(spec as Obj) };
      args = { ...extra, ...args };
      for (const alias of ['free_form', '_raw_params']) {
        if (typeof args[alias] === 'string') {
          args.file ??= args[alias];
          delete args[alias];
        }
      }
      for (const k of Object.keys(args)) {
        if (!INCLUDE_VARS_ARGS.has(k)) {
          this.error(y, isObj(spec) && k in spec ? [...at, k] : at, 'unknown-argument', `include_vars has no argument \`${k}\``, `arguments: ${[...INCLUDE_VARS_ARGS].filter((a) => !a.includes('_raw') && a !== 'free_form').join(', ')}`);
          ok = false;
        }
      }
      if (args.file === undefined && args.dir === undefined) {
        this.error(y, at, 'missing-argument', 'include_vars needs a file (`include_vars: vars/x.yml`) or `dir:`', 'e.g. `include_vars: { file: vars/main.yml }`');
        ok = false;
      }
      if (args.file !== undefined && args.dir !== undefined) {
        this.error(y, at, 'bad-argument', 'include_vars takes `file` or `dir`, not both', 'keep one');
        ok = false;
      }
      if (typeof args.name === 'string' && !hasTemplate(args.name) && !IDENTIFIER.test(args.name)) {
        this.error(y, isObj(spec) ? [...at, 'name'] : at, 'bad-var-name', `include_vars: \`${args.name}\` is not a valid variable name`, 'use letters, digits and underscores, not starting with a digit');
        ok = false;
      }
      // a literal file is checked now, as vars_files are (it may also be a file an earlier task writes: then it is read when reached)
      if (ok && typeof args.file === 'string' && !hasTemplate(args.file)) {
        const candidates = varsFileCandidates(dirname(y.file), this.searchPath(), args.file);
        const found = candidates.find(isFileSync);
        if (found !== undefined) {
          const vars = await this.readVarsFile(found, { y, path: isObj(spec) ? [...at, 'file'] : at, what: 'include_vars:' });
          if (vars !== undefined) include.file = found;
        }
      }
    } else {
      const isRole = action === 'include_role';
      const obj: Obj = typeof spec === 'string' ? (isRole ? { name: spec } : { file: spec }) : { ...(spec as Obj) };
      args = { ...extra, ...obj };
      if (!isRole && typeof args._raw_params === 'string') {
        args.file ??= args._raw_params;
        delete args._raw_params;
      }
      const apply = args.apply;
      delete args.apply;
      if (apply !== undefined) {
        if (!isObj(apply)) {
          this.error(y, [...at, 'apply'], 'bad-value', '`apply` must be a mapping of task keywords', 'e.g. `apply: { tags: [web], become: true }`', true);
          ok = false;
        } else {
          const kws = this.applyKeywords(y, [...at, 'apply'], apply);
          if (kws !== undefined) include.apply = kws;
        }
      }
      if (isRole) {
        const use = this.roleArgs(y, at, args, key);
        if (use === undefined) return undefined;
        const literal = !hasTemplate(use.name) && !Object.values(use.from).some((f) => f !== undefined && hasTemplate(f));
        if (literal) {
          // the role is loaded now: validated with the playbook, its handlers join the play's
          const r = await this.loadRole({ y, path: at }, { ...use, public: false });
          if (r === undefined) ok = false;
          else if (!r.duplicate) {
            include.steps = r.steps;
            include.role = r.ref;
          }
        }
      } else {
        const target = args.file;
        if (typeof target !== 'string' || target === '') {
          this.error(y, at, 'missing-argument', `${key} needs a file name`, `e.g. \`${key}: setup.yml\``, true);
          return undefined;
        }
        const fileAt = typeof spec === 'string' ? at : [...at, 'file'];
        const candidates = taskFileCandidates(dirname(y.file), this.searchPath(), target);
        if (!hasTemplate(target) && candidates.length > 1 && !candidates.some(isFileSync)) {
          // include_tasks is resolved when it runs (Ansible): a file that is missing here may be
          // behind a `when` that never holds on these hosts (`clock-rhel-6.yml` on Debian)
          this.warn(y, fileAt, 'include-not-found', `${key}: file '${target}' not found; looked in: ${candidates.join(', ')}; the task fails on any host where it runs`, 'check the file name, or use import_tasks to make a missing file an error when the playbook is loaded', true);
        } else if (!hasTemplate(target)) {
          const r = await this.readTaskFile(y, fileAt, key, target, includeStack);
          if (r === undefined) ok = false;
          else {
            include.file = r.abs;
            if (r.steps !== undefined) include.steps = r.steps;
          }
        }
      }
    }
    this.checkTemplates(y, at, spec);
    const kws = this.commonKeywords(y, raw, path, valid);
    const task: TaskNode = { ...kws, kind: 'task', module: action, args, notify: [], include };
    this.loopAndResult(y, raw, path, valid, task);
    if (inHandlers && valid.has('listen')) task.listen = toStringList(raw.listen);
    return ok ? task : undefined;
  }

  /** A vars file (role vars/defaults, include_vars): a mapping of valid names, or an error recorded. */
  async readVarsFile(file: string, site?: { y: ParsedYaml; path: Seg[]; what: string }): Promise<Obj | undefined> {
    const vy = await this.readFile(file, site);
    if (vy === undefined) return undefined;
    if (vy.value === null) return {};
    if (!isObj(vy.value)) {
      this.error(vy, [], 'vars-not-mapping', 'a vars file must be a mapping of variable names to values', 'write `name: value` lines at the top level');
      return undefined;
    }
    let ok = true;
    for (const k of Object.keys(vy.value)) {
      if (!IDENTIFIER.test(k)) {
        this.error(vy, [k], 'bad-var-name', `\`${k}\` is not a valid variable name`, 'use letters, digits and underscores, not starting with a digit');
        ok = false;
      }
    }
    this.checkTemplates(vy, [], vy.value);
    return ok ? { ...vy.value } : undefined;
  }

  /** A role's vars/ or defaults/ (main, or the `*_from` file; a `main/` directory's files merged in name order). */
  async roleVars(site: { y: ParsedYaml; path: Seg[] }, dir: string, folder: 'vars' | 'defaults', from: string | undefined): Promise<Obj> {
    const r = roleFiles(dir, folder, from);
    if (r.files.length === 0) {
      if (from !== undefined) this.error(site.y, site.path, 'role-file-not-found', `${folder}_from: '${from}' not found in role ${dir}; looked in: ${r.tried.join(', ')}`, `the file must be in the role's ${folder}/ directory`, true);
      return {};
    }
    let out: Obj = {};
    for (const f of r.files) {
      if (!insideFolder(dir, folder, f)) {
        this.error(site.y, site.path, 'role-file-not-found', `${folder}_from: '${from ?? ''}' is outside the role's ${folder}/ directory`, `name a file inside ${join(dir, folder)}`, true);
        continue;
      }
      const files = isDirectory(f)
        ? readdirSync(f)
            .filter((n) => /\.(ya?ml|json)$/.test(n))
            .sort()
            .map((n) => join(f, n))
        : [f];
      for (const file of files) out = { ...out, ...((await this.readVarsFile(file)) ?? {}) };
    }
    return out;
  }

  /** `roles:` on a play: each entry a block (its keywords, the role's dependencies then its tasks). */
  async playRoles(y: ParsedYaml, list: unknown, path: Seg[]): Promise<Step[]> {
    if (!Array.isArray(list)) return [];
    const out: Step[] = [];
    for (let j = 0; j < list.length; j++) {
      const b = await this.roleEntry(y, list[j], [...path, j], { dedupe: true, public: true });
      if (b?.block !== undefined) out.push(b.block);
    }
    return out;
  }

  /** A `roles:` entry or a meta dependency: `name`, or `{ role: name, vars, when, tags, ..., PARAM: value }`. */
  async roleEntry(y: ParsedYaml, entry: unknown, path: Seg[], o: { parentRoleDir?: string; dedupe: boolean; public: boolean }): Promise<{ block?: BlockNode; ref: RoleRef } | undefined> {
    const valid = new Set<string>();
    let raw: Obj = {};
    let name: unknown;
    let namePath = path;
    const params: Obj = {};
    let vars: Obj = {};
    if (typeof entry === 'string') name = entry;
    else if (isObj(entry)) {
      raw = entry;
      const nameKey = 'role' in entry ? 'role' : 'name' in entry ? 'name' : undefined;
      if (nameKey === undefined) {
        this.error(y, path, 'missing-argument', 'a role entry needs the role\'s name: `role: NAME`', 'e.g. `- role: webserver` / `  vars: { port: 8080 }`', true);
        return undefined;
      }
      name = entry[nameKey];
      namePath = [...path, nameKey];
      for (const [k, v] of Object.entries(entry)) {
        if (k === nameKey || (k === 'name' && nameKey === 'role')) continue;
        const spec = COMMON_TASK_KEYWORDS[k];
        if (k === 'vars') {
          if (spec !== undefined && this.checkKeyword(y, [...path, k], k, spec, v)) vars = { ...(v as Obj) };
        } else if (spec !== undefined) {
          if (this.checkKeyword(y, [...path, k], k, spec, v)) valid.add(k);
        } else if (UNSUPPORTED_KEYWORDS[keywordName(k)] !== undefined) {
          this.error(y, [...path, k], 'unsupported-keyword', `\`${k}\` is not supported by runbook`, UNSUPPORTED_KEYWORDS[keywordName(k)]);
        } else if (k in TASK_ONLY_KEYWORDS || k in PLAY_KEYWORDS) {
          this.error(y, [...path, k], 'bad-role-key', `\`${k}\` cannot be used on a role entry`, LOOP_KEYWORD_NAMES.includes(k) ? 'use a task with `include_role:` and `loop:` to run a role once per item' : 'put it on the role\'s tasks');
        } else if (!IDENTIFIER.test(k)) {
          this.error(y, [...path, k], 'bad-var-name', `role parameter \`${k}\` is not a valid variable name`, 'use letters, digits and underscores, not starting with a digit');
        } else params[k] = v;
      }
      this.checkTemplates(y, path, { ...params, vars });
    } else {
      this.error(y, path, 'bad-value', `a role entry must be a role name or a mapping with \`role:\`, not ${Array.isArray(entry) ? 'a list' : entry === null ? 'an empty entry' : `a ${typeof entry}`}`, 'e.g. `- common` or `- role: webserver`', true);
      return undefined;
    }
    if (typeof name !== 'string' || name === '') {
      this.error(y, namePath, 'bad-value', 'the role name must be a string', 'e.g. `role: webserver`', true);
      return undefined;
    }
    if (hasTemplate(name)) {
      this.error(y, namePath, 'include-templated', `role \`${name}\`: roles are resolved when the playbook is loaded, before variables exist`, 'name the role literally, or use a task with `include_role:` to choose it per host', true);
      return undefined;
    }
    const r = await this.loadRole({ y, path: namePath }, { name, from: {}, vars, params, dedupe: o.dedupe, public: o.public }, o.parentRoleDir);
    if (r === undefined) return undefined;
    if (r.duplicate) return { ref: r.ref };
    const kws = this.commonKeywords(y, raw, path, valid);
    return { ref: r.ref, block: { ...kws, kind: 'block', block: r.steps, rescue: [], always: [], role: r.ref } };
  }

  /**
   * Load one use of a role: find it, its meta dependencies (each a block before its tasks),
   * defaults, vars, tasks and handlers, every file validated like a playbook. `duplicate`: a
   * role already loaded in this play with the same parameters (run once, as Ansible): no steps.
   */
  async loadRole(site: { y: ParsedYaml; path: Seg[] }, use: RoleUse, parentRoleDir?: string): Promise<{ ref: RoleRef; steps: Step[]; duplicate?: true } | undefined> {
    const found = findRole(use.name, { baseDir: this.baseDir, rolesPath: this.rolesPath, collectionsPath: this.collectionsPath, ...(parentRoleDir !== undefined ? { parentRoleDir } : {}) });
    const dir = found.found;
    if (dir === undefined) {
      this.error(
        site.y,
        site.path,
        'role-not-found',
        `role '${use.name}' not found; looked in: ${found.tried.join(', ')}`,
        'put the role in roles/ beside the playbook, or add its directory to roles_path (runbook.cfg or ansible.cfg [defaults]) or RUNBOOK_ROLES_PATH/ANSIBLE_ROLES_PATH',
        true,
      );
      return undefined;
    }
    if (this.roleStack.some((r) => r.path === dir)) {
      this.error(site.y, site.path, 'role-cycle', `role dependency cycle: ${[...this.roleStack.map((r) => r.name), roleShortName(use.name)].join(' → ')}`, 'remove the dependency that leads back to a role already being loaded', true);
      return undefined;
    }
    // meta/main.yml: dependencies and allow_duplicates
    const metaFile = roleFiles(dir, 'meta').files[0];
    const my = metaFile !== undefined ? await this.readFile(metaFile) : undefined;
    const meta = my !== undefined && isObj(my.value) ? my.value : {};
    if (my !== undefined && my.value !== null && !isObj(my.value)) this.error(my, [], 'bad-value', 'meta/main.yml must be a mapping (dependencies, allow_duplicates, galaxy_info)', 'e.g. `dependencies: [common]`');
    const allowDuplicates = toBool(meta.allow_duplicates) ?? false;
    const key = JSON.stringify([dir, use.from, use.params, use.vars]);
    const seen = this.play.seen.get(key);
    if (seen !== undefined && use.dedupe && !allowDuplicates) return { ref: seen, steps: [], duplicate: true };
    const ref: RoleRef = { name: roleShortName(use.name), path: dir, fqcn: use.name };
    if (Object.keys(use.params).length > 0) ref.params = use.params;
    this.roleStack.push(ref);
    try {
      const depSteps: Step[] = [];
      let depDefaults: Obj = {};
      let depVars: Obj = {};
      const deps = meta.dependencies;
      if (deps !== undefined && deps !== null && !Array.isArray(deps)) this.error(my ?? site.y, my !== undefined ? ['dependencies'] : site.path, 'bad-value', '`dependencies` must be a list of roles', 'e.g. `dependencies: [common, { role: web, vars: { port: 80 } }]`', true);
      if (Array.isArray(deps) && my !== undefined) {
        for (let i = 0; i < deps.length; i++) {
          const depEntry: unknown = deps[i];
          const dep = await this.roleEntry(my, depEntry, ['dependencies', i], { parentRoleDir: dir, dedupe: true, public: use.public });
          if (dep?.block !== undefined) depSteps.push(dep.block);
          // a dependency that already ran (deduplicated) still lends its defaults and vars, as in Ansible
          if (dep !== undefined) {
            depDefaults = { ...depDefaults, ...(dep.ref.defaults ?? {}) };
            depVars = { ...depVars, ...(dep.ref.vars ?? {}) };
          }
        }
      }
      for (const k of Object.keys(meta)) {
        if (!['dependencies', 'allow_duplicates', 'galaxy_info', 'argument_specs', 'collections'].includes(k) && my !== undefined) {
          this.warn(my, [k], 'unknown-key', `meta/main.yml: \`${k}\` is not a role meta key (dependencies, allow_duplicates, galaxy_info, argument_specs)`, 'remove it or check the spelling');
        }
      }
      const defaults = { ...depDefaults, ...(await this.roleVars(site, dir, 'defaults', use.from.defaults)) };
      const vars = { ...depVars, ...use.vars, ...(await this.roleVars(site, dir, 'vars', use.from.vars)) };
      if (Object.keys(defaults).length > 0) ref.defaults = defaults;
      if (Object.keys(vars).length > 0) ref.vars = vars;

      const steps = await this.roleTaskFile(site, dir, 'tasks', use.from.tasks, false);
      // Ansible: the entry point's argument spec is checked first, before the role's own tasks
      // (after its dependencies), by an implicit validate_argument_spec task tagged `always`
      if (use.validate !== false) {
        const entry = use.from.tasks ?? 'main';
        const specs = await this.roleArgumentSpecs(dir, my, meta);
        const spec = specs?.entries[entry];
        if (specs !== undefined && spec !== undefined) steps.unshift(validationTask(specs.y, entry, spec, ref, dir));
      }
      stampRole(steps, ref);
      const handlerFile = roleFiles(dir, 'handlers', use.from.handlers).files[0];
      if (handlerFile !== undefined && !this.play.handlerFiles.has(handlerFile)) {
        this.play.handlerFiles.add(handlerFile);
        const hs = await this.roleTaskFile(site, dir, 'handlers', use.from.handlers, true);
        const flat: TaskNode[] = [];
        for (const h of hs) {
          if (h.kind === 'task') flat.push(h);
          else this.flattenHandlers(h, flat);
        }
        stampRole(flat, ref);
        // Ansible also answers to `ROLE : HANDLER`
        for (const h of flat) if (h.name !== undefined) h.listen = [...(h.listen ?? []), `${ref.name} : ${h.name}`];
        this.play.handlers.push(...flat);
      } else if (use.from.handlers !== undefined && handlerFile === undefined) {
        this.error(site.y, site.path, 'role-file-not-found', `handlers_from: '${use.from.handlers}' not found in role ${dir}`, "the file must be in the role's handlers/ directory", true);
      }
      this.play.seen.set(key, ref);
      if (use.public) this.play.roles.push(ref);
      return { ref, steps: [...depSteps, ...steps] };
    } finally {
      this.roleStack.pop();
    }
  }

  /**
   * A role's argument specs: meta/argument_specs.yml (.yaml, .json) when there is one, else the
   * `argument_specs` of meta/main.yml (Ansible reads one or the other, never both), checked once
   * per file (problems reported at their line).
   */
  async roleArgumentSpecs(dir: string, my: ParsedYaml | undefined, meta: Obj): Promise<{ y: ParsedYaml; entries: Record<string, EntryPoint> } | undefined> {
    const cached = this.argumentSpecs.get(dir);
    if (cached !== undefined || this.argumentSpecs.has(dir)) return cached;
    let y: ParsedYaml | undefined;
    let value: unknown;
    const file = ['.yml', '.yaml', '.json'].map((e) => join(dir, 'meta', `argument_specs${e}`)).find(isFileSync);
    if (file !== undefined) {
      y = await this.readFile(file);
      if (y !== undefined && isObj(y.value) && 'argument_specs' in y.value) value = y.value.argument_specs;
      else if (y !== undefined && y.value !== null) {
        this.warn(y, [], 'no-argument-specs', `${relative(dir, file)} has no top-level \`argument_specs:\` key: no arguments of this role are checked`, 'put the entry points under `argument_specs:` (e.g. `argument_specs:` / `  main:` / `    options: ...`)');
      }
    } else if (my !== undefined && 'argument_specs' in meta) {
      y = my;
      value = meta.argument_specs;
    }
    let out: { y: ParsedYaml; entries: Record<string, EntryPoint> } | undefined;
    if (y !== undefined && value !== undefined && value !== null) {
      const r = checkRoleArgumentSpecs(value);
      for (const p of r.problems) this.report(p.severity, y, ['argument_specs', ...p.path], p.severity === 'error' ? 'bad-argument-spec' : 'argument-spec-warning', p.message, p.fix);
      out = { y, entries: r.entries };
    }
    this.argumentSpecs.set(dir, out);
    return out;
  }

  /** A role's tasks/ or handlers/ file (main, or `tasks_from`), validated; none is an empty list (an error when named). */
  async roleTaskFile(site: { y: ParsedYaml; path: Seg[] }, dir: string, folder: 'tasks' | 'handlers', from: string | undefined, inHandlers: boolean): Promise<Step[]> {
    const r = roleFiles(dir, folder, from);
    const file = r.files[0];
    if (file === undefined) {
      if (from !== undefined) this.error(site.y, site.path, 'role-file-not-found', `${folder}_from: '${from}' not found in role ${dir}; looked in: ${r.tried.join(', ')}`, `the file must be in the role's ${folder}/ directory`, true);
      return [];
    }
    if (!insideFolder(dir, folder, file)) {
      this.error(site.y, site.path, 'role-file-not-found', `${folder}_from: '${from ?? ''}' is outside the role's ${folder}/ directory`, `name a file inside ${join(dir, folder)}`, true);
      return [];
    }
    const ty = await this.readFile(file);
    if (ty === undefined || ty.value === null) return [];
    if (!Array.isArray(ty.value)) {
      this.error(ty, [], 'tasks-not-list', `a role's ${folder} file must be a list of ${folder === 'tasks' ? 'tasks' : 'handlers'}`, 'start each task with `- `');
      return [];
    }
    return this.normaliseSteps(ty, ty.value, [], [file], inHandlers);
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
  moduleArgs(y: ParsedYaml, raw: Obj, path: Seg[], moduleKey: string, mod: ModuleSpec, valid: Set<string>): Record<string, Templated> | undefined {
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
export async function loadPlaybook(file: string, options: LoadOptions): Promise<LoadResult> {
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

// ------------------------------------------------------------------ run-time includes (src/engine/include.ts)

export interface IncludeLoadOptions extends LoadOptions {
  /** the directory of the playbook file of the play (roles/ beside it) */
  baseDir: string;
  /** the role the include is written in: its search path, and the role of the included tasks */
  role?: RoleRef;
  /** where the include is written (errors that belong to no file point here) */
  site?: SourceLocation;
}

export type IncludeLoadResult<T> = ({ ok: true; warnings: Diagnostic[] } & T) | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

function includeLoader(o: IncludeLoadOptions): Loader {
  const loader = new Loader(o);
  loader.baseDir = o.baseDir;
  if (o.role !== undefined) loader.roleStack.push(o.role);
  return loader;
}

function includeResult<T>(loader: Loader, value: T): IncludeLoadResult<T> {
  const errors = loader.diagnostics.filter((d) => d.severity === 'error');
  const warnings = loader.diagnostics.filter((d) => d.severity === 'warning');
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, warnings, ...value };
}

/** A position-only stand-in for the file an include is written in. */
function siteYaml(site: SourceLocation | undefined, file: string): ParsedYaml {
  const loc = site ?? { file, line: 1, col: 1 };
  return { file: loc.file, source: '', value: null, locate: () => loc, locateValue: () => loc };
}

/** include_tasks at run time: the task file, validated exactly as at load time. */
export async function loadIncludedTasks(file: string, o: IncludeLoadOptions): Promise<IncludeLoadResult<{ steps: Step[] }>> {
  const loader = includeLoader(o);
  const y = await loader.readFile(file);
  let steps: Step[] = [];
  if (y !== undefined && y.value !== null) {
    if (!Array.isArray(y.value)) loader.error(y, [], 'tasks-not-list', 'a task file must be a list of tasks', 'start each task with `- `');
    else steps = await loader.normaliseSteps(y, y.value, [], [file], false);
  }
  if (o.role !== undefined) stampRole(steps, o.role);
  return includeResult(loader, { steps });
}

/** include_role at run time: the role loaded and validated as `roles:` would be (its handlers too). */
export async function loadIncludedRole(
  name: string,
  from: RoleFrom,
  o: IncludeLoadOptions,
): Promise<IncludeLoadResult<{ ref: RoleRef; steps: Step[]; handlers: TaskNode[] }>> {
  const loader = includeLoader(o);
  const parent = o.role?.path;
  const r = await loader.loadRole({ y: siteYaml(o.site, o.baseDir), path: [] }, { name, from, vars: {}, params: {}, dedupe: false, public: false }, parent);
  if (r === undefined) return includeResult(loader, { ref: { name, path: '' }, steps: [], handlers: [] });
  return includeResult(loader, { ref: r.ref, steps: r.steps, handlers: loader.play.handlers });
}

/** include_vars at run time: one vars file, validated as vars_files are. */
export async function loadVarsFile(file: string, o: IncludeLoadOptions): Promise<IncludeLoadResult<{ vars: Record<string, Templated> }>> {
  const loader = includeLoader(o);
  const vars = await loader.readVarsFile(file);
  return includeResult(loader, { vars: vars ?? {} });
}

/** Where a role is looked for at run time (include_role with a templated name): the same search as at load time. */
export function findRoleFor(name: string, o: IncludeLoadOptions): { found?: string; tried: string[] } {
  const loader = new Loader(o);
  return findRole(name, { baseDir: o.baseDir, rolesPath: loader.rolesPath, collectionsPath: loader.collectionsPath, ...(o.role !== undefined ? { parentRoleDir: o.role.path } : {}) });
}

export type { RoleFrom };
