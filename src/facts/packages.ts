// package_facts' probe: the installed packages as dpkg knows them, in one command. Ansible's apt
// manager reads the same database through python-apt; runbook runs no Python on hosts.
import { rawCommand } from '../transport/command.js';
import type { Fact } from './types.js';
import { sectionMap } from './sections.js';

export interface PackageInfo {
  name: string;
  version: string;
  arch: string;
  category: string;
  source: 'apt';
}

export interface PackagesState {
  /** dpkg-query is there (the apt manager can answer) */
  apt: boolean;
  packages: Record<string, PackageInfo[]>;
}

const SCRIPT = `if command -v dpkg-query >/dev/null 2>&1; then
echo '@@arch'; dpkg --print-architecture
echo '@@dpkg'; dpkg-query -W -f='\${db:Status-Abbrev}\\t\${Package}\\t\${Version}\\t\${Architecture}\\t\${Section}\\n'
fi
:`;

export const packagesFact: Fact<PackagesState> = {
  name: 'packages',
  command: rawCommand(SCRIPT),
  parse: (stdout) => parsePackages(stdout),
};

export function parsePackages(stdout: string): PackagesState {
  const m = sectionMap(stdout);
  const dpkg = m.get('dpkg');
  if (!dpkg) return { apt: false, packages: {} };
  const native = (m.get('arch')?.[0] ?? '').trim();
  const packages: Record<string, PackageInfo[]> = {};
  for (const line of dpkg) {
    const [status = '', name = '', version = '', arch = '', category = ''] = line.split('\t');
    // second letter of the abbreviated status: n (not installed) and c (only config files) are not installed
    if (!name || status.length < 2 || 'nc'.includes(status[1] ?? 'n')) continue;
    // python-apt names a foreign-architecture package `name:arch`, as Ansible reports it
    const key = arch === native || arch === 'all' || !arch ? name : `${name}:${arch}`;
    (packages[key] ??= []).push({ name: key, version, arch, category, source: 'apt' });
  }
  return { apt: true, packages };
}
