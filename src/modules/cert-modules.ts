import type { ModuleDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CERT_MODULES: Array<ModuleDefinition<any>> = [];
