// A module compares the wanted state with what the host reports and runs only the commands
// needed, or reports "no change" with a reason (pyinfra's operation, Ansible's action+module).
import type { FileTemplateOptions } from '../template/index.js';
import type { JSONSchemaType, SchemaObject } from 'ajv';
import type { ShellCommand } from '../transport/command.js';
import type { ExecOptions, ExecResult, PutOptions } from '../transport/types.js';
import type { HostFacts } from '../facts/types.js';
import type { AddGroupChange, AddHostChange } from '../inventory/runtime.js';

import type { FileDiff } from '../util/diff.js';

export type { FileDiff };

export interface ModuleResult {
  changed: boolean;
  /** the module decided the task failed (assert, fail, uri status mismatch, ...) */
  failed?: boolean;
  /** one line a person reads: what was done, or why nothing was */
  msg?: string;
  /** values registered with `register:` (merged with changed/failed/msg) */
  data?: Record<string, unknown>;
  diff?: FileDiff[];
  warnings?: string[];
  /** set_fact: variables to set on the host */
  facts?: Record<string, unknown>;
  /** the module did nothing because of its own condition (creates/removes) */
  skipped?: boolean;
  /**
   * hosts taken out of this run for now (acme_rate_limit: beyond the weekly certificate
   * budget): they end their plays, are reported deferred with the time they fit, and are
   * written to the retry file; not failed, not skipped
   */
  defer?: HostDeferral[];
  /** add_host / group_by: the change to the run's inventory (the engine applies it and decides `changed`) */
  inventory?: { addHost?: AddHostChange; addGroup?: Omit<AddGroupChange, 'host'> };
}

export interface HostDeferral {
  host: string;
  /** ISO time from which the host can be run again */
  from: string;
  /** one line a person reads */
  reason: string;
}

/** What a module can do with its host. Commands run with the task's become/environment. */
export interface ModuleContext {
  host: string;
  /** --check: report what would be done, change nothing */
  check: boolean;
  /** --diff: fill ModuleResult.diff for content changes */
  diff: boolean;
  /** facts gathered for this host (undefined when gather_facts: false and nothing asked) */
  facts(): Promise<HostFacts>;
  /** all variables visible to the task (already templated values are in args) */
  vars: Readonly<Record<string, unknown>>;
  /** run a command on the host; resolves also on non-zero exit */
  exec(command: ShellCommand, options?: Omit<ExecOptions, 'become'> & { become?: boolean }): Promise<ExecResult>;
  /** like exec, but throws ExecError when the exit code is not 0 */
  run(command: ShellCommand, options?: Omit<ExecOptions, 'become'> & { become?: boolean }): Promise<ExecResult>;
  /** write a file atomically with the task's become */
  put(path: string, content: string | Buffer, options?: Omit<PutOptions, 'become'>): Promise<void>;
  /** read a file from the controller (copy src, template src), relative to the playbook dir */
  readLocalFile(path: string): Promise<string>;
  /**
   * the task's `ansible_search_path` (absolute directories, most specific first: the role's,
   * then the playbook's) where relative controller files are looked for (src/playbook/search-path.ts)
   */
  searchPath?: readonly string[];
  /**
   * render a template with the task's variables; with `file`, as a whole template file (always
   * text; trim_blocks/lstrip_blocks, includes, newline sequence, extra variables such as
   * `ansible_managed`: the template module)
   */
  renderTemplate(text: string, file?: FileTemplateOptions & { vars?: Record<string, unknown> }): string;
  /**
   * evaluate a Jinja expression (no braces, e.g. `result.rc == 0`) with the task's variables, as
   * `when:` does (assert's `that`). Optional so older contexts still type-check; modules that
   * need it fail with a clear message when it is missing.
   */
  evaluate?(expr: string): boolean;
  /** the value of a Jinja expression (debug `var: result.stdout_lines`) */
  evaluateValue?(expr: string): unknown;
  /** a warning shown in the output and recap */
  warn(message: string): void;
  /** a progress note for long steps ("waiting for dpkg lock") */
  progress(message: string): void;
  signal?: AbortSignal;
  /** close the host's connection and open it again, within timeoutMs; rejects when it cannot be opened (wait_for_connection). Absent in contexts without an engine-held connection */
  reconnect?(timeoutMs: number): Promise<void>;
  /** the host's commands run on the controller itself (connection: local): reboot refuses, as Ansible's does */
  localConnection?: boolean;
  /** the operator's terminal (the `pause` module); absent or not interactive in CI / without a TTY */
  interact?: Interact;
}

/** The operator's terminal as a module sees it; the engine passes the CLI's (RunOptions.interact). */
export interface Interact {
  interactive: boolean;
  /** shows `text`, reads one line (not echoed when echo is false); rejects when `signal` aborts */
  prompt(text: string, echo: boolean, signal: AbortSignal): Promise<string>;
  /** a line for the operator */
  say(text: string): void;
}

export interface ModuleDoc {
  /** one line */
  short: string;
  /** paragraphs */
  description?: string;
  /** name → description of each registered return value */
  returns: Record<string, string>;
  /** a YAML example task */
  example: string;
  notes?: string[];
}

export interface ModuleDefinition<A = Record<string, unknown>> {
  name: string;
  /** other names the module answers to, e.g. `ansible.builtin.copy` */
  aliases?: string[];
  /** JSON Schema of the arguments (draft-07, used by ajv and published in schemas/) */
  schema: SchemaObject | JSONSchemaType<A>;
  /** `command: ls -l` style: the string goes to this argument */
  freeForm?: string;
  /** runs on the controller only (debug, set_fact, assert, fail): no connection needed */
  controllerOnly?: boolean;
  /** Ansible's BYPASS_HOST_LOOP (add_host): runs once for the batch, as with run_once */
  bypassHostLoop?: boolean;
  /** the module opens the host's connection itself (ModuleContext.reconnect): the engine does not connect first (wait_for_connection) */
  connectsItself?: boolean;
  /** the module may act on a changed host's facts: facts are refreshed before it runs if an earlier task changed something */
  usesFacts?: boolean;
  /** path arguments in which a leading `~` / `~user` is expanded on the host (Ansible's type=path) */
  homePaths?: readonly string[];
  /** arguments whose values are secrets (Ansible's `no_log` in an argument spec): masked in every event, log and error; a function when it depends on the arguments (debconf: `value` of a vtype=password) */
  secretArgs?: readonly string[] | ((args: Readonly<Record<string, unknown>>) => readonly string[]);
  doc: ModuleDoc;
  run(ctx: ModuleContext, args: A): Promise<ModuleResult>;
}
