// render / renderValue / evaluate: the three ways the engine uses templates.
import { compile, isTemplate } from './compile.js';
import { TemplateError, TemplateRuntimeError } from './errors.js';
import type { Lookup } from './interpret.js';
import { Interpreter } from './interpret.js';
import { Undefined, isList, isPlainObject, setOwn, str, toPlain, truthy } from './values.js';

/** What templates read variables from (a VarScope, see scope.ts). */
export interface Lookupable {
  /** returns an `Undefined` marker for a missing name */
  readonly lookup: Lookup;
}

/** A VarScope, or a plain record of variables (taken as data: its strings are not rendered). */
export type ScopeLike = Lookupable | Record<string, unknown>;

export function lookupOf(scope: ScopeLike): Lookup {
  // a function is never template data, so an object with a `lookup` function is a scope
  if (typeof (scope as Partial<Lookupable>).lookup === 'function') return (scope as Lookupable).lookup;
  const vars = scope as Record<string, unknown>;
  return (name) => (Object.hasOwn(vars, name) ? vars[name] : new Undefined(`'${name}' is undefined`));
}

export function wrap(err: unknown, template: string): TemplateError {
  if (err instanceof TemplateError) return err;
  if (err instanceof TemplateRuntimeError) return new TemplateError(err.message, template);
  if (err instanceof RangeError) return new TemplateError('template is nested too deeply', template);
  const msg = err instanceof Error ? err.message : String(err);
  return new TemplateError(`template error: ${msg}`, template);
}

/**
 * Render one string. A string without `{{`, `{%` or `{#` is returned unchanged (the common
 * case, checked first). A string that is exactly one `{{ expr }}` returns the expression's
 * native value (list, dict, number, bool), like Ansible; anything else renders to a string.
 * Values read from variables are never rendered again (single pass).
 */
export function render(template: string, scope: ScopeLike): unknown {
  if (typeof template !== 'string' || !isTemplate(template)) return template;
  const compiled = compile(template);
  const interp = new Interpreter(lookupOf(scope));
  try {
    if (compiled.single) return toPlain(interp.value(compiled.single));
    const out = interp.renderBody(compiled.body);
    return compiled.trailingNewline ? `${out}\n` : out;
  } catch (err) {
    throw wrap(err, template);
  }
}

/**
 * Lists and dicts already seen to hold no template string. Values handed to templating are
 * playbook and inventory data, which nobody mutates after loading, so a big template-free
 * structure (a list of 1000 users in play vars) is walked once, not on every read.
 */
const templateFree = new WeakSet<object>();

/**
 * Render every string inside a value (lists and dicts, deeply). Parts without templates are
 * returned as the same objects, so big template-free values are not copied.
 */
export function renderValue(value: unknown, scope: ScopeLike): unknown {
  if (typeof value === 'string') return render(value, scope);
  if (typeof value !== 'object' || value === null) return value;
  if (templateFree.has(value)) return value;
  if (!hasTemplate(value)) {
    templateFree.add(value);
    return value;
  }
  return renderContainer(value, scope);
}

function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return isTemplate(value);
  if (typeof value !== 'object' || value === null || templateFree.has(value)) return false;
  const found = isList(value) ? value.some(hasTemplate) : isPlainObject(value) ? Object.keys(value).some(isTemplate) || Object.values(value).some(hasTemplate) : false;
  if (!found) templateFree.add(value);
  return found;
}

function renderContainer(value: unknown, scope: ScopeLike): unknown {
  if (isList(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const r = renderValue(item, scope);
      if (r !== item && !out) out = value.slice(0, i);
      if (out) out.push(r);
    }
    return out ?? value;
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const item = value[k];
      const r = renderValue(item, scope);
      // keys are templated too, as Ansible does (`set_fact: { "{{ name }}": 1 }`)
      const key = isTemplate(k) ? str(render(k, scope)) : k;
      if ((r !== item || key !== k) && !out) {
        out = {};
        for (const prev of keys.slice(0, i)) setOwn(out, prev, value[prev]);
      }
      if (out) setOwn(out, key, r);
    }
    return out ?? value;
  }
  return value;
}

/**
 * Evaluate a condition (`when`, `changed_when`, `failed_when`, `until`): a bare Jinja
 * expression without braces, Python truthiness. A boolean is returned as is. An expression
 * wrapped in `{{ }}` is accepted too (Ansible warns about it but allows it).
 */
export function evaluate(expr: string | boolean, scope: ScopeLike): boolean {
  if (typeof expr === 'boolean') return expr;
  let text = String(expr).trim();
  const braced = /^\{\{([\s\S]*)\}\}$/.exec(text);
  if (braced && !braced[1]!.includes('{{')) text = braced[1]!.trim();
  if (text === '') throw new TemplateError('empty condition', String(expr));
  const compiled = compile(`{{ ${text} }}`);
  if (!compiled.single) throw new TemplateError('a condition must be one expression (no {{ }} or {% %} inside)', String(expr));
  try {
    return truthy(new Interpreter(lookupOf(scope)).value(compiled.single));
  } catch (err) {
    throw wrap(err, String(expr));
  }
}
