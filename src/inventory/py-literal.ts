// Values in INI inventories go through Python's ast.literal_eval in Ansible: `port=22` is
// the integer 22, `flag=True` a boolean, `list=[1, 2]` a list, `mode=0644` stays the string
// '0644' (a Python syntax error), `x="5"` is the integer 5 on host lines (the shell-like
// split has removed the quotes already). This is that subset of Python literals.

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

const FAIL: LiteralResult = { ok: false };

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(depth: number): LiteralResult {
    if (depth > 32) return FAIL;
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) return FAIL;
    if (c === "'" || c === '"') return this.string();
    if (c === '[' || c === '(') return this.list(c === '[' ? ']' : ')', depth);
    if (c === '{') return this.dict(depth);
    const m = /^(?:[-+]\s*)?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?\.?|True|False|None)/.exec(this.s.slice(this.i));
    if (!m) return FAIL;
    const text = m[0];
    this.i += text.length;
    return number(text);
  }

  string(): LiteralResult {
    const q = this.s[this.i]!;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === q) {
        this.i++;
        // adjacent literals concatenate: 'a' 'b' == 'ab'
        this.ws();
        const next = this.s[this.i];
        if (next === "'" || next === '"') {
          const more = this.string();
          return more.ok ? { ok: true, value: out + String(more.value) } : FAIL;
        }
        return { ok: true, value: out };
      }
      if (c === '\n') return FAIL;
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) return FAIL;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
        if (Object.hasOwn(simple, n)) {
          out += simple[n];
          this.i += 2;
          continue;
        }
        const hex = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
        if (hex) {
          const h = this.s.slice(this.i + 2, this.i + 2 + hex);
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(h)) return FAIL;
          out += String.fromCodePoint(parseInt(h, 16));
          this.i += 2 + hex;
          continue;
        }
        out += `\\${n}`; // Python keeps unknown escapes as written
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
    return FAIL;
  }

  list(close: string, depth: number): LiteralResult {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return { ok: true, value: out };
      }
      const v = this.value(depth + 1);
      if (!v.ok) return FAIL;
      out.push(v.value);
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) return FAIL;
    }
  }

  dict(depth: number): LiteralResult {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { ok: true, value: out };
      }
      const k = this.value(depth + 1);
      if (!k.ok || (typeof k.value !== 'string' && typeof k.value !== 'number')) return FAIL;
      this.ws();
      if (this.s[this.i] !== ':') return FAIL;
      this.i++;
      const v = this.value(depth + 1);
      if (!v.ok) return FAIL;
      const key = String(k.value);
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return FAIL;
      out[key] = v.value;
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') return FAIL;
    }
  }
}

function number(text: string): LiteralResult {
  if (text === 'True') return { ok: true, value: true };
  if (text === 'False') return { ok: true, value: false };
  if (text === 'None') return { ok: true, value: null };
  const sign = text.startsWith('-') ? -1 : 1;
  const t = text.replace(/^[-+]\s*/, '');
  if (/_$|__|^_|_\.|\._/.test(t)) return FAIL;
  const clean = t.replace(/_/g, '');
  if (/^0[xX]/.test(clean)) return { ok: true, value: sign * parseInt(clean.slice(2), 16) };
  if (/^0[oO]/.test(clean)) return { ok: true, value: sign * parseInt(clean.slice(2), 8) };
  if (/^0[bB]/.test(clean)) return { ok: true, value: sign * parseInt(clean.slice(2), 2) };
  if (/^\d+$/.test(clean)) {
    // Python 3 rejects leading zeros in integers (0644): the value stays a string
    if (clean.length > 1 && clean.startsWith('0') && !/^0+$/.test(clean)) return FAIL;
    return { ok: true, value: sign * Number(clean) };
  }
  if (/^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(clean)) return { ok: true, value: sign * Number(clean) };
  return FAIL;
}

/** Python literal_eval of `text`, or `{ ok: false }` when it is not a literal. */
export function pyLiteral(text: string): LiteralResult {
  const p = new Parser(text);
  const v = p.value(0);
  if (!v.ok) return FAIL;
  p.ws();
  return p.i === text.length ? v : FAIL;
}

/** Ansible's INI `_parse_value`: the literal if it is one, else the text unchanged. */
export function iniValue(text: string): unknown {
  const r = pyLiteral(text);
  return r.ok ? r.value : text;
}
