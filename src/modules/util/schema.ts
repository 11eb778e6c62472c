// Module argument schemas with Ansible-style aliases (`dest` for `path`, `pkg` for `name`).
// A property declares `aliases: [...]`; `moduleSchema` publishes each alias as a property of its
// own (marked `x-alias-of`) so the playbook validator accepts either spelling, and
// `normalizeArgs` maps aliases to the canonical name and fills defaults before `run`.
import type { SchemaObject } from 'ajv';

type Props = Record<string, SchemaObject>;

export interface ArgsSpec {
  properties: Props;
  required?: string[];
  /** extra top-level schema keywords (oneOf, anyOf, dependencies...) */
  extra?: SchemaObject;
  /** set_fact-style modules accept any key */
  additionalProperties?: boolean | SchemaObject;
}

/** Build a module's JSON Schema; required arguments may be given under any of their aliases. */
export function moduleSchema(spec: ArgsSpec): SchemaObject {
  const properties: Props = {};
  for (const [name, prop] of Object.entries(spec.properties)) {
    properties[name] = prop;
    const aliases = prop.aliases as string[] | undefined;
    for (const a of aliases ?? []) {
      const { aliases: _a, default: _d, ...rest } = prop;
      properties[a] = { ...rest, description: `alias of \`${name}\``, 'x-alias-of': name };
    }
  }
  const allOf: SchemaObject[] = [];
  const required: string[] = [];
  for (const r of spec.required ?? []) {
    const aliases = (spec.properties[r]?.aliases as string[] | undefined) ?? [];
    if (aliases.length === 0) required.push(r);
    else allOf.push({ anyOf: [r, ...aliases].map((n) => ({ required: [n] })) });
  }
  const schema: SchemaObject = { type: 'object', properties, additionalProperties: spec.additionalProperties ?? false };
  if (required.length) schema.required = required;
  if (allOf.length) schema.allOf = allOf;
  return { ...schema, ...spec.extra };
}

/** The canonical arguments (no alias properties) in declaration order, for docs. */
export function canonicalProperties(schema: SchemaObject): Array<[string, SchemaObject]> {
  const props = (schema.properties ?? {}) as Props;
  return Object.entries(props).filter(([, p]) => p['x-alias-of'] === undefined);
}

/** Names of required arguments, including those required through an alias group. */
export function requiredNames(schema: SchemaObject): string[] {
  const out = [...((schema.required as string[] | undefined) ?? [])];
  for (const part of (schema.allOf as SchemaObject[] | undefined) ?? []) {
    const first = (part.anyOf as SchemaObject[] | undefined)?.[0]?.required as string[] | undefined;
    if (first?.[0]) out.push(first[0]);
  }
  return out;
}

/**
 * Map aliases to canonical names and fill defaults. Idempotent, so it is safe whether or not
 * the engine already did it. Throws a TypeError when an argument is given twice.
 */
export function normalizeArgs<A>(schema: SchemaObject, args: Record<string, unknown>): A {
  const { aliasOf, defaults } = argShape(schema);
  const out: Record<string, unknown> = {};
  for (const k in args) {
    if (!Object.hasOwn(args, k)) continue;
    const canonical = aliasOf.get(k) ?? k;
    if (canonical !== k && k in out) continue;
    if (canonical !== k && canonical in args) {
      throw new TypeError(`argument "${canonical}" is given twice (also as its alias "${k}"): keep one`);
    }
    out[canonical] = args[k];
  }
  // indexed, no destructuring: both run the iterator protocol in unoptimised code (per task and host)
  for (let i = 0; i < defaults.length; i++) {
    const pair = defaults[i] as readonly [string, unknown];
    const k = pair[0];
    const d = pair[1];
    if (out[k] === undefined) {
      // a module may change what it got: lists and dicts are copied, plain values need not be
      out[k] = typeof d === 'object' && d !== null ? structuredClone(d) : d;
    }
  }
  return out as A;
}

interface ArgShape {
  /** alias → canonical name */
  aliasOf: ReadonlyMap<string, string>;
  /** canonical arguments with a default, in declaration order */
  defaults: ReadonlyArray<readonly [string, unknown]>;
}

// A module's schema is made once and never changed, but its arguments are normalised per task and
// host: what the schema says about aliases and defaults is read once (walking the properties per
// call was a few KiB of garbage per task on every host, profiled on the fleet benchmark).
const shapes = new WeakMap<SchemaObject, ArgShape>();

function argShape(schema: SchemaObject): ArgShape {
  let shape = shapes.get(schema);
  if (shape === undefined) {
    const aliasOf = new Map<string, string>();
    const defaults: Array<readonly [string, unknown]> = [];
    for (const [k, p] of Object.entries((schema.properties ?? {}) as Props)) {
      const canonical = p['x-alias-of'] as string | undefined;
      if (canonical !== undefined) aliasOf.set(k, canonical);
      else if (p.default !== undefined) defaults.push([k, p.default]);
    }
    shape = { aliasOf, defaults };
    shapes.set(schema, shape);
  }
  return shape;
}
