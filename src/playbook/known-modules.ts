// The registered modules as the playbook loader sees them, from data `npm run schemas` writes
// (module-specs.generated.ts) and validated by the precompiled validators: `runbook validate`
// checks module tasks the way `apply` does without importing any module's code.
import { moduleLookup, type ModuleLookup } from './module-spec.js';
import { MODULE_SPECS } from './module-specs.generated.js';
import { usePrecompiledValidators } from './schema.js';

// the generated validators were made from these very schemas (src/playbook/known-modules.test.ts)
usePrecompiledValidators(MODULE_SPECS);

/** Every registered module by each name it answers to (moduleNamesOf), in registration order. */
export const knownModules: ModuleLookup = moduleLookup(MODULE_SPECS);
