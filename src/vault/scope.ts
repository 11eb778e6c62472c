// The keyring a command's file loading runs under. Every YAML file runbook reads goes through
// src/playbook/yaml.ts, called from the playbook, inventory and vars-file loaders; they learn
// nothing about vaults: the command opens a scope and the YAML loader asks for its keyring.
//
// Not an AsyncLocalStorage for the usual case: on Node 20 a storage that has run once turns on
// the promise hooks for the rest of the process, and every promise of a run (several per remote
// command) then pays a JavaScript call: about 5% of a fleet run's controller CPU. One command at
// a time (the CLI, the tests) keeps its keyring in a module variable. Only when a second scope
// opens while one is running (two commands in one process, or a nested scope) does that scope
// go through an AsyncLocalStorage, so each still sees its own keyring.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Keyring } from './keyring.js';

/** the keyring of the one scope that runs without the storage */
let active: Keyring | undefined;
/** made on the first overlapping scope */
let storage: AsyncLocalStorage<Keyring> | undefined;

/** Run `fn` (and everything it awaits) with `keyring` as the vault passwords. */
export function withKeyring<T>(keyring: Keyring, fn: () => T): T {
  // inside another scope (the module variable's, or one of the storage's that outlived it) a
  // new scope goes through the storage, whose innermost keyring is what currentKeyring() reads
  if (active !== undefined || storage?.getStore() !== undefined) {
    storage ??= new AsyncLocalStorage<Keyring>();
    return storage.run(keyring, fn);
  }
  active = keyring;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    active = undefined;
    throw e;
  }
  if (!(result instanceof Promise)) {
    active = undefined;
    return result;
  }
  return result.finally(() => {
    active = undefined;
  }) as T;
}

/** The keyring of the running command, or undefined when none was opened (no vault flags). */
export function currentKeyring(): Keyring | undefined {
  // inside an overlapping scope the storage has its keyring; everywhere else it has none
  return storage?.getStore() ?? active;
}
