// Keywords a play or block passes down to the tasks inside it (Ansible's inheritance): when
// conditions and tags add up, environment and vars stack, the innermost become/no_log/... wins.
// A keyword written as a `{{ }}` template travels in `dynamic` until the task renders it
// (keywords.ts); a literal value set further in replaces an outer template and vice versa.
import type { Play, RoleRef, Step } from '../playbook/types.js';

export interface Inherited {
  when: Array<string | boolean>;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  /** mappings, or `{{ }}` templates that render to one (`environment: "{{ proxy_env }}"`) */
  environment: Array<Record<string, unknown> | string>;
  vars: Array<Record<string, unknown>>;
  noLog?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  anyErrorsFatal?: boolean;
  ignoreErrors?: unknown;
  timeout?: number;
  runOnce?: boolean;
  /** the roles the task is inside, innermost first (role_name, role_path, ansible_search_path) */
  roles?: readonly RoleRef[];
  /** delegate_to (unrendered), delegate_facts, connection: src/engine/delegate.ts */
  delegateTo?: unknown;
  delegateFacts?: boolean;
  connection?: string;
  /** `throttle`: at most this many hosts run the task at once */
  throttle?: number;
  /** set only once a task rendered its templated `retries` / `delay` */
  retries?: number;
  delay?: number;
  /** handlers a surrounding block notifies when a task of it changed something */
  notify: string[];
  /** keywords still to render, by Ansible name (see keywords.ts) */
  dynamic: Record<string, string>;
  /** `vars:` of the include_tasks/include_role (and its loop variable) around the task: Ansible's include params */
  includeParams?: ReadonlyArray<{ vars: Record<string, unknown>; kind: 'template' | 'data' }>;
  /** how many dynamic includes deep (a recursive include_tasks is stopped) */
  includeDepth?: number;
  /** inside `rescue`: ansible_failed_task and ansible_failed_result (data, never re-rendered) */
  rescueVars?: Record<string, unknown>;
}

/** What every task of the play starts from; handlers do not inherit the play's tags. */
/** what a play passes down, once per play (every host of every batch starts from it) */
const fromPlays = new WeakMap<Play, Inherited>();

export function fromPlay(play: Play, tags?: string[]): Inherited {
  if (tags !== undefined) return playInherited(play, tags);
  let inh = fromPlays.get(play);
  if (!inh) fromPlays.set(play, (inh = playInherited(play, play.tags)));
  return inh;
}

function playInherited(play: Play, tags: string[]): Inherited {
  const { environment: envTemplate, ...dynamic } = play.taskDynamic ?? {};
  const environment: Inherited['environment'] = [];
  if (play.environment) environment.push(play.environment);
  if (envTemplate !== undefined) environment.push(envTemplate);
  return {
    when: [],
    tags,
    environment,
    vars: [],
    notify: [],
    dynamic,
    ...pick('become', play.become),
    ...pick('becomeUser', play.becomeUser),
    ...pick('checkMode', play.checkMode),
    ...pick('diff', play.diff),
    ...pick('noLog', play.noLog),
    ...pick('ignoreErrors', play.ignoreErrors),
    ...(play.connection !== undefined ? { connection: play.connection } : {}),
  };
}

export const NOTHING_INHERITED: Inherited = { when: [], tags: [], environment: [], vars: [], notify: [], dynamic: {} };

/** The keyword name in `dynamic` for each typed field a literal may set. */
const STATIC_FIELDS = {
  become: 'become',
  becomeUser: 'become_user',
  noLog: 'no_log',
  checkMode: 'check_mode',
  diff: 'diff',
  anyErrorsFatal: 'any_errors_fatal',
  timeout: 'timeout',
  runOnce: 'run_once',
  retries: 'retries',
  delay: 'delay',
} as const;

// An Inherited is never changed once made (resolveKeywords and rescue make new ones), and
// the same parent and step give the same result: each task's is made once, not once per host
// and run through the task (18 small objects and a filter each time).
const inherited = new WeakMap<Inherited, WeakMap<Step, Inherited>>();

export function inherit(parent: Inherited, k: Step): Inherited {
  let byStep = inherited.get(parent);
  if (!byStep) inherited.set(parent, (byStep = new WeakMap()));
  let inh = byStep.get(k);
  if (!inh) byStep.set(k, (inh = inheritFresh(parent, k)));
  return inh;
}

function inheritFresh(parent: Inherited, k: Step): Inherited {
  const { environment: envTemplate, ...templated } = k.dynamic ?? {};
  let dynamic = parent.dynamic;
  const literal = Object.entries(STATIC_FIELDS).filter(([field]) => (k as unknown as Record<string, unknown>)[field] !== undefined);
  if (literal.length > 0 || Object.keys(templated).length > 0) {
    dynamic = { ...parent.dynamic };
    // a literal further in wins over an outer template
    for (const [, name] of literal) delete dynamic[name];
    Object.assign(dynamic, templated);
  }
  const environment = k.environment || envTemplate !== undefined ? [...parent.environment, ...(k.environment ? [k.environment] : []), ...(envTemplate !== undefined ? [envTemplate] : [])] : parent.environment;
  return {
    when: k.kind === 'block' && k.when ? [...parent.when, ...k.when] : parent.when,
    tags: k.tags.length ? [...parent.tags, ...k.tags] : parent.tags,
    environment,
    vars: k.vars ? [...parent.vars, k.vars] : parent.vars,
    notify: k.kind === 'block' && k.notify ? [...parent.notify, ...k.notify] : parent.notify,
    dynamic,
    ...pick('become', k.become ?? parent.become),
    ...pick('becomeUser', k.becomeUser ?? parent.becomeUser),
    ...pick('noLog', k.noLog ?? parent.noLog),
    ...pick('checkMode', k.checkMode ?? parent.checkMode),
    ...pick('diff', k.diff ?? parent.diff),
    ...pick('anyErrorsFatal', k.anyErrorsFatal ?? parent.anyErrorsFatal),
    ...pick('ignoreErrors', k.ignoreErrors ?? parent.ignoreErrors),
    ...pick('timeout', k.timeout ?? parent.timeout),
    ...pick('runOnce', k.runOnce ?? parent.runOnce),
    ...pick('delegateTo', k.delegateTo ?? parent.delegateTo),
    ...pick('delegateFacts', k.delegateFacts ?? parent.delegateFacts),
    ...pick('connection', k.connection ?? parent.connection),
    ...pick('throttle', k.throttle ?? parent.throttle),
    ...pick('rescueVars', parent.rescueVars),
    ...pick('includeParams', parent.includeParams),
    ...pick('includeDepth', parent.includeDepth),
    ...pick('roles', k.role && k.role.path !== parent.roles?.[0]?.path ? [k.role, ...(parent.roles ?? [])] : parent.roles),
  };
}

function pick<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}
