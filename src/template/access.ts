// What a template may do with a value besides operators: read an attribute or item (own data
// only), call the Python str/dict/list methods Ansible users write, test `in`; plus the
// signatures of filters and tests. The interpreter, the filters and the tests all use these, so
// they live below all three (no import cycle between them).

import { DateTime, TimeDelta, dateTimeField, dateTimeIso, strftime } from './datetime.js';
import { TemplateRuntimeError } from './errors.js';
import { Callable, Undefined, equals, isList, isMapping, iterate, mappingGet, mappingHas, mappingKeys, repr, str, typeName } from './values.js';

export interface Runtime {
  filter(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown;
  test(name: string, value: unknown, args: unknown[], kwargs?: Record<string, unknown>): boolean;
}

/** A filter's or test's argument by position, else by keyword, else the default (Python's call rules). */
export function argOf(args: unknown[], i: number, kwargs: Record<string, unknown>, name: string, dflt: unknown): unknown {
  if (args[i] !== undefined) return args[i];
  if (Object.hasOwn(kwargs, name)) return kwargs[name];
  return dflt;
}

export type FilterFn = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, rt: Runtime) => unknown;
export type TestFn = (value: unknown, args: unknown[], rt: Runtime, kwargs: Record<string, unknown>) => boolean;

/** Ansible's placeholder for "leave this module argument out" (`default(omit)`). */
export const OMIT = '__omit_place_holder__runbook__';

export function toInt(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TemplateRuntimeError(`${what} expects an integer, got ${typeName(v)}`);
}

// --- methods callable on values (Python's str/dict/list methods Ansible users write) ---

function stringMethod(s: string, name: string): Callable | undefined {
  const m = (fn: (args: unknown[]) => unknown) => new Callable(name, (args) => fn(args));
  const strArg = (a: unknown, what: string): string => {
    if (typeof a !== 'string') throw new TemplateRuntimeError(`${what} expects a string, got ${typeName(a)}`);
    return a;
  };
  switch (name) {
    case 'upper':
      return m(() => s.toUpperCase());
    case 'lower':
      return m(() => s.toLowerCase());
    case 'strip':
      return m((a) => (a[0] === undefined ? s.trim() : stripChars(s, strArg(a[0], 'strip'), true, true)));
    case 'lstrip':
      return m((a) => (a[0] === undefined ? s.trimStart() : stripChars(s, strArg(a[0], 'lstrip'), true, false)));
    case 'rstrip':
      return m((a) => (a[0] === undefined ? s.trimEnd() : stripChars(s, strArg(a[0], 'rstrip'), false, true)));
    case 'split':
      return m((a) => pySplit(s, a[0] === undefined || a[0] === null ? undefined : strArg(a[0], 'split'), a[1] === undefined ? -1 : toInt(a[1], 'split')));
    case 'splitlines':
      return m(() => (s === '' ? [] : s.replace(/\r?\n$/, '').split(/\r?\n/)));
    case 'startswith':
      return m((a) => (isList(a[0]) ? a[0].some((p) => s.startsWith(str(p))) : s.startsWith(strArg(a[0], 'startswith'))));
    case 'endswith':
      return m((a) => (isList(a[0]) ? a[0].some((p) => s.endsWith(str(p))) : s.endsWith(strArg(a[0], 'endswith'))));
    case 'replace':
      return m((a) => s.split(strArg(a[0], 'replace')).join(strArg(a[1], 'replace')));
    case 'find':
      return m((a) => s.indexOf(strArg(a[0], 'find')));
    case 'count':
      return m((a) => s.split(strArg(a[0], 'count')).length - 1);
    case 'join':
      return m((a) => iterate(a[0], 'join').map(str).join(s));
    case 'title':
      return m(() => s.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()));
    case 'capitalize':
      return m(() => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase());
    case 'isdigit':
      return m(() => /^\d+$/.test(s));
    case 'format':
      return m((a) => {
        let i = 0;
        return s.replace(/\{(\d*)\}/g, (_, n: string) => str(a[n === '' ? i++ : Number(n)]));
      });
    default:
      return undefined;
  }
}

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: string | undefined, max: number): string[] {
  if (sep === undefined) {
    const parts = s.trim().split(/\s+/).filter((p) => p !== '');
    if (max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(' ')];
    return parts;
  }
  if (sep === '') throw new TemplateRuntimeError('split(): empty separator');
  const parts = s.split(sep);
  if (max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(sep)];
  return parts;
}

function mappingMethod(o: unknown, name: string): Callable | undefined {
  if (!isMapping(o)) return undefined;
  switch (name) {
    case 'get':
      return new Callable('get', (a) => {
        const k = str(a[0]);
        return mappingHas(o, k) ? mappingGet(o, k) : (a[1] ?? null);
      });
    case 'keys':
      return new Callable('keys', () => mappingKeys(o));
    case 'values':
      return new Callable('values', () => mappingKeys(o).map((k) => mappingGet(o, k)));
    case 'items':
      return new Callable('items', () => mappingKeys(o).map((k) => [k, mappingGet(o, k)]));
    default:
      return undefined;
  }
}

function listMethod(l: unknown[], name: string): Callable | undefined {
  switch (name) {
    case 'index':
      return new Callable('index', (a) => {
        const i = l.findIndex((x) => equals(x, a[0]));
        if (i < 0) throw new TemplateRuntimeError('list.index(x): x not in list');
        return i;
      });
    case 'count':
      return new Callable('count', (a) => l.filter((x) => equals(x, a[0])).length);
    default:
      return undefined;
  }
}

/** `obj.key` / `obj[key]`: own data only, never anything inherited. */
export function getAttr(obj: unknown, key: unknown, label: string, showKey = true): unknown {
  if (obj instanceof Undefined) return obj;
  if (!showKey) {
    // the key came from a variable and may be a secret: do not put it in messages
    const r = getAttr(obj, key, label, true);
    return r instanceof Undefined ? new Undefined(`'${label}' has no item with the key computed by the template`) : r;
  }
  if (isMapping(obj)) {
    const k = typeof key === 'number' ? String(key) : key;
    if (typeof k === 'string') {
      if (mappingHas(obj, k)) {
        const v = mappingGet(obj, k);
        return v === undefined ? new Undefined(`'${label}.${k}' is undefined`) : v;
      }
      const method = mappingMethod(obj, k);
      if (method) return method;
    }
    return new Undefined(`'${label}' has no attribute ${repr(str(key))}`);
  }
  if (isList(obj)) {
    if (typeof key === 'number' && Number.isInteger(key)) {
      const i = key < 0 ? obj.length + key : key;
      return i >= 0 && i < obj.length ? obj[i] : new Undefined(`'${label}' has no item ${key} (list index out of range)`);
    }
    if (typeof key === 'string') return listMethod(obj, key) ?? new Undefined(`'${label}' (a list) has no attribute ${repr(key)}`);
    return new Undefined(`'${label}' (a list) has no item ${repr(str(key))}`);
  }
  if (typeof obj === 'string') {
    if (typeof key === 'number' && Number.isInteger(key)) {
      const chars = Array.from(obj);
      const i = key < 0 ? chars.length + key : key;
      return i >= 0 && i < chars.length ? chars[i] : new Undefined(`'${label}' has no item ${key} (string index out of range)`);
    }
    if (typeof key === 'string') return stringMethod(obj, key) ?? new Undefined(`'${label}' (a string) has no attribute ${repr(key)}`);
  }
  if (obj instanceof DateTime && typeof key === 'string') {
    const v = dateTimeAttr(obj, key);
    if (v !== undefined) return v;
  }
  if (obj instanceof TimeDelta && typeof key === 'string') {
    if (key === 'days' || key === 'seconds' || key === 'microseconds') return obj[key];
    if (key === 'total_seconds') return new Callable('total_seconds', () => obj.totalMs / 1000);
  }
  return new Undefined(`'${label}' (${typeName(obj)}) has no attribute ${repr(str(key))}`);
}

/** What a template may read from a datetime: fields and a fixed set of methods, nothing else. */
function dateTimeAttr(dt: DateTime, key: string): unknown {
  const field = dateTimeField(dt, key);
  if (field !== undefined) return field;
  switch (key) {
    case 'strftime':
      return new Callable('strftime', (a) => {
        if (typeof a[0] !== 'string') throw new TemplateRuntimeError(`strftime() expects a format string, got ${typeName(a[0])}`);
        return strftime(a[0], dt.date, dt.utc);
      });
    case 'isoformat':
      return new Callable('isoformat', () => dateTimeIso(dt));
    case 'timestamp':
      return new Callable('timestamp', () => dt.date.getTime() / 1000);
    case 'weekday':
      // Python: Monday is 0
      return new Callable('weekday', () => ((dt.utc ? dt.date.getUTCDay() : dt.date.getDay()) + 6) % 7);
    default:
      return undefined;
  }
}

export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TemplateRuntimeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (isList(container)) return container.some((x) => equals(x, item));
  if (isMapping(container)) return typeof item === 'string' || typeof item === 'number' ? mappingHas(container, String(item)) : false;
  throw new TemplateRuntimeError(`argument of type '${typeName(container)}' is not iterable`);
}
