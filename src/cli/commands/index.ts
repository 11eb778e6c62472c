import type { Command } from '../command.js';
import { applyCommand } from './apply.js';
import { validateCommand } from './validate.js';
import { docCommand } from './doc.js';
import { labCommand } from './lab.js';
import { vaultCommand } from './vault.js';
import { configCommand } from './config.js';
import { inventoryCommand } from './inventory.js';
import { certsCommand } from './certs.js';
import { runCommand } from './run.js';
import { historyCommand } from './history.js';

// Commands in the order `runbook --help` lists them.
export const COMMANDS: Command[] = [applyCommand, runCommand, validateCommand, docCommand, labCommand, vaultCommand, inventoryCommand, configCommand, certsCommand, historyCommand];
