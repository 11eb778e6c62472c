// What a lookup plugin gets and returns. Lookups run on the controller while a template is
// rendered (synchronously: rendering is synchronous), under the sandbox's rules: they return
// plain data (strings, numbers, lists, mappings), never an object a template could call into.
import { TemplateRuntimeError } from '../errors.js';
import type { FileTemplateOptions } from '../includes.js';

export interface LookupContext {
  /** a variable of the current scope (an `Undefined` marker when missing) */
  variable(name: string): unknown;
  /** render a template text with the current scope (plus `extra` variables, which win) */
  render(template: string, extra?: Record<string, unknown>): unknown;
  /**
   * render a template FILE's text (always text; `{% include %}`/`{% import %}`/`{% from %}` of the
   * files in `options.includes`; its final newlines kept) with the current scope plus `extra`
   */
  renderFile(source: string, options: FileTemplateOptions, extra?: Record<string, unknown>): string;
  /** `ansible_search_path` (absolute directories, most specific first) or `[playbook_dir]` */
  searchPath(): string[];
  /** the directory relative commands run in (playbook_dir, else the current directory) */
  baseDir(): string;
}

/** One lookup: its terms (positional arguments) and options (keyword arguments) → a list. */
export type LookupPlugin = (terms: unknown[], options: Record<string, unknown>, ctx: LookupContext) => unknown[];

export class LookupError extends TemplateRuntimeError {}

/** `key=value key2="a b"` in a term (sequence, password): the free text first, then the options. */
export function parseKeyValueTerm(term: string): { free: string; options: Record<string, string> } {
  const options: Record<string, string> = {};
  const free: string[] = [];
  const re = /(?:^|\s+)([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)|(?:^|\s+)(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(term)) !== null) {
    if (m[1] !== undefined) options[m[1]] = m[3] ?? m[4] ?? m[2] ?? '';
    else if (m[5] !== undefined) free.push(m[5]);
  }
  return { free: free.join(' '), options };
}

export function asStringTerm(t: unknown, lookup: string): string {
  if (typeof t === 'string') return t;
  if (typeof t === 'number') return String(t);
  throw new LookupError(`lookup '${lookup}': each term must be a string, got ${t === null ? 'null' : Array.isArray(t) ? 'a list' : typeof t}`);
}
