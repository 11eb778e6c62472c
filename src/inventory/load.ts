// loadInventory: every inventory form Ansible users pass to `-i`, checked completely before
// anything runs. Problems are collected as diagnostics and thrown together as one
// ValidationError (`file:line:col: message`, code frame, fix).
//
//   -i inventory.yml          Ansible YAML format (.yml/.yaml/.json)
//   -i hosts / hosts.ini      Ansible INI format (a file without extension is YAML if it
//                             looks like a YAML inventory, else INI, as Ansible tries both)
//   -i inventory/             every file in the directory (sorted, recursively; group_vars/,
//                             host_vars/, hidden files and backups skipped)
//   -i 'web1,web2:2222,'      a comma-separated host list (no file), like Ansible
//
// group_vars/ and host_vars/ are read beside each source (the directory itself, or the
// file's directory) and, with options.playbookDir, beside the playbook; see build.ts for
// the precedence.
import { readFileSync, statSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { formatDiagnostics, summarizeDiagnostics } from '../playbook/format.js';
import { DEFAULT_YAML_LIMITS, parseYaml } from '../playbook/yaml.js';
import type { Diagnostic } from '../util/diagnostic.js';
import { ValidationError } from '../util/errors.js';
import { buildInventory } from './build.js';
import type { VarsLevel } from './build.js';
import { addHostPattern, parseIniInventory } from './ini.js';
import { RawInventory } from './raw.js';
import type { Inventory } from './types.js';
import { entitiesIn, readVarsFiles, varsFilesFor } from './vars-files.js';
import { parseYamlInventory } from './yaml-format.js';

export interface LoadInventoryOptions {
  /** also read group_vars/ and host_vars/ beside the playbook (they win over the inventory's) */
  playbookDir?: string;
  /** base for relative paths (default: process.cwd()) */
  cwd?: string;
}

/** Files in an inventory directory that are never inventories (Ansible's ignore list). */
const IGNORED_IN_DIR = /(^\.|^group_vars$|^host_vars$|^vars_plugins$|~$|\.(pyc|pyo|swp|bak|rpm|md|txt|rst|orig|cfg|retry)$)/;
const YAML_EXT = new Set(['.yml', '.yaml', '.json']);

type Kind = 'file' | 'dir' | 'missing';

async function kindOf(path: string): Promise<Kind> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

function looksLikeYamlInventory(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value as Record<string, unknown>).every(
    (g) => g === null || (typeof g === 'object' && !Array.isArray(g) && Object.keys(g).every((k) => ['hosts', 'children', 'vars'].includes(k))),
  );
}

async function parseFile(file: string, raw: RawInventory): Promise<void> {
  const here = { file, line: 1, col: 1 };
  let source: string;
  try {
    const st = await stat(file);
    if (st.size > DEFAULT_YAML_LIMITS.maxBytes) {
      raw.diag('error', here, '', 'inventory-too-large', `inventory file is ${st.size} bytes, more than the limit of ${DEFAULT_YAML_LIMITS.maxBytes}`, 'split it into several files in an inventory directory');
      return;
    }
    source = await readFile(file, 'utf8');
  } catch (e) {
    raw.diag('error', here, '', 'inventory-not-readable', `cannot read inventory ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'check the path and permissions');
    return;
  }
  if (source.startsWith('\uFEFF')) source = source.slice(1);
  raw.sources.push(file);
  if (source.startsWith('#!')) {
    raw.diag('error', here, '', 'inventory-script', 'dynamic inventory scripts are not supported', 'run the script yourself and save its output as a YAML inventory');
    return;
  }
  const ext = extname(file).toLowerCase();
  if (YAML_EXT.has(ext)) {
    const res = parseYaml(source, file);
    if (!res.ok) {
      raw.diagnostics.push(...res.errors);
      return;
    }
    raw.diagnostics.push(...res.warnings);
    parseYamlInventory(res.yaml, raw);
    return;
  }
  if (ext !== '.ini') {
    // Ansible tries the YAML plugin on files without a YAML extension too
    const res = parseYaml(source, file);
    if (res.ok && res.yaml.value !== null && looksLikeYamlInventory(res.yaml.value)) {
      raw.diagnostics.push(...res.warnings);
      parseYamlInventory(res.yaml, raw);
      return;
    }
  }
  parseIniInventory(source, file, raw);
}

async function parseDir(dir: string, raw: RawInventory): Promise<void> {
  const entries = (await readdir(dir)).sort();
  for (const name of entries) {
    if (IGNORED_IN_DIR.test(name)) continue;
    const p = join(dir, name);
    const kind = await kindOf(p);
    if (kind === 'dir') await parseDir(p, raw);
    else if (kind === 'file') await parseFile(p, raw);
  }
}

function parseHostList(list: string, raw: RawInventory, cwd: string): void {
  const file = '<host list>';
  // a caller that resolved `-i 'a,b,'` against the working directory made it '/cwd/a,b,':
  // host names never hold '/', so take the list back
  if (list.startsWith(`${cwd}/`)) list = list.slice(cwd.length + 1);
  raw.group('all', { file, line: 1, col: 1 });
  raw.group('ungrouped', { file, line: 1, col: 1 });
  let col = 1;
  for (const part of list.split(',')) {
    const name = part.trim();
    if (name !== '') addHostPattern(raw, 'ungrouped', name, {}, { file, line: 1, col: col + part.indexOf(name) });
    col += part.length + 1;
  }
}

async function readLevel(dir: string, raw: RawInventory): Promise<VarsLevel> {
  const level: VarsLevel = { groups: new Map(), hosts: new Map() };
  for (const [sub, kind] of [['group_vars', 'group'], ['host_vars', 'host']] as const) {
    const base = join(dir, sub);
    for (const { name, file } of await entitiesIn(base)) {
      const known = kind === 'group' ? raw.groups.has(name) || name === 'all' : raw.hosts.has(name);
      if (!known) {
        raw.diag('warning', { file, line: 1, col: 1 }, '', 'inventory-unused-vars-file', `${sub}/${name}: there is no ${kind} named '${name}' in the inventory`, `rename it to match a ${kind}, or remove it`);
        continue;
      }
      const target = kind === 'group' ? level.groups : level.hosts;
      if (target.has(name)) continue;
      target.set(name, await readVarsFiles(await varsFilesFor(base, name), raw, `${sub}/${name}`));
    }
  }
  return level;
}

const CONNECTIONS = new Set(['ssh', 'local', 'smart', 'paramiko']);

/** Connection variables with obviously wrong values fail before any connection is tried. */
function checkConnectionVars(inv: Inventory, raw: RawInventory): void {
  for (const h of inv.hosts.values()) {
    const loc = raw.hosts.get(h.name)?.location ?? { file: inv.source, line: 1, col: 1 };
    const isTemplate = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
    const port = h.vars.ansible_port ?? h.vars.ansible_ssh_port;
    if (port !== undefined && !isTemplate(port)) {
      const n = typeof port === 'number' ? port : typeof port === 'string' && /^\d+$/.test(port.trim()) ? Number(port) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        raw.diag('error', loc, '', 'inventory-bad-port', `host '${h.name}': ansible_port ${JSON.stringify(port)} is not a port number (1-65535)`, 'set ansible_port to a number such as 22');
      }
    }
    const conn = h.vars.ansible_connection;
    if (conn !== undefined && !isTemplate(conn) && !(typeof conn === 'string' && CONNECTIONS.has(conn))) {
      raw.diag('error', loc, '', 'inventory-bad-connection', `host '${h.name}': ansible_connection ${JSON.stringify(conn)} is not supported`, "runbook connects with 'ssh' (default) or 'local'");
    }
  }
}

/** Variable names whose values are secrets: never shown in a code frame. */
const SECRET_KEY = /(pass|password|passphrase|secret|token|private_key(?!_file)|api_key)/i;

/**
 * The text of an inventory or vars file for code frames, with the values of secret-looking
 * variables replaced by '*' of the same length (so columns stay right).
 */
export function maskSourceSecrets(source: string): string {
  const star = (v: string): string => '*'.repeat(v.length);
  return source
    .split('\n')
    .map((line) =>
      line
        // YAML `key: value`
        .replace(/^(\s*(?:-\s+)?["']?([\w.-]+)["']?\s*:\s+)(\S.*)$/, (m, head: string, key: string, value: string) => (SECRET_KEY.test(key) ? head + star(value) : m))
        // INI / key=value pairs, quoted or not
        .replace(/([\w.-]+)(\s*=\s*)("[^"]*"|'[^']*'|\S+)/g, (m, key: string, eq: string, value: string) => (SECRET_KEY.test(key) ? key + eq + star(value) : m)),
    )
    .join('\n');
}

function maskedSources(diags: readonly Diagnostic[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of diags) {
    const file = d.location.file;
    if (out.has(file)) continue;
    try {
      if (statSync(file).size <= DEFAULT_YAML_LIMITS.maxBytes) out.set(file, maskSourceSecrets(readFileSync(file, 'utf8')));
    } catch {
      // not a file (a host list) or unreadable: no code frame
      out.set(file, '');
    }
  }
  return out;
}

/**
 * Load an inventory (path, directory, or comma-separated host list; or several of them).
 * Throws ValidationError listing every problem with its position.
 */
export async function loadInventory(pathOrList: string | readonly string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  const cwd = options.cwd ?? process.cwd();
  const sources = typeof pathOrList === 'string' ? [pathOrList] : [...pathOrList];
  const raw = new RawInventory();
  const varsDirs: string[] = [];
  const shown: string[] = [];
  for (const src of sources) {
    const path = resolve(cwd, src);
    const kind = await kindOf(path);
    shown.push(kind === 'missing' && src.includes(',') ? src : path);
    if (kind === 'dir') {
      await parseDir(path, raw);
      varsDirs.push(path);
    } else if (kind === 'file') {
      await parseFile(path, raw);
      varsDirs.push(dirname(path));
    } else if (src.includes(',')) {
      parseHostList(src, raw, cwd);
    } else {
      raw.diag('error', { file: src, line: 1, col: 1 }, '', 'inventory-not-found', `inventory not found: ${src}`, "give the path of an inventory file or directory, or a host list ending in a comma ('web1,')");
    }
  }
  const levels: VarsLevel[] = [];
  for (const dir of [...new Set(varsDirs)]) levels.push(await readLevel(dir, raw));
  if (options.playbookDir !== undefined) {
    const pb = resolve(cwd, options.playbookDir);
    if (!varsDirs.includes(pb)) levels.push(await readLevel(pb, raw));
  }
  const source = shown.join(' ');
  const { inventory } = buildInventory(raw, source, levels);
  checkConnectionVars(inventory, raw);
  const errors = raw.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new ValidationError(`${formatDiagnostics(raw.diagnostics, maskedSources(raw.diagnostics))}\n\n${summarizeDiagnostics(raw.diagnostics)} in inventory ${source}`, raw.diagnostics);
  }
  const warnings: Diagnostic[] = raw.diagnostics.filter((d) => d.severity === 'warning');
  if (inventory.hosts.size === 0) {
    warnings.push({ severity: 'warning', location: { file: source, line: 1, col: 1 }, path: '', code: 'inventory-empty', message: 'the inventory has no hosts', fix: 'add hosts under all: hosts: (YAML) or a [group] section (INI)' });
  }
  inventory.warnings = warnings;
  return inventory;
}
