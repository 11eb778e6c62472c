// How a task is named in events and messages: its TaskRef (stable id, name, module, file:line),
// the name shown (a templated name rendered), a loop item's label, a handler's name.
import { isAbsolute, relative } from 'node:path';
import type { TaskNode } from '../playbook/types.js';
import type { TaskRef } from './events.js';
import { render } from './templating.js';
import type { VarScope } from './templating.js';

/** A path relative to root when it is inside root (shorter to read and to paste). */
export function displayPath(file: string, root: string | undefined): string {
  if (!root) return file;
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** TaskRefs, made once per task of a run. */
export class TaskRefs {
  private readonly refs = new Map<TaskNode, TaskRef>();
  /** ids given out: tasks of different files (roles, included files) can share a dot path */
  private readonly ids = new Set<string>();
  /** task locations are shown relative to this directory */
  constructor(private readonly displayRoot: string | undefined) {}

  get(task: TaskNode, playIndex: number, handler = false): TaskRef {
    let r = this.refs.get(task);
    if (!r) {
      let id = `p${playIndex}.${task.path}`;
      for (let n = 2; this.ids.has(id); n++) id = `p${playIndex}.${task.path}~${n}`;
      this.ids.add(id);
      r = {
        id,
        name: taskName(task),
        module: task.module,
        where: `${displayPath(task.location.file, this.displayRoot)}:${task.location.line}`,
        ...(handler ? { handler: true } : {}),
      };
      this.refs.set(task, r);
    }
    return r;
  }
}

/** `file:line` as the playbook was loaded (messages inside results). */
export function where(task: TaskNode): string {
  return `${task.location.file}:${task.location.line}`;
}

/** An unnamed task is shown (and matched by --start-at-task, as in Ansible) by its module name; a role's task as `ROLE : NAME`. */
export function taskName(task: TaskNode): string {
  const n = task.name ?? task.module;
  return task.role ? `${task.role.name} : ${n}` : n;
}

export function handlerName(h: TaskNode | undefined): string {
  return h?.name ?? h?.module ?? 'handler';
}

/** `name: "install {{ pkg }}"`: rendered for display; the raw name when it does not render. */
export function displayName(task: TaskNode, scope: VarScope): string {
  const n = taskName(task);
  if (!n.includes('{{')) return n;
  try {
    return String(render(n, scope));
  } catch {
    return n;
  }
}

export function itemLabel(task: TaskNode, item: unknown, scope: VarScope): string {
  if (task.loopControl?.label !== undefined) {
    try {
      return String(render(task.loopControl.label, scope));
    } catch {
      // fall through to the item itself
    }
  }
  const s = typeof item === 'string' ? item : JSON.stringify(item);
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
}

/** A failure inside a template, located at its task. */
export function templateMessage(err: unknown, task: TaskNode, what: string): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `${where(task)}: task "${taskName(task)}": template error in ${what}: ${reason}`;
}
