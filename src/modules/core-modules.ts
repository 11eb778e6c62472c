import type { ModuleDefinition } from './types.js';
import { debugModule } from './debug.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_MODULES: Array<ModuleDefinition<any>> = [debugModule];
