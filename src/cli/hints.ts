// "Did you mean" for what the command line and the inventory name: host patterns (plays'
// `hosts:`, --limit) and Ansible's connection variables. Kept here, beside the commands that
// print them, because they need the inventory and the playbook together.
import type { Inventory } from '../inventory/types.js';
import { didYouMean } from '../util/edit-distance.js';

/** The `ansible_*` variables an inventory may set that runbook reads (or Ansible users set and runbook knows about). */
export const KNOWN_ANSIBLE_VARS: readonly string[] = [
  'ansible_host', 'ansible_port', 'ansible_user', 'ansible_password', 'ansible_connection',
  'ansible_ssh_host', 'ansible_ssh_port', 'ansible_ssh_user', 'ansible_ssh_pass', 'ansible_ssh_password',
  'ansible_private_key_file', 'ansible_ssh_private_key_file', 'ansible_ssh_common_args', 'ansible_ssh_extra_args',
  'ansible_timeout', 'ansible_ssh_timeout', 'ansible_host_key_checking', 'ansible_ssh_host_key_checking',
  'ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_become_pass', 'ansible_become_password',
  'ansible_become_flags', 'ansible_become_exe', 'ansible_sudo_pass', 'ansible_python_interpreter', 'ansible_shell_type',
  'ansible_shell_executable', 'ansible_pipelining', 'ansible_ssh_pipelining', 'ansible_remote_tmp', 'ansible_facts',
];

/** Warnings for `ansible_*` inventory variables that are neither known nor facts: one per name, with a suggestion. */
export function ansibleVarWarnings(inventory: Inventory): string[] {
  const known = new Set(KNOWN_ANSIBLE_VARS);
  const unknown = new Map<string, string[]>();
  for (const h of inventory.hosts.values()) {
    for (const k of Object.keys(h.vars)) {
      if (!k.startsWith('ansible_') || known.has(k)) continue;
      // only names that look like a typo of a connection variable: facts set by hand
      // (ansible_distribution: Debian in a test inventory) are not flagged
      const near = didYouMean(k, KNOWN_ANSIBLE_VARS);
      if (near === undefined) continue;
      const hosts = unknown.get(k) ?? [];
      hosts.push(h.name);
      unknown.set(k, hosts);
    }
  }
  return [...unknown.entries()].map(([k, hosts]) => {
    const near = didYouMean(k, KNOWN_ANSIBLE_VARS) ?? '';
    const where = hosts.length > 3 ? `${hosts.slice(0, 3).join(', ')} +${hosts.length - 3}` : hosts.join(', ');
    return `inventory ${inventory.source}: \`${k}\` (hosts: ${where}) is not a variable runbook or Ansible reads; did you mean \`${near}\`? It is ignored as written.`;
  });
}

/** Names a host pattern can use: hosts and groups. */
function patternNames(inventory: Inventory): string[] {
  return [...inventory.hosts.keys(), ...inventory.groups.keys()];
}

/**
 * For a pattern that matches nothing: the parts of it that name no host or group, each with
 * the nearest name ("did you mean 'web'?"), or '' when no part looks like a typo.
 */
export function hostPatternHint(pattern: string, inventory: Inventory): string {
  const names = patternNames(inventory);
  const known = new Set(names);
  const hints: string[] = [];
  for (const raw of pattern.split(/[:,]/)) {
    const part = raw.replace(/^[!&]/, '').trim();
    // globs, regexes (~), ranges and slices are patterns, not names
    if (part === '' || known.has(part) || /[*?[~]/.test(part)) continue;
    const near = didYouMean(part, names);
    if (near !== undefined) hints.push(`'${part}': did you mean '${near}'?`);
    else hints.push(`'${part}' is no host or group of the inventory`);
  }
  return hints.join('; ');
}
