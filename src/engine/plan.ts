// The planning step: playbook × inventory × options → what a run will do, before anything
// connects. Per play: the rendered `hosts:` pattern, its hosts after --limit (inventory order),
// the serial batches, every task's position for the linear barrier, its effective tags and
// whether --tags/--skip-tags/--start-at-task select it. No host is contacted and nothing is
// written; the only input read is a `--limit @file` (through `readFile`).
//
// One plan serves the engine (src/engine/run.ts) and the CLI (remote_user per host in
// `apply`, and `--list-hosts/--list-tasks/--list-tags`), so they always agree on which hosts
// a play targets, even when `hosts:` is a template.
import { readFile as fsReadFile } from 'node:fs/promises';
import type { Inventory } from '../inventory/types.js';
import { applyLimit, selectHosts } from '../inventory/pattern.js';
import type { Play, Playbook, Step, TaskNode } from '../playbook/types.js';
import { UsageError } from '../util/errors.js';
import { splitBatches } from './batches.js';
import { startAtMatcher, tagsSelected } from './tags.js';
import { createScope, render } from './templating.js';
import { resolvePlayKeywords } from './play-keywords.js';

export interface PlanOptions {
  /** `--limit` patterns (`web*`, `a:!b`, `@retry-file`); all must match */
  limit?: readonly string[];
  /** `-e`: `hosts:` templates see them */
  extraVars?: Record<string, unknown>;
  /** `--tags` / `--skip-tags`: which tasks are selected */
  tags?: readonly string[];
  skipTags?: readonly string[];
  /** `--start-at-task`: every task before the first match (glob) is left out */
  startAtTask?: string;
  /** reads `--limit @file` (default fs.readFile utf8) */
  readFile?: (path: string) => Promise<string>;
}

export interface PlannedTask {
  task: TaskNode;
  /** where the task is: pre_tasks, tasks or post_tasks */
  section: 'pre_tasks' | 'tasks' | 'post_tasks';
  /** order in the play (1-based, definition order: block, rescue, always); 0 is fact gathering */
  position: number;
  /** the task's tags with those of its play and blocks (what --tags matches) */
  tags: string[];
  /** runs unless a condition says otherwise: selected by --tags/--skip-tags and not before --start-at-task */
  selected: boolean;
  /** left out by --start-at-task */
  beforeStart: boolean;
}

export interface PlayPlan {
  play: Play;
  index: number;
  /** `hosts:` with its template rendered (play vars and -e) */
  pattern: string;
  /** the play's hosts after --limit, in inventory order */
  hosts: string[];
  /** `serial:` batches of `hosts`, as planned: hosts that fail in an earlier play sit out later ones */
  batches: string[][];
  /** every task of the play in definition order */
  tasks: PlannedTask[];
  /** task → position, for the linear strategy's barrier */
  positions: ReadonlyMap<TaskNode, number>;
  /** how many tasks a host will go through (fact gathering included): play_start's `tasks` */
  taskCount: number;
}

export interface RunPlan {
  plays: PlayPlan[];
  /** the hosts --limit allows, as computed at the start (Ansible's restriction); undefined: no --limit */
  limit?: ReadonlySet<string>;
  /** every host some play runs on, in inventory order */
  hosts: string[];
  /** tasks left out by --start-at-task */
  beforeStart: ReadonlySet<TaskNode>;
}

/**
 * Plan a run. Throws UsageError for input only the options reveal: a --start-at-task that
 * names no task, a --limit that matches no host, a `hosts:` template that does not render.
 */
export async function planRun(playbook: Playbook, inventory: Inventory, options: PlanOptions = {}): Promise<RunPlan> {
  const beforeStart = startAt(playbook, options.startAtTask);
  const limit = await limitedHosts(inventory, options.limit, options.readFile ?? ((p) => fsReadFile(p, 'utf8')));
  if (limit && limit.size === 0) {
    throw new UsageError(`--limit ${(options.limit ?? []).join(' ')}: matches no host of the inventory (${inventory.source})`);
  }
  const only = options.tags ?? [];
  const skip = options.skipTags ?? [];
  const plays = playbook.plays.map((written, index): PlayPlan => {
    // templated strategy/serial/... rendered once per play, before batches (play-keywords.ts)
    const play = resolvePlayKeywords(written, options.extraVars ?? {});
    const pattern = hostPattern(play, options.extraVars ?? {});
    const hosts = playHosts(inventory, pattern, limit);
    const tasks = playTasks(play).map((t): PlannedTask => {
      const before = beforeStart.has(t.task);
      return { ...t, beforeStart: before, selected: !before && tagsSelected(t.tags, only, skip) };
    });
    const positions = new Map(tasks.map((t) => [t.task, t.position]));
    const taskCount = tasks.filter((t) => !t.beforeStart).length + (play.gatherFacts ? 1 : 0);
    return { play, index, pattern, hosts, batches: splitBatches(hosts, play.serial), tasks, positions, taskCount };
  });
  const all = new Set(plays.flatMap((p) => p.hosts));
  return { plays, hosts: [...inventory.hosts.keys()].filter((h) => all.has(h)), beforeStart, ...(limit ? { limit } : {}) };
}

/**
 * A play's hosts: its pattern over the inventory as it is now, narrowed by --limit. The run
 * calls it again at the start of each play, so hosts and groups that add_host/group_by made in
 * an earlier play are selected (a host added at run time is outside a --limit, as in Ansible).
 */
export function playHosts(inventory: Inventory, pattern: string, limit: ReadonlySet<string> | undefined): string[] {
  const selected = selectHosts(inventory, pattern);
  return limit ? selected.filter((n) => limit.has(n)) : selected;
}

/** `hosts: "{{ target | default('all') }}"`: rendered with the play's vars and -e (Ansible). */
function hostPattern(play: Play, extraVars: Record<string, unknown>): string {
  if (!play.hosts.includes('{{')) return play.hosts;
  const scope = createScope([
    { name: 'play vars', kind: 'template', vars: play.vars },
    { name: 'extra vars', kind: 'template', vars: extraVars },
  ]);
  try {
    return String(render(play.hosts, scope));
  } catch (err) {
    throw new UsageError(`${play.location.file}:${play.location.line}: play "${play.name}": hosts: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function limitedHosts(
  inv: Inventory,
  limits: readonly string[] | undefined,
  readFile: (path: string) => Promise<string>,
): Promise<Set<string> | undefined> {
  if (!limits || limits.length === 0) return undefined;
  return new Set(await applyLimit(inv, [...inv.hosts.keys()], [...limits], readFile));
}

/** The play's tasks in definition order, with positions and inherited tags. */
function playTasks(play: Play): Array<Omit<PlannedTask, 'selected' | 'beforeStart'>> {
  const out: Array<Omit<PlannedTask, 'selected' | 'beforeStart'>> = [];
  let n = 1; // 0 = gathering facts
  const walk = (steps: readonly Step[], section: PlannedTask['section'], tags: string[]): void => {
    for (const s of steps) {
      // the same rule as the step walk's inheritance (src/engine/inherit.ts)
      const own = s.tags.length ? [...tags, ...s.tags] : tags;
      if (s.kind === 'task') out.push({ task: s, section, position: n++, tags: own });
      else {
        walk(s.block, section, own);
        walk(s.rescue, section, own);
        walk(s.always, section, own);
      }
    }
  };
  walk(play.preTasks, 'pre_tasks', play.tags);
  walk(play.tasks, 'tasks', play.tags);
  walk(play.postTasks, 'post_tasks', play.tags);
  return out;
}

/** --start-at-task: every task before the first match (in any play) is left out. */
function startAt(playbook: Playbook, want: string | undefined): Set<TaskNode> {
  const before = new Set<TaskNode>();
  if (!want) return before;
  const matches = startAtMatcher(want);
  for (const p of playbook.plays) {
    for (const { task } of playTasks(p)) {
      if (matches(task)) return before;
      before.add(task);
    }
  }
  throw new UsageError(`--start-at-task "${want}": no task has this name in ${playbook.file}`);
}
