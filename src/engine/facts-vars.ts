// Facts as template variables, under Ansible's names, so playbooks written for Ansible read
// them unchanged: `ansible_facts.distribution` and the top-level `ansible_distribution`.
import type { HostFacts } from '../facts/types.js';

export function factVars(facts: HostFacts | undefined): Record<string, unknown> {
  if (!facts) return {};
  const f: Record<string, unknown> = {
    ...facts.extra,
    system: facts.system,
    kernel: facts.kernel,
    architecture: facts.architecture,
    machine: facts.architecture,
    hostname: facts.hostname,
    nodename: facts.hostname,
    fqdn: facts.fqdn,
    distribution: facts.distribution,
    distribution_version: facts.distributionVersion,
    distribution_major_version: facts.distributionVersion.split('.')[0] ?? facts.distributionVersion,
    distribution_release: facts.distributionRelease,
    os_family: facts.osFamily,
    service_mgr: facts.serviceMgr,
    pkg_mgr: facts.pkgMgr,
    all_ipv4_addresses: facts.ipv4,
    all_ipv6_addresses: facts.ipv6,
    default_ipv4: facts.extra?.default_ipv4 ?? (facts.defaultIpv4 ? { address: facts.defaultIpv4 } : {}),
    user_id: facts.user,
    python_available: facts.pythonAvailable,
  };
  if (facts.python) {
    const v = facts.python.version;
    f.python = { executable: facts.python.executable, type: facts.python.type, has_sslcontext: true, version: v, version_info: [v.major, v.minor, v.micro, v.releaselevel, v.serial] };
    f.python_version = `${v.major}.${v.minor}.${v.micro}`;
  }
  const vars: Record<string, unknown> = { ansible_facts: f };
  for (const [k, v] of Object.entries(f)) vars[`ansible_${k}`] = v;
  return vars;
}
