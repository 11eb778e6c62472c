// What a run needs besides the playbook and the inventory. Everything that touches the world
// (connections, facts, the clock of Ctrl-C) is injected, so the engine runs the same against
// real SSH hosts and against in-memory hosts in unit tests.
import type { HostFacts } from '../facts/types.js';
import type { InventoryHost } from '../inventory/types.js';
import type { Interact, ModuleDefinition } from '../modules/types.js';
import type { Transport } from '../transport/types.js';
import type { TaskRef } from './events.js';
import type { ApprovalOptions, ApproveFn } from './approval.js';
import type { RolloutLimits } from './budget.js';

export interface RunOptions {
  /** `--limit` patterns (`web*`, `a:!b`, `@retry-file`); all must match (intersection, like Ansible) */
  limit?: string[];
  /** `--tags`: run only tasks with one of these tags (`always` tasks run unless skipped, `never` tasks only when named) */
  tags?: string[];
  /** `--skip-tags` */
  skipTags?: string[];
  /** `-e`: highest variable precedence */
  extraVars?: Record<string, unknown>;
  /** hosts worked on at once (default 5, like Ansible) */
  forks?: number;
  /** `--check`: nothing changes on any host */
  check?: boolean;
  /** `--diff`: modules report before/after of changed files */
  diff?: boolean;
  /** skip every task before the first one with this name (glob `*` allowed) */
  startAtTask?: string;
  /** 0 default, 1 `-v` (results), 2 `-vv` (command output) */
  verbosity?: number;
  /** run notified handlers even on hosts that failed later */
  forceHandlers?: boolean;
  /** opens a connection to one host (not connected yet: the engine calls connect()) */
  transportFactory: (host: InventoryHost) => Transport;
  /** collects facts over an open transport; default: src/facts/gather.ts */
  gatherFacts?: (transport: Transport) => Promise<HostFacts>;
  /** sudo password (`--ask-become-pass` / RUNBOOK_BECOME_PASSWORD); never in events */
  becomePassword?: string;
  /**
   * The run's secret list, shared with the caller: it holds what the vaults revealed, the
   * engine adds the passwords and secret arguments it meets, and every event is masked with
   * the list as it is at that moment (so the caller's log masks the same).
   */
  secrets?: string[];
  /** aborted on the first Ctrl-C: start no new task; running commands get `graceMs` to end */
  signal?: AbortSignal;
  /** aborted on the second Ctrl-C: stop running commands at once */
  killSignal?: AbortSignal;
  /** grace period for running commands after `signal` (default 5000 ms) */
  graceMs?: number;
  /**
   * Called once at the end with the hosts a re-run must cover (failed and unreachable; after
   * Ctrl-C every host that did not finish), possibly none; returns the retry file it wrote, which
   * the recap shows. The CLI writes the file (src/cli/commands/apply.ts); the engine writes nothing.
   */
  retry?: (hosts: readonly string[]) => Promise<string | undefined>;
  /** directory relative paths (copy src, templates, --limit @file) resolve against; default the playbook's */
  playbookDir?: string;
  /** module lookup (tests add in-memory modules); default src/modules/registry.ts */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  getModule?: (name: string) => ModuleDefinition<any> | undefined;
  /** task locations (`where`) are shown relative to this directory (the CLI passes its cwd) */
  displayRoot?: string;
  /** roles_path for roles named at run time (include_role); default: the environment's, else Ansible's */
  rolesPath?: string[];
  /** read a controller file (tests inject one); default fs.readFile utf8 */
  readFile?: (path: string) => Promise<string>;
  /** `--step`: asked once per task and batch before it starts; false skips the task there */
  step?: (task: TaskRef) => Promise<boolean>;
  /** the failure budget's flags (`--max-fail`, `--max-unreachable`, `--count-unreachable`, `--fail-fast`); they win over the play's keywords */
  rollout?: RolloutLimits;
  /** approval between batches: after which batches, interactive or not, timeout (src/engine/approval.ts) */
  approval?: ApprovalOptions;
  /** asks the operator after a batch (the CLI, on its terminal); the engine never reads stdin */
  approve?: ApproveFn;
  /** `--resume`: what an interrupted run of the same playbook already did (src/store/history.ts builds it) */
  resume?: ResumePoint;
  /** the `pause` module's terminal: undefined or not interactive in CI / without a TTY (prompts are skipped) */
  interact?: Interact;
}

/** What an interrupted run already did, for `--resume`. */
export interface ResumePoint {
  /** per play index the interrupted run reached: its hosts in the order it took them, and the hosts done with the play */
  plays: Record<number, { hosts: string[]; done: string[] }>;
  /** hosts that failed or were unreachable: out of the rollout, and counted by the failure budget */
  failed: string[];
  unreachable: string[];
}
