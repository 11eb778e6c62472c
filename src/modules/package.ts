// package: Ansible's generic package module. runbook manages Debian-family hosts, so on a host
// whose package manager is apt it is the apt module (same probe, planner and messages); on any
// other host it fails and names the package manager the facts found, instead of guessing.
import { aptModule, type AptArgs } from './apt.js';
import type { ModuleDefinition, ModuleResult } from './types.js';
import { listSchema } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface PackageArgs {
  name: string | string[];
  state?: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  /** `auto`: from the facts (ansible_pkg_mgr); `apt`: skip the facts */
  use?: 'auto' | 'apt';
}

export const packageModule: ModuleDefinition<PackageArgs> = defineModule({
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
  async run(ctx, args): Promise<ModuleResult> {
    let manager = 'apt';
    if ((args.use ?? 'auto') === 'auto') manager = (await ctx.facts()).pkgMgr;
    if (manager !== 'apt') {
      return {
        changed: false,
        failed: true,
        msg: `package: this host's package manager is ${manager === 'unknown' ? 'unknown (no apt-get, dnf, yum or apk found)' : `\`${manager}\``}; runbook's package module supports apt only (Debian/Ubuntu hosts)`,
      };
    }
    const apt: AptArgs = { name: args.name, state: args.state ?? 'present' };
    return aptModule.run(ctx, apt);
  },
});
