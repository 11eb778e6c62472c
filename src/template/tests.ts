// Jinja2 and Ansible tests (`x is defined`, `result is failed`, `v is version('2.0', '>=')`).
import { TemplateRuntimeError } from './errors.js';
import type { TestFn } from './access.js';
import { contains } from './access.js';
import type { LazyMapping } from './values.js';
import { Callable, Undefined, compare, equals, isList, isMapping, mappingGet, str, truthy, typeName } from './values.js';

/** Python `re` syntax → JavaScript RegExp (named groups, \A, \Z, leading inline flags). */
export function pyRegex(pattern: string, ignorecase: boolean, multiline: boolean, global: boolean): RegExp {
  let flags = '';
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    if (inline[1]!.includes('i')) ignorecase = true;
    if (inline[1]!.includes('m')) multiline = true;
    if (inline[1]!.includes('s')) flags += 's';
  }
  src = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  if (ignorecase) flags += 'i';
  if (multiline) flags += 'm';
  if (global) flags += 'g';
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new TemplateRuntimeError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Python `re.sub` replacement (`\1`, `\g<1>`, `\g<name>`) → JavaScript replacement string. */
export function pyReplacement(repl: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c === '$') {
      out += '$$';
    } else if (c === '\\' && i + 1 < repl.length) {
      const rest = repl.slice(i + 1);
      const num = /^\d{1,2}/.exec(rest);
      const g = /^g<(\w+)>/.exec(rest);
      if (num) {
        out += `$${num[0]}`;
        i += num[0].length;
      } else if (g) {
        out += /^\d+$/.test(g[1]!) ? `$${g[1]}` : `$<${g[1]}>`;
        i += g[0].length;
      } else {
        const n = rest[0]!;
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === '\\' ? '\\' : `\\${n}`;
        i += 1;
      }
    } else {
      out += c;
    }
  }
  return out;
}

function versionParts(v: string): Array<number | string> {
  return (v.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase()));
}

/** Loose version comparison like Ansible's default (`1.10 > 1.9`, `2.0 == 2.0.0` is false). */
export function versionCompare(a: string, b: string, op: string): boolean {
  const pa = versionParts(a);
  const pb = versionParts(b);
  let c = 0;
  for (let i = 0; i < Math.max(pa.length, pb.length) && c === 0; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) c = -1;
    else if (y === undefined) c = 1;
    else if (typeof x === typeof y) c = x < y ? -1 : x > y ? 1 : 0;
    else c = typeof x === 'number' ? 1 : -1; // 1.0 > 1.0rc: a number part sorts after a letter part
  }
  switch (op) {
    case '<':
    case 'lt':
      return c < 0;
    case '<=':
    case 'le':
      return c <= 0;
    case '>':
    case 'gt':
      return c > 0;
    case '>=':
    case 'ge':
      return c >= 0;
    case '==':
    case '=':
    case 'eq':
      return c === 0;
    case '!=':
    case '<>':
    case 'ne':
      return c !== 0;
    default:
      throw new TemplateRuntimeError(`version: unknown comparison operator '${op}'`);
  }
}

/** A registered result for `is failed` and friends: must be a mapping. */
function result(v: unknown, test: string): Record<string, unknown> | LazyMapping {
  if (v instanceof Undefined) v.fail();
  if (!isMapping(v)) throw new TemplateRuntimeError(`the '${test}' test expects a registered task result (a dict), got ${typeName(v)}`);
  return v;
}

const failed: TestFn = (v) => truthy(mappingGet(result(v, 'failed'), 'failed') ?? false);
const succeeded: TestFn = (v) => !truthy(mappingGet(result(v, 'succeeded'), 'failed') ?? false);
const changed: TestFn = (v) => truthy(mappingGet(result(v, 'changed'), 'changed') ?? false);
const skipped: TestFn = (v) => truthy(mappingGet(result(v, 'skipped'), 'skipped') ?? false);

const matchTest =
  (anchored: boolean): TestFn =>
  (v, args) => {
    if (typeof v !== 'string') return false;
    const re = pyRegex(str(args[0]), truthy(args[1] ?? false), truthy(args[2] ?? false), false);
    const m = re.exec(v);
    return m !== null && (!anchored || m.index === 0);
  };

const version: TestFn = (v, args) => versionCompare(str(v), str(args[0]), str(args[1] ?? '=='));
const eq: TestFn = (v, args) => equals(v, args[0]);

function isNumber(v: unknown): boolean {
  return typeof v === 'number';
}

export const TESTS: ReadonlyMap<string, TestFn> = new Map<string, TestFn>(
  Object.entries({
    defined: (v) => !(v instanceof Undefined),
    undefined: (v) => v instanceof Undefined,
    none: (v) => v === null,
    string: (v) => typeof v === 'string',
    number: isNumber,
    integer: (v) => typeof v === 'number' && Number.isInteger(v),
    float: (v) => typeof v === 'number' && !Number.isInteger(v),
    boolean: (v) => typeof v === 'boolean',
    true: (v) => v === true,
    false: (v) => v === false,
    mapping: (v) => isMapping(v),
    iterable: (v) => isList(v) || isMapping(v) || typeof v === 'string',
    sequence: (v) => isList(v) || isMapping(v) || typeof v === 'string',
    list: (v) => isList(v),
    callable: (v) => v instanceof Callable,
    truthy: (v) => !(v instanceof Undefined) && truthy(v),
    falsy: (v) => v instanceof Undefined || !truthy(v),
    match: matchTest(true),
    search: matchTest(false),
    regex: (v, args, rt) => matchTest(args[3] === 'match')(v, args, rt),
    succeeded,
    success: succeeded,
    failed,
    failure: failed,
    changed,
    change: changed,
    skipped,
    skip: skipped,
    version,
    version_compare: version,
    equalto: eq,
    eq,
    '==': eq,
    ne: (v, args) => !equals(v, args[0]),
    lt: (v, args) => compare(v, args[0]) < 0,
    le: (v, args) => compare(v, args[0]) <= 0,
    gt: (v, args) => compare(v, args[0]) > 0,
    ge: (v, args) => compare(v, args[0]) >= 0,
    in: (v, args) => contains(args[0], v),
    contains: (v, args) => contains(v, args[0]),
    subset: (v, [other]) => isList(v) && isList(other) && v.every((x) => other.some((y) => equals(x, y))),
    superset: (v, [other]) => isList(v) && isList(other) && other.every((x) => v.some((y) => equals(x, y))),
    sameas: (v, args) => v === args[0],
    odd: (v) => typeof v === 'number' && Math.abs(v % 2) === 1,
    even: (v) => typeof v === 'number' && v % 2 === 0,
    divisibleby: (v, args) => typeof v === 'number' && v % Number(args[0]) === 0,
    lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
    upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  }),
);
