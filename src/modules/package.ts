// package: Ansible's generic package module. runbook manages Debian-family hosts, so on a host
// whose package manager is apt it is the apt module (same probe, planner and messages, as the
// plan's next step); on any other host it fails and names the package manager the facts found,
// instead of guessing.
import { aptModule, planAptTask, type AptArgs } from './apt.js';
import type { AptState } from '../facts/deb-packages.js';
import { gatheredFacts, known, type HostFacts } from '../facts/types.js';
import { failPlan, step, type Plan, type PlanEnv } from './contract.js';
import { listSchema } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface PackageArgs {
  name: string | string[];
  state?: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  /** `auto`: from the facts (ansible_pkg_mgr); `apt`: skip the facts */
  use?: 'auto' | 'apt';
}

type Manager = Pick<HostFacts, 'pkgMgr'> | undefined;

export function planPackage(args: PackageArgs, facts: Manager, env: PlanEnv): Plan {
  const manager = facts?.pkgMgr ?? 'unknown';
  if (manager !== 'apt') {
    return failPlan(
      `package: this host's package manager is ${manager === 'unknown' ? 'unknown (no apt-get, dnf, yum or apk found)' : `\`${manager}\``}; runbook's package module supports apt only (Debian/Ubuntu hosts)`,
    );
  }
  const apt: AptArgs = { name: args.name, state: args.state ?? 'present' };
  // apt's own probe (the same single command the apt module sends)
  const probe = aptModule.probe?.(apt, env) ?? known<AptState>({ packages: {} });
  return { commands: [], msg: '', next: step(probe, (st) => planAptTask(apt, st, env)) };
}

export const packageModule = defineModule<PackageArgs, Manager>({
  name: 'package',
  usesFacts: true,
  schema: moduleSchema({
    properties: {
      name: { ...listSchema('package name(s); `name=version` pins a version (apt)'), aliases: ['pkg'] },
      state: {
        type: 'string',
        enum: ['present', 'installed', 'latest', 'absent', 'removed'],
        default: 'present',
        description: '`present` installs missing packages, `latest` also upgrades them, `absent` removes them',
      },
      use: { type: 'string', enum: ['auto', 'apt'], default: 'auto', description: 'the package manager: `auto` takes it from the facts (only apt is supported)' },
    },
    required: ['name'],
  }),
  doc: {
    short: 'Install or remove packages with the host\'s package manager (apt)',
    description:
      'On hosts whose package manager is apt (facts: `ansible_pkg_mgr`), this is the apt module with `name` and `state`: the same single probe, and no apt command when everything is as wanted. On other hosts the task fails and says which package manager was found. For apt-only options (update_cache, cache_valid_time, upgrade) use the apt module.',
    returns: { installed: 'packages installed or upgraded', removed: 'packages removed', stdout: 'package manager output', stderr: 'package manager errors' },
    example: '- package:\n    name: [curl, git]\n    state: present',
  },
  probe: (args) => ((args.use ?? 'auto') === 'auto' ? gatheredFacts : known<Manager>({ pkgMgr: 'apt' })),
  plan: planPackage,
});
