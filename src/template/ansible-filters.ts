// Ansible's own filters that are not plain Jinja: identifiers and hashes (to_uuid,
// password_hash), type_debug, shuffle, to_datetime, comment, the size and math helpers
// (human_readable, human_to_bytes, log, pow, root), groupby as Ansible returns it and
// from_yaml_all. Each follows ansible-core's documented result.
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { passwordHash } from './crypt.js';
import { strptime } from './datetime.js';
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn } from './access.js';
import { argOf, getAttr } from './access.js';
import { Undefined, compare, equals, iterate, str, truthy, typeName } from './values.js';
import { seeded } from './more-filters.js';

/** Ansible's namespace for `to_uuid` (UUID_NAMESPACE_ANSIBLE). */
const ANSIBLE_NAMESPACE = '361e6d51-faec-444a-9079-341386da8e2e';

const opt = argOf;

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new TemplateRuntimeError(`${what} expects a number, got ${typeName(v)}`);
}

/** RFC 4122 version 5 (SHA-1, name-based) UUID, as Python's uuid.uuid5. */
export function uuid5(name: string, namespace: string): string {
  const hex = namespace.replace(/^urn:uuid:/i, '').replace(/[{}-]/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TemplateRuntimeError(`Invalid value '${namespace}' for 'namespace': badly formed hexadecimal UUID string`);
  const h = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const COMMENT_STYLES: Readonly<Record<string, Record<string, string>>> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};

/** Ansible's `comment` filter: the text as a comment block in a style, with its prefix/postfix lines. */
export function commentBlock(textValue: string, style: string, kw: Record<string, unknown>): string {
  const styleParams = COMMENT_STYLES[style];
  if (styleParams === undefined) throw new TemplateRuntimeError(`comment: unknown style '${style}' (one of ${Object.keys(COMMENT_STYLES).join(', ')})`);
  const prepostfix = Object.hasOwn(kw, 'decoration') ? str(kw.decoration) : (styleParams.decoration ?? '');
  const p: Record<string, unknown> = {
    newline: '\n', beginning: '', prefix: prepostfix.trimEnd(), prefix_count: 1, decoration: '', postfix: prepostfix.trimEnd(), postfix_count: 1, end: '',
    ...styleParams,
    ...kw,
  };
  const nl = str(p.newline);
  const deco = str(p.decoration);
  const beginning = str(p.beginning) ? `${str(p.beginning)}${nl}` : '';
  const prefix = str(p.prefix);
  const prefixCount = Math.trunc(num(p.prefix_count, 'comment prefix_count'));
  const strPrefix = prefix ? (prefix !== nl ? `${prefix}${nl}` : nl).repeat(Math.max(0, prefixCount)) : '';
  const body = `${deco}${textValue.split(nl).join(`${nl}${deco}`)}`.split(`${deco}${nl}`).join(`${deco.trimEnd()}${nl}`);
  const postfixCount = Math.trunc(num(p.postfix_count, 'comment postfix_count'));
  const strPostfix = ['', ...Array.from({ length: Math.max(0, postfixCount) }, () => str(p.postfix))].join(nl);
  const end = str(p.end) ? `${nl}${str(p.end)}` : '';
  return `${beginning}${strPrefix}${body}${strPostfix}${end}`;
}

const SIZE_RANGES: ReadonlyArray<[string, number]> = [
  ['Y', 2 ** 80], ['Z', 2 ** 70], ['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10], ['B', 1],
];

/** Ansible's bytes_to_human: `1048576` → `1.00 MB`, `10` → `10.00 Bytes`. */
export function bytesToHuman(size: number, isbits: boolean, unit: string | undefined): string {
  const base = isbits ? 'bits' : 'Bytes';
  let suffix = 'B';
  let limit = 1;
  for (const [s, l] of SIZE_RANGES) {
    suffix = s;
    limit = l;
    if ((unit === undefined && size >= l) || (unit !== undefined && unit.toUpperCase() === s[0])) break;
  }
  return `${(size / limit).toFixed(2)} ${limit !== 1 ? suffix + base[0] : base}`;
}

/** Ansible's human_to_bytes: `'10 MB'` → 10485760; a bare number is returned rounded. */
export function humanToBytes(value: unknown, defaultUnit: string | undefined, isbits: boolean): number {
  const text = str(value);
  const m = /^([0-9]*\.?[0-9]+)(?:\s*([A-Za-z]+))?\s*$/.exec(text);
  if (!m) throw new TemplateRuntimeError(`human_to_bytes() can't interpret following string: ${text}`);
  const n = Number(m[1]);
  const unit = m[2] ?? defaultUnit;
  if (unit === undefined) return Math.round(n);
  const key = unit[0]!.toUpperCase();
  const limit = SIZE_RANGES.find(([s]) => s === key)?.[1];
  if (limit === undefined) throw new TemplateRuntimeError(`human_to_bytes() failed to convert ${text} (unit = ${unit}). The suffix must be one of ${SIZE_RANGES.map(([s]) => s).join(', ')}`);
  const cls = isbits ? 'b' : 'B';
  const clsName = isbits ? 'bit' : 'byte';
  if (unit.length > 1 && !unit.toLowerCase().includes(clsName) && unit[1] !== cls) {
    const expect = key === 'B' ? `expect ${cls} or ${clsName}` : `expect ${key}${cls} or ${key}`;
    throw new TemplateRuntimeError(`human_to_bytes() failed to convert ${text}. Value is not a valid string (${expect})`);
  }
  return Math.round(n * limit);
}

/** Python's class name of a value, as `type_debug` prints it. */
function pythonType(v: unknown): string {
  const t = typeName(v);
  return t === 'function' ? 'builtin_function_or_method' : t;
}

export const ANSIBLE_FILTERS: Readonly<Record<string, FilterFn>> = {
  to_uuid: (v, args, kwargs) => uuid5(str(v), str(opt(args, 0, kwargs, 'namespace', ANSIBLE_NAMESPACE))),
  type_debug: (v) => pythonType(v),
  shuffle: (v, args, kwargs) => {
    const items = [...iterate(v, 'shuffle')];
    const seed = opt(args, 0, kwargs, 'seed', null);
    // Python seeds its own generator; a seed repeats the same order here too, but not Python's order
    const rnd = seed !== null && seed !== undefined && truthy(seed) ? seeded(seed) : Math.random;
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  },
  to_datetime: (v, args, kwargs) => {
    if (v instanceof Undefined) v.fail();
    return strptime(str(v), str(opt(args, 0, kwargs, 'format', '%Y-%m-%d %H:%M:%S')));
  },
  comment: (v, args, kwargs) => commentBlock(str(v), str(opt(args, 0, kwargs, 'style', 'plain')), Object.fromEntries(Object.entries(kwargs).filter(([k]) => k !== 'style'))),
  password_hash: (v, args, kwargs) => {
    if (v instanceof Undefined) v.fail();
    const salt = opt(args, 1, kwargs, 'salt', null);
    const saltSize = opt(args, 2, kwargs, 'salt_size', null);
    const rounds = opt(args, 3, kwargs, 'rounds', null);
    if (opt(args, 4, kwargs, 'ident', null) !== null) throw new TemplateRuntimeError('password_hash: ident is only for bcrypt, which runbook does not support');
    return passwordHash(
      str(v),
      str(opt(args, 0, kwargs, 'hashtype', 'sha512')),
      salt === null ? undefined : str(salt),
      saltSize === null ? undefined : num(saltSize, 'password_hash salt_size'),
      rounds === null ? undefined : num(rounds, 'password_hash rounds'),
    );
  },
  human_readable: (v, args, kwargs) => {
    const unit = opt(args, 1, kwargs, 'unit', null);
    return bytesToHuman(num(v, 'human_readable'), truthy(opt(args, 0, kwargs, 'isbits', false)), unit === null ? undefined : str(unit));
  },
  human_to_bytes: (v, args, kwargs) => {
    const unit = opt(args, 0, kwargs, 'default_unit', null);
    return humanToBytes(v, unit === null ? undefined : str(unit), truthy(opt(args, 1, kwargs, 'isbits', false)));
  },
  log: (v, args, kwargs) => {
    const x = num(v, 'log');
    const base = opt(args, 0, kwargs, 'base', null);
    if (x <= 0) throw new TemplateRuntimeError('log() math domain error');
    return base === null ? Math.log(x) : Math.log(x) / Math.log(num(base, 'log base'));
  },
  pow: (v, args, kwargs) => num(v, 'pow') ** num(opt(args, 0, kwargs, 'y', undefined), 'pow'),
  root: (v, args, kwargs) => {
    const base = num(opt(args, 0, kwargs, 'base', 2), 'root base');
    const x = num(v, 'root');
    return base === 2 ? Math.sqrt(x) : x ** (1 / base);
  },
  groupby: (v, args, kwargs) => {
    const attribute = str(opt(args, 0, kwargs, 'attribute', undefined));
    const dflt = opt(args, 1, kwargs, 'default', undefined);
    const key = (x: unknown): unknown => {
      let cur = x;
      for (const part of attribute.split('.')) cur = cur instanceof Undefined ? cur : getAttr(cur, /^\d+$/.test(part) ? Number(part) : part, attribute);
      return cur instanceof Undefined ? (dflt === undefined ? cur.fail() : dflt) : cur;
    };
    const groups: Array<[unknown, unknown[]]> = [];
    for (const item of iterate(v, 'groupby')) {
      const k = key(item);
      const g = groups.find(([gk]) => equals(gk, k));
      if (g) g[1].push(item);
      else groups.push([k, [item]]);
    }
    return groups.sort((a, b) => compare(a[0], b[0])).map(([k, items]) => [k, items]);
  },
  from_yaml_all: (v) => {
    if (typeof v !== 'string') return v;
    return parseAllDocuments(v, { merge: false }).flatMap((d) => {
      if (!('errors' in d) || d.errors.length > 0) throw new TemplateRuntimeError('from_yaml_all: the value is not valid YAML');
      return [d.toJS({ maxAliasCount: 100 }) as unknown];
    });
  },
};
