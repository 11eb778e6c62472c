// Where a role is, as Ansible finds it, and which of its files are its "main" ones. Loading a
// role's content (tasks, handlers, vars, meta) is the loader's (src/playbook/load.ts), which
// validates role files exactly like playbooks; this file only answers "which directory, which
// file". No I/O beyond `stat`.
//
// A role named NAME is looked for, the first existing directory winning (Ansible's order):
//   1. <dir of the playbook file that names it>/roles/NAME
//   2. the configured roles path (runbook.cfg / ansible.cfg `roles_path`, env RUNBOOK_ROLES_PATH,
//      ANSIBLE_ROLES_PATH; default ~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles)
//   3. for a role named by another role (meta dependencies, include_role inside a role): the
//      directory that role lives in (its siblings)
//   4. <dir of the playbook file>/NAME
// NAME may be a path (`../shared/roles/web`, `/opt/roles/web`). A galaxy-style `ns.name` is a
// directory of that name in any of these. A collection role `ns.coll.name` is
// `ansible_collections/ns/coll/roles/name` under the collections path (<playbook dir>/collections,
// RUNBOOK_COLLECTIONS_PATH / ANSIBLE_COLLECTIONS_PATH, ~/.ansible/collections,
// /usr/share/ansible/collections), tried after the roles path.
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_ROLES_PATH = ['~/.ansible/roles', '/usr/share/ansible/roles', '/etc/ansible/roles'];
export const DEFAULT_COLLECTIONS_PATH = ['~/.ansible/collections', '/usr/share/ansible/collections'];

/** `~/x` → home/x; a path list (`a:b`) split. */
export function expandPathList(value: string | readonly string[], home: string = homedir()): string[] {
  const list = typeof value === 'string' ? value.split(delimiter) : [...value];
  return list.map((p) => p.trim()).filter((p) => p !== '').map((p) => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p));
}

/** The roles path from the environment, else Ansible's default (the CLI passes the config file's). */
export function rolesPathFromEnv(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const v = env.RUNBOOK_ROLES_PATH ?? env.ANSIBLE_ROLES_PATH;
  return expandPathList(v ?? DEFAULT_ROLES_PATH, home);
}

export function collectionsPathFromEnv(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const v = env.RUNBOOK_COLLECTIONS_PATH ?? env.ANSIBLE_COLLECTIONS_PATH ?? env.ANSIBLE_COLLECTIONS_PATHS;
  return expandPathList(v ?? DEFAULT_COLLECTIONS_PATH, home);
}

export interface RoleSearch {
  /** directory of the playbook (or task file) that names the role */
  baseDir: string;
  rolesPath: readonly string[];
  collectionsPath: readonly string[];
  /** the directory of the role naming this one (dependencies, include_role inside a role) */
  parentRoleDir?: string;
}

/** Directories a role name may be, in the order they are tried. */
export function roleCandidates(name: string, o: RoleSearch): string[] {
  if (isAbsolute(name)) return [name];
  const out: string[] = [join(o.baseDir, 'roles', name), ...o.rolesPath.map((p) => resolve(o.baseDir, p, name))];
  const parts = name.split('.');
  if (parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_]+$/.test(p))) {
    const [ns = '', coll = '', role = ''] = parts;
    for (const cp of [join(o.baseDir, 'collections'), ...o.collectionsPath]) out.push(resolve(o.baseDir, cp, 'ansible_collections', ns, coll, 'roles', role));
  }
  if (o.parentRoleDir !== undefined) out.push(join(dirname(o.parentRoleDir), name));
  out.push(join(o.baseDir, name));
  return [...new Set(out)];
}

/** `stat` says a directory (false when it is not there or not readable). */
export const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
/** `stat` says a regular file (false when it is not there or not readable). */
export const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The role's directory, or every place looked at. */
export function findRole(name: string, o: RoleSearch, exists: (p: string) => boolean = isDir): { found?: string; tried: string[] } {
  const tried: string[] = [];
  for (const p of roleCandidates(name, o)) {
    tried.push(p);
    if (exists(p)) return { found: p, tried };
  }
  return { tried };
}

/** The short name Ansible gives a role (`role_name`): the last part of a path or collection name. */
export function roleShortName(name: string): string {
  const base = name.replace(/\/+$/, '').split('/').pop() ?? name;
  const parts = base.split('.');
  // `ns.coll.role` is `role`; a galaxy `ns.role` directory keeps its full name (as Ansible shows it)
  return parts.length === 3 ? (parts[2] ?? base) : base;
}

export type RoleFolder = 'tasks' | 'handlers' | 'vars' | 'defaults' | 'meta';

/**
 * A role's file in one of its folders: `main` (main.yml, main.yaml, main.json, main), or the
 * `*_from` name given (as written, then with .yml/.yaml/.json). For vars/defaults a directory
 * `vars/main/` stands for all its files (Ansible's allow_dir), returned sorted.
 */
export function roleFiles(roleDir: string, folder: RoleFolder, from?: string, exists: (p: string) => boolean = isFile, dirExists: (p: string) => boolean = isDir): { files: string[]; tried: string[] } {
  const base = join(roleDir, folder, from ?? 'main');
  const exts = from === undefined ? ['.yml', '.yaml', '.json', ''] : ['', '.yml', '.yaml', '.json'];
  const tried: string[] = [];
  for (const e of exts) {
    const p = base + e;
    tried.push(p);
    if (exists(p)) return { files: [p], tried };
  }
  if ((folder === 'vars' || folder === 'defaults') && dirExists(base)) return { files: [base], tried };
  return { files: [], tried };
}

/** `*_from` must stay inside its folder: `tasks_from: ../../x` is refused, as Ansible does. */
export function insideFolder(roleDir: string, folder: RoleFolder, file: string): boolean {
  const root = join(roleDir, folder);
  const r = resolve(file);
  return r === root || r.startsWith(root + '/');
}
