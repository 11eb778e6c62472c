import type { TaskNode } from '../playbook/types.js';
import { globToRegExp } from '../util/glob.js';

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

/**
 * --start-at-task: whether a task is the one to start at, by its name (an unnamed task by its
 * module name, also as `ansible.builtin.X`, as Ansible shows it), fnmatch-style. Any pattern
 * is fine: an unclosed `[abc` is literal text (src/util/glob.ts), never an error.
 */
export function startAtMatcher(pattern: string): (task: TaskNode) => boolean {
  const re = globToRegExp(pattern);
  return (task) => (task.name !== undefined ? re.test(task.name) : re.test(task.module) || re.test(`ansible.builtin.${task.module}`));
}
