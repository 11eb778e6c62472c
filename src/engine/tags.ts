import type { TaskNode } from '../playbook/types.js';

// Tag selection with Ansible's special tags: `always` runs unless skipped by name, `never`
// runs only when one of its tags is asked for, `all` (default), `tagged`, `untagged`.
export function tagsSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags);
  if (skip.length > 0) {
    if (skip.includes('all')) return false;
    if (skip.includes('tagged') && tags.size > 0 && !(tags.has('always') && !skip.includes('always'))) return false;
    if (skip.includes('untagged') && tags.size === 0) return false;
    for (const t of skip) if (tags.has(t)) return false;
  }
  const wanted = only.length > 0 ? only : ['all'];
  if (tags.has('never')) {
    // only an explicit request for one of its tags (or `never`) runs it
    return wanted.some((t) => tags.has(t) && t !== 'always');
  }
  if (tags.has('always')) return true;
  if (wanted.includes('all')) return true;
  if (wanted.includes('tagged') && tags.size > 0) return true;
  if (wanted.includes('untagged') && tags.size === 0) return true;
  return wanted.some((t) => tags.has(t));
}

/** --start-at-task: a task's name (an unnamed one's module name, also as `ansible.builtin.X`, as Ansible shows it). */
export function startAtMatches(pattern: string, task: TaskNode): boolean {
  if (task.name !== undefined) return globMatch(pattern, task.name);
  return globMatch(pattern, task.module) || globMatch(pattern, `ansible.builtin.${task.module}`);
}

/** `fnmatch`-style match used by --start-at-task. */
export function globMatch(pattern: string, text: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === text;
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}
