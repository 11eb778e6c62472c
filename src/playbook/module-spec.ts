// What loading a playbook needs to know of a module: the names it answers to, its argument
// schema and its free-form argument. The modules themselves (src/modules) sit above the
// loader; whoever loads a playbook (the CLI, the engine's run-time includes, a test) passes a
// ModuleLookup in, so loading a playbook never imports the module registry.
import type { SchemaObject } from 'ajv';

export interface ModuleSpec {
  name: string;
  /** other names the module answers to, e.g. `ansible.builtin.copy` */
  aliases?: readonly string[];
  /** JSON Schema of the arguments (draft-07) */
  schema: SchemaObject;
  /** `command: ls -l` style: the string goes to this argument */
  freeForm?: string;
  doc: { short: string };
}

export interface ModuleLookup<M extends ModuleSpec = ModuleSpec> {
  get(name: string): M | undefined;
  /** every name a module answers to, for "did you mean" */
  names(): string[];
}

/** Collections every short name answers under (Ansible's builtin and its `legacy` twin). */
const FQCN_PREFIXES = ['ansible.builtin.', 'ansible.legacy.'] as const;

/** Short names that live in community.general in Ansible (not in ansible.builtin). */
const COMMUNITY_GENERAL = new Set(['snap', 'ufw', 'apache2_module', 'timezone', 'ini_file', 'modprobe', 'locale_gen', 'alternatives']);

/** Short names that live in ansible.posix in Ansible. */
const ANSIBLE_POSIX = new Set(['authorized_key', 'sysctl', 'mount']);

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
  'service_facts', 'package_facts', 'getent', 'validate_argument_spec',
]);

/**
 * Every name a module answers to: its name, its aliases, and each short one under
 * `ansible.builtin.`/`ansible.legacy.` or `community.general.`, where Ansible has it.
 * Playbooks copied from Ansible use any of these; one source for the loader, schemas and docs.
 */
export function moduleNamesOf(m: Pick<ModuleSpec, 'name' | 'aliases'>): string[] {
  const short = [m.name, ...(m.aliases ?? [])].filter((n) => !n.includes('.'));
  const names = [m.name, ...(m.aliases ?? [])];
  for (const prefix of FQCN_PREFIXES) for (const n of short) if (ANSIBLE_BUILTIN.has(n)) names.push(prefix + n);
  for (const n of short) if (COMMUNITY_GENERAL.has(n)) names.push(`community.general.${n}`);
  for (const n of short) if (ANSIBLE_POSIX.has(n)) names.push(`ansible.posix.${n}`);
  return [...new Set(names)];
}

/** A name → module map over a list (first module wins a name). */
export function indexModules<M extends ModuleSpec>(modules: readonly M[]): Map<string, M> {
  const byName = new Map<string, M>();
  for (const m of modules) for (const n of moduleNamesOf(m)) if (!byName.has(n)) byName.set(n, m);
  return byName;
}

/** A lookup over a fixed list of modules; names include `ansible.builtin.NAME` etc. (moduleNamesOf). */
export function moduleLookup<M extends ModuleSpec>(modules: readonly M[]): ModuleLookup<M> {
  const byName = indexModules(modules);
  return { get: (n) => byName.get(n), names: () => [...byName.keys()] };
}
