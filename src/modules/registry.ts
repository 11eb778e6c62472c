// Every module runbook knows. Core modules (command, file, apt, ...) and the certificate
// modules (certbot, apache, ufw) are kept in two lists so they can grow independently.
import type { ModuleDefinition } from './types.js';
import { CORE_MODULES } from './core-modules.js';
import { CERT_MODULES } from './cert-modules.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Collections every short name answers under (Ansible's builtin and its `legacy` twin). */
export const FQCN_PREFIXES = ['ansible.builtin.', 'ansible.legacy.'] as const;

/** Short names that live in community.general in Ansible (not in ansible.builtin). */
const COMMUNITY_GENERAL = new Set(['snap', 'ufw', 'apache2_module']);

/**
 * Every name a module answers to: its name, its aliases, and each short one under
 * `ansible.builtin.`, `ansible.legacy.` and (where Ansible has it there) `community.general.`.
 * Playbooks copied from Ansible use any of these; one source for the loader, schemas and docs.
 */
export function moduleNamesOf(m: AnyModule): string[] {
  const short = [m.name, ...(m.aliases ?? [])].filter((n) => !n.includes('.'));
  const names = [m.name, ...(m.aliases ?? [])];
  for (const prefix of FQCN_PREFIXES) for (const n of short) names.push(prefix + n);
  for (const n of short) if (COMMUNITY_GENERAL.has(n)) names.push(`community.general.${n}`);
  return [...new Set(names)];
}

/** A name → module map over a list (first module wins a name). */
export function indexModules(modules: readonly AnyModule[]): Map<string, AnyModule> {
  const byName = new Map<string, AnyModule>();
  for (const m of modules) for (const n of moduleNamesOf(m)) if (!byName.has(n)) byName.set(n, m);
  return byName;
}

const byName = indexModules([...CORE_MODULES, ...CERT_MODULES] as AnyModule[]);

/** Look a module up by its name or an alias (`copy`, `ansible.builtin.copy`, `ansible.legacy.copy`). */
export function getModule(name: string): AnyModule | undefined {
  return byName.get(name);
}

/** Every module once, in registration order. */
export function allModules(): AnyModule[] {
  return [...new Set(byName.values())];
}

/** Every name a module answers to (for "did you mean" suggestions). */
export function allModuleNames(): string[] {
  return [...byName.keys()];
}
