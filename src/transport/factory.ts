// From inventory variables (Ansible's names), ~/.ssh/config and command-line flags to a
// ConnectionSpec, and from a spec to a Transport.
//
// Precedence, highest first: CLI overrides > inventory variables (ansible_*, runbook_*) >
// `ansible_ssh_common_args` / `ansible_ssh_extra_args` > ssh config > defaults.
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { ValidationError } from '../util/errors.js';
import { parseAnsibleBool } from '../util/booleans.js';
import { LocalTransport } from './local.js';
import { parseJumpList, parseSshArgs, SshArgsError, type JumpTarget, type SshArgs } from './ssh-args.js';
import { all, defaultSshConfigFiles, expandPath, first, lookupSshConfig, type SshConfigValues } from './ssh-config.js';
import { SshTransport, type SshTransportOptions } from './ssh.js';
import type { ConnectionSpec, PreopenMode, Transport } from './types.js';

export type HostKeyChecking = ConnectionSpec['hostKeyChecking'];

export interface ConnectionOverrides {
  /** --known-hosts PATH: the only known_hosts file used (and written by accept-new) */
  knownHosts?: string;
  /** --host-key-checking */
  hostKeyChecking?: HostKeyChecking;
  /** --ask-become-pass (or an env var read by the CLI) */
  becomePassword?: string;
  /** -u / --user */
  user?: string;
  /** --private-key */
  privateKey?: string;
  /** passphrase of the key files (prompt); RUNBOOK_SSH_KEY_PASSPHRASE otherwise */
  privateKeyPassphrase?: string;
  /** ssh login password (--ask-pass) */
  password?: string;
  connectTimeoutMs?: number;
  connectRetries?: number;
  keepaliveIntervalMs?: number;
  maxChannels?: number;
  /** SSH handshakes in progress at once, process-wide (see ConnectionSpec.maxHandshakes); RUNBOOK_MAX_HANDSHAKES otherwise */
  maxHandshakes?: number;
  /** ssh config files to read; default ~/.ssh/config then /etc/ssh/ssh_config */
  sshConfigFiles?: string[];
  /** environment to read SSH_AUTH_SOCK, RUNBOOK_SSH_KEY_PASSPHRASE, RUNBOOK_BECOME_PASSWORD from; default process.env */
  env?: Record<string, string | undefined>;
}

export const DEFAULTS = {
  connectTimeoutMs: 10_000,
  connectRetries: 2,
  keepaliveIntervalMs: 15_000,
  maxChannels: 8,
} as const;

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

const bool = parseAnsibleBool;

function num(v: unknown, what: string, host: string): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new ValidationError(`${host}: ${what} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

const PREOPEN_MODES: readonly PreopenMode[] = ['never', 'auto', 'always'];

/** runbook_ssh_preopen: never | auto | always (Ansible booleans: true = auto, false = never). */
function preopenOf(v: unknown, host: string): PreopenMode | undefined {
  if (typeof v === 'boolean') return v ? 'auto' : 'never';
  const s = str(v)?.trim().toLowerCase();
  if (s === undefined) return undefined;
  if ((PREOPEN_MODES as readonly string[]).includes(s)) return s as PreopenMode;
  const b = bool(s);
  if (b !== undefined) return b ? 'auto' : 'never';
  throw new ValidationError(`${host}: runbook_ssh_preopen must be never, auto or always, got ${JSON.stringify(v)}`);
}

function portOf(v: unknown, what: string, host: string): number | undefined {
  const n = num(v, what, host);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ValidationError(`${host}: ${what} must be a port number (1-65535), got ${JSON.stringify(v)}`);
  return n;
}

/** ssh's StrictHostKeyChecking values → our modes (`ask` cannot prompt here: strict). */
export function hostKeyCheckingFrom(value: string | boolean | undefined): HostKeyChecking | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'strict' : 'off';
  const s = value.trim().toLowerCase();
  if (s === 'ask' || s === 'strict') return 'strict';
  if (s === 'accept-new') return 'accept-new';
  const b = parseAnsibleBool(s);
  return b === undefined ? undefined : b ? 'strict' : 'off';
}

function sshArgsOf(host: string, vars: Record<string, unknown>): SshArgs {
  const text = ['ansible_ssh_common_args', 'ansible_ssh_extra_args']
    .map((k) => str(vars[k]))
    .filter((s): s is string => s !== undefined)
    .join(' ');
  try {
    return parseSshArgs(text);
  } catch (e) {
    if (e instanceof SshArgsError) throw new ValidationError(`${host}: ansible_ssh_common_args: ${e.message}`);
    throw e;
  }
}

function jumpList(host: string, value: unknown): JumpTarget[] | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    if (Array.isArray(value)) return value.map((v) => str(v)).filter((s): s is string => s !== undefined).flatMap(parseJumpList);
    const s = str(value);
    return s === undefined ? undefined : parseJumpList(s);
  } catch (e) {
    if (e instanceof SshArgsError) throw new ValidationError(`${host}: runbook_jump_hosts: ${e.message}`);
    throw e;
  }
}

function defaultIdentities(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'].map((f) => `${home}/.ssh/${f}`).filter((f) => existsSync(f));
}

/** Resolve how to reach one inventory host. Throws ValidationError for unusable settings. */
export function resolveConnection(host: { name: string; vars: Record<string, unknown> }, overrides: ConnectionOverrides = {}): ConnectionSpec {
  const { name, vars } = host;
  const env = overrides.env ?? process.env;
  const home = homedir();

  const connectionVar = str(vars.ansible_connection) ?? 'ssh';
  let connection: ConnectionSpec['connection'];
  if (connectionVar === 'local') connection = 'local';
  else if (['ssh', 'smart', 'paramiko', 'paramiko_ssh'].includes(connectionVar)) connection = 'ssh';
  else throw new ValidationError(`${name}: ansible_connection "${connectionVar}" is not supported (runbook speaks ssh and local)`);

  const becomeMethod = str(vars.ansible_become_method);
  if (becomeMethod !== undefined && becomeMethod !== 'sudo') {
    throw new ValidationError(`${name}: ansible_become_method "${becomeMethod}" is not supported (only sudo)`);
  }

  const args = sshArgsOf(name, vars);
  const configFiles = overrides.sshConfigFiles ?? (args.configFile ? [expandPath(args.configFile, { home })] : defaultSshConfigFiles(home));

  const lookupName = str(vars.ansible_host) ?? str(vars.ansible_ssh_host) ?? name;
  const varUser = str(vars.ansible_user) ?? str(vars.ansible_ssh_user);
  const cfg: SshConfigValues = connection === 'ssh' ? lookupSshConfig(lookupName, configFiles, overrides.user ?? varUser ?? args.user) : {};

  const address = first(cfg, 'hostname') ?? lookupName;
  const port = portOf(vars.ansible_port ?? vars.ansible_ssh_port, 'ansible_port', name) ?? args.port ?? portOf(first(cfg, 'port'), 'Port in ssh config', name) ?? 22;
  const user = overrides.user ?? varUser ?? args.user ?? first(cfg, 'user') ?? userInfo().username;
  const ctx = { host: address, user, port, home };

  // key files
  const identitiesOnly = bool(args.options.get('identitiesonly') ?? first(cfg, 'identitiesonly')) ?? false;
  const varKey = str(vars.ansible_ssh_private_key_file) ?? str(vars.ansible_private_key_file);
  let privateKeyFiles: string[];
  if (overrides.privateKey !== undefined) privateKeyFiles = [overrides.privateKey];
  else if (varKey !== undefined) privateKeyFiles = [varKey];
  else if (args.identityFiles.length > 0) privateKeyFiles = args.identityFiles;
  else if (all(cfg, 'identityfile').length > 0) privateKeyFiles = all(cfg, 'identityfile');
  else privateKeyFiles = defaultIdentities(home);
  privateKeyFiles = [...new Set(privateKeyFiles.map((f) => expandPath(f, ctx)))];

  // agent: SSH_AUTH_SOCK unless IdentitiesOnly or IdentityAgent none
  const identityAgent = args.options.get('identityagent') ?? first(cfg, 'identityagent');
  let agent: string | undefined;
  if (identityAgent !== undefined && identityAgent.toLowerCase() !== 'ssh_auth_sock') {
    agent = identityAgent.toLowerCase() === 'none' ? undefined : expandPath(identityAgent, ctx);
  } else if (!identitiesOnly) {
    agent = env.SSH_AUTH_SOCK || undefined;
  }

  // known_hosts
  const splitFiles = (v: string): string[] => v.split(/\s+/).filter((s) => s !== '').map((f) => expandPath(f, ctx));
  const explicitKnownHosts = overrides.knownHosts ?? str(vars.runbook_known_hosts_file);
  let knownHostsFiles: string[];
  if (explicitKnownHosts !== undefined) knownHostsFiles = [expandPath(explicitKnownHosts, ctx)];
  else {
    // ssh-config gives a multi-file value as an array, -o gives one string
    const fileList = (key: string): string[] | undefined => {
      const fromArgs = args.options.get(key);
      const values = fromArgs !== undefined ? [fromArgs] : all(cfg, key);
      return values.length > 0 ? values.flatMap(splitFiles) : undefined;
    };
    knownHostsFiles = [
      ...(fileList('userknownhostsfile') ?? [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`]),
      ...(fileList('globalknownhostsfile') ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    ];
  }
  const hostKeyChecking: HostKeyChecking =
    overrides.hostKeyChecking ??
    hostKeyCheckingFrom(str(vars.runbook_host_key_checking)) ??
    hostKeyCheckingFrom(args.options.get('stricthostkeychecking')) ??
    hostKeyCheckingFrom(first(cfg, 'stricthostkeychecking')) ??
    (bool(vars.ansible_host_key_checking) === false ? 'off' : undefined) ??
    'strict';
  const hashKnownHosts = bool(args.options.get('hashknownhosts') ?? first(cfg, 'hashknownhosts')) ?? false;

  // jump hosts, each resolved through ssh config like ssh does for ProxyJump aliases
  let jumpTargets = jumpList(name, vars.runbook_jump_hosts) ?? args.jump;
  if (jumpTargets === undefined) {
    const pj = first(cfg, 'proxyjump');
    if (pj !== undefined) jumpTargets = parseJumpList(pj);
  }
  const jump = (jumpTargets ?? []).map((j) => {
    const jc = connection === 'ssh' ? lookupSshConfig(j.host, configFiles, j.user) : {};
    const jUser = j.user ?? first(jc, 'user') ?? user;
    const jPort = j.port ?? portOf(first(jc, 'port'), `Port in ssh config for ${j.host}`, name) ?? 22;
    const jAddress = first(jc, 'hostname') ?? j.host;
    const jKeys = all(jc, 'identityfile').map((f) => expandPath(f, { host: jAddress, user: jUser, port: jPort, home }));
    return { address: jAddress, port: jPort, user: jUser, privateKeyFiles: [...new Set([...jKeys, ...privateKeyFiles])] };
  });

  const timeoutSec =
    num(vars.ansible_ssh_timeout ?? vars.ansible_timeout, 'ansible_timeout', name) ??
    num(args.options.get('connecttimeout') ?? first(cfg, 'connecttimeout'), 'ConnectTimeout', name);
  const aliveSec = num(args.options.get('serveraliveinterval') ?? first(cfg, 'serveraliveinterval'), 'ServerAliveInterval', name);

  const becomePassword =
    overrides.becomePassword ?? str(vars.ansible_become_password) ?? str(vars.ansible_become_pass) ?? str(vars.ansible_sudo_pass) ?? (env.RUNBOOK_BECOME_PASSWORD || undefined);
  const become: ConnectionSpec['become'] = { enabled: bool(vars.ansible_become) ?? false, method: 'sudo' };
  const becomeUser = str(vars.ansible_become_user);
  if (becomeUser !== undefined) become.user = becomeUser;
  if (becomePassword !== undefined) become.password = becomePassword;

  const spec: ConnectionSpec = {
    host: name,
    connection,
    address: connection === 'local' ? 'localhost' : address,
    port,
    user: connection === 'local' ? userInfo().username : user,
    privateKeyFiles,
    knownHostsFiles,
    hostKeyChecking,
    jump,
    connectTimeoutMs: overrides.connectTimeoutMs ?? (timeoutSec !== undefined ? timeoutSec * 1000 : DEFAULTS.connectTimeoutMs),
    connectRetries: overrides.connectRetries ?? DEFAULTS.connectRetries,
    keepaliveIntervalMs: overrides.keepaliveIntervalMs ?? (aliveSec !== undefined && aliveSec > 0 ? aliveSec * 1000 : DEFAULTS.keepaliveIntervalMs),
    maxChannels: overrides.maxChannels ?? num(vars.runbook_max_channels, 'runbook_max_channels', name) ?? DEFAULTS.maxChannels,
    become,
    hashKnownHosts,
  };
  const passphrase = overrides.privateKeyPassphrase ?? (env.RUNBOOK_SSH_KEY_PASSPHRASE || undefined);
  if (passphrase !== undefined) spec.privateKeyPassphrase = passphrase;
  const password = overrides.password ?? str(vars.ansible_ssh_pass) ?? str(vars.ansible_ssh_password) ?? str(vars.ansible_password);
  if (password !== undefined) spec.password = password;
  if (agent !== undefined) spec.agent = agent;
  const preopen = preopenOf(vars.runbook_ssh_preopen, name);
  if (preopen !== undefined) spec.preopen = preopen;
  const mux = bool(vars.runbook_ssh_mux);
  if (vars.runbook_ssh_mux !== undefined && mux === undefined) throw new ValidationError(`${name}: runbook_ssh_mux must be true or false, got ${JSON.stringify(vars.runbook_ssh_mux)}`);
  if (mux !== undefined) spec.mux = mux;
  const maxHandshakes = overrides.maxHandshakes ?? num(env.RUNBOOK_MAX_HANDSHAKES, 'RUNBOOK_MAX_HANDSHAKES', name);
  if (maxHandshakes !== undefined) {
    if (!Number.isInteger(maxHandshakes) || maxHandshakes < 1) {
      throw new ValidationError(`${name}: RUNBOOK_MAX_HANDSHAKES / maxHandshakes must be a positive integer, got ${JSON.stringify(maxHandshakes)}`);
    }
    spec.maxHandshakes = maxHandshakes;
  }
  return spec;
}

/** One transport per host; the engine keeps it for the whole run. */
export function createTransport(spec: ConnectionSpec, options: SshTransportOptions = {}): Transport {
  if (spec.connection === 'local') return new LocalTransport(spec.host);
  return new SshTransport(spec, options);
}

/** The spec with every secret replaced, for debug output. */
export function describeSpec(spec: ConnectionSpec): Record<string, unknown> {
  const { password, privateKeyPassphrase, become, ...rest } = spec;
  return {
    ...rest,
    ...(password !== undefined ? { password: '********' } : {}),
    ...(privateKeyPassphrase !== undefined ? { privateKeyPassphrase: '********' } : {}),
    become: { ...become, ...(become.password !== undefined ? { password: '********' } : {}) },
  };
}
