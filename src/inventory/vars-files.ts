// group_vars/ and host_vars/ directories (Ansible's host_group_vars plugin): for an entity
// NAME, the files NAME, NAME.yml, NAME.yaml, NAME.json, or every file inside a directory
// NAME/ (recursively, sorted), merged in that order.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readYamlFile } from '../playbook/yaml.js';
import type { RawInventory } from './raw.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];
/** editor backups and the like are never vars files */
const IGNORED = /(^\.|~$|\.(bak|orig|swp|retry|rej|dpkg-\w+)$)/;

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (IGNORED.test(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesIn(p)));
    else if (e.isFile() && (/\.(ya?ml|json)$/.test(e.name) || !e.name.includes('.'))) out.push(p);
  }
  return out;
}

/** The files that hold vars for one entity, in merge order. */
export async function varsFilesFor(dir: string, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const ext of EXTENSIONS) {
    const p = join(dir, name + ext);
    if (await isDir(p)) out.push(...(await filesIn(p)));
    else if (await isFile(p)) out.push(p);
  }
  return out;
}

/** Entity names that have vars files in `dir` (for "no such group/host" warnings). */
export async function entitiesIn(dir: string): Promise<Array<{ name: string; file: string }>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: Array<{ name: string; file: string }> = [];
  for (const e of entries) {
    if (IGNORED.test(e.name)) continue;
    const ext = EXTENSIONS.find((x) => x !== '' && e.name.endsWith(x));
    if (e.isDirectory()) out.push({ name: e.name, file: join(dir, e.name) });
    else if (e.isFile()) out.push({ name: ext ? e.name.slice(0, -ext.length) : e.name, file: join(dir, e.name) });
  }
  return out;
}

/** Read and merge one entity's vars files; problems become diagnostics. */
export async function readVarsFiles(files: string[], raw: RawInventory, what: string): Promise<Record<string, unknown>> {
  const merged: Record<string, unknown> = {};
  for (const file of files) {
    const res = await readYamlFile(file);
    if (!res.ok) {
      raw.diagnostics.push(...res.errors);
      continue;
    }
    raw.diagnostics.push(...res.warnings);
    const v = res.yaml.value;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      raw.diag('error', res.yaml.locateValue([]), '', 'inventory-vars-not-mapping', `${what} vars file must be a mapping of variables, found ${Array.isArray(v) ? 'a list' : typeof v}`, 'write variables as key: value lines at the top level of the file');
      continue;
    }
    Object.assign(merged, v);
  }
  return merged;
}
