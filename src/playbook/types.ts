// The playbook as plain, documented data, after parse → schema → normalise → semantic rules.
// What a task *is* lives here; how it went (results) lives in src/engine and src/report.
import type { SourceLocation } from '../util/diagnostic.js';

/** A template string (may contain `{{ }}`), or any YAML value whose strings may be templates. */
export type Templated = unknown;

/** The role a task was loaded from (one use of a role: its own defaults, vars and params). */
export interface RoleRef {
  /** `role_name`: the role's short name (`geerlingguy.apache`, `common`; `web` for `ns.coll.web` or `../roles/web`) */
  name: string;
  /** the role's directory (absolute) */
  path: string;
  /** as written where it is used (`ns.coll.web`): `ansible_role_name` */
  fqcn?: string;
  /** defaults/ (with its dependencies' defaults below): the lowest precedence */
  defaults?: Record<string, Templated>;
  /** the `vars:` given where the role is used, then vars/ (dependencies' vars below): role vars precedence */
  vars?: Record<string, Templated>;
  /** role parameters (`- role: x` / `  port: 80`): above set_fact, as Ansible's role params */
  params?: Record<string, Templated>;
}

/** What a dynamic include (include_tasks, include_role, include_vars) needs at run time. */
export interface IncludeSpec {
  action: 'include_tasks' | 'include_role' | 'include_vars';
  /** the directory of the file the include is written in (relative names are tried there first) */
  baseDir: string;
  /** `apply:` keywords given to every included task (as a block around them would) */
  apply?: TaskKeywords;
  /** the file or role, loaded and validated when the playbook was loaded (the name was literal) */
  steps?: Step[];
  /** include_role loaded when the playbook was loaded: the role's use */
  role?: RoleRef;
  /** include_vars/include_tasks: the file loaded at load time (literal name) */
  file?: string;
}

/** Keys shared by tasks and blocks (Ansible's "task keywords"). */
export interface TaskKeywords {
  name?: string;
  /** raw `when` conditions, each a Jinja expression without braces; all must be true */
  when?: Array<string | boolean>;
  become?: boolean;
  becomeUser?: string;
  /** `remote_user`: SSH login user; the inventory's ansible_user wins over it (Ansible precedence) */
  remoteUser?: string;
  tags: string[];
  ignoreErrors?: Templated;
  noLog?: boolean;
  /** per-task check mode override */
  checkMode?: boolean;
  runOnce?: boolean;
  /** `delegate_to`: run on this host (template rendered per host and loop item), with this host's variables */
  delegateTo?: Templated;
  /** `delegate_facts`: facts the task sets go to the delegated host */
  delegateFacts?: boolean;
  /** `connection: local` (or ssh, the default): how the host is reached for this task */
  connection?: string;
  environment?: Record<string, Templated>;
  vars?: Record<string, Templated>;
  /** seconds */
  timeout?: number;
  /** set on what was loaded from a role (its tasks, handlers, the block standing for it): role_name, role_path, ansible_search_path */
  role?: RoleRef;
  /** `throttle`: at most this many hosts run the task at once (src/engine/throttle.ts) */
  throttle?: number;
  /** `diff:` per task/block: show (or hide) file differences regardless of --diff */
  diff?: boolean;
  /** a block's (or task's) `any_errors_fatal` */
  anyErrorsFatal?: boolean;
  /**
   * Keywords written as `{{ }}` templates, by Ansible keyword name (`become`, `become_user`,
   * `check_mode`, `retries`, ...): rendered per host (and per loop item) when the task runs, as
   * Ansible's post-validation does, then checked like a literal value would have been.
   */
  dynamic?: Record<string, string>;
  /** where the task/block starts in its file */
  location: SourceLocation;
  /** dot path in its file, e.g. `0.tasks.3` */
  path: string;
}

export interface TaskNode extends TaskKeywords {
  kind: 'task';
  /** canonical module name, e.g. `copy` (aliases such as `ansible.builtin.copy` resolved) */
  module: string;
  /** module arguments as written (templates unrendered). Free-form `command: ls -l` puts the string under the module's `freeForm` argument: `{ cmd: 'ls -l' }`. */
  args: Record<string, Templated>;
  loop?: Templated;
  loopControl?: {
    loopVar: string;
    label?: string;
    indexVar?: string;
    /** `extended`: ansible_loop gets previtem/nextitem, revindex, allitems (`extended_allitems: false` leaves allitems out) */
    extended?: boolean;
    extendedAllitems?: boolean;
    /** seconds between items */
    pause?: number;
    /** conditions checked after each item; the loop stops once all hold (Ansible 2.18 `break_when`) */
    breakWhen?: Array<string | boolean>;
  };
  register?: string;
  notify: string[];
  changedWhen?: Array<string | boolean>;
  failedWhen?: Array<string | boolean>;
  until?: Array<string | boolean>;
  retries?: number;
  /** seconds between retries */
  delay?: number;
  /** for handlers: extra names this handler answers to */
  listen?: string[];
  /** `async`: seconds the job may run in the background on the host (0: not async) */
  async?: number;
  /** `poll`: seconds between status checks of an async job; 0: fire and forget (default 15) */
  poll?: number;
  /** include_tasks / include_role / include_vars: resolved per host when the task is reached (src/engine/include.ts) */
  include?: IncludeSpec;
}

export interface BlockNode extends TaskKeywords {
  kind: 'block';
  block: Array<TaskNode | BlockNode>;
  rescue: Array<TaskNode | BlockNode>;
  always: Array<TaskNode | BlockNode>;
  /** handlers notified by any task of the block that changed something (Ansible's block `notify`) */
  notify?: string[];
  /** set when the block stands for an import_tasks/include_tasks: the absolute path of the included file */
  fromImport?: string;
}

export type Step = TaskNode | BlockNode;

export type Serial = Array<number | string>;

export interface Play {
  name: string;
  /** host pattern, e.g. `webservers:!staging` */
  hosts: string;
  vars: Record<string, Templated>;
  /** vars_files already loaded (in order), each with its path for messages */
  varsFiles: Array<{ file: string; vars: Record<string, Templated> }>;
  become?: boolean;
  becomeUser?: string;
  /** `remote_user`: SSH login user; the inventory's ansible_user wins over it (Ansible precedence) */
  remoteUser?: string;
  /** `connection: local`: every task of the play runs on the controller */
  connection?: string;
  gatherFacts: boolean;
  /** batch sizes: numbers or percent strings like '30%'; empty = all hosts at once */
  serial: Serial;
  maxFailPercentage?: number;
  /** `max_fail_total`: failed hosts tolerated across all batches of the run (src/engine/budget.ts) */
  maxFailTotal?: number;
  /** `max_unreachable_total`: unreachable hosts tolerated across all batches (counted apart from failures) */
  maxUnreachableTotal?: number;
  /** `count_unreachable`: unreachable hosts also count against max_fail_total and fail_fast */
  countUnreachable?: boolean;
  /** `fail_fast`: the first failed host of a batch stops the rollout */
  failFast?: boolean;
  /** `order`: the order hosts run in (src/engine/order.ts) */
  order?: 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';
  /** `approve_batches`: pause for the operator's approval after these batches (1-based) or all of them */
  approveBatches?: number[] | 'all';
  anyErrorsFatal: boolean;
  strategy: 'linear' | 'free';
  /** play keywords written as `{{ }}` templates (strategy, serial, max_fail_percentage, any_errors_fatal, gather_facts): rendered by the plan with the play's variables */
  dynamic?: Record<string, Templated>;
  environment?: Record<string, Templated>;
  checkMode?: boolean;
  diff?: boolean;
  noLog?: boolean;
  ignoreErrors?: Templated;
  /** task keywords set on the play as templates (become, become_user, check_mode, ...): inherited by every task */
  taskDynamic?: Record<string, string>;
  tags: string[];
  preTasks: Step[];
  tasks: Step[];
  postTasks: Step[];
  handlers: TaskNode[];
  /** roles used with `roles:` and `import_role` (and their dependencies): their defaults and vars are seen by the whole play (Ansible's public roles) */
  roles?: RoleRef[];
  location: SourceLocation;
  path: string;
}

export interface Playbook {
  file: string;
  plays: Play[];
}
