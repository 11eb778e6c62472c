// snap: snaps installed (optionally classic) or removed. One probe tells whether snapd is
// there at all and which of the snaps are installed.
import { sh, type ShellCommand } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface SnapArgs {
  name: string | string[];
  state?: 'present' | 'absent';
  classic?: boolean | string;
  channel?: string;
}

export interface SnapState {
  /** snap command found and snapd answering */
  available: boolean;
  installed: string[];
}

export function snapStateFact(names: readonly string[]): Fact<SnapState> {
  const checks = names.map((n) => sh`if snap list -- ${n} >/dev/null 2>&1; then printf 'installed:%s\\n' ${n}; fi`);
  const joined = checks.flatMap((c, i) => (i === 0 ? [c] : [sh`; `, c]));
  return {
    name: 'snap-state',
    command: sh`if command -v snap >/dev/null 2>&1 && snap version >/dev/null 2>&1; then echo snap:yes; ${joined}; else echo snap:no; fi`,
    parse(stdout) {
      const lines = stdout.split('\n');
      return {
        available: lines.includes('snap:yes'),
        installed: lines.filter((l) => l.startsWith('installed:')).map((l) => l.slice(10)),
      };
    },
  };
}

export function planSnap(args: SnapArgs, st: SnapState, _env: PlanEnv): Plan {
  const names = toList(args.name);
  const state = args.state ?? 'present';
  if (!st.available) {
    return failPlan(
      'snap is not available on this host (no snapd, as in containers and the runbook lab): install with apt instead (for the DMS playbook: certbot_install_method: apt)',
    );
  }
  const commands: ShellCommand[] = [];
  if (state === 'present') {
    const missing = names.filter((n) => !st.installed.includes(n));
    if (missing.length === 0) return noop(`${names.join(', ')} already installed`);
    const flags = [...(toBool(args.classic) ? ['--classic'] : []), ...(args.channel ? [`--channel=${args.channel}`] : [])];
    // snap refuses --classic/--channel with several snaps at once: one install per snap
    for (const n of missing) commands.push(sh`snap install ${flags} -- ${n}`);
    return { commands, msg: `installed ${missing.join(', ')}`, data: { snaps_installed: missing } };
  }
  const present = names.filter((n) => st.installed.includes(n));
  if (present.length === 0) return noop(`${names.join(', ')} not installed`);
  return { commands: [sh`snap remove -- ${present}`], msg: `removed ${present.join(', ')}`, data: { snaps_removed: present } };
}

export const snapModule = defineModule<SnapArgs, SnapState>({
  name: 'snap',
  schema: moduleSchema({
    properties: {
      name: { ...listSchema('snap name(s)') },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'installed or removed' },
      classic: boolSchema('install with classic confinement (`--classic`, needed by certbot)', false),
      channel: { type: 'string', description: 'channel to install from, e.g. `stable`, `latest/edge`' },
    },
    required: ['name'],
  }),
  doc: {
    short: 'Install or remove snaps',
    description: 'One probe checks that snapd is there and which snaps are installed. Hosts without snapd (containers, the runbook lab) fail with a message pointing to the apt method.',
    returns: { snaps_installed: 'snaps installed by this task', snaps_removed: 'snaps removed by this task' },
    example: '- snap:\n    name: certbot\n    classic: yes',
  },
  probe: (args) => snapStateFact(toList(args.name)),
  plan: (args, st, env) => ({ ...planSnap(args, st, env), timeoutMs: 1_800_000 }),
});
