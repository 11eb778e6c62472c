// Every module runbook knows. Core modules (command, file, apt, ...) and the certificate
// modules (certbot, apache, ufw) are kept in two lists so they can grow independently.
import type { ModuleDefinition } from './types.js';
import { CORE_MODULES } from './core-modules.js';
import { CERT_MODULES } from './cert-modules.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Collections every short name answers under (Ansible's builtin and its `legacy` twin). */
export const FQCN_PREFIXES = ['ansible.builtin.', 'ansible.legacy.'] as const;

/** Short names that live in community.general in Ansible (not in ansible.builtin). */
const COMMUNITY_GENERAL = new Set(['snap', 'ufw', 'apache2_module']);

/** Short names that live in ansible.posix in Ansible. */
const ANSIBLE_POSIX = new Set(['authorized_key']);

/**
 * Short names Ansible has in ansible.builtin. Only these get the `ansible.builtin.`/`ansible.legacy.`
 * names: `ansible.builtin.ufw` does not exist in Ansible, and a playbook written with it
 * could not go back to Ansible (runbook's own modules, certbot, apache, acme_*, have no FQCN).
 */
const ANSIBLE_BUILTIN = new Set([
  'command', 'shell', 'raw', 'file', 'copy', 'template', 'lineinfile', 'stat', 'apt', 'package',
  'service', 'systemd', 'systemd_service', 'sysvinit', 'wait_for', 'uri', 'assert', 'fail', 'debug',
  'set_fact', 'ping', 'meta', 'include_tasks', 'import_tasks', 'include_vars', 'blockinfile', 'replace',
  'user', 'group', 'get_url', 'unarchive', 'git', 'pip', 'cron', 'hostname', 'reboot', 'setup', 'slurp',
  'fetch', 'find', 'tempfile', 'apt_key', 'apt_repository', 'deb822_repository', 'debconf', 'dnf', 'yum',
  'script', 'expect', 'pause', 'wait_for_connection', 'known_hosts', 'iptables', 'sysctl', 'mount',
]);

/**
 * Every name a module answers to: its name, its aliases, and each short one under
 * `ansible.builtin.`/`ansible.legacy.` or `community.general.`, where Ansible has it.
 * Playbooks copied from Ansible use any of these; one source for the loader, schemas and docs.
 */
export function moduleNamesOf(m: AnyModule): string[] {
  const short = [m.name, ...(m.aliases ?? [])].filter((n) => !n.includes('.'));
  const names = [m.name, ...(m.aliases ?? [])];
  for (const prefix of FQCN_PREFIXES) for (const n of short) if (ANSIBLE_BUILTIN.has(n)) names.push(prefix + n);
  for (const n of short) if (COMMUNITY_GENERAL.has(n)) names.push(`community.general.${n}`);
  for (const n of short) if (ANSIBLE_POSIX.has(n)) names.push(`ansible.posix.${n}`);
  return [...new Set(names)];
}

/** A name → module map over a list (first module wins a name). */
export function indexModules(modules: readonly AnyModule[]): Map<string, AnyModule> {
  const byName = new Map<string, AnyModule>();
  for (const m of modules) for (const n of moduleNamesOf(m)) if (!byName.has(n)) byName.set(n, m);
  return byName;
}

const byName = indexModules([...CORE_MODULES, ...CERT_MODULES] as AnyModule[]);

/** Look a module up by its name or an alias (`copy`, `ansible.builtin.copy`, `ansible.legacy.copy`). */
export function getModule(name: string): AnyModule | undefined {
  return byName.get(name);
}

/** Every module once, in registration order. */
export function allModules(): AnyModule[] {
  return [...new Set(byName.values())];
}

/** Every name a module answers to (for "did you mean" suggestions). */
export function allModuleNames(): string[] {
  return [...byName.keys()];
}
