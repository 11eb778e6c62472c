// setup: gather facts as an explicit task (gather_subset, filter, fact_path), with the engine's own
// gathering command (src/facts/gather.ts) and local facts from fact_path. The facts it returns
// join the host's facts (ansible_facts.X and ansible_X) for the next tasks, as Ansible's do.
import { combineFacts } from '../facts/combine.js';
import { factVars } from '../facts/facts-vars.js';
import { hostFactsCommand, parseHostFacts } from '../facts/gather.js';
import { localFactsFact } from '../facts/local-facts.js';
import type { Fact, HostFacts } from '../facts/types.js';
import { globToRegExp } from '../util/glob.js';
import { failPlan, type Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { listSchema, toList } from './util/args.js';
import { defineModule } from './runner.js';

export interface SetupArgs {
  gather_subset?: string[] | string;
  gather_timeout?: number;
  filter?: string[] | string;
  fact_path?: string;
}

export interface SetupState {
  facts: HostFacts;
  local: Record<string, unknown>;
}

/** Ansible's minimal subset: always collected unless `!min` */
const MIN = ['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'];
const GROUPS = ['hardware', 'network', 'virtual', 'ohai', 'facter'];
const OTHER = ['devices', 'dmi', 'mounts', 'interfaces', 'system', 'chroot', 'loadavg', 'iscsi', 'nvme', 'fibre_channel_wwn', 'default_ipv4', 'all_ipv4_addresses', 'all_ipv6_addresses'];
const VALID = new Set(['all', 'min', ...MIN, ...GROUPS, ...OTHER]);

/** Which subset each gathered fact belongs to (Ansible's collector for it). */
function subsetOf(key: string): string {
  if (['all_ipv4_addresses', 'all_ipv6_addresses', 'default_ipv4', 'interfaces'].includes(key)) return 'network';
  if (key.startsWith('distribution') || key === 'os_family') return 'distribution';
  if (key.startsWith('python')) return 'python';
  if (key === 'user_id') return 'user';
  if (key === 'pkg_mgr' || key === 'service_mgr') return key;
  return 'platform';
}

/**
 * The subsets gather_subset asks for (Ansible's get_collector_names): the names added (none and
 * no `!all`: all of them), the minimal subset unless `!min`, minus the names excluded one by one;
 * `!all`/`!min` only drop what was not asked for by name.
 */
export function subsetsOf(gatherSubset: readonly string[]): Set<string> | string {
  const add = new Set<string>();
  const exclude = new Set<string>();
  let noAll = false;
  let noMin = false;
  for (const raw of gatherSubset) {
    const neg = raw.startsWith('!');
    const name = neg ? raw.slice(1) : raw;
    if (!VALID.has(name)) return `Bad subset '${name}' given to Ansible. gather_subset options allowed: ${[...VALID].sort().join(', ')}`;
    if (name === 'all' && neg) noAll = true;
    else if (name === 'all') VALID.forEach((n) => add.add(n));
    else if (name === 'min' && neg) noMin = true;
    else if (name === 'min') MIN.forEach((n) => add.add(n));
    else (neg ? exclude : add).add(name);
  }
  if (add.size === 0 && !noAll) VALID.forEach((n) => add.add(n));
  if (!noMin) MIN.forEach((n) => add.add(n));
  for (const n of exclude) add.delete(n);
  return add;
}

export function planSetup(args: SetupArgs, st: SetupState): Plan {
  const given = args.gather_subset === undefined ? ['all'] : toList(args.gather_subset);
  const subsets = subsetsOf(given);
  if (typeof subsets === 'string') return failPlan(subsets);
  const patterns = toList(args.filter).map((p) => globToRegExp(p));
  const vars = factVars(st.facts);
  const ns = (vars.ansible_facts ?? {}) as Record<string, unknown>;
  const facts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ns)) if (subsets.has(subsetOf(k))) facts[`ansible_${k}`] = v;
  if (subsets.has('local')) facts.ansible_local = st.local;
  const kept = patterns.length === 0 ? facts : Object.fromEntries(Object.entries(facts).filter(([k]) => patterns.some((p) => p.test(k))));
  // Ansible always returns which subsets were asked and that setup ran
  const ansibleFacts = { ...kept, gather_subset: given, module_setup: true };
  return { commands: [], msg: `${Object.keys(kept).length} facts`, facts: { ansible_facts: ansibleFacts } };
}

const gatherFact: Fact<HostFacts> = { name: 'setup', command: hostFactsCommand, parse: (stdout) => parseHostFacts(stdout) };

/** The gathering command and the local facts, in one round trip. */
function setupFact(factPath: string): Fact<SetupState> {
  const both = combineFacts([gatherFact, localFactsFact(factPath)] as const, 'setup');
  return {
    name: 'setup',
    command: both.command,
    parse(o, e, c) {
      const [facts, local] = both.parse(o, e, c);
      return { facts, local };
    },
  };
}

export const setupModule = defineModule<SetupArgs, SetupState>({
  name: 'setup',
  schema: moduleSchema({
    properties: {
      gather_subset: listSchema('subsets to collect: `all`, `min`, `network`, `hardware`, ..., or a name with `!` to leave it out; the minimal facts are always there unless `!min`; default `all`'),
      gather_timeout: { type: 'integer', minimum: 1, default: 10, description: 'accepted for Ansible content; runbook gathers in one command with its own time limit' },
      filter: listSchema('only facts whose name (`ansible_...`) matches one of these shell-style patterns; default all'),
      fact_path: { type: 'string', default: '/etc/ansible/facts.d', description: 'directory of local facts (`*.fact`: JSON or INI, or an executable printing JSON), returned as ansible_local' },
    },
  }),
  doc: {
    short: 'Gather facts about the host as a task (gather_subset, filter, fact_path)',
    description:
      'The play\'s fact gathering as an explicit task, with the same one command (src/facts/gather.ts) plus the local facts under fact_path (`ansible_local`: each `NAME.fact`, run when executable, read as JSON, else INI). gather_subset and filter choose what is returned, as Ansible\'s do: the minimal subset unless `!min`; `network` holds the addresses. The facts join the host\'s: `ansible_facts.distribution` and `ansible_distribution` for the next tasks. Runbook gathers fewer facts than Ansible: hardware, virtual, mounts, devices, dns, env and date_time are not collected.',
    returns: { ansible_facts: 'the facts, named `ansible_...`, plus `gather_subset` and `module_setup`' },
    example: "- setup:\n    gather_subset: ['!all', 'network']\n    filter: ['ansible_distribution*', 'ansible_all_ipv4_addresses']",
  },
  probe: (args) => setupFact(args.fact_path ?? '/etc/ansible/facts.d'),
  plan: planSetup,
});
