// Filters that are not pure text/data transformations: `strftime` and `random` read the clock
// or a random source (only when a template uses them), plus Jinja2's `format` (Python
// %-formatting), `truncate`, `urlencode` and `batch`.
import { DateTime, strftime } from './datetime.js';
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn } from './access.js';
import { argOf } from './access.js';
import { isList, isMapping, iterate, mappingGet, mappingHas, mappingKeys, repr, str, truthy, typeName } from './values.js';

const arg = argOf;

function toInteger(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  throw new TemplateRuntimeError(`${what} expects an integer, got ${typeName(v)}`);
}

// ------------------------------------------------------------------ Python %-formatting

const SPEC = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

function pyExp(n: number, prec: number, upper: boolean): string {
  const [mant, exp] = n.toExponential(prec).split('e');
  const e = Number(exp);
  const out = `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return upper ? out.toUpperCase() : out;
}

function pyGeneral(n: number, prec: number, upper: boolean, alt: boolean): string {
  const p = prec === 0 ? 1 : prec;
  if (n === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  let out: string;
  if (exp < -4 || exp >= p) out = pyExp(n, p - 1, upper);
  else out = n.toFixed(Math.max(0, p - 1 - exp));
  if (!alt && out.includes('.')) out = out.replace(/(\.\d*?)0+(?=$|e|E)/, '$1').replace(/\.(?=$|e|E)/, '');
  return out;
}

function number(v: unknown, conv: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TemplateRuntimeError(`format: %${conv} format: a number is required, not ${typeName(v)}`);
}

/** `'%s-%05.1f' % (a, b)` / `'%(name)s' % {'name': ...}` as Python does it. */
export function percentFormat(template: string, values: unknown[] | Record<string, unknown>): string {
  let next = 0;
  const positional = Array.isArray(values) ? values : undefined;
  const take = (): unknown => {
    if (!positional) throw new TemplateRuntimeError('format: the format needs positional values, but names were given');
    if (next >= positional.length) throw new TemplateRuntimeError('format: not enough arguments for format string');
    return positional[next++];
  };
  const out = template.replace(SPEC, (_all, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let w = width === '*' ? toInteger(take(), 'format width') : width !== undefined ? Number(width) : undefined;
    const p = precision === '*' ? toInteger(take(), 'format precision') : precision !== undefined ? Number(precision) : undefined;
    let v: unknown;
    if (name !== undefined) {
      if (Array.isArray(values) || !isMapping(values)) throw new TemplateRuntimeError('format: %(name)s needs the values as names: format(name=...)');
      if (!mappingHas(values, name)) throw new TemplateRuntimeError(`format: no value named '${name}'`);
      v = mappingGet(values, name);
    } else {
      v = take();
    }
    const left = flags.includes('-');
    const zero = flags.includes('0') && !left;
    const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
    const alt = flags.includes('#');
    let body: string;
    let numeric = true;
    switch (conv) {
      case 's':
        numeric = false;
        body = str(v);
        if (p !== undefined) body = body.slice(0, p);
        break;
      case 'r':
      case 'a':
        numeric = false;
        body = repr(v);
        if (p !== undefined) body = body.slice(0, p);
        break;
      case 'c':
        numeric = false;
        body = typeof v === 'string' ? v : String.fromCodePoint(toInteger(v, 'format %c'));
        break;
      case 'd':
      case 'i':
      case 'u':
        body = String(Math.trunc(Math.abs(number(v, conv))));
        break;
      case 'o':
        body = (alt ? '0o' : '') + Math.trunc(Math.abs(toInteger(v, 'format %o'))).toString(8);
        break;
      case 'x':
      case 'X': {
        const hex = Math.trunc(Math.abs(toInteger(v, `format %${conv}`))).toString(16);
        body = (alt ? '0x' : '') + hex;
        if (conv === 'X') body = body.toUpperCase();
        break;
      }
      case 'e':
      case 'E':
        body = pyExp(Math.abs(number(v, conv)), p ?? 6, conv === 'E');
        break;
      case 'f':
      case 'F':
        body = Math.abs(number(v, conv)).toFixed(p ?? 6);
        break;
      default:
        body = pyGeneral(Math.abs(number(v, conv)), p ?? 6, conv === 'G', alt);
    }
    let prefix = '';
    if (numeric) {
      const n = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : 0;
      prefix = n < 0 || Object.is(n, -0) ? '-' : sign;
    }
    w ??= 0;
    const len = prefix.length + Array.from(body).length;
    if (len >= w) return prefix + body;
    if (left) return prefix + body + ' '.repeat(w - len);
    if (zero && numeric) return prefix + '0'.repeat(w - len) + body;
    return ' '.repeat(w - len) + prefix + body;
  });
  if (positional && next < positional.length) throw new TemplateRuntimeError('format: not all arguments converted during string formatting');
  return out;
}

// ------------------------------------------------------------------ urlencode

/** Python's urllib.parse.quote (UTF-8; letters, digits and `_.-~` are never quoted). */
function quote(s: string, safe: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(ch) || (byte < 128 && safe.includes(ch))) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const queryPart = (v: unknown): string => quote(str(v), '').replace(/%20/g, '+');

// ------------------------------------------------------------------ random

/** A small seeded generator (mulberry32) for `random(seed=...)`: repeatable per seed. */
export function seeded(seed: unknown): () => number {
  let h = 1779033703;
  for (const ch of str(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MORE_FILTERS: Record<string, FilterFn> = {
  format: (v, args, kwargs) => {
    if (typeof v !== 'string') throw new TemplateRuntimeError(`filter 'format' expects a format string, got ${typeName(v)}`);
    if (args.length > 0 && Object.keys(kwargs).length > 0) throw new TemplateRuntimeError("format: give either positional values or names, not both");
    return percentFormat(v, Object.keys(kwargs).length > 0 ? kwargs : args);
  },
  truncate: (v, args, kwargs) => {
    const s = str(v);
    const length = toInteger(arg(args, 0, kwargs, 'length', 255), 'truncate length');
    const killwords = truthy(arg(args, 1, kwargs, 'killwords', false));
    const end = str(arg(args, 2, kwargs, 'end', '...'));
    const leeway = toInteger(arg(args, 3, kwargs, 'leeway', 5), 'truncate leeway');
    if (length < end.length) throw new TemplateRuntimeError(`truncate: expected length >= ${end.length} (the length of end ${repr(end)}), got ${length}`);
    if (leeway < 0) throw new TemplateRuntimeError(`truncate: expected leeway >= 0, got ${leeway}`);
    const chars = Array.from(s);
    if (chars.length <= length + leeway) return s;
    const head = chars.slice(0, length - end.length).join('');
    if (killwords) return head + end;
    const cut = head.lastIndexOf(' ');
    return (cut >= 0 ? head.slice(0, cut) : head) + end;
  },
  strftime: (v, args, kwargs) => {
    if (typeof v !== 'string') throw new TemplateRuntimeError(`filter 'strftime' expects a format string, got ${typeName(v)}`);
    const second = arg(args, 0, kwargs, 'second', null);
    const utc = truthy(arg(args, 1, kwargs, 'utc', false));
    let date: Date;
    if (second === null) date = new Date();
    else if (second instanceof DateTime) date = second.date;
    else {
      const n = typeof second === 'string' && second.trim() !== '' ? Number(second) : second;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new TemplateRuntimeError(`strftime: second must be a number of seconds since the epoch, got ${typeName(second)}`);
      date = new Date(n * 1000);
    }
    return strftime(v, date, utc);
  },
  urlencode: (v) => {
    if (typeof v === 'string') return quote(v, '/');
    if (isMapping(v)) return mappingKeys(v).map((k) => `${queryPart(k)}=${queryPart(mappingGet(v, k))}`).join('&');
    if (isList(v)) {
      return v
        .map((p) => {
          if (!isList(p) || p.length !== 2) throw new TemplateRuntimeError('urlencode: a list needs [key, value] pairs');
          return `${queryPart(p[0])}=${queryPart(p[1])}`;
        })
        .join('&');
    }
    return quote(str(v), '/');
  },
  random: (v, args, kwargs) => {
    const rnd = kwargs.seed !== undefined && kwargs.seed !== null ? seeded(kwargs.seed) : Math.random;
    if (typeof v === 'number' || typeof v === 'boolean') {
      const end = toInteger(v, 'random');
      const start = toInteger(arg(args, 0, kwargs, 'start', 0), 'random start');
      const step = toInteger(arg(args, 1, kwargs, 'step', 1), 'random step');
      if (step === 0) throw new TemplateRuntimeError('random: step must not be zero');
      const n = Math.ceil((end - start) / step);
      if (n <= 0) throw new TemplateRuntimeError(`random: empty range for randrange(${start}, ${end}, ${step})`);
      return start + step * Math.floor(rnd() * n);
    }
    if (isList(v) || isMapping(v) || typeof v === 'string') {
      const items = iterate(v, 'random');
      if (items.length === 0) throw new TemplateRuntimeError('random: cannot choose from an empty sequence');
      return items[Math.floor(rnd() * items.length)];
    }
    throw new TemplateRuntimeError(`random can only be used on sequences and integers, got ${typeName(v)}`);
  },
  batch: (v, args, kwargs) => {
    const size = toInteger(arg(args, 0, kwargs, 'linecount', undefined), 'batch');
    if (size <= 0) throw new TemplateRuntimeError(`batch: the size must be at least 1, got ${size}`);
    const fill = arg(args, 1, kwargs, 'fill_with', undefined);
    const items = iterate(v, 'batch');
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    const last = out[out.length - 1];
    if (fill !== undefined && fill !== null && last && last.length < size) while (last.length < size) last.push(fill);
    return out;
  },
};
