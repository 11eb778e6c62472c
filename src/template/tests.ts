// Jinja2 and Ansible tests (`x is defined`, `result is failed`, `v is version('2.0', '>=')`).
import { TemplateRuntimeError } from './errors.js';
import type { TestFn } from './access.js';
import { argOf, contains } from './access.js';
import type { LazyMapping } from './values.js';
import { Callable, Undefined, compare, equals, isList, isMapping, iterate, mappingGet, mappingHas, str, truthy, typeName } from './values.js';
import { FILE_TESTS } from './path-filters.js';
import { isVaulted } from './vaulted.js';
import { versionCompare } from './version.js';
import { parseAnsibleBool } from '../util/booleans.js';

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

/** A registered result for `is failed` and friends: must be a mapping. */
function result(v: unknown, test: string): Record<string, unknown> | LazyMapping {
  if (v instanceof Undefined) v.fail();
  if (!isMapping(v)) throw new TemplateRuntimeError(`the '${test}' test expects a registered task result (a dict), got ${typeName(v)}`);
  return v;
}

const flag = (test: string, key: string): TestFn => (v) => truthy(mappingGet(result(v, test), key) ?? false);
const failed = flag('failed', 'failed');
const succeeded: TestFn = (v, a, rt, k) => !failed(v, a, rt, k);
const unreachable = flag('unreachable', 'unreachable');
const skipped = flag('skipped', 'skipped');

/** `changed`: a loop's result has no `changed` of its own; any changed item makes it changed (Ansible). */
const changed: TestFn = (v) => {
  const r = result(v, 'changed');
  if (mappingHas(r, 'changed')) return truthy(mappingGet(r, 'changed'));
  const items = mappingGet(r, 'results');
  return isList(items) && isMapping(items[0]) && items.some((x) => isMapping(x) && truthy(mappingGet(x, 'changed') ?? false));
};

/** async results carry `started`/`finished` (0 or 1); any other result counts as started and finished. */
const asyncFlag =
  (test: string): TestFn =>
  (v) => {
    const r = result(v, test);
    return mappingHas(r, test) ? truthy(mappingGet(r, test)) : true;
  };

const timedout: TestFn = (v) => {
  const t = mappingGet(result(v, 'timedout'), 'timedout');
  return isMapping(t) ? truthy(mappingGet(t, 'period') ?? false) : false;
};


/** Ansible's `regex(value, pattern, ignorecase, multiline, match_type)`; `match`/`search` fix the type. */
function regexTest(v: unknown, args: unknown[], kwargs: Record<string, unknown>, fixedType?: string): boolean {
  if (v instanceof Undefined) v.fail();
  const value = str(v);
  const type = fixedType ?? str(argOf(args, 3, kwargs, 'match_type', 'search'));
  if (type !== 'search' && type !== 'match' && type !== 'fullmatch') throw new TemplateRuntimeError('Invalid match_type specified. Expected one of: search, match, fullmatch.');
  const re = pyRegex(str(argOf(args, 0, kwargs, 'pattern', '')), truthy(argOf(args, 1, kwargs, 'ignorecase', false)), truthy(argOf(args, 2, kwargs, 'multiline', false)), false);
  if (type === 'search') return re.test(value);
  // `match` anchors at the start only, `fullmatch` at both ends (`(?![\s\S])` is the end of the text even in multiline mode)
  const source = type === 'fullmatch' ? `(?:${re.source})(?![\\s\\S])` : re.source;
  return new RegExp(source, `${re.flags.replace('g', '')}y`).test(value);
}

const version: TestFn = (v, args, _rt, kwargs) => {
  if (v instanceof Undefined) v.fail();
  return versionCompare(str(v), str(argOf(args, 0, kwargs, 'version', '')), str(argOf(args, 1, kwargs, 'operator', 'eq')), {
    strict: argOf(args, 2, kwargs, 'strict', undefined),
    versionType: argOf(args, 3, kwargs, 'version_type', undefined),
  });
};
const eq: TestFn = (v, args) => equals(v, args[0]);

/** `truthy(convert_bool=False)`: with convert_bool, boolean words count as the boolean they name. */
function truthyTest(v: unknown, args: unknown[], kwargs: Record<string, unknown>): boolean {
  if (v instanceof Undefined) return false;
  if (truthy(argOf(args, 0, kwargs, 'convert_bool', false))) {
    const b = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? parseAnsibleBool(v) : undefined;
    if (b !== undefined) return b;
  }
  return truthy(v);
}

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
    truthy: (v, args, _rt, kwargs) => truthyTest(v, args, kwargs),
    falsy: (v, args, _rt, kwargs) => !truthyTest(v, args, kwargs),
    match: (v, args, _rt, kwargs) => regexTest(v, args, kwargs, 'match'),
    search: (v, args, _rt, kwargs) => regexTest(v, args, kwargs, 'search'),
    regex: (v, args, _rt, kwargs) => regexTest(v, args, kwargs),
    succeeded,
    success: succeeded,
    failed,
    failure: failed,
    changed,
    change: changed,
    successful: succeeded,
    skipped,
    skip: skipped,
    reachable: (v, a, rt, k) => !unreachable(v, a, rt, k),
    unreachable,
    timedout,
    finished: asyncFlag('finished'),
    started: asyncFlag('started'),
    any: (v) => iterate(v, 'any').some((x) => truthy(x)),
    all: (v) => iterate(v, 'all').every((x) => truthy(x)),
    vault_encrypted: (v) => isVaulted(v),
    ...FILE_TESTS,
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
