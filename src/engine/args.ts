// A task's arguments as the module gets them: rendered, free-form text moved to its argument,
// `default(omit)` left out, and templated arguments checked again against the module's schema
// now that their values are known (the loader could only check the literal ones). A value
// that does not fit is a task error naming host, task and argument, never a module crash.
import type { ModuleDefinition } from '../modules/types.js';
import { describeSchemaErrors } from '../playbook/messages.js';
import { parseAnsibleBool } from '../util/booleans.js';
import { validateModuleArgs } from '../playbook/schema.js';
import type { TaskNode } from '../playbook/types.js';
import { taskName, where } from './identity.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ModuleDefinition<any>;

/** the arguments whose value is a template, per task (most tasks have none: nothing to check) */
const templatedKeys = new WeakMap<TaskNode, ReadonlySet<string>>();

function templated(task: TaskNode): ReadonlySet<string> {
  let keys = templatedKeys.get(task);
  if (!keys) {
    keys = new Set(Object.entries(task.args).filter(([, v]) => hasTemplate(v)).map(([k]) => k));
    templatedKeys.set(task, keys);
  }
  return keys;
}

function hasTemplate(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('{{') || v.includes('{%');
  if (depth > 32 || v === null || typeof v !== 'object') return false;
  return Object.values(v).some((x) => hasTemplate(x, depth + 1));
}

export type PreparedArgs = { ok: true; args: Record<string, unknown> } | { ok: false; msg: string };

export function prepareArgs(rendered: unknown, module: AnyModule, task: TaskNode, host: string): PreparedArgs {
  const args = rendered && typeof rendered === 'object' && !Array.isArray(rendered) ? { ...(rendered as Record<string, unknown>) } : {};
  if ('_raw_params' in args && module.freeForm && !(module.freeForm in args)) {
    args[module.freeForm] = args._raw_params;
    delete args._raw_params;
  }
  // `default(omit)`: the argument is left out
  // for-in, not entries(): this runs per task and host (an array per entry, and the iterator, in unoptimised code)
  for (const k in args) {
    const v = args[k];
    if (typeof v === 'string' && v.startsWith('__omit_place_holder__')) delete args[k];
  }
  const keys = templated(task);
  if (keys.size === 0) return { ok: true, args };
  const moved = module.freeForm !== undefined && keys.has('_raw_params') ? module.freeForm : undefined;
  const checked = (k: string): boolean => keys.has(k) || k === moved;
  // a template renders to text: `port: "{{ p }}"` is the number the schema asks for (as Ansible converts it)
  for (const k of Object.keys(args)) if (checked(k)) args[k] = coerce(args[k], propertySchema(module, k));
  const errors = validateModuleArgs(module, args);
  if (errors.length === 0) return { ok: true, args };
  const problems = describeSchemaErrors(errors, args, { label: task.module, schema: module.schema, noun: 'argument' }).filter((p) => {
    const first = p.path[0];
    // a missing argument is reported at its parent: it was templated when it rendered to omit
    if (p.kind === 'missing') return [...keys].some((k) => !(k in args));
    return first !== undefined && checked(String(first));
  });
  const first = problems[0];
  if (!first) return { ok: true, args };
  const arg = first.path[0] !== undefined ? String(first.path[0]) : undefined;
  const value = arg !== undefined ? args[arg] : undefined;
  const shown = typeof value === 'string' ? `'${value.length > 80 ? `${value.slice(0, 79)}…` : value}'` : JSON.stringify(value);
  return {
    ok: false,
    msg:
      `${where(task)}: task "${taskName(task)}" on ${host}: ` +
      (arg !== undefined ? `argument \`${arg}\` rendered to ${shown ?? 'nothing'}: ` : 'after rendering: ') +
      `${first.message}${first.fix ? ` (${first.fix})` : ''}`,
  };
}

function propertySchema(module: AnyModule, key: string): unknown {
  return (module.schema.properties as Record<string, unknown> | undefined)?.[key];
}

/** The JSON types a property schema accepts for a rendered value (a template-only branch does not count). */
function acceptedTypes(schema: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 8 || schema === null || typeof schema !== 'object') return out;
  const s = schema as Record<string, unknown>;
  const isTemplateBranch = typeof s.pattern === 'string' && s.pattern.includes('\\{\\{');
  if (!isTemplateBranch) {
    if (typeof s.type === 'string') out.add(s.type);
    else if (Array.isArray(s.type)) for (const t of s.type) out.add(String(t));
    else if (s.enum === undefined && s.anyOf === undefined && s.oneOf === undefined) out.add('any');
  }
  for (const k of ['anyOf', 'oneOf'] as const) {
    const branches = s[k];
    if (Array.isArray(branches)) for (const b of branches) acceptedTypes(b, out, depth + 1);
  }
  return out;
}

function coerce(value: unknown, schema: unknown): unknown {
  if (typeof value !== 'string' || schema === undefined) return value;
  const types = acceptedTypes(schema);
  if (types.has('string') || types.has('any')) return value;
  if ((types.has('integer') || types.has('number')) && /^-?[0-9]+(\.[0-9]+)?$/.test(value.trim())) return Number(value.trim());
  if (types.has('boolean')) return parseAnsibleBool(value) ?? value;
  return value;
}
