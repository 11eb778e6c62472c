// sequence: numbers from start to end (or count items) by stride, as strings through a
// printf-style format, as Ansible's sequence lookup (`start=1 end=5`, `count=3`, the shortcut
// `[start-]end[/stride][:format]`). The loader expands a literal `with_sequence` with the same
// code when the playbook is loaded (so its mistakes are validate errors).
import { asStringTerm, LookupError, type LookupPlugin } from './types.js';

/** printf-style `%d`, `%02d`, `%x`, `%o`, `%s` (with_sequence's format) for one number. */
export function formatSequenceItem(format: string, n: number): string | undefined {
  let used = false;
  const out = format.replace(/%(-?)(0?)([0-9]*)([dixXos%])/g, (_m, left: string, zero: string, width: string, conv: string) => {
    if (conv === '%') return '%';
    used = true;
    let body = conv === 'x' ? n.toString(16) : conv === 'X' ? n.toString(16).toUpperCase() : conv === 'o' ? n.toString(8) : String(n);
    const w = width === '' ? 0 : Number(width);
    if (body.length < w) {
      if (left === '-') body = body.padEnd(w, ' ');
      else if (zero === '0' && conv !== 's') body = n < 0 ? '-' + body.slice(1).padStart(w - 1, '0') : body.padStart(w, '0');
      else body = body.padStart(w, ' ');
    }
    return body;
  });
  return used ? out : undefined;
}

/** Most items with_sequence may produce (a typo like end=10000000 should not freeze validate). */
const MAX_SEQUENCE = 100_000;


/**
 * The items of one sequence term, or what is wrong with it: `error` reads after the name of
 * what was written (`\`with_sequence\`` + error), `fix` when a specific one helps.
 */
export function expandSequence(text: string): { items: string[] } | { error: string; fix?: string } {
  const opts: Record<string, string> = {};
  const tokens = text.split(/\s+/).filter((x) => x !== '');
  for (const [i, tok] of tokens.entries()) {
    const kv = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(tok);
    const t = { key: kv?.[1], value: kv ? (kv[2] ?? '') : tok };
    if (t.key !== undefined) opts[t.key] = t.value.replace(/^(['"])(.*)\1$/, '$2');
    else if (i === 0) {
      // Ansible's shortcut `[start-]end[/stride][:format]`
      const m = /^(?:(-?\w+)-)?(\w+)(?:\/(\w+))?(?::(.+))?$/.exec(t.value);
      if (m === null) return { error: `: cannot read \`${t.value}\`` };
      if (m[1] !== undefined) opts.start = m[1];
      if (m[2] !== undefined) opts.end = m[2];
      if (m[3] !== undefined) opts.stride = m[3];
      if (m[4] !== undefined) opts.format = m[4];
    } else return { error: `: \`${t.value}\` is not a key=value option` };
  }
  for (const k of Object.keys(opts)) if (!['start', 'end', 'count', 'stride', 'format'].includes(k)) return { error: ` has no option \`${k}\` (options: start, end, count, stride, format)` };
  const num = (k: string, dflt?: number): number | undefined | false => {
    const v = opts[k];
    if (v === undefined) return dflt;
    const n = /^-?0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : /^-?0[0-7]+$/.test(v) ? Number.parseInt(v, 8) : /^-?[0-9]+$/.test(v) ? Number(v) : Number.NaN;
    return Number.isSafeInteger(n) ? n : false;
  };
  const start = num('start', 1);
  const count = num('count');
  let end = num('end');
  const strideGiven = num('stride');
  for (const [k, v] of [['start', start], ['end', end], ['count', count], ['stride', strideGiven]] as const) {
    if (v === false) return { error: `: ${k}=${opts[k] ?? ''} is not a whole number` };
  }
  if (start === false || end === false || count === false || strideGiven === false || start === undefined) return { error: ': bad number' };
  if (count !== undefined && end !== undefined) return { error: ': give either `end` or `count`, not both' };
  if (count === undefined && end === undefined) return { error: ' needs `end` or `count`' };
  const stride = strideGiven ?? (end !== undefined && end < start ? -1 : 1);
  if (count !== undefined) {
    if (count < 0) return { error: ': count must be 0 or more' };
    end = start + (count - 1) * stride;
    if (count === 0) return { items: [] };
  }
  if (end === undefined) return { error: ' needs `end` or `count`' };
  if (stride === 0) return { error: ': stride must not be 0' };
  if ((stride > 0 && end < start) || (stride < 0 && end > start)) return { error: `: the sequence from ${start} to ${end} with stride ${stride} never reaches the end`, fix: 'use a negative stride to count down (stride=-1), or swap start and end' };
  const n = Math.floor((end - start) / stride) + 1;
  if (n > MAX_SEQUENCE) return { error: ` would make ${n} items (at most ${MAX_SEQUENCE})`, fix: 'check start, end and stride' };
  const format = opts.format ?? '%d';
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = formatSequenceItem(format, start + i * stride);
    if (s === undefined) return { error: `: format \`${format}\` needs one %d, %x, %o or %s`, fix: 'e.g. `format=web%02d`' };
    items.push(s);
  }
  return { items };
}

export const sequenceLookup: LookupPlugin = (terms) =>
  terms.flatMap((t) => {
    const r = expandSequence(asStringTerm(t, 'sequence').trim());
    if ('error' in r) throw new LookupError(`lookup 'sequence'${r.error}`);
    return r.items;
  });
