// The keyring a command's file loading runs under. Every YAML file runbook reads goes through
// src/playbook/yaml.ts, called from the playbook, inventory and vars-file loaders; they learn
// nothing about vaults: the command opens a scope and the YAML loader asks for its keyring.
// AsyncLocalStorage rather than a module variable: two commands in one process (the tests run
// many) each see their own keyring, and nothing outlives the command.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Keyring } from './keyring.js';

const storage = new AsyncLocalStorage<Keyring>();

/** Run `fn` (and everything it awaits) with `keyring` as the vault passwords. */
export function withKeyring<T>(keyring: Keyring, fn: () => T): T {
  return storage.run(keyring, fn);
}

/** The keyring of the running command, or undefined when none was opened (no vault flags). */
export function currentKeyring(): Keyring | undefined {
  return storage.getStore();
}
