// src/inventory: Ansible inventories (YAML, INI, directories, host lists), group_vars and
// host_vars, host patterns and --limit. See README.md.
export { loadInventory, maskSourceSecrets } from './load.js';
export type { LoadInventoryOptions } from './load.js';
export { selectHosts, applyLimit, unmatchedPatterns, splitPattern } from './pattern.js';
export { hostConnectionVars } from './connection.js';
export type { HostConnectionVars } from './connection.js';
export { inventorySchema } from './schema.js';
export type { Inventory, InventoryGroup, InventoryHost } from './types.js';
