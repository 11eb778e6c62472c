// Filter and test names used in a template, checked against what the template engine
// implements, so `{{ x | to_jsno }}` is a validate error with a suggestion instead of a failure
// on the first host at run time.
import { compile, type AstNode } from '../template/compile.js';
import { knownFilters, knownLookupNames, knownTests } from '../template/known.js';
import { lookupName } from '../template/lookups/registry.js';
import { didYouMean } from '../util/edit-distance.js';

export interface UnknownName {
  kind: 'filter' | 'test' | 'lookup';
  name: string;
  /** the closest known name, when one is close enough to be a typo */
  guess?: string;
}

let filters: Set<string> | undefined;
let tests: Set<string> | undefined;

const isNode = (v: unknown): v is AstNode => v !== null && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string';

/** The name of a filter node (`upper`, or `replace('a', 'b')`'s callee). */
function filterName(f: unknown): string | undefined {
  if (!isNode(f)) return undefined;
  if (f.type === 'Identifier' && typeof f.value === 'string') return f.value;
  if (f.type === 'CallExpression' && isNode(f.callee) && f.callee.type === 'Identifier' && typeof f.callee.value === 'string') return f.callee.value;
  return undefined;
}

/**
 * Unknown filter and test names in `template` (each once, in order of appearance). A template
 * that does not compile gives none: its syntax error is reported on its own.
 */
export function unknownTemplateNames(template: string): UnknownName[] {
  let body: AstNode[];
  try {
    body = compile(template).body;
  } catch {
    return [];
  }
  filters ??= new Set(knownFilters());
  tests ??= new Set(knownTests());
  const found = new Map<string, UnknownName>();
  const lookups = new Set(knownLookupNames());
  const note = (kind: 'filter' | 'test' | 'lookup', name: string): void => {
    const known = kind === 'filter' ? filters : kind === 'test' ? tests : lookups;
    if (known?.has(name) === true || found.has(`${kind}:${name}`)) return;
    const guess = didYouMean(name, [...(known ?? [])]);
    found.set(`${kind}:${name}`, { kind, name, ...(guess !== undefined ? { guess } : {}) });
  };
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 200 || v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (isNode(v)) {
      if (v.type === 'FilterExpression' || v.type === 'FilterStatement') {
        const name = filterName(v.filter);
        // `x is version('1', '>=')` is parsed as the filter `__is__version` (see compile.ts)
        if (name !== undefined) {
          const t = /^__is(?:not)?__(.+)$/.exec(name);
          if (t?.[1] !== undefined) note('test', t[1]);
          else note('filter', name);
        }
      } else if (v.type === 'CallExpression' && isNode(v.callee) && v.callee.type === 'Identifier' && ['lookup', 'query', 'q'].includes(String(v.callee.value))) {
        // lookup('name', ...): the name must be a lookup runbook has
        const first = (v.args as unknown[] | undefined)?.[0];
        if (isNode(first) && first.type === 'StringLiteral' && typeof first.value === 'string') note('lookup', lookupName(first.value));
      } else if (v.type === 'TestExpression' && isNode(v.test) && typeof v.test.value === 'string') {
        note('test', v.test.value);
      }
    }
    for (const x of Object.values(v as Record<string, unknown>)) walk(x, depth + 1);
  };
  walk(body, 0);
  return [...found.values()];
}
