// package_facts: the installed packages as Ansible's ansible_facts.packages (name → list of
// {name, version, arch, category, source}); the apt manager, read from dpkg in one probe.
import { packagesFact, type PackagesState } from '../facts/packages.js';
import { failPlan, type Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { listSchema, toList } from './util/args.js';
import { defineModule } from './runner.js';

export interface PackageFactsArgs {
  manager?: string[] | string;
  strategy?: 'first' | 'all';
}

/** Ansible's manager names; runbook answers for apt (and auto where apt is there). */
const MANAGERS = ['auto', 'apt', 'rpm', 'yum', 'dnf', 'dnf5', 'zypper', 'portage', 'pkg', 'pkg5', 'pkgng', 'pacman', 'apk', 'pkg_info', 'openbsd_pkg'];

export function planPackageFacts(args: PackageFactsArgs, st: PackagesState): Plan {
  const managers = args.manager === undefined ? ['auto'] : toList(args.manager);
  const unknown = managers.filter((m) => !MANAGERS.includes(m));
  if (unknown.length > 0) return failPlan(`package_facts: unknown manager ${unknown.join(', ')} (one of ${MANAGERS.join(', ')})`);
  const other = managers.filter((m) => m !== 'auto' && m !== 'apt');
  if (other.length > 0 && !managers.includes('auto') && !managers.includes('apt')) {
    return failPlan(`package_facts: manager ${other.join(', ')} is not supported by runbook (apt only)`);
  }
  if (!st.apt) {
    return failPlan(managers.includes('auto') ? `Could not detect a supported package manager from the following list: ['apt'], or the required Python library is not installed. Check warnings for details.` : 'Unable to use apt: dpkg-query is not on this host');
  }
  const n = Object.keys(st.packages).length;
  const warnings = other.length > 0 ? [`package_facts: manager ${other.join(', ')} is not supported by runbook: only apt was asked`] : undefined;
  return { commands: [], msg: `${n} packages (apt)`, facts: { ansible_facts: { packages: st.packages } }, ...(warnings ? { warnings } : {}) };
}

export const packageFactsModule = defineModule<PackageFactsArgs, PackagesState>({
  name: 'package_facts',
  schema: moduleSchema({
    properties: {
      manager: listSchema('package manager(s) to ask: `auto` or `apt` (the others Ansible knows are refused: runbook reads dpkg); default `auto`'),
      strategy: { type: 'string', enum: ['first', 'all'], default: 'first', description: '`first` supported manager or `all` (one manager here: the same)' },
    },
  }),
  doc: {
    short: 'Return the installed packages as facts (ansible_facts.packages)',
    description:
      'One probe reads dpkg\'s database (`dpkg-query`), as Ansible\'s apt manager reads it through python-apt: every installed package (not removed, not only config files) as `{name, version, arch, category, source: apt}` in a list under its name (a foreign-architecture package under `name:arch`). The facts are `ansible_facts.packages` and `packages` for the next tasks. Not returned: `origin` (it needs apt\'s cache). Managers other than apt are refused with a clear message.',
    returns: { ansible_facts: '`packages`: name → list of {name, version, arch, category, source}' },
    example: "- package_facts:\n    manager: auto\n- debug:\n    msg: \"{{ ansible_facts.packages['openssh-server'][0].version }}\"",
  },
  probe: () => packagesFact,
  plan: planPackageFacts,
});
