// hostname: the host's name, now (the kernel's) and at boot (/etc/hostname). Strategy `systemd`
// (hostnamectl, where systemd runs) or `debian` (/etc/hostname + `hostname NAME`), picked as
// Ansible picks for Debian when `use` is not given. One probe; sets ansible_hostname & co.
import { sh, type ShellCommand } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { sectionMap } from '../facts/sections.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface HostnameArgs {
  name: string;
  use?: 'systemd' | 'debian' | 'generic';
}

export interface HostnameState {
  /** `hostname` (the kernel's name now) */
  current: string;
  /** /etc/hostname's first line ('' when missing) */
  permanent: string;
  /** systemd runs and hostnamectl is there */
  systemd: boolean;
}

export const hostnameFact: Fact<HostnameState> = {
  name: 'hostname',
  command: sh`echo '@@current'; hostname; echo '@@permanent'; [ -f /etc/hostname ] && head -n1 /etc/hostname; echo '@@sd'; if [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null 2>&1; then echo yes; fi; :`,
  parse(stdout) {
    const m = sectionMap(stdout);
    return { current: (m.get('current')?.[0] ?? '').trim(), permanent: (m.get('permanent')?.[0] ?? '').trim(), systemd: m.get('sd')?.[0] === 'yes' };
  },
};

/** What gather_facts would say after the change (Ansible returns these as ansible_facts). */
function hostnameFacts(name: string): Record<string, unknown> {
  const short = name.split('.')[0] ?? name;
  return { ansible_hostname: short, ansible_nodename: name, ansible_fqdn: name, ansible_domain: name.includes('.') ? name.slice(name.indexOf('.') + 1) : '' };
}

export function planHostname(args: HostnameArgs, st: HostnameState, _env: PlanEnv): Plan {
  const name = args.name.trim();
  // RFC 1123 labels; systemd also refuses anything else
  if (!/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(name)) {
    return failPlan(`${JSON.stringify(args.name)} is not a valid host name (letters, digits, hyphens, dot-separated labels)`);
  }
  const use = args.use ?? (st.systemd ? 'systemd' : 'debian');
  if (use === 'systemd' && !st.systemd) return failPlan('use=systemd: systemd is not running on this host (hostnamectl cannot work); use: debian writes /etc/hostname');
  const strategy = use === 'generic' ? 'debian' : use;
  const facts = hostnameFacts(name);
  const data = { name, strategy: use };
  const commands: ShellCommand[] = [];
  const done: string[] = [];
  if (st.permanent !== name) {
    commands.push(strategy === 'systemd' ? sh`hostnamectl --static set-hostname ${name}` : sh`printf '%s\\n' ${name} > /etc/hostname`);
    done.push(`/etc/hostname ${st.permanent || '(none)'} → ${name}`);
  }
  if (st.current !== name) {
    commands.push(strategy === 'systemd' ? sh`hostnamectl --transient set-hostname ${name}` : sh`hostname ${name}`);
    done.push(`current ${st.current} → ${name}`);
  }
  if (commands.length === 0) return { ...noop(`hostname is already ${name}`, data), facts };
  return { commands, msg: done.join(', '), data, facts };
}

export const hostnameModule = defineModule<HostnameArgs, HostnameState>({
  name: 'hostname',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, description: 'the host name (a short name or an FQDN)' },
      use: { type: 'string', enum: ['systemd', 'debian', 'generic'], description: 'strategy: `systemd` (hostnamectl --static and --transient), `debian`/`generic` (/etc/hostname and `hostname NAME`); default: systemd where it runs, else debian' },
    },
    required: ['name'],
  }),
  doc: {
    short: 'Set the host\'s name, now and at boot',
    description:
      'One probe reads `hostname`, /etc/hostname and whether systemd runs. Only what differs is set: the name at boot (hostnamectl --static, or /etc/hostname) and the current name (hostnamectl --transient, or `hostname`). ansible_hostname, ansible_nodename, ansible_fqdn and ansible_domain are set for the next tasks. /etc/hosts is not changed (as in Ansible).',
    returns: { name: 'the name', strategy: 'the strategy used', ansible_facts: 'ansible_hostname, ansible_nodename, ansible_fqdn, ansible_domain' },
    example: '- hostname:\n    name: node1.example.org',
  },
  probe: () => hostnameFact,
  plan: planHostname,
});
