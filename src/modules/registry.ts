// Every module runbook knows. Core modules (command, file, apt, ...) and the certificate
// modules (certbot, apache, ufw) are kept in two lists so they can grow independently.
import type { ModuleDefinition } from './types.js';
import { CORE_MODULES } from './core-modules.js';
import { CERT_MODULES } from './cert-modules.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byName = new Map<string, AnyModule>();
for (const m of [...CORE_MODULES, ...CERT_MODULES] as AnyModule[]) {
  for (const n of [m.name, ...(m.aliases ?? []), `ansible.builtin.${m.name}`]) {
    if (!byName.has(n)) byName.set(n, m);
  }
}

/** Look a module up by its name or an alias (`copy`, `ansible.builtin.copy`). */
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
