// "Did you mean" for misspelt variables, before anything runs (`runbook validate -i`, `apply`):
// every variable a template in a task reads is looked up among the names that can be known
// without running — play vars, vars_files, task/block vars, the inventory's host and group
// variables, `register:` and `set_fact:` names anywhere in the run, loop variables, -e, and
// Ansible's magic variables. A name found nowhere but close to one that is (`pakages` next to
// `packages`) is a warning at its file:line:col with the suggestion.
//
// Only a close match is reported: a name found nowhere and close to nothing may come from
// where runbook cannot look before running (include_vars, a role's defaults, facts), so it
// is left to the run. Reads meant to be optional are not checked either: `x | default(...)`,
// `x is defined`. `ansible_*` names are facts or connection variables (their typos in the
// inventory are src/cli/hints.ts's). Tasks loaded from a role are not checked (role defaults,
// role parameters and dependencies are not modelled here).
import { readFileSync } from 'node:fs';
import type { Inventory } from '../inventory/types.js';
import type { Playbook, Step } from '../playbook/types.js';
import { parseYaml, type ParsedYaml } from '../playbook/yaml.js';
import { compile, type AstNode } from '../template/compile.js';
import type { Diagnostic } from '../util/diagnostic.js';
import { didYouMean } from '../util/edit-distance.js';

/** Ansible's magic variables (and what the engine adds: src/engine/vars.ts). */
const MAGIC = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts', 'playbook_dir',
  'inventory_dir', 'inventory_file', 'role_name', 'role_path', 'role_names', 'omit', 'item', 'environment', 'vars',
];

/** Names a template can use that are not variables: literals and Jinja/Ansible globals. */
const NOT_VARIABLES = new Set([
  'true', 'false', 'none', 'True', 'False', 'None', 'loop', 'range', 'lookup', 'query', 'q', 'dict', 'lipsum', 'cycler',
  'joiner', 'namespace', 'now', 'undef', 'super', 'varargs', 'kwargs', 'caller', 'self',
]);

/** Task keys whose strings are bare Jinja expressions (no braces). */
const BARE = new Set(['when', 'changed_when', 'failed_when', 'until', 'that']);

/** Keys of a task or block that hold its children or are not templates. */
const SKIP_KEYS = new Set(['block', 'rescue', 'always', 'tags', 'register', 'notify', 'listen', 'loop_control', 'delegate_to_facts']);

const isNode = (v: unknown): v is AstNode => v !== null && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string';

export interface VariableUse {
  name: string;
  /** read as optional (`| default`, `is defined`): a missing value is expected */
  optional: boolean;
}

/** The variables a template reads (free names: not bound by `for`/`set`/`macro` inside it). */
export function templateVariables(template: string): VariableUse[] {
  let body: AstNode[];
  try {
    body = compile(template).body;
  } catch {
    return [];
  }
  const bound = new Set<string>();
  const bind = (n: unknown): void => {
    if (!isNode(n)) return;
    if (n.type === 'Identifier' && typeof n.value === 'string') bound.add(n.value);
    else if (n.type === 'TupleLiteral' && Array.isArray(n.value)) for (const x of n.value) bind(x);
  };
  const uses: VariableUse[] = [];
  const walk = (v: unknown, optional: boolean, depth: number): void => {
    if (depth > 200 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, optional, depth + 1);
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k, false, depth + 1);
        walk(x, false, depth + 1);
      }
      return;
    }
    if (!isNode(v)) return;
    const d = depth + 1;
    switch (v.type) {
      case 'Identifier':
        if (typeof v.value === 'string') uses.push({ name: v.value, optional });
        return;
      case 'MemberExpression':
        walk(v.object, optional, d);
        if (v.computed === true) walk(v.property, false, d);
        return;
      case 'FilterExpression': {
        const f = v.filter;
        const name = isNode(f) ? (f.type === 'Identifier' ? f.value : isNode(f.callee) ? f.callee.value : undefined) : undefined;
        walk(v.operand, optional || name === 'default' || name === 'd', d);
        if (isNode(f) && f.type === 'CallExpression') walk(f.args, false, d);
        return;
      }
      case 'TestExpression': {
        const t = isNode(v.test) ? v.test.value : undefined;
        walk(v.operand, optional || t === 'defined' || t === 'undefined' || t === 'none', d);
        return;
      }
      case 'CallExpression':
        // a called name is a global function (lookup, range, ...), not a variable
        if (!(isNode(v.callee) && v.callee.type === 'Identifier')) walk(v.callee, false, d);
        walk(v.args, false, d);
        return;
      case 'KeywordArgumentExpression':
        walk(v.value, false, d);
        return;
      case 'For':
        bind(v.loopvar);
        break;
      case 'Set':
        // `{% set x | f %}...{% endset %}`: the name is the filter's operand
        if (isNode(v.assignee) && v.assignee.type === 'FilterExpression') {
          bind(v.assignee.operand);
          const f = v.assignee.filter;
          if (isNode(f) && f.type === 'CallExpression') walk(f.args, false, d);
        } else bind(v.assignee);
        break;
      case 'CallStatement': {
        // `{% with a = x %}` (compiled as a call of `with:`) binds its keywords; `{% call(u) m() %}`
        // binds the caller's arguments
        const call = v.call;
        if (isNode(call) && isNode(call.callee) && call.callee.value === 'with:' && Array.isArray(call.args)) {
          for (const a of call.args) {
            if (isNode(a) && a.type === 'KeywordArgumentExpression') {
              bind(a.key);
              walk(a.value, false, d);
            }
          }
        } else {
          if (Array.isArray(v.callerArgs)) for (const a of v.callerArgs) bind(isNode(a) && a.type === 'KeywordArgumentExpression' ? a.key : a);
          walk(call, false, d);
        }
        walk(v.body, false, d);
        return;
      }
      case 'FilterStatement': {
        // `{% filter f %}`: f is a filter, not a variable
        const f = v.filter;
        if (isNode(f) && f.type === 'CallExpression') walk(f.args, false, d);
        walk(v.body, false, d);
        return;
      }
      case 'Macro':
        bind(v.name);
        if (Array.isArray(v.args)) for (const a of v.args) bind(isNode(a) && a.type === 'KeywordArgumentExpression' ? a.key : a);
        break;
      default:
        break;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k === 'type' || k === 'operator' || (v.type === 'For' && k === 'loopvar') || (v.type === 'Set' && k === 'assignee') || (v.type === 'Macro' && (k === 'name' || k === 'args'))) continue;
      walk(x, false, d);
    }
  };
  walk(body, false, 0);
  return uses.filter((u) => !bound.has(u.name) && !NOT_VARIABLES.has(u.name));
}

/** Every variable name that can be known before running (see the top of the file). */
export function knownVariables(playbook: Playbook, inventory: Inventory | undefined, extraVarNames: readonly string[]): Set<string> {
  const known = new Set<string>([...MAGIC, ...extraVarNames]);
  if (inventory) {
    for (const h of inventory.hosts.values()) for (const k of Object.keys(h.vars)) known.add(k);
    for (const g of inventory.groups.values()) for (const k of Object.keys(g.vars)) known.add(k);
  }
  const steps = (list: readonly Step[]): void => {
    for (const s of list) {
      for (const k of Object.keys(s.vars ?? {})) known.add(k);
      if (s.kind === 'block') {
        steps(s.block);
        steps(s.rescue);
        steps(s.always);
        continue;
      }
      if (s.register) known.add(s.register);
      if (s.loopControl) {
        known.add(s.loopControl.loopVar);
        if (s.loopControl.indexVar) known.add(s.loopControl.indexVar);
      }
      if (s.module === 'set_fact') for (const k of Object.keys(s.args)) known.add(k);
    }
  };
  for (const p of playbook.plays) {
    for (const k of Object.keys(p.vars)) known.add(k);
    for (const vf of p.varsFiles) for (const k of Object.keys(vf.vars)) known.add(k);
    steps(p.preTasks);
    steps(p.tasks);
    steps(p.postTasks);
    steps(p.handlers);
  }
  return known;
}

/** Strings of a YAML value with their paths (below `path`). */
function strings(v: unknown, path: Array<string | number>, out: Array<{ text: string; path: Array<string | number>; bare: boolean }>, bare: boolean, depth = 0): void {
  if (depth > 50) return;
  if (typeof v === 'string') out.push({ text: v, path, bare });
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, [...path, i], out, bare, depth + 1));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) strings(x, [...path, k], out, bare || BARE.has(k), depth + 1);
  }
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/**
 * Warnings for variables that are found nowhere but are close to a known name. `shown` maps
 * a file to how it is shown in messages (the loader shows paths relative to the working directory).
 */
export function variableWarnings(playbook: Playbook, inventory: Inventory | undefined, extraVarNames: readonly string[], shown: (file: string) => string = (f) => f): Diagnostic[] {
  const known = knownVariables(playbook, inventory, extraVarNames);
  const candidates = [...known];
  const files = new Map<string, { y: ParsedYaml; source: string } | undefined>();
  const fileOf = (file: string): { y: ParsedYaml; source: string } | undefined => {
    if (!files.has(file)) {
      let entry: { y: ParsedYaml; source: string } | undefined;
      try {
        const source = readFileSync(file, 'utf8');
        const r = parseYaml(source, file);
        if (r.ok) entry = { y: r.yaml, source };
      } catch {
        entry = undefined;
      }
      files.set(file, entry);
    }
    return files.get(file);
  };
  // every template of the run first: a name read as optional anywhere (`x is defined`,
  // `x | default`) is one the author knows may come from elsewhere (-e @secrets.yml)
  const templates: Array<{ file: string; text: string; path: Array<string | number>; uses: VariableUse[] }> = [];
  const collect = (file: string, yamlPath: Array<string | number>, raw: unknown, skip: ReadonlySet<string>): void => {
    const found: Array<{ text: string; path: Array<string | number>; bare: boolean }> = [];
    if (raw === null || typeof raw !== 'object') return;
    for (const [k, x] of Object.entries(raw as Record<string, unknown>)) {
      if (skip.has(k)) continue;
      strings(x, [...yamlPath, k], found, BARE.has(k));
    }
    for (const { text, path, bare } of found) {
      if (!bare && !text.includes('{{') && !text.includes('{%')) continue;
      const uses = templateVariables(bare ? `{{ ${text} }}` : text);
      for (const u of uses) if (u.optional) known.add(u.name);
      templates.push({ file, text, path, uses });
    }
  };
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const check = (): void => {
    for (const { file, text, path, uses } of templates) {
      const f = fileOf(file);
      if (!f) continue;
      for (const use of uses) {
        if (use.optional || known.has(use.name) || use.name.startsWith('ansible_')) continue;
        const near = didYouMean(use.name, candidates);
        if (near === undefined) continue;
        const location = f.y.locateValue(path);
        // point at the name itself when it is on the value's first line
        const at = text.search(new RegExp(`\\b${use.name}\\b`));
        const lineText = f.source.split('\n')[location.line - 1] ?? '';
        const quote = lineText[location.col - 1] === '"' || lineText[location.col - 1] === "'" ? 1 : 0;
        const col = at >= 0 && !text.slice(0, at).includes('\n') ? location.col + quote + at : location.col;
        const key = `${file}:${location.line}:${col}:${use.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          severity: 'warning',
          code: 'unknown-variable',
          location: { file: shown(file), line: location.line, col },
          path: path.join('.'),
          message: `\`${use.name}\` is not defined in the play, its vars_files, the inventory, a register or set_fact, or -e; did you mean \`${near}\`?`,
          fix: `rename it to \`${near}\` (or define \`${use.name}\`; \`${use.name} | default(...)\` if it may be missing)`,
        });
      }
    }
  };
  const segs = (path: string): Array<string | number> => path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const steps = (list: readonly Step[]): void => {
    for (const s of list) {
      if (s.role !== undefined) continue;
      const f = fileOf(s.location.file);
      if (f) collect(s.location.file, segs(s.path), valueAt(f.y.value, segs(s.path)), SKIP_KEYS);
      if (s.kind === 'block') {
        steps(s.block);
        steps(s.rescue);
        steps(s.always);
      }
    }
  };
  for (const p of playbook.plays) {
    const f = fileOf(p.location.file);
    const raw = f ? valueAt(f.y.value, segs(p.path)) : undefined;
    if (f && raw !== null && typeof raw === 'object') {
      const vars = (raw as Record<string, unknown>).vars;
      if (vars !== null && typeof vars === 'object' && !Array.isArray(vars)) collect(p.location.file, [...segs(p.path), 'vars'], vars, new Set());
    }
    steps(p.preTasks);
    steps(p.tasks);
    steps(p.postTasks);
    steps(p.handlers);
  }
  check();
  return out;
}
