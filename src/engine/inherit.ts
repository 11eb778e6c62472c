// Keywords a play or block passes down to the tasks inside it (Ansible's inheritance): when
// conditions and tags add up, environment and vars stack, the innermost become/no_log/... wins.
import type { Play, RoleRef, Step } from '../playbook/types.js';

export interface Inherited {
  when: Array<string | boolean>;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment: Array<Record<string, unknown>>;
  vars: Array<Record<string, unknown>>;
  noLog?: boolean;
  checkMode?: boolean;
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
  /** inside `rescue`: ansible_failed_task and ansible_failed_result (data, never re-rendered) */
  rescueVars?: Record<string, unknown>;
}

/** What every task of the play starts from; handlers do not inherit the play's tags. */
export function fromPlay(play: Play, tags: string[] = play.tags): Inherited {
  return {
    when: [],
    tags,
    environment: [],
    vars: [],
    ...(play.become !== undefined ? { become: play.become } : {}),
    ...(play.becomeUser !== undefined ? { becomeUser: play.becomeUser } : {}),
    ...(play.connection !== undefined ? { connection: play.connection } : {}),
  };
}

export const NOTHING_INHERITED: Inherited = { when: [], tags: [], environment: [], vars: [] };

export function inherit(parent: Inherited, k: Step): Inherited {
  return {
    when: k.kind === 'block' && k.when ? [...parent.when, ...k.when] : parent.when,
    tags: k.tags.length ? [...parent.tags, ...k.tags] : parent.tags,
    environment: k.environment ? [...parent.environment, k.environment] : parent.environment,
    vars: k.vars ? [...parent.vars, k.vars] : parent.vars,
    ...pick('become', k.become ?? parent.become),
    ...pick('becomeUser', k.becomeUser ?? parent.becomeUser),
    ...pick('noLog', k.noLog ?? parent.noLog),
    ...pick('checkMode', k.checkMode ?? parent.checkMode),
    ...pick('ignoreErrors', k.ignoreErrors ?? parent.ignoreErrors),
    ...pick('timeout', k.timeout ?? parent.timeout),
    ...pick('runOnce', k.runOnce ?? parent.runOnce),
    ...pick('delegateTo', k.delegateTo ?? parent.delegateTo),
    ...pick('delegateFacts', k.delegateFacts ?? parent.delegateFacts),
    ...pick('connection', k.connection ?? parent.connection),
    ...pick('throttle', k.throttle ?? parent.throttle),
    ...pick('rescueVars', parent.rescueVars),
    ...pick('roles', k.role && k.role.path !== parent.roles?.[0]?.path ? [k.role, ...(parent.roles ?? [])] : parent.roles),
  };
}

function pick<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}
