// Facts as template variables, under Ansible's names, so playbooks written for Ansible read
// them unchanged: `ansible_facts.distribution` and the top-level `ansible_distribution`.
// Facts modules return (setup, service_facts, package_facts, getent) join them as Ansible's
// namespace_facts + inject_facts_as_vars do: `services` is `ansible_facts.services` and the
// top-level `services`; `ansible_distribution` is `ansible_facts.distribution` and itself.
import type { HostFacts } from './types.js';

/** The gathered facts and the facts modules returned (names as the module returned them) as variables. */
export function factVars(facts: HostFacts | undefined, moduleFacts?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const gathered = gatheredVars(facts);
  if (!moduleFacts || Object.keys(moduleFacts).length === 0) return gathered;
  const ns: Record<string, unknown> = { ...(gathered.ansible_facts as Record<string, unknown> | undefined) };
  const vars: Record<string, unknown> = { ...gathered };
  // the later answer wins: the engine drops a module's fact when gathering again produces it
  for (const [k, v] of Object.entries(moduleFacts)) {
    ns[k.startsWith('ansible_') ? k.slice('ansible_'.length) : k] = v;
    vars[k] = v;
  }
  vars.ansible_facts = ns;
  return vars;
}

function gatheredVars(facts: HostFacts | undefined): Record<string, unknown> {
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
