// Where a relative controller file (copy/template `src`, a lookup's file, an include_tasks or
// include_vars name) is looked for: Ansible's search path. A task carries
// `ansible_search_path`: absolute directories, most specific first (inside a role
// `[role_path, ..., playbook_dir]`, otherwise `[playbook_dir]`). For each directory the file is
// looked for in the folder of its kind (`files/`, `templates/`, `vars/`, `tasks/`, `handlers/`)
// and then in the directory itself, as Ansible's `path_dwim_relative_stack` does.
// Every user of a search path goes through here, so "not found" lists the same places.
import { isAbsolute, join } from 'node:path';

export type SearchKind = 'files' | 'templates' | 'vars' | 'tasks' | 'handlers';

/** Every place `name` is looked for, in order (an absolute name is only itself). */
export function searchCandidates(searchPath: readonly string[], kind: SearchKind, name: string): string[] {
  if (isAbsolute(name)) return [name];
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const dir of searchPath) {
    // `templates/x.j2` written in full is not looked for as `templates/templates/x.j2` first
    if (!name.startsWith(`${kind}/`)) add(join(dir, kind, name));
    add(join(dir, name));
  }
  return out;
}

/**
 * The first existing candidate for `name` (see searchCandidates), and every path tried up to
 * and including it (all of them when nothing was found), for "not found" messages.
 */
export function findInSearchPath(
  searchPath: readonly string[],
  kind: SearchKind,
  name: string,
  exists: (p: string) => boolean,
): { found?: string; tried: string[] } {
  const tried: string[] = [];
  for (const p of searchCandidates(searchPath, kind, name)) {
    tried.push(p);
    if (exists(p)) return { found: p, tried };
  }
  return { tried };
}

/** The same search, with an async check (reading the file is often the check). */
export async function findInSearchPathAsync(
  searchPath: readonly string[],
  kind: SearchKind,
  name: string,
  exists: (p: string) => Promise<boolean>,
): Promise<{ found?: string; tried: string[] }> {
  const tried: string[] = [];
  for (const p of searchCandidates(searchPath, kind, name)) {
    tried.push(p);
    if (await exists(p)) return { found: p, tried };
  }
  return { tried };
}

/** `ansible_search_path` for a task: its roles' directories (innermost first), then the playbook's. */
export function taskSearchPath(playbookDir: string, roles: ReadonlyArray<{ path: string }> = []): string[] {
  return [...new Set([...roles.map((r) => r.path), playbookDir])];
}

/** "x not found; looked in: a, b, c" */
export function notFoundMessage(what: string, name: string, tried: readonly string[]): string {
  return `${what} '${name}' not found; looked in: ${tried.join(', ')}`;
}
