// Task keywords written as `{{ }}` templates (become_user: "{{ app_user }}", retries: "{{ n }}",
// check_mode: "{{ dry_run }}"): rendered per host, and per loop item, when the task runs, as
// Ansible's post-validation does, then checked as strictly as a literal would have been at load
// time. `{{ omit }}` leaves the keyword as if it were not written here (the outer value holds).
import { parseAnsibleBool } from '../util/booleans.js';
import type { Inherited } from './inherit.js';
import { OMIT, renderValue } from './templating.js';
import type { VarScope } from './templating.js';

type Kind = 'bool' | 'string' | 'int' | 'seconds';

const KINDS: Readonly<Record<string, { field: keyof Inherited; kind: Kind }>> = {
  become: { field: 'become', kind: 'bool' },
  become_user: { field: 'becomeUser', kind: 'string' },
  no_log: { field: 'noLog', kind: 'bool' },
  check_mode: { field: 'checkMode', kind: 'bool' },
  diff: { field: 'diff', kind: 'bool' },
  any_errors_fatal: { field: 'anyErrorsFatal', kind: 'bool' },
  run_once: { field: 'runOnce', kind: 'bool' },
  timeout: { field: 'timeout', kind: 'int' },
  retries: { field: 'retries', kind: 'int' },
  delay: { field: 'delay', kind: 'seconds' },
};

export type Resolved = { ok: true; inh: Inherited } | { ok: false; msg: string };

/** One rendered keyword value checked against its kind; a message when it does not fit. */
export function keywordValue(name: string, kind: Kind, v: unknown): { value: unknown } | { error: string } {
  const shown = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  switch (kind) {
    case 'bool': {
      const b = parseAnsibleBool(v);
      return b === undefined ? { error: `\`${name}\` rendered to ${shown}, which is not a boolean (true/false, yes/no)` } : { value: b };
    }
    case 'string':
      if (typeof v === 'string' || typeof v === 'number') return String(v) === '' ? { error: `\`${name}\` rendered to an empty string` } : { value: String(v) };
      return { error: `\`${name}\` rendered to ${shown}, not a string` };
    case 'int': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : Number.NaN;
      return Number.isInteger(n) && n >= 0 ? { value: n } : { error: `\`${name}\` rendered to ${shown}, not a whole number of 0 or more` };
    }
    case 'seconds': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(v) ? Number(v) : Number.NaN;
      return Number.isFinite(n) && n >= 0 ? { value: n } : { error: `\`${name}\` rendered to ${shown}, not a number of seconds` };
    }
  }
}

/**
 * Render the templated keywords of `inh` (only those named in `only`, when given). The result
 * has them as typed fields and no longer in `dynamic`. A template error or a value of the wrong
 * type fails the task with a message naming the keyword.
 */
export function resolveKeywords(inh: Inherited, scope: VarScope, only?: readonly string[]): Resolved {
  const names = Object.keys(inh.dynamic).filter((n) => only === undefined || only.includes(n));
  if (names.length === 0) return { ok: true, inh };
  const out: Inherited = { ...inh, dynamic: { ...inh.dynamic } };
  const fields = out as unknown as Record<string, unknown>;
  for (const name of names) {
    const spec = KINDS[name];
    const template = inh.dynamic[name];
    delete out.dynamic[name];
    if (spec === undefined || template === undefined) continue;
    let v: unknown;
    try {
      v = renderValue(template, scope);
    } catch (err) {
      return { ok: false, msg: `\`${name}\`: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (v === OMIT) continue;
    const r = keywordValue(name, spec.kind, v);
    if ('error' in r) return { ok: false, msg: r.error };
    fields[spec.field] = r.value;
  }
  return { ok: true, inh: out };
}
