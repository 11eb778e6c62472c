// The flags every command that connects to hosts shares (apply, run, inventory): inventories,
// connection and privilege (Ansible's -u, -b, --become-user, -K, -k, --private-key, -T, -c,
// --ssh-common-args), and the configuration defaults under them (src/cli/config.ts).
//
// Precedence, as in Ansible: configuration < command line < play keywords (remote_user,
// become) < inventory variables (ansible_user, ansible_become, ...) < -e. So -u, -b,
// --private-key, -T, -c and --ssh-common-args become variables *under* the inventory's: a
// host whose inventory entry names its user keeps it. --host-key-checking and --known-hosts
// are runbook's own and win over everything.
import type { CommandIo, OptionSpec, ParsedArgs } from './command.js';
import { askHidden } from './prompt.js';
import type { ConnectionOverrides } from '../transport/factory.js';
import { forksOf, hostKeyCheckingOf, loadConfig, boolOf, setting, type Config, type FlagValues } from './config.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory, InventoryGroup, InventoryHost } from '../inventory/types.js';
import { UsageError } from '../util/errors.js';
import { resolve } from 'node:path';

export const CONNECTION_OPTIONS: OptionSpec = {
  inventory: { type: 'string', short: 'i', multiple: true },
  forks: { type: 'string', short: 'f' },
  user: { type: 'string', short: 'u' },
  'private-key': { type: 'string' },
  'key-file': { type: 'string' },
  timeout: { type: 'string', short: 'T' },
  connection: { type: 'string', short: 'c' },
  'ssh-common-args': { type: 'string' },
  become: { type: 'boolean', short: 'b' },
  'become-user': { type: 'string' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'ask-pass': { type: 'boolean', short: 'k' },
  'known-hosts': { type: 'string' },
  'host-key-checking': { type: 'string' },
};

/** The help lines of CONNECTION_OPTIONS, for each command's --help. */
export const CONNECTION_HELP = `Inventory and connection (defaults from runbook.cfg/ansible.cfg and the environment:
see 'runbook config'):
  -i, --inventory FILE        inventory (Ansible YAML or INI; repeatable: merged in order;
                              'host1,host2,' is a list of hosts)
  -f, --forks N               hosts worked on at once (default 5)
  -u, --user USER             login user where the inventory and the play name none
      --private-key FILE      SSH key where the inventory names none (also --key-file)
  -T, --timeout SECONDS       SSH connect timeout (default 10)
  -c, --connection ssh|local  how to reach hosts where the inventory does not say
      --ssh-common-args ARGS  ssh options (-o Key=Value, -J jump) where the inventory gives none
  -b, --become                run tasks with sudo unless they say become: false
      --become-user USER      the user to become (default root)
  -K, --ask-become-pass       ask for the sudo password (or set RUNBOOK_BECOME_PASSWORD)
  -k, --ask-pass              ask for the SSH login password
      --known-hosts FILE      known_hosts file to verify host keys against
      --host-key-checking M   strict (default) | accept-new | off
`;

export interface RunSettings {
  config: Config;
  inventories: string[];
  forks: number;
  logPath?: string;
  hostKeyChecking?: 'strict' | 'accept-new' | 'off';
  /** variables put under every host's own (see the top of the file) */
  defaults: Record<string, unknown>;
  /** -u / remote_user: the login user under plays' remote_user (so not one of `defaults`) */
  remoteUser?: string;
}

function str(v: ParsedArgs['values'][string]): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const last = v.at(-1);
    return typeof last === 'string' ? last : undefined;
  }
  return undefined;
}

function list(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** Flags, environment and configuration file → the settings of one run. */
export function runSettings(args: ParsedArgs, io: CommandIo, command: string): RunSettings {
  const v = args.values;
  const flags: FlagValues = {};
  const inv = list(v.inventory);
  if (inv.length > 0) flags.inventory = inv.join(',');
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('forks', str(v.forks));
  set('remote_user', str(v.user));
  set('private_key_file', str(v['private-key']) ?? str(v['key-file']));
  set('host_key_checking', str(v['host-key-checking']));
  set('timeout', str(v.timeout));
  set('log_path', str(v.log));
  if (v.become === true) flags.become = 'true';
  set('become_user', str(v['become-user']));
  set('ssh_common_args', str(v['ssh-common-args']));
  const config = loadConfig(io.cwd, io.env, flags);

  // -i on the command line is a list of files (each may be 'a,b,' host lists); from the
  // configuration a comma-separated list of paths, as ansible.cfg's `inventory`
  const inventories = inv.length > 0 ? inv : (setting(config, 'inventory') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (inventories.length === 0) {
    throw new UsageError(`runbook ${command}: missing -i INVENTORY (the hosts to run on); or set inventory in runbook.cfg or RUNBOOK_INVENTORY (see 'runbook config')`);
  }
  const defaults: Record<string, unknown> = {};
  const user = setting(config, 'remote_user');
  const key = setting(config, 'private_key_file');
  if (key !== undefined) defaults.ansible_ssh_private_key_file = resolve(io.cwd, key);
  const timeout = config.settings.get('timeout');
  if (timeout?.source !== 'default' && timeout?.value !== undefined) {
    const n = Number(timeout.value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`runbook ${command}: timeout must be a number of seconds > 0, got '${timeout.value}' (from ${timeout.source})`);
    defaults.ansible_timeout = n;
  }
  const connection = str(v.connection);
  if (connection !== undefined) {
    if (!['ssh', 'local', 'smart', 'paramiko'].includes(connection)) throw new UsageError(`runbook ${command}: -c/--connection must be ssh or local, got '${connection}'`);
    defaults.ansible_connection = connection;
  }
  const ssh = setting(config, 'ssh_common_args');
  if (ssh !== undefined) defaults.ansible_ssh_common_args = ssh;
  // only a value someone set: the default (never) is the transport's own
  const preopen = config.settings.get('ssh_preopen');
  if (preopen?.source !== 'default' && preopen?.value !== undefined) defaults.runbook_ssh_preopen = preopen.value;
  const mux = config.settings.get('ssh_mux');
  if (mux?.source !== 'default' && mux?.value !== undefined) defaults.runbook_ssh_mux = mux.value;
  if (boolOf(config, 'become')) defaults.ansible_become = true;
  const becomeUser = config.settings.get('become_user');
  if (becomeUser?.source !== 'default' && becomeUser?.value !== undefined) defaults.ansible_become_user = becomeUser.value;
  const hkc = hostKeyCheckingOf(config);
  const logPath = setting(config, 'log_path');
  return {
    config,
    inventories,
    forks: forksOf(config),
    ...(logPath !== undefined ? { logPath: resolve(io.cwd, logPath) } : {}),
    ...(hkc !== undefined ? { hostKeyChecking: hkc } : {}),
    ...(user !== undefined ? { remoteUser: user } : {}),
    defaults,
  };
}

/** `-i 'web1,web2,'` is a host list (Ansible), anything else a path. */
export function inventoryTarget(arg: string, cwd: string): string {
  return arg.includes(',') ? arg : resolve(cwd, arg);
}

/**
 * Several -i, merged in order as Ansible does: hosts and groups are the union; a host or
 * group in two inventories gets the variables of both, the later inventory winning.
 */
export async function loadInventories(args: readonly string[], cwd: string): Promise<Inventory> {
  const loaded: Inventory[] = [];
  for (const a of args) loaded.push(await loadInventory(inventoryTarget(a, cwd)));
  const [first, ...rest] = loaded;
  if (first === undefined) throw new UsageError('missing -i INVENTORY');
  if (rest.length === 0) return first;
  const hosts = new Map<string, InventoryHost>();
  const groups = new Map<string, InventoryGroup>();
  const warnings = [];
  for (const inv of loaded) {
    warnings.push(...(inv.warnings ?? []));
    for (const h of inv.hosts.values()) {
      const had = hosts.get(h.name);
      hosts.set(h.name, had ? { ...had, vars: { ...had.vars, ...h.vars }, groups: [...new Set([...had.groups, ...h.groups])] } : { ...h });
    }
    for (const g of inv.groups.values()) {
      const had = groups.get(g.name);
      groups.set(
        g.name,
        had ? { name: g.name, hosts: [...new Set([...had.hosts, ...g.hosts])], children: [...new Set([...had.children, ...g.children])], vars: { ...had.vars, ...g.vars } } : { ...g },
      );
    }
  }
  return { source: loaded.map((i) => i.source).join(', '), hosts, groups, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** Put `defaults` under every host's variables (see the top of the file). */
export function withDefaults(inventory: Inventory, defaults: Record<string, unknown>): Inventory {
  if (Object.keys(defaults).length === 0) return inventory;
  for (const h of inventory.hosts.values()) h.vars = { ...defaults, ...h.vars };
  return inventory;
}

/** The passwords a run asks for before anything connects (-K, -k; RUNBOOK_BECOME_PASSWORD). */
export interface Credentials {
  becomePassword?: string;
  sshPassword?: string;
}

export async function askCredentials(values: ParsedArgs['values'], io: CommandIo): Promise<Credentials> {
  let becomePassword = io.env.RUNBOOK_BECOME_PASSWORD || undefined;
  if (values['ask-become-pass'] === true) becomePassword = await askHidden(io, 'BECOME password: ', '--ask-become-pass needs a terminal; set RUNBOOK_BECOME_PASSWORD instead');
  const sshPassword = values['ask-pass'] === true ? await askHidden(io, 'SSH password: ', '--ask-pass needs a terminal; set ansible_password in the inventory (vaulted) instead') : undefined;
  return { ...(becomePassword ? { becomePassword } : {}), ...(sshPassword !== undefined ? { sshPassword } : {}) };
}

/** What the transport factory gets from the flags: one place, so every command connects alike. */
export function connectionOverrides(values: ParsedArgs['values'], io: CommandIo, settings: Pick<RunSettings, 'hostKeyChecking'>, creds: Credentials): ConnectionOverrides {
  const knownHosts = typeof values['known-hosts'] === 'string' ? resolve(io.cwd, values['known-hosts']) : undefined;
  return {
    ...(knownHosts ? { knownHosts } : {}),
    ...(settings.hostKeyChecking ? { hostKeyChecking: settings.hostKeyChecking } : {}),
    ...(creds.becomePassword ? { becomePassword: creds.becomePassword } : {}),
    ...(creds.sshPassword !== undefined ? { password: creds.sshPassword } : {}),
    env: io.env,
  };
}
