// A host's connection settings from its Ansible variables, under runbook's names. Plain
// data: the transport turns this into a ConnectionSpec (with ~/.ssh/config and CLI flags).
// Values are taken as given; templated values must be rendered by the caller first (pass
// the rendered vars, e.g. from the host's scope).
import type { InventoryHost } from './types.js';
import { parseAnsibleBool } from '../util/booleans.js';

export interface HostConnectionVars {
  /** inventory name */
  name: string;
  /** ansible_host (falls back to the inventory name) */
  address: string;
  /** ansible_port / ansible_ssh_port */
  port?: number;
  /** ansible_user / ansible_ssh_user */
  user?: string;
  /** ansible_ssh_private_key_file / ansible_private_key_file */
  privateKeyFile?: string;
  /** ansible_connection: 'ssh' (default) or 'local' */
  connection: 'ssh' | 'local';
  /** ansible_password / ansible_ssh_pass */
  password?: string;
  /** ansible_become */
  become?: boolean;
  /** ansible_become_user */
  becomeUser?: string;
  /** ansible_become_password / ansible_become_pass */
  becomePassword?: string;
  /** ansible_ssh_common_args (e.g. -o ProxyJump=bastion) */
  sshCommonArgs?: string;
  /** runbook_known_hosts_file */
  knownHostsFile?: string;
}

function first(vars: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (vars[k] !== undefined && vars[k] !== null) return vars[k];
  return undefined;
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Ansible's boolean conversion for variables like ansible_become. */
function bool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  return parseAnsibleBool(v) ?? false;
}

export function hostConnectionVars(host: InventoryHost | { name: string; vars: Record<string, unknown> }): HostConnectionVars {
  const v = host.vars;
  const portValue = first(v, 'ansible_port', 'ansible_ssh_port');
  const port = portValue === undefined ? undefined : Number(portValue);
  const conn = text(first(v, 'ansible_connection'));
  const out: HostConnectionVars = {
    name: host.name,
    address: text(first(v, 'ansible_host', 'ansible_ssh_host')) ?? host.name,
    connection: conn === 'local' ? 'local' : 'ssh',
  };
  if (port !== undefined && Number.isInteger(port)) out.port = port;
  const set = <K extends keyof HostConnectionVars>(key: K, value: HostConnectionVars[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('user', text(first(v, 'ansible_user', 'ansible_ssh_user')));
  set('privateKeyFile', text(first(v, 'ansible_ssh_private_key_file', 'ansible_private_key_file')));
  set('password', text(first(v, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password')));
  set('become', bool(first(v, 'ansible_become')));
  set('becomeUser', text(first(v, 'ansible_become_user')));
  set('becomePassword', text(first(v, 'ansible_become_password', 'ansible_become_pass')));
  set('sshCommonArgs', text(first(v, 'ansible_ssh_common_args')));
  set('knownHostsFile', text(first(v, 'runbook_known_hosts_file')));
  return out;
}
