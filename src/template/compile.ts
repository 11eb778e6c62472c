// Parsing: @huggingface/jinja's lexer and parser turn a template into an AST; runbook
// evaluates that AST itself (interpret.ts). Parsed templates are cached by their text,
// since the same task strings are rendered for every host of a fleet.
import * as jinja from '@huggingface/jinja';
import { TemplateError } from './errors.js';

/** An AST node as produced by @huggingface/jinja (fields depend on `type`). */
export interface AstNode {
  type: string;
  [field: string]: unknown;
}

export interface Compiled {
  body: AstNode[];
  /** the template is exactly one `{{ expr }}`: its value is returned natively */
  single: AstNode | undefined;
  /** the source ended with a newline, which the lexer strips: put it back */
  trailingNewline: boolean;
}

/** The lexer's token (its class is not exported): only these two fields are used. */
interface Token {
  value: string;
  type: string;
}

// The package's .d.ts files import './lexer' without an extension, which NodeNext typing
// cannot follow; these are the two signatures runbook relies on.
const lib = jinja as unknown as {
  tokenize(source: string, options: { trim_blocks?: boolean; lstrip_blocks?: boolean }): Token[];
  parse(tokens: Token[]): { body: AstNode[] };
};

const CACHE_LIMIT = 10_000;
const cache = new Map<string, Compiled>();

/** Text is a template at all (fast check for the hot path). */
export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/** Whitespace control of a file template (the template module's trim_blocks / lstrip_blocks). */
export interface BlockOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
}

export function compile(template: string, options: BlockOptions = {}): Compiled {
  const trim = options.trimBlocks ?? true;
  const lstrip = options.lstripBlocks ?? false;
  // the defaults are the cache's plain key: values and task arguments never pass options
  const key = trim && !lstrip ? template : `${trim ? 1 : 0}${lstrip ? 1 : 0}\u0000${template}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let compiled: Compiled;
  try {
    const tokens = rewriteStatements(rewriteTests(dottedNames(lib.tokenize(keepUnknownEscapes(rawBlocksToLiterals(template)), { trim_blocks: trim, lstrip_blocks: lstrip }))));
    const program = lib.parse(tokens);
    const body = program.body;
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    const single =
      !template.endsWith('\n') &&
      body.length === 1 &&
      first?.type === 'OpenExpression' &&
      last?.type === 'CloseExpression' &&
      tokens.slice(1, -1).every((t) => t.type !== 'OpenExpression' && t.type !== 'OpenStatement' && t.type !== 'Text')
        ? body[0]
        : undefined;
    compiled = { body, single, trailingNewline: template.endsWith('\n') };
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    throw new TemplateError(`template syntax error: ${syntaxMessage(err)}`, template);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/** The parser's token names as a playbook author writes them. */
const TOKEN_TEXT: Record<string, string> = {
  CloseStatement: '`%}`',
  OpenStatement: '`{%`',
  CloseExpression: '`}}`',
  OpenExpression: '`{{`',
  OpenParen: '`(`',
  CloseParen: '`)`',
  OpenSquareBracket: '`[`',
  CloseSquareBracket: '`]`',
  OpenCurlyBracket: '`{`',
  CloseCurlyBracket: '`}`',
  Comma: '`,`',
  Dot: '`.`',
  Colon: '`:`',
  Pipe: '`|`',
  Equals: '`=`',
  Identifier: 'a name',
  StringLiteral: 'a string',
  NumericLiteral: 'a number',
  Text: 'text',
  AdditiveBinaryOperator: 'an operator',
  MultiplicativeBinaryOperator: 'an operator',
  ComparisonBinaryOperator: 'a comparison',
  UnaryOperator: 'an operator',
  Comment: 'a comment',
};

const tokenText = (t: string): string => TOKEN_TEXT[t] ?? t;

/** The library's parser messages ("Unexpected token: CloseStatement") in a playbook author's words. */
export function syntaxMessage(err: unknown): string {
  const raw = (err instanceof Error ? err.message : String(err)).replace(/^(Parser|Lexer|Syntax) ?Error: /i, '').trim();
  let m: RegExpExecArray | null;
  if (/Cannot read properties of undefined|Unexpected end of input/.test(raw)) {
    return 'the template ends too early: a `{{`, `{%` or `(` is not closed (or a `[`, a quote, or a block: `{% if %}` needs `{% endif %}`, `{% for %}` needs `{% endfor %}`)';
  }
  if (/^Unexpected token: CloseStatement/.test(raw)) {
    return 'a `{% ... %}` tag ends too early: something is missing before `%}` (e.g. `{% if %}` needs a condition, `{% for x in list %}` a loop)';
  }
  if (/^Unexpected token: CloseExpression/.test(raw)) {
    return 'the expression ends too early: something is missing before `}}` (e.g. after `|` or an operator, or `{{ }}` is empty)';
  }
  if ((m = /^Unknown statement type: (end\w+|else|elif)/.exec(raw))) {
    return `\`{% ${m[1]} %}\` without a matching open block (or the blocks are not nested in order)`;
  }
  if ((m = /^Unknown statement type: (\w+)/.exec(raw))) {
    if (m[1] === 'do') return 'unknown tag `{% do %}`: it needs the jinja2.ext.do extension, which Ansible does not enable (use `{% set _ = ... %}` or a namespace())';
    if (m[1] === 'extends' || m[1] === 'block') return `\`{% ${m[1]} %}\` (template inheritance) is not supported: use {% include %}, {% import %} or macros`;
    return `unknown tag \`{% ${m[1]} %}\` (supported: if, for, set, macro, call, filter, with, raw, break, continue, and include, import and from in template files)`;
  }
  if ((m = /^Expected closing expression token\. (\w+) !== CloseExpression/.exec(raw))) {
    return `expected \`}}\` here, found ${tokenText(m[1]!)}: two values without an operator or \`|\` between them?`;
  }
  if ((m = /^Expected closing statement token\. (\w+) !== CloseStatement/.exec(raw))) {
    return `expected \`%}\` but found ${tokenText(m[1]!)}`;
  }
  if ((m = /(\w+) !== (\w+)\.?$/.exec(raw))) {
    return `expected ${tokenText(m[2]!)} but found ${tokenText(m[1]!)}`;
  }
  if ((m = /^Unexpected token: (\w+)/.exec(raw))) {
    return `unexpected ${tokenText(m[1]!)}`;
  }
  if ((m = /^Unexpected character: (.+)/.exec(raw))) {
    return `unexpected character ${m[1]}`;
  }
  return raw;
}

/**
 * `{% raw %}...{% endraw %}` (text Jinja must not touch) is not known to the lexer; each
 * block becomes a string literal expression with the same text.
 */
function rawBlocksToLiterals(template: string): string {
  if (!template.includes('raw')) return template;
  return template.replace(/\{%-?\s*raw\s*-?%\}([\s\S]*?)\{%-?\s*endraw\s*-?%\}/g, (_, body: string) => {
    const escaped = body.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return `{{ '${escaped}' }}`;
  });
}

/** Escapes the lexer understands inside string literals. */
const KNOWN_ESCAPES = new Set(['n', 't', 'r', 'b', 'f', 'v', "'", '"', '\\', 'x', 'u']);

/**
 * In Python (and so in Jinja and Ansible) an unknown escape in a string literal stays as
 * written: `regex_replace('\s+', ' ')` means the regex `\s+`. The lexer rejects unknown
 * escapes, so inside `{{ }}` / `{% %}` string literals they are doubled first.
 */
function keepUnknownEscapes(template: string): string {
  if (!template.includes('\\')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.slice(i, i + 2);
    if (open !== '{{' && open !== '{%') {
      out += template[i];
      i++;
      continue;
    }
    const close = open === '{{' ? '}}' : '%}';
    out += open;
    i += 2;
    let quote: string | undefined;
    while (i < template.length) {
      const c = template[i]!;
      if (quote) {
        if (c === '\\' && i + 1 < template.length) {
          const n = template[i + 1]!;
          out += KNOWN_ESCAPES.has(n) ? c + n : `\\\\${n}`;
          i += 2;
          continue;
        }
        if (c === quote) quote = undefined;
        out += c;
        i++;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      if (template.startsWith(close, i)) {
        out += close;
        i += 2;
        break;
      }
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The parser knows tests without arguments only (`x is defined`). Ansible needs tests with
 * arguments (`x is version('2.0', '>=')`, `x is match('^a')`), so `is [not] NAME(` is
 * rewritten to a filter call `| __is__NAME(` / `| __isnot__NAME(`, which parses at the same
 * precedence as a test and is dispatched to the test by the interpreter.
 */
function rewriteTests(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'Identifier' && t.value === 'is') {
      const negate = tokens[i + 1]?.type === 'Identifier' && tokens[i + 1]?.value === 'not';
      const nameTok = tokens[i + (negate ? 2 : 1)];
      const paren = tokens[i + (negate ? 3 : 2)];
      if (nameTok?.type === 'Identifier' && paren?.type === 'OpenParen') {
        out.push(makeToken(t, '|', 'Pipe'), makeToken(t, `${negate ? '__isnot__' : '__is__'}${nameTok.value}`, 'Identifier'));
        i += negate ? 2 : 1;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

/** Ansible's own collections: `x | ansible.builtin.to_json` is the filter `to_json`. */
const BUILTIN_PREFIX = /^ansible\.(?:builtin|legacy)\./;

/**
 * A filter or test name after `|`, `is` or `is not` may be dotted, as Jinja's parser reads it
 * (`name ('.' name)*`): content written for Ansible names them by collection. The lexer gives
 * `ansible . builtin . to_json`; they become one name, with Ansible's builtin prefix dropped
 * (another collection's name stays whole, and is an unknown filter unless runbook has it).
 */
function dottedNames(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    out.push(t);
    const opens = t.type === 'Pipe' || (t.type === 'Identifier' && (t.value === 'is' || (t.value === 'not' && tokens[i - 1]?.value === 'is')));
    if (!opens || tokens[i + 1]?.type !== 'Identifier' || tokens[i + 2]?.type !== 'Dot' || tokens[i + 3]?.type !== 'Identifier') continue;
    if (t.value === 'is' && tokens[i + 1]?.value === 'not') continue;
    let name = tokens[i + 1]!.value;
    let j = i + 2;
    while (tokens[j]?.type === 'Dot' && tokens[j + 1]?.type === 'Identifier') {
      name += `.${tokens[j + 1]!.value}`;
      j += 2;
    }
    out.push(makeToken(tokens[i + 1]!, name.replace(BUILTIN_PREFIX, ''), 'Identifier'));
    i = j - 1;
  }
  return out;
}

function makeToken(like: Token, value: string, type: string): Token {
  const tok = Object.create(Object.getPrototypeOf(like) as object) as Token;
  tok.value = value;
  tok.type = type;
  return tok;
}

/**
 * Names the interpreter gives a meaning to: a lexer never yields an identifier with `:` in
 * it, so a template cannot write them itself.
 */
export const IMPORT_FN = 'import:';
export const FROM_FN = 'from:';
export const WITH_FN = 'with:';
export const CALL_FN = 'call:';

/** The statements the library's parser does not know, rewritten into ones it does. */
function rewriteStatements(tokens: Token[]): Token[] {
  if (!tokens.some((t, i) => t.type === 'Identifier' && tokens[i - 1]?.type === 'OpenStatement' && STATEMENTS.has(t.value))) return tokens;
  const out: Token[] = [];
  // `with` becomes a call block: its end tag must close a `with`, not a `call`
  const open: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = tokens[i + 1];
    if (t.type !== 'OpenStatement' || name?.type !== 'Identifier') {
      out.push(t);
      continue;
    }
    let end = i + 2;
    while (end < tokens.length && tokens[end]!.type !== 'CloseStatement') end++;
    if (end >= tokens.length) {
      out.push(t);
      continue;
    }
    const inner = tokens.slice(i + 2, end);
    const close = tokens[end]!;
    const tok = (value: string, type: string): Token => makeToken(t, value, type);
    switch (name.value) {
      case 'import':
        out.push(t, ...importTokens(inner, tok), close);
        break;
      case 'from':
        out.push(t, ...fromTokens(inner, tok), close);
        break;
      case 'with':
        open.push('with');
        out.push(t, tok('call', 'Identifier'), tok(WITH_FN, 'Identifier'), tok('(', 'OpenParen'), ...inner, tok(')', 'CloseParen'), close);
        break;
      case 'endwith':
        if (open.pop() !== 'with') syntax('`{% endwith %}` without a matching `{% with %}` (or the blocks are not nested in order)');
        out.push(t, tok('endcall', 'Identifier'), ...inner, close);
        break;
      case 'call':
        open.push('call');
        out.push(t, name, ...callTokens(inner, tok), close);
        break;
      case 'endcall':
        if (open.pop() !== 'call') syntax('`{% endcall %}` without a matching `{% call %}` (or the blocks are not nested in order)');
        out.push(...tokens.slice(i, end + 1));
        break;
      default:
        out.push(...tokens.slice(i, end + 1));
    }
    i = end;
  }
  return out;
}

const STATEMENTS = new Set(['import', 'from', 'with', 'call']);

/**
 * The parser takes only a plain name as a call block's macro; Jinja takes any expression
 * (`{% call m.wrap() %}` after an import), so `X(args)` becomes `call:(X, args)`.
 */
function callTokens(inner: Token[], tok: MakeTok): Token[] {
  let k = 0;
  // the caller's own parameters: `{% call(item) list(...) %}`
  if (inner[0]?.type === 'OpenParen') {
    let depth = 0;
    for (; k < inner.length; k++) {
      const type = inner[k]!.type;
      if (type === 'OpenParen') depth++;
      else if (type === 'CloseParen' && --depth === 0) break;
    }
    k++;
  }
  const start = k;
  let depth = 0;
  for (; k < inner.length; k++) {
    const type = inner[k]!.type;
    if (depth === 0 && type === 'OpenParen') break;
    if (type === 'OpenSquareBracket') depth++;
    else if (type === 'CloseSquareBracket') depth--;
  }
  if (k - start <= 1 || k >= inner.length) return inner;
  return [...inner.slice(0, start), tok(CALL_FN, 'Identifier'), tok('(', 'OpenParen'), ...inner.slice(start, k), tok(',', 'Comma'), ...inner.slice(k + 1)];
}

type MakeTok = (value: string, type: string) => Token;

/** A trailing `with context` / `without context`: whether the imported template sees the caller's variables. */
function contextFlag(inner: Token[], dflt: boolean): [Token[], boolean] {
  const n = inner.length;
  const a = inner[n - 2];
  const b = inner[n - 1];
  if (b?.type === 'Identifier' && b.value === 'context' && a?.type === 'Identifier' && (a.value === 'with' || a.value === 'without')) {
    return [inner.slice(0, -2), a.value === 'with'];
  }
  return [inner, dflt];
}

/** compile() turns it into a TemplateError with the template's text */
function syntax(message: string): never {
  throw new Error(message);
}

/** `{% import EXPR as NAME [with|without context] %}` → `{% set NAME = import:(EXPR, ctx) %}` (Jinja: without context by default). */
function importTokens(inner: Token[], tok: MakeTok): Token[] {
  const [rest, withContext] = contextFlag(inner, false);
  const n = rest.length;
  const as = rest[n - 2];
  const target = rest[n - 1];
  if (n < 3 || as?.type !== 'Identifier' || as.value !== 'as' || target?.type !== 'Identifier') {
    syntax("`{% import %}` is written `{% import 'file.j2' as name %}` (optionally `with context`)");
  }
  return [tok('set', 'Identifier'), target, tok('=', 'Equals'), tok(IMPORT_FN, 'Identifier'), tok('(', 'OpenParen'), ...rest.slice(0, n - 2), tok(',', 'Comma'), tok(withContext ? '1' : '0', 'NumericLiteral'), tok(')', 'CloseParen')];
}

/**
 * `{% from EXPR import a, b as c [with context] %}` → `{% set a, c = from:(EXPR, ctx, 'a', 'b') %}`
 * (one name: `{% set a = from:(...) %}`, the value itself).
 */
function fromTokens(inner: Token[], tok: MakeTok): Token[] {
  const [rest, withContext] = contextFlag(inner, false);
  const at = rest.findIndex((t) => t.type === 'Identifier' && t.value === 'import');
  const usage = "`{% from %}` is written `{% from 'file.j2' import name, other as alias %}`";
  if (at < 1) syntax(usage);
  const source = rest.slice(0, at);
  let names = rest.slice(at + 1);
  if (names[0]?.type === 'OpenParen' && names[names.length - 1]?.type === 'CloseParen') names = names.slice(1, -1);
  const imported: string[] = [];
  const targets: Token[] = [];
  for (let k = 0; k < names.length; ) {
    const name = names[k];
    if (name?.type !== 'Identifier') syntax(usage);
    let target = name;
    k++;
    if (names[k]?.type === 'Identifier' && names[k]!.value === 'as') {
      const alias = names[k + 1];
      if (alias?.type !== 'Identifier') syntax(usage);
      target = alias;
      k += 2;
    }
    imported.push(name.value);
    targets.push(target);
    if (k < names.length) {
      if (names[k]?.type !== 'Comma') syntax(usage);
      k++;
    }
  }
  if (imported.length === 0) syntax(usage);
  const assign: Token[] = [];
  targets.forEach((t, k) => {
    if (k > 0) assign.push(tok(',', 'Comma'));
    assign.push(t);
  });
  const args: Token[] = [];
  for (const name of imported) args.push(tok(',', 'Comma'), tok(name, 'StringLiteral'));
  return [tok('set', 'Identifier'), ...assign, tok('=', 'Equals'), tok(FROM_FN, 'Identifier'), tok('(', 'OpenParen'), ...source, tok(',', 'Comma'), tok(withContext ? '1' : '0', 'NumericLiteral'), ...args, tok(')', 'CloseParen')];
}
