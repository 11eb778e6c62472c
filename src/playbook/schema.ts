// The playbook JSON Schema (draft-07), built in code from the keyword tables below and the
// module registry, so the published schema, the editor completion and the validator never
// drift apart. Module argument schemas come from each module's own `schema` at runtime.
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, SchemaObject, ValidateFunction } from 'ajv';
import { moduleNamesOf, type ModuleSpec } from './module-spec.js';
import { KEYWORD_VALIDATORS, MODULE_VALIDATORS } from './validators.generated.js';
import { booleanSpellings } from '../util/booleans.js';
import { knownLookupNames } from '../template/known.js';


export const SCHEMA_BASE_URL = 'https://runbook.dev/schemas';


const TEMPLATE = { type: 'string', pattern: '\\{\\{.*\\}\\}|\\{%.*%\\}' } as const;

export const DEFINITIONS: Record<string, SchemaObject> = {
  boolean: {
    description: 'true/false (yes/no, on/off are accepted too)',
    anyOf: [{ type: 'boolean' }, { type: 'string', enum: booleanSpellings() }],
  },
  'boolean-or-template': {
    description: 'true/false, or a `{{ }}` template that renders to one',
    anyOf: [{ $ref: '#/definitions/boolean' }, TEMPLATE],
  },
  condition: {
    description: 'a Jinja expression without {{ }} (e.g. `ansible_os_family == "Debian"`), true/false, or a list of them (all must hold)',
    anyOf: [
      { type: 'string' },
      { type: 'boolean' },
      { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } },
    ],
  },
  'string-list': {
    description: 'a string or a list of strings',
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  },
  tags: {
    description: 'a tag, a comma-separated string of tags, or a list of tags',
    anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'array', items: { type: ['string', 'number'] } }],
  },
  vars: {
    description: 'a mapping of variable names to values',
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  },
  'non-negative-integer': {
    description: 'a whole number of 0 or more',
    anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }],
  },
  'integer-or-template': {
    description: 'a whole number of 0 or more, or a `{{ }}` template that renders to one',
    anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }, TEMPLATE],
  },
  seconds: {
    description: 'a number of seconds (0.5 is allowed), or a `{{ }}` template that renders to one',
    anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' }, TEMPLATE],
  },
  loop: {
    description: 'a list, or a `{{ }}` template that renders to a list',
    anyOf: [{ type: 'array' }, { type: 'string' }],
  },
  'loop-control': {
    description: 'loop_var, label, index_var, pause, extended, extended_allitems, break_when',
    type: 'object',
    properties: {
      loop_var: { type: 'string', description: 'name of the loop variable (default `item`)' },
      label: { type: 'string', description: 'what the output shows for each item' },
      index_var: { type: 'string', description: 'name of a variable holding the 0-based index' },
      pause: { type: 'number', minimum: 0, description: 'seconds between items' },
      extended: { $ref: '#/definitions/boolean', description: '`ansible_loop` with previtem, nextitem, revindex, allitems, ...' },
      extended_allitems: { $ref: '#/definitions/boolean', description: 'false: `ansible_loop.allitems` is left out (big loops)' },
      break_when: { $ref: '#/definitions/condition', description: 'stop the loop after the item for which this condition holds' },
    },
    additionalProperties: false,
  },
  environment: {
    description: 'a mapping of environment variables (NAME: value), or a `{{ }}` template that renders to one',
    anyOf: [{ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } }, TEMPLATE],
  },
  serial: {
    description: 'batch size: a number, a percentage like "30%", or a list of them for growing batches (each may be a `{{ }}` template)',
    anyOf: [
      TEMPLATE,
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?%?$' },
      {
        type: 'array',
        minItems: 1,
        items: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?%?$' }, TEMPLATE] },
      },
    ],
  },
  'include-file': {
    description: 'the task file to include (relative to this file, else along the search path), or `{ file, apply }`',
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        properties: { file: { type: 'string', minLength: 1 }, _raw_params: { type: 'string', minLength: 1 }, apply: { type: 'object' } },
        additionalProperties: false,
      },
    ],
  },
  'role-args': {
    description: 'a role name, or `{ name, tasks_from, vars_from, defaults_from, handlers_from, public, allow_duplicates, apply }`',
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1 },
          role: { type: 'string', minLength: 1 },
          tasks_from: { type: 'string', minLength: 1 },
          vars_from: { type: 'string', minLength: 1 },
          defaults_from: { type: 'string', minLength: 1 },
          handlers_from: { type: 'string', minLength: 1 },
          public: { anyOf: [{ $ref: '#/definitions/boolean' }, TEMPLATE] },
          allow_duplicates: { anyOf: [{ $ref: '#/definitions/boolean' }, TEMPLATE] },
          rolespec_validate: { anyOf: [{ $ref: '#/definitions/boolean' }, TEMPLATE] },
          apply: { type: 'object' },
        },
        additionalProperties: false,
      },
    ],
  },
  'include-vars-args': {
    description: 'a vars file, or `{ file | dir, name, files_matching, ignore_files, depth, extensions }`',
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        properties: {
          file: { type: 'string', minLength: 1 },
          dir: { type: 'string', minLength: 1 },
          _raw_params: { type: 'string', minLength: 1 },
          free_form: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          depth: { anyOf: [{ type: 'integer', minimum: 0 }, TEMPLATE] },
          files_matching: { type: 'string' },
          ignore_files: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          extensions: { type: 'array', items: { type: 'string' } },
          ignore_unknown_extensions: { anyOf: [{ $ref: '#/definitions/boolean' }, TEMPLATE] },
          hash_behaviour: { type: 'string', enum: ['replace', 'merge'] },
        },
        additionalProperties: false,
      },
    ],
  },
  roles: {
    description: 'roles to run before `tasks`: a name, or `{ role: NAME, vars: {...}, when: ..., tags: ..., PARAM: value }`',
    type: 'array',
    items: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'object', anyOf: [{ required: ['role'] }, { required: ['name'] }] },
      ],
    },
  },
  tasks: {
    description: 'a list of tasks',
    anyOf: [{ type: 'array', items: { $ref: '#/definitions/task' } }, { type: 'null' }],
  },
};

export interface KeywordSpec {
  /** schema of the keyword's value (may `$ref` DEFINITIONS) */
  schema: SchemaObject;
  /** what the value must be, for messages: "`become` must be <expect>" */
  expect: string;
  description: string;
  /** a valid value, for fixes: "`become: true`" */
  example?: string;
}

/** A valid value of each shared definition, shown in fixes. */
const EXAMPLES: Record<string, string> = {
  boolean: 'true',
  'boolean-or-template': 'true',
  condition: 'result.rc == 0',
  'string-list': '[first, second]',
  tags: '[setup, web]',
  vars: '{ app_port: 8080 }',
  'non-negative-integer': '30',
  'integer-or-template': '3',
  seconds: '5',
  loop: '[a, b]',
  'loop-control': '{ loop_var: pkg, label: "{{ pkg }}" }',
  environment: '{ LC_ALL: C }',
  serial: '"25%"',
  'include-file': 'tasks/setup.yml',
  'role-args': '{ name: webserver, tasks_from: install }',
  'include-vars-args': 'vars/{{ ansible_os_family }}.yml',
  roles: '[common, { role: webserver, vars: { port: 8080 } }]',
  tasks: '[ { debug: { msg: hello } } ]',
};

const ref = (name: string): SchemaObject => ({ $ref: `#/definitions/${name}` });
const expectOf = (name: string): string => String(DEFINITIONS[name]?.description ?? name);
const kw = (name: string, description: string): KeywordSpec => ({
  schema: ref(name),
  expect: expectOf(name),
  description,
  ...(EXAMPLES[name] !== undefined ? { example: EXAMPLES[name] } : {}),
});
const str = (description: string): KeywordSpec => ({ schema: { type: 'string' }, expect: 'a string', description, example: 'some text' });

/** Only sudo: the value is checked by the loader so any other method gets its own message. */
const BECOME_METHOD: KeywordSpec = { schema: { type: 'string' }, expect: 'a string', description: 'how to become another user: only `sudo` is supported', example: 'sudo' };

/** How a host is reached: ssh (Ansible's smart/paramiko too) or local (the controller). */
const CONNECTION: KeywordSpec = {
  schema: { type: 'string', enum: ['local', 'ssh', 'smart', 'paramiko', 'paramiko_ssh'] },
  expect: 'one of: local, ssh',
  description: '`local`: run on the controller instead of over SSH (the host\'s variables stay the same)',
  example: 'local',
};

/** Keywords allowed on tasks, blocks and includes (Ansible's task keywords). */
export const COMMON_TASK_KEYWORDS: Record<string, KeywordSpec> = {
  name: str('what this task does, shown in the output'),
  when: kw('condition', 'run only when this condition holds (a Jinja expression without {{ }})'),
  become: kw('boolean-or-template', 'run with sudo'),
  become_user: str('user to become (default root; may be a `{{ }}` template)'),
  become_method: BECOME_METHOD,
  remote_user: str('the SSH login user for this task (the inventory\'s ansible_user wins, as in Ansible)'),
  tags: kw('tags', 'tags to select or skip this task with --tags/--skip-tags'),
  ignore_errors: kw('boolean-or-template', 'carry on when this task fails'),
  no_log: kw('boolean-or-template', 'hide arguments and results from output and logs (secrets)'),
  check_mode: kw('boolean-or-template', 'true: always run in check mode; false: run for real even with --check'),
  diff: kw('boolean-or-template', 'true: show file differences even without --diff; false: never show them'),
  any_errors_fatal: kw('boolean-or-template', 'when this fails on one host, stop every host of the batch'),
  run_once: kw('boolean-or-template', 'run on the first host of the batch only'),
  delegate_to: str('run the task on this host (an inventory host, an address, or localhost) with the variables of the task\'s host'),
  delegate_facts: kw('boolean', 'facts the task gathers or sets go to the delegated host, not the task\'s host'),
  connection: CONNECTION,
  environment: kw('environment', 'environment variables for the commands of this task'),
  vars: kw('vars', 'variables for this task'),
  timeout: kw('integer-or-template', 'seconds before the task is failed'),
  throttle: kw('non-negative-integer', 'at most this many hosts run this task at once (0: no limit beyond forks)'),
};

/** Keywords only for tasks that call a module. */
export const TASK_ONLY_KEYWORDS: Record<string, KeywordSpec> = {
  args: { schema: { type: 'object' }, expect: 'a mapping of module arguments', description: 'module arguments (merged with the inline ones)', example: '{ chdir: /tmp }' },
  loop: kw('loop', 'run the task once per item'),
  with_items: kw('loop', 'Ansible’s older loop form (a list is flattened one level)'),
  with_list: kw('loop', 'Ansible’s older loop form'),
  with_dict: {
    schema: { anyOf: [{ type: 'object' }, { type: 'string' }] },
    expect: 'a mapping, or a `{{ }}` template that renders to one',
    example: '"{{ users }}"',
    description: 'Ansible’s older loop over a mapping: `item.key` and `item.value` (as `loop: "{{ x | dict2items }}"`)',
  },
  with_sequence: {
    schema: { type: 'string' },
    expect: 'a string such as `start=1 end=5 stride=1 format=web%02d` or `count=3`',
    example: 'start=1 end=5',
    description: 'Ansible’s older loop over numbers: start, end (or count), stride, format; items are strings',
  },
  with_together: {
    schema: { anyOf: [{ type: 'array', items: { anyOf: [{ type: 'array' }, { type: 'string' }] } }, { type: 'string' }] },
    expect: 'a list of lists (or `{{ }}` templates of lists)',
    example: '[[a, b], [1, 2]]',
    description: 'Ansible’s older loop over lists side by side: `item.0`, `item.1` (missing values are null)',
  },
  loop_control: kw('loop-control', 'loop_var, label, index_var'),
  register: str('save the result in this variable'),
  notify: kw('string-list', 'handlers to run at the end of the play when this task changed something'),
  changed_when: kw('condition', 'decide "changed" with this condition'),
  failed_when: kw('condition', 'decide "failed" with this condition'),
  until: kw('condition', 'retry until this condition holds'),
  retries: kw('integer-or-template', 'how many times to retry with until (default 3)'),
  delay: kw('seconds', 'seconds between retries (default 5)'),
  action: {
    schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object', required: ['module'], properties: { module: { type: 'string', minLength: 1 } } }] },
    expect: 'a module with its arguments (`action: copy src=a dest=b`) or a mapping with `module:` and the arguments',
    example: 'ping',
    description: 'the module to run, as Ansible’s older form: `action: module args`',
  },
  listen: kw('string-list', 'handlers only: extra names that notify this handler'),
  async: kw('non-negative-integer', 'run as a background job on the host for at most this many seconds (command, shell, raw); see poll and async_status; 0 runs in the foreground'),
  poll: kw('non-negative-integer', 'seconds between checks of an async job (default 15); 0: start it and go on'),
  local_action: {
    schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object', properties: { module: { type: 'string', minLength: 1 } }, required: ['module'] }] },
    expect: 'a module with its arguments (`command echo hi`, or a mapping with `module:`)',
    example: '{ module: command, cmd: hostname }',
    description: 'run this module on the controller (delegate_to: localhost)',
  },
};

export const BLOCK_KEYWORDS: Record<string, KeywordSpec> = {
  block: kw('tasks', 'tasks run in order'),
  rescue: kw('tasks', 'tasks run when a task of the block failed'),
  always: kw('tasks', 'tasks run after the block, failed or not'),
};

export const INCLUDE_KEYWORDS: Record<string, KeywordSpec> = {
  import_tasks: kw('include-file', 'insert the tasks of another file here (resolved when the playbook is loaded)'),
  include_tasks: kw('include-file', 'run the tasks of another file here, resolved per host when reached (the name may be a template)'),
  import_role: kw('role-args', 'insert a role\'s tasks here (resolved when the playbook is loaded)'),
  include_role: kw('role-args', 'run a role here, resolved per host when reached (the name may be a template; `loop` allowed)'),
  include_vars: kw('include-vars-args', 'load variables from a YAML file or directory, per host when reached'),
};

export const PLAY_KEYWORDS: Record<string, KeywordSpec> = {
  name: str('what this play does'),
  hosts: {
    schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }] },
    expect: 'a host pattern such as `all`, `web`, `web:!staging`, `web:&prod` (or a list of patterns)',
    example: 'webservers',
    description: 'which inventory hosts this play runs on',
  },
  vars: kw('vars', 'variables for this play'),
  vars_files: {
    schema: { anyOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] } }] },
    expect: 'a file name, or a list of file names (an entry may itself be a list: the first that exists is read)',
    example: '[vars/common.yml, [vars/site.yml, vars/default.yml]]',
    description: 'YAML files with variables, relative to the playbook',
  },
  roles: kw('roles', 'roles run after pre_tasks (and their handlers), before `tasks`'),
  become: kw('boolean-or-template', 'run tasks with sudo'),
  become_user: str('user to become (default root; may be a `{{ }}` template)'),
  become_method: BECOME_METHOD,
  remote_user: str('the SSH login user (the inventory\'s ansible_user wins, as in Ansible)'),
  connection: CONNECTION,
  gather_facts: kw('boolean-or-template', 'collect host facts before the tasks (default true)'),
  serial: kw('serial', 'roll out in batches'),
  environment: kw('environment', 'environment variables for the commands of every task of the play'),
  check_mode: kw('boolean-or-template', 'true: every task runs in check mode; false: for real even with --check'),
  diff: kw('boolean-or-template', 'true: show file differences even without --diff; false: never'),
  no_log: kw('boolean-or-template', 'hide arguments and results of every task (secrets)'),
  ignore_errors: kw('boolean-or-template', 'carry on when a task fails'),
  max_fail_percentage: {
    schema: { anyOf: [{ type: 'number', minimum: 0, maximum: 100 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?%?$' }, TEMPLATE] },
    expect: 'a number from 0 to 100',
    example: '30',
    description: 'stop the rollout when more than this share of a batch failed',
  },
  max_fail_total: kw('non-negative-integer', 'failed hosts tolerated across all batches of the rollout; the next failure stops it (no later batch starts)'),
  max_unreachable_total: kw('non-negative-integer', 'unreachable hosts tolerated across all batches (counted apart from failures); the next one stops the rollout'),
  count_unreachable: kw('boolean', 'unreachable hosts count as failures for max_fail_total and fail_fast (default false: counted apart)'),
  fail_fast: kw('boolean', 'stop the rollout at the first failed host of a batch: no host starts another task, no later batch starts'),
  approve_batches: {
    schema: { anyOf: [{ type: 'string', enum: ['all', 'first', 'none'] }, { type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer', minimum: 1 } }] },
    expect: 'first, all, none, a batch number or a list of batch numbers',
    example: 'first',
    description: "pause after these batches for the operator's approval (first: after the canary); never waits in CI unless --approve-ci says what to do",
  },
  order: {
    schema: { type: 'string', enum: ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] },
    expect: 'one of: inventory, reverse_inventory, sorted, reverse_sorted, shuffle',
    example: 'sorted',
    description: 'the order hosts are taken in (and so split into serial batches)',
  },
  any_errors_fatal: kw('boolean-or-template', 'stop every host when one fails'),
  strategy: {
    schema: { anyOf: [{ type: 'string', enum: ['linear', 'free'] }, TEMPLATE] },
    expect: 'one of: linear, free (or a `{{ }}` template that renders to one)',
    example: 'linear',
    description: 'linear: hosts move task by task together; free: each host runs at its own pace',
  },
  tags: kw('tags', 'tags applied to every task of the play'),
  pre_tasks: kw('tasks', 'tasks run before `tasks` (and their handlers)'),
  tasks: kw('tasks', 'the tasks of the play'),
  post_tasks: kw('tasks', 'tasks run after `tasks`'),
  handlers: kw('tasks', 'tasks run at the end when notified'),
};

/** Ansible keywords that runbook knows but does not implement: a clear message beats "unknown key". */
export const UNSUPPORTED_KEYWORDS: Record<string, string> = {
  include: 'the old `include` was removed from Ansible too; use import_tasks',
  collections: 'collections are not used; modules are built in',
  import_playbook: 'import_playbook is a play-level entry: `- import_playbook: other.yml`',
};

/** Keywords that are actions in Ansible and so also answer to `ansible.builtin.X` / `ansible.legacy.X`. */
const FQCN_KEYWORDS = new Set(['import_tasks', 'include_tasks', 'import_playbook', 'include_vars', 'include_role', 'import_role', 'include']);

/** `ansible.builtin.import_tasks` → `import_tasks` (the same for `ansible.legacy.`); other keys unchanged. */
export function keywordName(key: string): string {
  const m = /^ansible\.(?:builtin|legacy)\.(.+)$/.exec(key);
  return m?.[1] !== undefined && FQCN_KEYWORDS.has(m[1]) ? m[1] : key;
}

/** Every spelling of a keyword that has a collection name (for the published schema). */
export function keywordSpellings(name: string): string[] {
  return FQCN_KEYWORDS.has(name) ? [name, `ansible.builtin.${name}`, `ansible.legacy.${name}`] : [name];
}

export function moduleDefinitionName(name: string): string {
  return `module-${name}`;
}

/** Rewrite the module's local `#/...` refs so the schema still works when embedded under definitions. */
function relocateRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((v) => relocateRefs(v, prefix));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$schema' || k === '$id') continue;
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `#/${prefix}/${v.slice(2)}` : relocateRefs(v, prefix);
    }
    return out;
  }
  return value;
}

/**
 * Module arguments may be `{{ }}` templates whatever their type (they are rendered before the
 * module runs). The loader skips type checks on templates; the published schema says the same
 * by allowing a template string next to each argument's own schema.
 */
function allowTemplates(schema: SchemaObject): SchemaObject {
  const props = schema.properties as Record<string, SchemaObject> | undefined;
  if (props === undefined) return schema;
  const wrapped: Record<string, SchemaObject> = {};
  for (const [k, p] of Object.entries(props)) {
    const { description, ...rest } = p;
    wrapped[k] = { ...(description !== undefined ? { description: description as string } : {}), anyOf: [rest, TEMPLATE] };
  }
  return { ...schema, properties: wrapped };
}

function moduleDescription(m: ModuleSpec): string {
  return m.doc.short + (m.freeForm !== undefined ? ` (free form: \`${m.name}: ...\` sets \`${m.freeForm}\`)` : '');
}

/** The published schema of one module's arguments. */
export function buildModuleSchema(m: ModuleSpec): SchemaObject {
  const body = relocateRefs(allowTemplates(m.schema), '') as SchemaObject;
  // relocateRefs with an empty prefix turns `#/x` into `#//x`; undo for the standalone file
  const fixed = JSON.parse(JSON.stringify(body).replace(/"#\/\//g, '"#/')) as SchemaObject;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `${SCHEMA_BASE_URL}/modules/${m.name}.schema.json`,
    title: `runbook module ${m.name}`,
    description: moduleDescription(m),
    ...fixed,
  };
}

function keywordProperties(...tables: Array<Record<string, KeywordSpec>>): Record<string, SchemaObject> {
  const props: Record<string, SchemaObject> = {};
  for (const table of tables) {
    for (const [k, spec] of Object.entries(table)) for (const n of keywordSpellings(k)) props[n] = { ...spec.schema, description: spec.description };
  }
  return props;
}

/**
 * The playbook schema published for editors: plays, tasks with every keyword, and each module
 * name (with its `ansible.builtin.` alias) whose value is that module's arguments.
 */
/** `with_<lookup>` for every lookup the loader accepts it for (the forms with a keyword entry keep theirs). */
function withLookupProperties(lookups: readonly string[]): Record<string, SchemaObject> {
  const out: Record<string, SchemaObject> = {};
  for (const n of lookups) {
    const key = `with_${n}`;
    if (COMMON_TASK_KEYWORDS[key] !== undefined || TASK_ONLY_KEYWORDS[key] !== undefined) continue;
    out[key] = { description: `loop over the items of \`query('${n}', ...)\` (Ansible's with_${n})` };
  }
  return out;
}

export function buildPlaybookSchema(modules: readonly ModuleSpec[], lookups: readonly string[] = knownLookupNames()): SchemaObject {
  const definitions: Record<string, SchemaObject> = { ...DEFINITIONS };
  const moduleProps: Record<string, SchemaObject> = {};
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) {
    const def = moduleDefinitionName(m.name);
    definitions[def] = relocateRefs(allowTemplates(m.schema), `definitions/${def}`) as SchemaObject;
    const value: SchemaObject = {
      description: moduleDescription(m),
      anyOf: [
        { $ref: `#/definitions/${def}` },
        { type: 'string', description: m.freeForm !== undefined ? `free-form ${m.freeForm}` : 'key=value arguments' },
        { type: 'null' },
      ],
    };
    const names = moduleNamesOf(m);
    for (const n of names) moduleProps[n] ??= value;
  }
  definitions.task = {
    description: 'a task: one module with its arguments, a block, or an import of a task file',
    type: 'object',
    properties: {
      ...keywordProperties(COMMON_TASK_KEYWORDS, TASK_ONLY_KEYWORDS, BLOCK_KEYWORDS, INCLUDE_KEYWORDS),
      ...withLookupProperties(lookups),
      ...moduleProps,
    },
    additionalProperties: false,
  };
  definitions.play = {
    description: 'a play: which hosts, and the tasks to run on them',
    type: 'object',
    properties: keywordProperties(PLAY_KEYWORDS),
    additionalProperties: false,
    required: ['hosts'],
  };
  const importNames = keywordSpellings('import_playbook');
  definitions['import-playbook'] = {
    type: 'object',
    properties: {
      ...Object.fromEntries(importNames.map((n) => [n, { type: 'string', description: 'another playbook whose plays run here, relative to this file' }])),
      name: { type: 'string' },
    },
    anyOf: importNames.map((n) => ({ required: [n] })),
    additionalProperties: false,
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `${SCHEMA_BASE_URL}/playbook.schema.json`,
    title: 'runbook playbook',
    description: 'A list of plays. Add `# yaml-language-server: $schema=<path>/playbook.schema.json` to a playbook for completion.',
    type: 'array',
    items: { anyOf: [{ $ref: '#/definitions/play' }, { $ref: '#/definitions/import-playbook' }] },
    definitions,
  };
}

// ---------------------------------------------------------------------------------------------
// Validators used by the loader: keyword values, and module arguments.
//
// The keyword tables and the registered modules are validated by code generated ahead of time
// (validators.generated.ts, written by `npm run schemas` from keywordSchema/moduleArgsSchema
// with AJV_OPTIONS): loading ajv's compiler and compiling at startup cost nearly half of
// `runbook validate`. Anything else (a module or spec made in a test) is compiled here, with
// the same options, by an Ajv loaded on first need.

/** strict off: module schemas may carry annotations (examples, x-...) that are not errors */
export const AJV_OPTIONS = { allErrors: true, strict: false, allowUnionTypes: true } as const satisfies Options;

/** The keyword tables the loader checks against, by name (names the generated validators). */
export const KEYWORD_TABLES: Readonly<Record<string, Record<string, KeywordSpec>>> = {
  PLAY_KEYWORDS,
  COMMON_TASK_KEYWORDS,
  TASK_ONLY_KEYWORDS,
  BLOCK_KEYWORDS,
  INCLUDE_KEYWORDS,
};

/**
 * What a keyword's value is validated against: its schema, with the DEFINITIONS its refs reach
 * (only those: every validator would otherwise carry all of them).
 */
export function keywordSchema(spec: KeywordSpec): SchemaObject {
  const definitions: Record<string, SchemaObject> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) visit(n);
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        const name = k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/') ? v.slice('#/definitions/'.length) : undefined;
        if (name === undefined) visit(v);
        else if (!(name in definitions)) {
          // `task` is referenced by `tasks`; the loader checks each task itself (with better messages).
          // A ref to a definition that does not exist stays unresolved, and ajv says so.
          const def = name === 'task' ? {} : DEFINITIONS[name];
          if (def === undefined) continue;
          definitions[name] = def;
          visit(def);
        }
      }
    }
  };
  visit(spec.schema);
  return Object.keys(definitions).length > 0 ? { ...spec.schema, definitions } : { ...spec.schema };
}

/** What a module's arguments are validated against: its schema, without $schema/$id. */
export function moduleArgsSchema(m: ModuleSpec): SchemaObject {
  const { $schema: _s, $id: _i, ...schema } = m.schema as Record<string, unknown>;
  return schema;
}

// one Ajv for everything compiled at runtime: each new instance compiles the draft-07
// meta-schema again
let runtimeAjv: Ajv | undefined;

function compile(schema: SchemaObject): ValidateFunction {
  if (runtimeAjv === undefined) {
    // ajv is CommonJS: required synchronously, and only when something is not precompiled
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv };
    runtimeAjv = new AjvClass(AJV_OPTIONS);
  }
  return runtimeAjv.compile(schema);
}

let keywordValidators: WeakMap<KeywordSpec, ValidateFunction> | undefined;

/** Validate one keyword's value against its spec (refs resolved against DEFINITIONS). */
export function validateKeyword(spec: KeywordSpec, value: unknown): ErrorObject[] {
  if (keywordValidators === undefined) {
    keywordValidators = new WeakMap();
    for (const [table, specs] of Object.entries(KEYWORD_TABLES)) {
      for (const [name, s] of Object.entries(specs)) {
        const pre = KEYWORD_VALIDATORS[`${table}.${name}`];
        if (pre !== undefined) keywordValidators.set(s, pre);
      }
    }
  }
  let v = keywordValidators.get(spec);
  if (v === undefined) {
    v = compile(keywordSchema(spec));
    keywordValidators.set(spec, v);
  }
  return v(value) ? [] : [...(v.errors ?? [])];
}

const moduleValidators = new WeakMap<object, ValidateFunction>();

/**
 * The module registry's modules validate with the code `npm run schemas` generated from them
 * (no ajv compile at start-up); any other module (a test's own) compiles its schema on first use.
 */
export function usePrecompiledValidators(modules: readonly ModuleSpec[]): void {
  for (const m of modules) {
    const v = MODULE_VALIDATORS[m.name];
    if (v !== undefined) moduleValidators.set(m, v);
  }
}

/** Validate module arguments against the module's own schema; errors are ajv's (see describeArgErrors). */
export function validateModuleArgs(m: ModuleSpec, args: Record<string, unknown>): ErrorObject[] {
  let v = moduleValidators.get(m);
  if (v === undefined) {
    v = compile(moduleArgsSchema(m));
    moduleValidators.set(m, v);
  }
  return v(args) ? [] : [...(v.errors ?? [])];
}

/**
 * Every published schema file (path relative to the package root → content). One source for
 * `npm run schemas` (scripts/write-schemas.ts) and the test that keeps schemas/ in sync.
 */
export function publishedSchemaFiles(modules: readonly ModuleSpec[]): Map<string, string> {
  const files = new Map<string, string>();
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  files.set('schemas/playbook.schema.json', json(buildPlaybookSchema(modules)));
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) {
    files.set(`schemas/modules/${m.name}.schema.json`, json(buildModuleSchema(m)));
  }
  return files;
}
