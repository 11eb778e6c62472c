// A fixed set of real module definitions for the playbook tests, so they do not change
// meaning while the registry grows (the registry is tested through the CLI and schema sync).
import { assertModule, setFactModule } from '../modules/assert.js';
import { commandModule, shellModule } from '../modules/command.js';
import { copyModule } from '../modules/copy.js';
import { debugModule } from '../modules/debug.js';
import { fileModule } from '../modules/file.js';
import { templateModule } from '../modules/template.js';
import type { ModuleDefinition } from '../modules/types.js';
import { moduleLookup } from './load.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TEST_MODULES: Array<ModuleDefinition<any>> = [commandModule, shellModule, copyModule, debugModule, fileModule, templateModule, assertModule, setFactModule];

export const testModules = moduleLookup(TEST_MODULES);
