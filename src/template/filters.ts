// Filters Ansible users rely on. These are pure functions of their input: no filesystem, no
// network, no clock (the few that read the clock or a random source are in more-filters.ts).
// Names and argument orders follow Jinja2 and Ansible.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse as parseYamlText, stringify as stringifyYaml } from 'yaml';
import { shellQuote } from '../util/shlex.js';
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn } from './access.js';
import type { LazyMapping } from './values.js';
import { OMIT, argOf, contains, getAttr, pySplit } from './access.js';
import { MORE_FILTERS } from './more-filters.js';
import { ANSIBLE_FILTERS } from './ansible-filters.js';
import { COLLECTION_FILTERS } from './collection-filters.js';
import { PATH_FILTERS } from './path-filters.js';
import { IP_FILTERS } from './filters-ip.js';
import { pyRegex, pyReplacement } from './tests.js';
import { versionCompare } from './version.js';
import {
  Undefined,
  compare,
  equals,
  isList,
  isMapping,
  iterate,
  mappingGet,
  mappingKeys,
  setOwn,
  str,
  toPlain,
  truthy,
  typeName,
} from './values.js';

/** Filters that receive an Undefined instead of failing on it. */
export const UNDEFINED_OK_FILTERS: ReadonlySet<string> = new Set(['default', 'd', 'mandatory']);

function needString(v: unknown, filter: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return str(v);
  throw new TemplateRuntimeError(`filter '${filter}' expects a string, got ${typeName(v)}`);
}

function needList(v: unknown, filter: string): unknown[] {
  if (isList(v)) return v;
  if (isMapping(v) || typeof v === 'string') return iterate(v, filter);
  throw new TemplateRuntimeError(`filter '${filter}' expects a list, got ${typeName(v)}`);
}

function needMapping(v: unknown, filter: string): Record<string, unknown> | LazyMapping {
  if (isMapping(v)) return v;
  throw new TemplateRuntimeError(`filter '${filter}' expects a dict, got ${typeName(v)}`);
}

const opt = argOf;

/**
 * Ansible's `bool` filter (ansible-core's to_bool): None and booleans as they are; `yes`, `on`,
 * `1`, `true` in any case, or the number 1, true; everything else false (`y`, `t` and `2`
 * too: the filter is narrower than the boolean words module arguments accept).
 */
export function toBool(v: unknown): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.toLowerCase());
  return v === 1;
}

/** A JavaScript replacement string (`$1`, `$<name>`, `$$`) for one match, given replace()'s callback arguments. */
function expandReplacement(repl: string, m: unknown[]): string {
  const last = m[m.length - 1];
  const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
  const groupCount = m.length - (named ? 4 : 3);
  return repl.replace(/\$(\$|<(\w+)>|(\d{1,2}))/g, (all, what: string, name?: string, n?: string) => {
    if (what === '$') return '$';
    if (name !== undefined) return named?.[name] ?? '';
    const i = Number(n);
    if (i >= 1 && i <= groupCount) return (m[i] as string | undefined) ?? '';
    return all;
  });
}

/** Python codec names → Node's; the ones Ansible users pass to b64encode/b64decode. */
function encodingOf(v: unknown): BufferEncoding {
  const name = String(v).toLowerCase().replace(/_/g, '-');
  const map: Record<string, BufferEncoding> = {
    'utf-8': 'utf8', utf8: 'utf8', 'utf-16-le': 'utf16le', 'utf-16le': 'utf16le', 'utf16le': 'utf16le', latin1: 'latin1', 'latin-1': 'latin1', 'iso-8859-1': 'latin1', ascii: 'ascii',
  };
  const enc = map[name];
  if (enc === undefined) throw new TemplateRuntimeError(`unknown encoding: ${String(v)} (runbook knows utf-8, utf-16-le, latin-1, ascii)`);
  return enc;
}

function toIntValue(v: unknown, dflt: unknown, base: number): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    if (base === 10 && /^[-+]?\d+$/.test(s)) return parseInt(s, 10);
    if (base !== 10) {
      const n = parseInt(s.replace(/^0[xob]/i, ''), base);
      if (!Number.isNaN(n)) return n;
    }
    if (base === 10 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Math.trunc(parseFloat(s));
  }
  return dflt;
}

function toFloatValue(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(v)) return parseFloat(v);
  return dflt;
}

/** Python's json.dumps formatting (`, ` and `: ` separators) so output matches Ansible. */
export function toJson(v: unknown, indent?: number, sortKeys = false): string {
  const plain = toPlain(v);
  const walk = (x: unknown, depth: number): string => {
    if (x === undefined) return 'null';
    if (isList(x)) {
      if (x.length === 0) return '[]';
      if (indent === undefined) return `[${x.map((y) => walk(y, depth + 1)).join(', ')}]`;
      const pad = ' '.repeat(indent * (depth + 1));
      return `[\n${x.map((y) => pad + walk(y, depth + 1)).join(',\n')}\n${' '.repeat(indent * depth)}]`;
    }
    if (isMapping(x)) {
      let keys = mappingKeys(x);
      if (sortKeys) keys = [...keys].sort();
      if (keys.length === 0) return '{}';
      const entry = (k: string): string => `${JSON.stringify(k)}: ${walk(mappingGet(x, k), depth + 1)}`;
      if (indent === undefined) return `{${keys.map(entry).join(', ')}}`;
      const pad = ' '.repeat(indent * (depth + 1));
      return `{\n${keys.map((k) => pad + entry(k)).join(',\n')}\n${' '.repeat(indent * depth)}}`;
    }
    if (typeof x === 'number' && !Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(x) ?? 'null';
  };
  return walk(plain, 0);
}

function attrPath(item: unknown, path: string): unknown {
  let cur = item;
  for (const part of path.split('.')) {
    cur = getAttr(cur, /^\d+$/.test(part) && isList(cur) ? Number(part) : part, part);
    if (cur instanceof Undefined) return cur;
  }
  return cur;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) setOwn(out, k, a[k]);
  for (const k of Object.keys(b)) {
    const av = Object.hasOwn(out, k) ? out[k] : undefined;
    const bv = b[k];
    if (recursive && isMapping(av) && isMapping(bv)) {
      setOwn(out, k, deepMerge(toPlain(av) as Record<string, unknown>, toPlain(bv) as Record<string, unknown>, recursive, listMerge));
    } else if (isList(av) && isList(bv) && listMerge !== 'replace') {
      const merged =
        listMerge === 'append' ? [...av, ...bv]
        : listMerge === 'prepend' ? [...bv, ...av]
        : listMerge === 'append_rp' ? [...av.filter((x) => !bv.some((y) => equals(x, y))), ...bv]
        : listMerge === 'prepend_rp' ? [...bv, ...av.filter((x) => !bv.some((y) => equals(x, y)))]
        : bv;
      setOwn(out, k, merged);
    } else {
      setOwn(out, k, bv);
    }
  }
  return out;
}

function uniq(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of items) if (!out.some((y) => equals(x, y))) out.push(x);
  return out;
}

function minMax(v: unknown, args: unknown[], kwargs: Record<string, unknown>, name: string, sign: number): unknown {
  const items = needList(v, name);
  if (items.length === 0) throw new TemplateRuntimeError(`${name}() of an empty list`);
  const attribute = opt(args, 0, kwargs, 'attribute', undefined);
  const key = (x: unknown): unknown => (typeof attribute === 'string' ? attrPath(x, attribute) : x);
  return items.reduce((best, x) => (sign * compare(key(x), key(best)) > 0 ? x : best));
}

function regexSearch(v: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const s = needString(v, 'regex_search');
  const pattern = needString(args[0], 'regex_search');
  const re = pyRegex(pattern, truthy(kwargs.ignorecase ?? false), truthy(kwargs.multiline ?? false), false);
  const m = re.exec(s);
  if (!m) return null;
  const groups = args.slice(1);
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    const gs = needString(g, 'regex_search');
    const named = /^\\g<(\w+)>$/.exec(gs);
    const num = /^\\(\d+)$/.exec(gs);
    if (named) return m.groups?.[named[1]!] ?? null;
    if (num) return m[Number(num[1])] ?? null;
    throw new TemplateRuntimeError(`regex_search: unknown group argument ${gs}`);
  });
}

export const FILTERS: ReadonlyMap<string, FilterFn> = new Map<string, FilterFn>(
  Object.entries({
    default: (v, args, kwargs) => {
      const dflt = opt(args, 0, kwargs, 'default_value', '');
      const boolean = truthy(opt(args, 1, kwargs, 'boolean', false));
      if (v instanceof Undefined || (boolean && !truthy(v))) return dflt;
      return v;
    },
    mandatory: (v, args) => {
      if (v instanceof Undefined) {
        throw new TemplateRuntimeError(typeof args[0] === 'string' ? args[0] : `mandatory variable not defined: ${v.hint}`);
      }
      return v;
    },
    lower: (v) => needString(v, 'lower').toLowerCase(),
    upper: (v) => needString(v, 'upper').toUpperCase(),
    capitalize: (v) => {
      const s = needString(v, 'capitalize');
      return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
    },
    title: (v) => needString(v, 'title').replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
    trim: (v) => needString(v, 'trim').trim(),
    length: (v) => {
      if (typeof v === 'string') return Array.from(v).length;
      if (isList(v)) return v.length;
      if (isMapping(v)) return mappingKeys(v).length;
      throw new TemplateRuntimeError(`object of type '${typeName(v)}' has no len()`);
    },
    join: (v, args, kwargs) => needList(v, 'join').map((x) => str(x)).join(needString(opt(args, 0, kwargs, 'd', ''), 'join')),
    first: (v) => {
      const l = needList(v, 'first');
      return l.length ? l[0] : new Undefined('first() of an empty sequence');
    },
    last: (v) => {
      const l = needList(v, 'last');
      return l.length ? l[l.length - 1] : new Undefined('last() of an empty sequence');
    },
    unique: (v) => uniq(needList(v, 'unique')),
    sort: (v, args, kwargs) => {
      const reverse = truthy(opt(args, 0, kwargs, 'reverse', false));
      const caseSensitive = truthy(opt(args, 1, kwargs, 'case_sensitive', false));
      const attribute = opt(args, 2, kwargs, 'attribute', undefined);
      const key = (x: unknown): unknown => {
        const k = typeof attribute === 'string' ? attrPath(x, attribute) : x;
        return !caseSensitive && typeof k === 'string' ? k.toLowerCase() : k;
      };
      const sorted = [...needList(v, 'sort')].sort((a, b) => compare(key(a), key(b)));
      return reverse ? sorted.reverse() : sorted;
    },
    reverse: (v) => (typeof v === 'string' ? Array.from(v).reverse().join('') : [...needList(v, 'reverse')].reverse()),
    min: (v, args, kwargs) => minMax(v, args, kwargs, 'min', -1),
    max: (v, args, kwargs) => minMax(v, args, kwargs, 'max', 1),
    sum: (v, args, kwargs) => {
      const attribute = opt([], 0, kwargs, 'attribute', undefined);
      const start = opt(args, 0, kwargs, 'start', 0);
      return needList(v, 'sum').reduce<unknown>((acc, x) => {
        const y = typeof attribute === 'string' ? attrPath(x, attribute) : x;
        if (isList(acc) && isList(y)) return [...acc, ...y];
        if (typeof acc !== 'number' || (typeof y !== 'number' && typeof y !== 'boolean')) {
          throw new TemplateRuntimeError(`sum: unsupported operand types '${typeName(acc)}' and '${typeName(y)}'`);
        }
        return acc + Number(y);
      }, start);
    },
    list: (v) => (isList(v) ? v : iterate(v, 'list')),
    flatten: (v, args, kwargs) => {
      const levels = opt(args, 0, kwargs, 'levels', null);
      const walk = (l: unknown[], depth: number): unknown[] =>
        l.flatMap((x) => (isList(x) && (levels === null || depth < Number(levels)) ? walk(x, depth + 1) : [x]));
      return walk(needList(v, 'flatten'), 0);
    },
    dict2items: (v, args, kwargs) => {
      const m = needMapping(v, 'dict2items');
      const kn = str(opt(args, 0, kwargs, 'key_name', 'key'));
      const vn = str(opt(args, 1, kwargs, 'value_name', 'value'));
      return mappingKeys(m).map((k) => {
        const o: Record<string, unknown> = {};
        setOwn(o, kn, k);
        setOwn(o, vn, mappingGet(m, k));
        return o;
      });
    },
    items2dict: (v, args, kwargs) => {
      const kn = str(opt(args, 0, kwargs, 'key_name', 'key'));
      const vn = str(opt(args, 1, kwargs, 'value_name', 'value'));
      const out: Record<string, unknown> = {};
      for (const item of needList(v, 'items2dict')) {
        const k = getAttr(item, kn, 'item');
        if (k instanceof Undefined) k.fail();
        setOwn(out, str(k), getAttr(item, vn, 'item'));
      }
      return out;
    },
    items: (v) => {
      const m = needMapping(v, 'items');
      return mappingKeys(m).map((k) => [k, mappingGet(m, k)]);
    },
    dictsort: (v) => {
      const m = needMapping(v, 'dictsort');
      return mappingKeys(m)
        .sort((a, b) => compare(a.toLowerCase(), b.toLowerCase()))
        .map((k) => [k, mappingGet(m, k)]);
    },
    basename: (v) => posix.basename(needString(v, 'basename')),
    dirname: (v) => posix.dirname(needString(v, 'dirname')),
    splitext: (v) => {
      const s = needString(v, 'splitext');
      const ext = posix.extname(s);
      return [s.slice(0, s.length - ext.length), ext];
    },
    split: (v, args, kwargs) => {
      const sep = opt(args, 0, kwargs, 'separator', undefined);
      const max = opt(args, 1, kwargs, 'maxsplit', -1);
      return pySplit(needString(v, 'split'), sep === undefined || sep === null ? undefined : needString(sep, 'split'), Number(max));
    },
    quote: (v) => shellQuote(needString(v, 'quote')),
    b64encode: (v, args, kwargs) => Buffer.from(needString(v, 'b64encode'), encodingOf(opt(args, 0, kwargs, 'encoding', 'utf-8'))).toString('base64'),
    b64decode: (v, args, kwargs) => Buffer.from(needString(v, 'b64decode'), 'base64').toString(encodingOf(opt(args, 0, kwargs, 'encoding', 'utf-8'))),
    ternary: (v, args) => {
      if (v === null && args.length > 2) return args[2];
      return truthy(v) ? args[0] : args[1];
    },
    combine: (v, args, kwargs) => {
      const recursive = truthy(kwargs.recursive ?? false);
      const listMerge = str(kwargs.list_merge ?? 'replace');
      const dicts = [v, ...args.flatMap((a) => (isList(a) ? a : [a]))];
      return dicts.reduce<Record<string, unknown>>(
        (acc, d) => deepMerge(acc, toPlain(needMapping(d, 'combine')) as Record<string, unknown>, recursive, listMerge),
        {},
      );
    },
    map: (v, args, kwargs, rt) => {
      const items = needList(v, 'map');
      if (typeof kwargs.attribute === 'string') {
        const attribute = kwargs.attribute;
        const hasDefault = Object.hasOwn(kwargs, 'default');
        return items.map((x) => {
          const r = attrPath(x, attribute);
          return r instanceof Undefined && hasDefault ? kwargs.default : r;
        });
      }
      const name = args[0];
      if (typeof name !== 'string') throw new TemplateRuntimeError("map() needs a filter name or attribute='...'");
      return items.map((x) => rt.filter(name, x, args.slice(1), kwargs));
    },
    select: (v, args, _kw, rt) => selectItems(v, args, rt, true, undefined),
    reject: (v, args, _kw, rt) => selectItems(v, args, rt, false, undefined),
    selectattr: (v, args, _kw, rt) => selectItems(v, args.slice(1), rt, true, needString(args[0], 'selectattr')),
    rejectattr: (v, args, _kw, rt) => selectItems(v, args.slice(1), rt, false, needString(args[0], 'rejectattr')),
    extract: (v, args) => {
      let cur = getAttr(args[0], v, 'container');
      const more = args[1];
      for (const k of more === undefined ? [] : isList(more) ? more : [more]) cur = getAttr(cur, k, 'item');
      return cur;
    },
    difference: (v, args) => {
      const other = needList(args[0], 'difference');
      return uniq(needList(v, 'difference').filter((x) => !other.some((y) => equals(x, y))));
    },
    union: (v, args) => uniq([...needList(v, 'union'), ...needList(args[0], 'union')]),
    intersect: (v, args) => {
      const other = needList(args[0], 'intersect');
      return uniq(needList(v, 'intersect').filter((x) => other.some((y) => equals(x, y))));
    },
    symmetric_difference: (v, args) => {
      const a = needList(v, 'symmetric_difference');
      const b = needList(args[0], 'symmetric_difference');
      return uniq([...a.filter((x) => !b.some((y) => equals(x, y))), ...b.filter((x) => !a.some((y) => equals(x, y)))]);
    },
    zip: (v, args) => {
      const lists = [needList(v, 'zip'), ...args.map((a) => needList(a, 'zip'))];
      const n = Math.min(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
    },
    regex_replace: (v, args, kwargs) => {
      const s = needString(v, 'regex_replace');
      const pattern = needString(opt(args, 0, kwargs, 'pattern', ''), 'regex_replace');
      const re = pyRegex(pattern, truthy(opt(args, 2, kwargs, 'ignorecase', false)), truthy(opt(args, 3, kwargs, 'multiline', false)), true);
      const repl = pyReplacement(needString(opt(args, 1, kwargs, 'replacement', ''), 'regex_replace'));
      // Python's re.subn: count=0 replaces every match, count=N the first N
      const count = Number(opt(args, 4, kwargs, 'count', 0));
      const mandatory = Number(opt(args, 5, kwargs, 'mandatory_count', 0));
      let subs = 0;
      const out = s.replace(re, (...m: unknown[]) => {
        if (count > 0 && subs >= count) return m[0] as string;
        subs++;
        return expandReplacement(repl, m);
      });
      if (mandatory && mandatory !== subs) throw new TemplateRuntimeError(`'${pattern}' should match ${mandatory} times, but matches ${subs} times in '${s}'`);
      return out;
    },
    regex_search: regexSearch,
    regex_findall: (v, args, kwargs) => {
      const s = needString(v, 'regex_findall');
      const re = pyRegex(needString(args[0], 'regex_findall'), truthy(kwargs.ignorecase ?? false), truthy(kwargs.multiline ?? false), true);
      return Array.from(s.matchAll(re), (m) => (m.length === 1 ? m[0] : m.length === 2 ? m[1] : m.slice(1)));
    },
    regex_escape: (v) => needString(v, 'regex_escape').replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`),
    replace: (v, args) => {
      const s = needString(v, 'replace');
      const count = args[2] === undefined ? -1 : Number(args[2]);
      const parts = s.split(needString(args[0], 'replace'));
      const rep = needString(args[1] ?? '', 'replace');
      if (count < 0 || parts.length - 1 <= count) return parts.join(rep);
      return parts.slice(0, count + 1).join(rep) + needString(args[0], 'replace') + parts.slice(count + 1).join(needString(args[0], 'replace'));
    },
    to_json: (v, _args, kwargs) => toJson(v, typeof kwargs.indent === 'number' ? kwargs.indent : undefined, truthy(kwargs.sort_keys ?? false)),
    tojson: (v) => toJson(v),
    to_nice_json: (v, _args, kwargs) => toJson(v, typeof kwargs.indent === 'number' ? kwargs.indent : 4, truthy(kwargs.sort_keys ?? true)),
    from_json: (v) => {
      try {
        return JSON.parse(needString(v, 'from_json')) as unknown;
      } catch {
        // JSON.parse's message quotes the input, which may be a secret
        throw new TemplateRuntimeError('from_json: the value is not valid JSON');
      }
    },
    to_yaml: (v) => stringifyYaml(toPlain(v), { lineWidth: 0 }),
    to_nice_yaml: (v, _args, kwargs) => stringifyYaml(toPlain(v), { indent: typeof kwargs.indent === 'number' ? kwargs.indent : 4, lineWidth: 0 }),
    from_yaml: (v) => {
      try {
        return parseYamlText(needString(v, 'from_yaml'), { maxAliasCount: 100, merge: false }) as unknown;
      } catch (e) {
        // the parser's message shows the input; keep only where it failed
        const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
        throw new TemplateRuntimeError(`from_yaml: the value is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`);
      }
    },
    bool: (v) => toBool(v),
    int: (v, args, kwargs) => toIntValue(v, opt(args, 0, kwargs, 'default', 0), Number(opt(args, 1, kwargs, 'base', 10))),
    float: (v, args, kwargs) => toFloatValue(v, opt(args, 0, kwargs, 'default', 0)),
    string: (v) => str(v),
    abs: (v) => Math.abs(Number(v)),
    round: (v, args, kwargs) => {
      const precision = Number(opt(args, 0, kwargs, 'precision', 0));
      const method = str(opt(args, 1, kwargs, 'method', 'common'));
      const f = 10 ** precision;
      const x = Number(v) * f;
      return (method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : Math.round(x)) / f;
    },
    indent: (v, args, kwargs) => {
      const width = opt(args, 0, kwargs, 'width', 4);
      const first = truthy(opt(args, 1, kwargs, 'first', false));
      const blank = truthy(opt(args, 2, kwargs, 'blank', false));
      const pad = typeof width === 'string' ? width : ' '.repeat(Number(width));
      return needString(v, 'indent')
        .split('\n')
        .map((l, i) => ((i === 0 && !first) || (l === '' && !blank) ? l : pad + l))
        .join('\n');
    },
    version_compare: (v, args, kwargs) => versionCompare(str(v), str(opt(args, 0, kwargs, 'version', '')), str(opt(args, 1, kwargs, 'operator', 'eq')), { strict: opt(args, 2, kwargs, 'strict', undefined), versionType: opt(args, 3, kwargs, 'version_type', undefined) }),
    omit: () => OMIT,
    wordcount: (v) => needString(v, 'wordcount').split(/\s+/).filter(Boolean).length,
    center: (v, args) => {
      const s = needString(v, 'center');
      const w = Number(args[0] ?? 80);
      const left = Math.floor((w - s.length) / 2);
      return w > s.length ? ' '.repeat(left) + s + ' '.repeat(w - s.length - left) : s;
    },
    contains: (v, args) => contains(v, args[0]),
    hash: (v, args) => {
      const algo = str(args[0] ?? 'sha1');
      if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(algo)) throw new TemplateRuntimeError(`hash: unsupported algorithm '${algo}'`);
      return createHash(algo).update(needString(v, 'hash'), 'utf8').digest('hex');
    },
    checksum: (v) => createHash('sha1').update(needString(v, 'checksum'), 'utf8').digest('hex'),
    md5: (v) => createHash('md5').update(needString(v, 'md5'), 'utf8').digest('hex'),
    sha1: (v) => createHash('sha1').update(needString(v, 'sha1'), 'utf8').digest('hex'),
    path_join: (v) => {
      // Python's os.path.join: a string is one path; an absolute member restarts the path
      if (typeof v === 'string') return v;
      return needList(v, 'path_join').map((p) => needString(p, 'path_join')).reduce((acc, p) => (p.startsWith('/') || acc === '' ? p : acc.endsWith('/') ? acc + p : `${acc}/${p}`), '');
    },
    urlsplit: (v, args) => {
      let u: URL;
      try {
        u = new URL(needString(v, 'urlsplit'));
      } catch {
        throw new TemplateRuntimeError('urlsplit: the value is not a URL');
      }
      const parts: Record<string, unknown> = {
        scheme: u.protocol.replace(/:$/, ''),
        netloc: u.host,
        hostname: u.hostname,
        port: u.port === '' ? null : Number(u.port),
        path: u.pathname,
        query: u.search.replace(/^\?/, ''),
        fragment: u.hash.replace(/^#/, ''),
        username: u.username === '' ? null : u.username,
        password: u.password === '' ? null : u.password,
      };
      if (args[0] === undefined) return parts;
      const key = str(args[0]);
      if (!Object.hasOwn(parts, key)) throw new TemplateRuntimeError(`urlsplit: unknown part '${key}'`);
      return parts[key];
    },
    product: (v, args) => {
      const lists = [needList(v, 'product'), ...args.map((a) => needList(a, 'product'))];
      return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((prefix) => l.map((x) => [...prefix, x])), [[]]);
    },
    zip_longest: (v, args, kwargs) => {
      const lists = [needList(v, 'zip_longest'), ...args.map((a) => needList(a, 'zip_longest'))];
      const fill = kwargs.fillvalue ?? null;
      const n = Math.max(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : fill)));
    },
    subelements: (v, args) => {
      const key = needString(args[0], 'subelements');
      return needList(v, 'subelements').flatMap((item) => {
        const sub = attrPath(item, key);
        if (sub instanceof Undefined) {
          if (isMapping(args[1]) && truthy(mappingGet(args[1], 'skip_missing') ?? false)) return [];
          throw new TemplateRuntimeError(`subelements: an item has no key '${key}'`);
        }
        return needList(sub, 'subelements').map((x) => [item, x]);
      });
    },
    dict: (v) => {
      const o: Record<string, unknown> = {};
      for (const p of needList(v, 'dict')) {
        if (!isList(p) || p.length !== 2) throw new TemplateRuntimeError('dict: needs a list of [key, value] pairs');
        setOwn(o, str(p[0]), p[1]);
      }
      return o;
    },
  }),
);

for (const [name, fn] of Object.entries({ ...MORE_FILTERS, ...ANSIBLE_FILTERS, ...PATH_FILTERS, ...COLLECTION_FILTERS, ...IP_FILTERS })) (FILTERS as Map<string, FilterFn>).set(name, fn);

// `d` is Jinja's short name for `default`, `count` for `length`.
(FILTERS as Map<string, FilterFn>).set('d', FILTERS.get('default')!);
(FILTERS as Map<string, FilterFn>).set('count', FILTERS.get('length')!);

function selectItems(
  v: unknown,
  args: unknown[],
  rt: { test(name: string, value: unknown, args: unknown[]): boolean },
  keep: boolean,
  attribute: string | undefined,
): unknown[] {
  const testName = args[0];
  if (testName !== undefined && typeof testName !== 'string') throw new TemplateRuntimeError('select: the test name must be a string');
  return needList(v, attribute ? 'selectattr' : 'select').filter((item) => {
    const subject = attribute ? attrPath(item, attribute) : item;
    let ok: boolean;
    if (testName === undefined) ok = !(subject instanceof Undefined) && truthy(subject);
    else ok = rt.test(testName, subject, args.slice(1));
    return ok === keep;
  });
}
