// What the engine adds to the run's secret list (RunOptions.secrets): passwords it finds, the
// arguments a module declares secret (ModuleDefinition.secretArgs, Ansible's `no_log` in an
// argument spec), and the templated values of a `no_log: true` task. Each goes in with the
// forms the common filters give it (src/vault/secrets.ts).
import { MIN_VAULT_LEAF_LENGTH, secretForms } from '../vault/secrets.js';

export function addSecret(list: string[], value: string): void {
  if (value.length === 0 || list.includes(value)) return;
  for (const form of secretForms(value)) if (!list.includes(form)) list.push(form);
}

function leaves(value: unknown, out: string[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) leaves(v, out, depth + 1);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) leaves(v, out, depth + 1);
}

const templated = (raw: unknown): boolean => typeof raw === 'string' && raw.includes('{{');

/**
 * `secretArgs`: every value of those arguments, whoever wrote it. `no_log`: the string leaves
 * that came out of a template (a literal the playbook shows anyway is no secret, and masking
 * every literal word of a task would blank out unrelated output).
 */
export function registerArgSecrets(list: string[], secretArgs: readonly string[], raw: unknown, rendered: unknown, prepared: unknown, noLog: boolean): void {
  const asMap = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const rawArgs = asMap(raw);
  const args = asMap(rendered);
  // the module's own names (aliases resolved)
  const canonical = asMap(prepared);
  for (const name of secretArgs) {
    const found: string[] = [];
    leaves(canonical[name], found);
    for (const v of found) addSecret(list, v);
  }
  if (!noLog) return;
  if (typeof rendered === 'string' && templated(raw)) {
    if (rendered.length >= MIN_VAULT_LEAF_LENGTH) addSecret(list, rendered);
    return;
  }
  for (const [k, v] of Object.entries(args)) {
    if (!templated(rawArgs[k]) && !(rawArgs[k] !== null && typeof rawArgs[k] === 'object')) continue;
    const found: string[] = [];
    leaves(v, found);
    for (const s of found) if (s.length >= MIN_VAULT_LEAF_LENGTH) addSecret(list, s);
  }
}
