// A fixed set of real module definitions for the playbook tests, so they do not change
// meaning while the registry grows (the registry is tested through the CLI and schema sync).
import { assertModule, setFactModule } from '../assert.js';
import { commandModule, shellModule } from '../command.js';
import { copyModule } from '../copy.js';
import { debugModule } from '../debug.js';
import { fileModule } from '../file.js';
import { templateModule } from '../template.js';
import type { ModuleDefinition } from '../types.js';
import { moduleLookup } from '../../playbook/module-spec.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TEST_MODULES: Array<ModuleDefinition<any>> = [commandModule, shellModule, copyModule, debugModule, fileModule, templateModule, assertModule, setFactModule];

export const testModules = moduleLookup(TEST_MODULES);
