// Every module runbook knows. Core modules (command, file, apt, ...) and the certificate
// modules (certbot, apache, ufw) are kept in two lists so they can grow independently.
import type { ModuleDefinition } from './types.js';
import { indexModules, type ModuleLookup } from '../playbook/module-spec.js';
import { usePrecompiledValidators } from '../playbook/schema.js';
import { CORE_MODULES } from './core-modules.js';
import { CERT_MODULES } from './cert-modules.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byName = indexModules([...CORE_MODULES, ...CERT_MODULES] as AnyModule[]);
// the generated validators (npm run schemas) were made from these very modules
usePrecompiledValidators([...new Set(byName.values())]);

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

/** The registry as the playbook loader looks modules up (the CLI and the engine pass it in). */
export const registeredModules: ModuleLookup = { get: getModule, names: allModuleNames };
