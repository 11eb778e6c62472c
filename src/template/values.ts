// The value model of the template interpreter: plain JSON-like JavaScript values (string,
// number, boolean, null, arrays, plain objects) plus three runtime-only kinds:
//  - Undefined: a missing variable or attribute. Like Jinja's StrictUndefined it may be
//    tested (`is defined`, `default`) but any other use raises "'x' is undefined".
//  - LazyMapping: a mapping whose values are computed on access (a host's variables inside
//    `hostvars`, a whole VarScope), so `hostvars['h1'].domain` resolves one variable, not
//    every variable of every host.
//  - Callable: a function the template may call (`range`, `'a b'.split()`). Only objects
//    of this class are callable; nothing in user data ever is.
// The interpreter reads only *own* properties of plain objects and arrays, so there is no
// path from a template to `constructor`, `__proto__` or any JavaScript global.
import { DateTime, TimeDelta, dateTimeStr, timeDeltaStr } from './datetime.js';
import { TemplateRuntimeError } from './errors.js';

export class Undefined {
  /** e.g. `'nope' is undefined` or `'dict object' has no attribute 'x'` */
  constructor(readonly hint: string) {}
  fail(): never {
    throw new TemplateRuntimeError(this.hint);
  }
}

export abstract class LazyMapping {
  abstract get(key: string): unknown;
  abstract has(key: string): boolean;
  abstract keys(): string[];
}

export class Callable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}

export type Mapping = Record<string, unknown> | LazyMapping;

/** Array.isArray narrowed to unknown[] (not any[]). */
export function isList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function isMapping(v: unknown): v is Mapping {
  return v instanceof LazyMapping || isPlainObject(v);
}

export function mappingGet(m: Mapping, key: string): unknown {
  if (m instanceof LazyMapping) return m.has(key) ? m.get(key) : undefined;
  return Object.hasOwn(m, key) ? m[key] : undefined;
}

export function mappingHas(m: Mapping, key: string): boolean {
  return m instanceof LazyMapping ? m.has(key) : Object.hasOwn(m, key);
}

export function mappingKeys(m: Mapping): string[] {
  return m instanceof LazyMapping ? m.keys() : Object.keys(m);
}

/** Set an own property even for keys like `__proto__` (which `o[k] = v` would not). */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

export function typeName(v: unknown): string {
  if (v instanceof Undefined) return 'undefined';
  if (v === null) return 'NoneType';
  if (isList(v)) return 'list';
  if (isMapping(v)) return 'dict';
  if (v instanceof Callable) return 'function';
  if (v instanceof DateTime) return 'datetime';
  if (v instanceof TimeDelta) return 'timedelta';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** Python truthiness; an Undefined raises. */
export function truthy(v: unknown): boolean {
  if (v instanceof Undefined) v.fail();
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (isList(v)) return v.length > 0;
  if (isMapping(v)) return mappingKeys(v).length > 0;
  return true;
}

/** Python repr() of a string: single quotes unless the text holds one and no double quote. */
function reprString(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return q + out + q;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

export function repr(v: unknown): string {
  if (typeof v === 'string') return reprString(v);
  if (isList(v)) return `[${v.map(repr).join(', ')}]`;
  if (isMapping(v)) {
    return `{${mappingKeys(v)
      .map((k) => `${reprString(k)}: ${repr(mappingGet(v, k))}`)
      .join(', ')}}`;
  }
  return str(v);
}

/** Python str(): what `{{ value }}` prints inside a larger string. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Undefined) v.fail();
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (isList(v) || isMapping(v)) return repr(v);
  if (v instanceof Callable) return `<function ${v.name}>`;
  if (v instanceof DateTime) return dateTimeStr(v);
  if (v instanceof TimeDelta) return timeDeltaStr(v);
  return '';
}

/** Python equality: deep for lists and dicts; 1 == 1.0; True == 1. */
export function equals(a: unknown, b: unknown): boolean {
  if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
  if (a === b) return true;
  if (a instanceof DateTime && b instanceof DateTime) return a.date.getTime() === b.date.getTime();
  if (a instanceof TimeDelta && b instanceof TimeDelta) return a.totalMs === b.totalMs;
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) {
    return Number(a) === Number(b);
  }
  if (isList(a) && isList(b)) {
    return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = mappingKeys(a);
    const kb = mappingKeys(b);
    return ka.length === kb.length && ka.every((k) => mappingHas(b, k) && equals(mappingGet(a, k), mappingGet(b, k)));
  }
  return false;
}

/** Python ordering; mixed types raise like Python 3. */
export function compare(a: unknown, b: unknown): number {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  const numA = typeof a === 'number' || typeof a === 'boolean';
  const numB = typeof b === 'number' || typeof b === 'boolean';
  if (numA && numB) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof DateTime && b instanceof DateTime) return a.date.getTime() - b.date.getTime();
  if (a instanceof TimeDelta && b instanceof TimeDelta) return a.totalMs - b.totalMs;
  if (isList(a) && isList(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TemplateRuntimeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/**
 * A value as plain data for the caller: lazy mappings resolved, Undefined raises. Used for
 * native results (`{{ list_var }}` returns the list) and for to_json/to_yaml.
 */
export function toPlain(v: unknown): unknown {
  if (v instanceof Undefined) v.fail();
  if (v instanceof LazyMapping) {
    const o: Record<string, unknown> = {};
    for (const k of v.keys()) setOwn(o, k, toPlain(v.get(k)));
    return o;
  }
  if (isList(v)) return v.some(needsPlain) ? v.map(toPlain) : v;
  if (isPlainObject(v)) {
    if (!Object.values(v).some(needsPlain)) return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, toPlain(x));
    return o;
  }
  if (v instanceof Callable) throw new TemplateRuntimeError(`function '${v.name}' is not data`);
  // a datetime as data is its text, as Ansible's to_json / native values show it
  if (v instanceof DateTime) return dateTimeStr(v);
  if (v instanceof TimeDelta) return timeDeltaStr(v);
  return v;
}

function needsPlain(v: unknown): boolean {
  if (v instanceof LazyMapping || v instanceof Undefined || v instanceof Callable || v instanceof DateTime || v instanceof TimeDelta) return true;
  if (isList(v)) return v.some(needsPlain);
  if (isPlainObject(v)) return Object.values(v).some(needsPlain);
  return false;
}

/** Iterate like Python: lists, dict keys, string characters. */
export function iterate(v: unknown, what: string): unknown[] {
  if (v instanceof Undefined) v.fail();
  if (isList(v)) return v;
  if (isMapping(v)) return mappingKeys(v);
  if (typeof v === 'string') return Array.from(v);
  throw new TemplateRuntimeError(`'${typeName(v)}' object is not iterable (${what})`);
}
