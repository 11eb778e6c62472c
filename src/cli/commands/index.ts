// Every command, by name, with its one-line summary. A command's module is imported only when
// that command runs (or its --help is asked for): `runbook validate` never loads the engine,
// SSH or the store, and `runbook --version` loads no command at all.
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** one line for `runbook --help` */
  summary: string;
  /** the command's module, imported on first use */
  load(): Promise<Command>;
}

// Commands in the order `runbook --help` lists them.
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'apply', summary: 'Run a playbook against the hosts of an inventory', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'run', summary: 'Run one module on the hosts of a pattern (ad-hoc, like `ansible PATTERN -m MODULE -a ARGS`)', load: async () => (await import('./run.js')).runCommand },
  { name: 'validate', summary: 'Check playbooks (and host patterns against an inventory) without running anything', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'doc', summary: "List modules, or show one module's arguments, return values and example", load: async () => (await import('./doc.js')).docCommand },
  { name: 'lab', summary: 'throwaway SSH hosts and an ACME server on this machine (root, Linux)', load: async () => (await import('./lab.js')).labCommand },
  { name: 'vault', summary: 'Encrypt, decrypt, view, edit and rekey Ansible Vault files and strings', load: async () => (await import('./vault.js')).vaultCommand },
  { name: 'inventory', summary: 'Show an inventory as ansible-inventory does: --list (JSON), --graph, --host NAME', load: async () => (await import('./inventory.js')).inventoryCommand },
  { name: 'config', summary: 'Show the effective settings (inventory, forks, user, key, ...) and where each comes from', load: async () => (await import('./config.js')).configCommand },
  { name: 'certs', summary: "Every host's certbot certificates, renewal health and what each host serves", load: async () => (await import('./certs.js')).certsCommand },
  { name: 'history', summary: 'List recorded runs, show one (hosts, failed tasks, output), resume one', load: async () => (await import('./history.js')).historyCommand },
];
