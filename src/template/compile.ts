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
    const tokens = rewriteTests(dottedNames(lib.tokenize(keepUnknownEscapes(rawBlocksToLiterals(template)), { trim_blocks: trim, lstrip_blocks: lstrip })));
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
    return `unknown tag \`{% ${m[1]} %}\` (supported: if, for, set, raw, and include in template files; macros, import, call and filter blocks are not)`;
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
