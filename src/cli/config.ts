// Defaults an operator sets once instead of on every command line: the inventory, forks, the
// login user, the key, host key checking, the connect timeout, become, the log file.
//
// Where they come from, the first that sets a value wins:
//   1. the command line (-i, -f, -u, --private-key, --host-key-checking, -T, -b, --become-user, --log)
//   2. the environment: RUNBOOK_<KEY> (RUNBOOK_FORKS=20), then Ansible's ANSIBLE_<KEY>
//   3. one configuration file, the first found of:
//        $RUNBOOK_CONFIG, ./runbook.cfg, ./ansible.cfg,
//        ${XDG_CONFIG_HOME:-~/.config}/runbook/runbook.cfg, ~/.ansible.cfg
//   4. runbook's defaults
//
// The file format is ansible.cfg's (INI, a [defaults] section, the same key names), so an
// existing project's ansible.cfg works as is and a runbook.cfg reads like one; keys runbook
// has no use for are listed by `runbook config` as ignored, never an error (an ansible.cfg
// holds many). Only one file is read, as Ansible does: no merging of several files.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseAnsibleBool } from '../util/booleans.js';
import { UsageError } from '../util/errors.js';

export interface SettingSpec {
  key: string;
  /** where in the file: [section] key (ansible.cfg names) */
  section: 'defaults' | 'privilege_escalation' | 'ssh_connection';
  /** environment variables, first wins (RUNBOOK_ before ANSIBLE_) */
  env: string[];
  /** the command-line flag that overrides it */
  flag: string;
  describe: string;
  fallback?: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  { key: 'inventory', section: 'defaults', env: ['RUNBOOK_INVENTORY', 'ANSIBLE_INVENTORY'], flag: '-i/--inventory', describe: 'inventory file(s), comma-separated' },
  { key: 'forks', section: 'defaults', env: ['RUNBOOK_FORKS', 'ANSIBLE_FORKS'], flag: '-f/--forks', describe: 'hosts worked on at once', fallback: '5' },
  { key: 'remote_user', section: 'defaults', env: ['RUNBOOK_REMOTE_USER', 'ANSIBLE_REMOTE_USER'], flag: '-u/--user', describe: 'login user where the inventory and play name none' },
  { key: 'private_key_file', section: 'defaults', env: ['RUNBOOK_PRIVATE_KEY_FILE', 'ANSIBLE_PRIVATE_KEY_FILE'], flag: '--private-key', describe: 'SSH key file where the inventory names none' },
  { key: 'host_key_checking', section: 'defaults', env: ['RUNBOOK_HOST_KEY_CHECKING', 'ANSIBLE_HOST_KEY_CHECKING'], flag: '--host-key-checking', describe: 'strict | accept-new | off (True = strict, False = off)', fallback: 'strict' },
  { key: 'timeout', section: 'defaults', env: ['RUNBOOK_TIMEOUT', 'ANSIBLE_TIMEOUT'], flag: '-T/--timeout', describe: 'SSH connect timeout in seconds', fallback: '10' },
  { key: 'log_path', section: 'defaults', env: ['RUNBOOK_LOG_PATH', 'ANSIBLE_LOG_PATH'], flag: '--log', describe: 'write a full run log here' },
  { key: 'history_keep', section: 'defaults', env: ['RUNBOOK_HISTORY_KEEP'], flag: '(none)', describe: 'runs kept in the run history (runbook history)', fallback: '500' },
  { key: 'history_keep_days', section: 'defaults', env: ['RUNBOOK_HISTORY_KEEP_DAYS'], flag: '(none)', describe: 'days a run is kept in the history (unset: no age limit)' },
  { key: 'become', section: 'privilege_escalation', env: ['RUNBOOK_BECOME', 'ANSIBLE_BECOME'], flag: '-b/--become', describe: 'run tasks with sudo unless they say otherwise', fallback: 'false' },
  { key: 'become_user', section: 'privilege_escalation', env: ['RUNBOOK_BECOME_USER', 'ANSIBLE_BECOME_USER'], flag: '--become-user', describe: 'user to become', fallback: 'root' },
  { key: 'roles_path', section: 'defaults', env: ['RUNBOOK_ROLES_PATH', 'ANSIBLE_ROLES_PATH'], flag: '(none)', describe: 'where roles are looked for after roles/ beside the playbook (colon-separated)', fallback: '~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles' },
  { key: 'collections_path', section: 'defaults', env: ['RUNBOOK_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATH'], flag: '(none)', describe: 'where ns.collection.role roles are looked for (colon-separated)', fallback: '~/.ansible/collections:/usr/share/ansible/collections' },
  { key: 'ssh_preopen', section: 'ssh_connection', env: ['RUNBOOK_SSH_PREOPEN'], flag: '(none)', describe: 'SSH sessions started ahead of their commands, one round trip saved per command on slow links: never | auto (round trip of 20 ms or more) | always; inventory: runbook_ssh_preopen', fallback: 'never' },
  { key: 'ssh_mux', section: 'ssh_connection', env: ['RUNBOOK_SSH_MUX'], flag: '(none)', describe: "a host's commands run in one bash loop on one SSH session once its login shell is known to be bash (no session, shell start and rc file per command): on | off; inventory: runbook_ssh_mux", fallback: 'on' },
  { key: 'ssh_common_args', section: 'ssh_connection', env: ['RUNBOOK_SSH_COMMON_ARGS', 'ANSIBLE_SSH_COMMON_ARGS'], flag: '--ssh-common-args', describe: 'extra ssh options (-o ..., -J ...) where the inventory gives none' },
];

export interface Setting {
  key: string;
  value?: string;
  /** "default", "-f", "env RUNBOOK_FORKS", "ansible.cfg:4" */
  source: string;
}

export interface Config {
  /** the file read, if any */
  file?: string;
  settings: Map<string, Setting>;
  /** keys in the file runbook does not use (file:line key) */
  ignored: string[];
}

interface IniEntry {
  value: string;
  line: number;
}

/** ansible.cfg's INI: [section], `key = value` or `key: value`, `#`/`;` comments. */
export function parseIni(text: string, file: string): Map<string, IniEntry> {
  const out = new Map<string, IniEntry>();
  let section = '';
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = (sec[1] ?? '').trim();
      return;
    }
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`${file}:${i + 1}:1: expected \`key = value\` or a [section], got: ${line.slice(0, 60)}`);
    if (section === '') throw new UsageError(`${file}:${i + 1}:1: \`${m[1] ?? ''}\` is outside any section; put it under [defaults]`);
    // an inline comment after a value: ` ;` or ` #` (as Python's configparser with inline prefixes)
    const value = (m[2] ?? '').replace(/\s+[;#].*$/, '').trim();
    out.set(`${section}.${m[1] ?? ''}`, { value, line: i + 1 });
  });
  return out;
}

/** The configuration file runbook reads in `cwd`, or undefined. */
export function findConfigFile(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.RUNBOOK_CONFIG) return resolve(cwd, env.RUNBOOK_CONFIG);
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  for (const f of [join(cwd, 'runbook.cfg'), join(cwd, 'ansible.cfg'), join(xdg, 'runbook', 'runbook.cfg'), join(home, '.ansible.cfg')]) {
    try {
      readFileSync(f);
      return f;
    } catch {
      // not there: the next one
    }
  }
  return undefined;
}

/** What one flag value (from the command line) was; undefined when the flag was not given. */
export type FlagValues = Partial<Record<string, string>>;

/** The effective settings: flags > environment > file > defaults, each with where it came from. */
export function loadConfig(cwd: string, env: NodeJS.ProcessEnv, flags: FlagValues = {}): Config {
  const file = findConfigFile(cwd, env);
  let entries = new Map<string, IniEntry>();
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the configuration file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}${env.RUNBOOK_CONFIG ? ' (named by RUNBOOK_CONFIG)' : ''}`);
    }
    entries = parseIni(text, file);
  }
  const settings = new Map<string, Setting>();
  const used = new Set<string>();
  for (const s of SETTINGS) {
    const fromFlag = flags[s.key];
    const envName = s.env.find((e) => env[e] !== undefined && env[e] !== '');
    const fileKey = `${s.section}.${s.key}`;
    // ansible.cfg also accepts privilege and ssh keys under [defaults]
    const entry = entries.get(fileKey) ?? entries.get(`defaults.${s.key}`);
    if (entry) used.add(entries.has(fileKey) ? fileKey : `defaults.${s.key}`);
    if (fromFlag !== undefined) settings.set(s.key, { key: s.key, value: fromFlag, source: s.flag });
    else if (envName !== undefined) settings.set(s.key, { key: s.key, value: env[envName] ?? '', source: `env ${envName}` });
    else if (entry !== undefined && file !== undefined) settings.set(s.key, { key: s.key, value: entry.value, source: `${file}:${entry.line}` });
    else settings.set(s.key, { key: s.key, ...(s.fallback !== undefined ? { value: s.fallback } : {}), source: 'default' });
  }
  const ignored = [...entries.entries()].filter(([k]) => !used.has(k)).map(([k, e]) => `${file ?? ''}:${e.line} ${k.replace('.', '] ').replace(/^/, '[')}`);
  return { ...(file !== undefined ? { file } : {}), settings, ignored };
}

/** A setting's value, or undefined when nothing set it and it has no default. */
export function setting(config: Config, key: string): string | undefined {
  return config.settings.get(key)?.value;
}

/**
 * roles_path / collections_path as directories: `~` expanded, a relative entry taken from the
 * configuration file's directory (as Ansible does) or else from `cwd`.
 */
export function pathListSetting(config: Config, key: 'roles_path' | 'collections_path', cwd: string, home: string = homedir()): string[] {
  const s = config.settings.get(key);
  const base = s?.source.includes(':') && config.file !== undefined ? dirname(config.file) : cwd;
  return (s?.value ?? '')
    .split(':')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : resolve(base, p)));
}

/** Where a setting's value came from, for messages ("--forks", "runbook.cfg:3"). */
export function sourceOf(config: Config, key: string): string {
  return config.settings.get(key)?.source ?? 'default';
}

/** forks as a number, with the source in the error. */
export function forksOf(config: Config): number {
  const raw = setting(config, 'forks') ?? '5';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`forks must be a whole number >= 1, got '${raw}' (from ${sourceOf(config, 'forks')})`);
  return n;
}

/** host_key_checking: Ansible's booleans (True = strict, False = off) or runbook's three words. */
export function hostKeyCheckingOf(config: Config): 'strict' | 'accept-new' | 'off' | undefined {
  const s = config.settings.get('host_key_checking');
  if (s === undefined || s.source === 'default' || s.value === undefined) return undefined;
  const v = s.value.trim().toLowerCase();
  if (v === 'strict' || v === 'accept-new' || v === 'off') return v;
  const b = parseAnsibleBool(v);
  if (b === true) return 'strict';
  if (b === false) return 'off';
  throw new UsageError(`host_key_checking must be strict, accept-new, off (or True/False), got '${s.value}' (from ${s.source})`);
}

/** A boolean setting (become), with the source in the error. */
export function boolOf(config: Config, key: string): boolean {
  const s = config.settings.get(key);
  const b = parseAnsibleBool(s?.value ?? 'false');
  if (b === undefined) throw new UsageError(`${key} must be true or false, got '${s?.value ?? ''}' (from ${s?.source ?? 'default'})`);
  return b;
}

/** `runbook config`: every setting, its value and where it came from. */
export function formatConfig(config: Config): string {
  const width = Math.max(...SETTINGS.map((s) => s.key.length));
  const lines = [config.file !== undefined ? `configuration file: ${config.file}` : 'configuration file: none (looked for $RUNBOOK_CONFIG, ./runbook.cfg, ./ansible.cfg, ~/.config/runbook/runbook.cfg, ~/.ansible.cfg)', ''];
  for (const s of SETTINGS) {
    const v = config.settings.get(s.key);
    lines.push(`${s.key.padEnd(width)}  ${(v?.value ?? '(not set)').padEnd(24)}  ${v?.source ?? 'default'}`);
  }
  if (config.ignored.length > 0) {
    lines.push('', 'ignored (runbook has no use for these keys):');
    for (const i of config.ignored) lines.push(`  ${i}`);
  }
  return lines.join('\n') + '\n';
}
