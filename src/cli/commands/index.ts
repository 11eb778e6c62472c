import type { Command } from '../command.js';
import { labCommand } from './lab.js';

// Commands in the order `runbook --help` lists them.
export const COMMANDS: Command[] = [labCommand];
