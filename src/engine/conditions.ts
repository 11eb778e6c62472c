// `when:`-style conditions and truthiness, as the engine judges them.
import { parseAnsibleBool } from '../util/booleans.js';
import { evaluate } from './templating.js';
import type { VarScope } from './templating.js';

export function condition(cond: string | boolean, scope: VarScope): boolean {
  if (typeof cond === 'boolean') return cond;
  return evaluate(cond, scope);
}

/** A variable used as a flag (`ansible_become`, `ignore_errors: "{{ x }}"`): Ansible's boolean words. */
export function truthy(v: unknown): boolean {
  if (typeof v === 'string') return parseAnsibleBool(v) === true;
  return Boolean(v);
}

export function isMeta(module: string): boolean {
  return module === 'meta' || module === 'ansible.builtin.meta';
}
