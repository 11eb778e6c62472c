import type { Command } from '../command.js';

// Commands in the order `runbook --help` lists them.
export const COMMANDS: Command[] = [];
