// alternatives (community.general): one entry of an update-alternatives group, installed,
// selected, in auto mode or removed. One probe (`update-alternatives --query NAME` and whether
// `path` exists); the decisions are the collection's: (re)install when the path is not in the
// group or its priority or subcommands differ, `--set` when another path is selected, `--auto`
// when the group is in manual mode, `--remove` for absent.
import { sh, type ShellCommand } from '../transport/command.js';
import { alternativesFact, type AlternativesState } from '../facts/alternatives.js';
import { fileDiff } from '../util/diff.js';
import { failPlan, noop, type FastPath, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface Subcommand {
  name: string;
  path: string;
  link: string;
}

export interface AlternativesArgs {
  name: string;
  path?: string;
  link?: string;
  priority?: number;
  state?: 'present' | 'selected' | 'auto' | 'absent';
  subcommands?: Subcommand[];
  family?: string;
}

const sameSubcommands = (a: readonly Subcommand[], b: readonly Subcommand[]): boolean => {
  const key = (s: Subcommand): string => JSON.stringify([s.name, s.path, s.link]);
  const ka = new Set(a.map(key));
  const kb = new Set(b.map(key));
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
};

/** The alternative's subcommands as the host has them (slave path, with the group's slave link). */
function currentSubcommands(st: AlternativesState, path: string): Subcommand[] {
  const alt = st.alternatives.find((a) => a.path === path);
  if (!alt) return [];
  return Object.entries(alt.slaves)
    .filter(([, p]) => p !== '(null)')
    .map(([name, p]) => ({ name, path: p, link: st.slaveLinks[name] ?? '' }));
}

/** What --diff shows: the collection's before/after dicts, one `key: value` per line. */
function describe(d: Record<string, unknown>): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}\n`)
    .join('');
}

export function planAlternatives(args: AlternativesArgs, st: AlternativesState, env: PlanEnv): Plan {
  const state = args.state ?? 'selected';
  const { name, path } = args;
  if (args.family !== undefined) {
    return failPlan('family is only available on RHEL-based distributions: dpkg\'s update-alternatives has no --family');
  }
  if (!st.tool) return failPlan('update-alternatives is not installed on this host');
  const installed = path === undefined ? undefined : st.alternatives.find((a) => a.path === path);
  const data: Record<string, unknown> = { name, path, state };
  const before: Record<string, unknown> = installed
    ? { state: st.status === 'manual' && st.value !== path ? 'selected' : 'present', path, priority: installed.priority, link: st.link }
    : { state: 'absent' };
  const after: Record<string, unknown> = { ...before };
  const commands: ShellCommand[] = [];
  const messages: string[] = [];

  if (state === 'absent') {
    if (installed && path !== undefined) {
      commands.push(sh`LC_ALL=C update-alternatives --quiet --remove ${name} ${path}`);
      messages.push(`Remove alternative '${path}' from '${name}'.`);
      Object.keys(after).forEach((k) => delete after[k]);
      after.state = 'absent';
    }
  } else {
    if (path === undefined) return failPlan('Either path or family must be specified');
    const current = currentSubcommands(st, path);
    const wanted = args.subcommands ?? (current.length > 0 ? current : undefined);
    const needInstall =
      !installed ||
      (args.priority !== undefined && installed.priority !== args.priority) ||
      (args.subcommands !== undefined && !sameSubcommands(args.subcommands, current));
    if (needInstall) {
      if (st.pathExists === false) return failPlan(`Specified path ${path} does not exist`, data);
      const link = args.link ?? st.link;
      if (!link) return failPlan('Needed to install the alternative, but unable to do so as we are missing the link', data);
      const priority = args.priority ?? installed?.priority ?? 50;
      const slaves = (wanted ?? []).flatMap((s) => ['--slave', s.link, s.name, s.path]);
      commands.push(sh`LC_ALL=C update-alternatives --quiet --install ${link} ${name} ${path} ${String(priority)} ${slaves}`);
      messages.push(`Install alternative '${path}' for '${name}'.`);
      Object.assign(after, { state: 'present', path, priority, link }, wanted ? { subcommands: wanted } : {});
      data.link = link;
      data.priority = priority;
    } else {
      data.link = args.link ?? st.link;
      data.priority = installed?.priority;
    }
    if (state === 'selected' && st.value !== path) {
      commands.push(sh`LC_ALL=C update-alternatives --quiet --set ${name} ${path}`);
      messages.push(`Set alternative '${path}' for '${name}'.`);
      after.state = 'selected';
    }
    if (state === 'auto' && st.status === 'manual') {
      commands.push(sh`LC_ALL=C update-alternatives --quiet --auto ${name}`);
      messages.push(`Set alternative to auto for '${name}'.`);
      after.state = 'present';
    }
  }
  if (commands.length === 0) {
    const what =
      state === 'absent'
        ? `'${path ?? ''}' is not an alternative for '${name}'`
        : state === 'selected'
          ? `'${path ?? ''}' is the selected alternative for '${name}'`
          : state === 'auto'
            ? `'${name}' is in auto mode with '${path ?? ''}' installed`
            : `'${path ?? ''}' is installed for '${name}'`;
    return noop(what, data);
  }
  const plan: Plan = { commands, msg: messages.join(' '), data };
  if (env.diff) plan.diff = [fileDiff(`alternatives ${name}`, describe(before), describe(after))];
  return plan;
}

/**
 * One command for the usual task (link given, no subcommands, no family): the class says whether
 * the path is in the group (`r`/`n`), whether a given priority matches (`p`/`q`), whether it is
 * the selected one (`s`/`o`), the group's mode (`m`/`a`) and whether the path exists (`x`/`z`).
 * An alternative that has slaves is its own class with no branch: its reinstall keeps them,
 * which only the probe knows.
 */
export function alternativesFast(args: AlternativesArgs): FastPath<AlternativesState> | undefined {
  const { name, path, link } = args;
  if (path === undefined || link === undefined || args.subcommands !== undefined || args.family !== undefined) return undefined;
  const prio = args.priority === undefined ? '' : String(args.priority);
  const cases: Array<{ key: string; state: AlternativesState }> = [];
  for (const r of ['r', 'n'])
    for (const p of ['p', 'q'])
      for (const s of ['s', 'o'])
        for (const m of ['m', 'a'])
          for (const x of ['x', 'z']) {
            const priority = (args.priority ?? 50) + (p === 'q' ? 1 : 0);
            cases.push({
              key: `${r}${p}${s}${m}${x}`,
              state: {
                tool: true,
                exists: true,
                name,
                link,
                slaveLinks: {},
                status: m === 'm' ? 'manual' : 'auto',
                ...(s === 's' ? { value: path } : {}),
                alternatives: r === 'r' ? [{ path, priority, slaves: {} }] : [],
                pathExists: x === 'x',
              },
            });
          }
  return {
    classify: sh`if command -v update-alternatives >/dev/null 2>&1; then q=$(LC_ALL=C update-alternatives --query ${name} 2>/dev/null); b=$(printf '%s\\n' "$q" | awk -v a=${`Alternative: ${path}`} '$0==a{f=1} f&&$0==""{exit} f{print}'); if printf '%s\\n' "$b" | grep -q '^Slaves:'; then k=slaves; else if [ -n "$b" ]; then k=r; else k=n; fi; if [ -z ${prio} ] || printf '%s\\n' "$b" | grep -qx ${`Priority: ${prio}`}; then k=\${k}p; else k=\${k}q; fi; if printf '%s\\n' "$q" | grep -qxF ${`Value: ${path}`}; then k=\${k}s; else k=\${k}o; fi; if printf '%s\\n' "$q" | grep -qx 'Status: manual'; then k=\${k}m; else k=\${k}a; fi; if [ -e ${path} ]; then k=\${k}x; else k=\${k}z; fi; fi; else k=notool; fi`,
    cases,
  };
}

export const alternativesModule = defineModule<AlternativesArgs, AlternativesState>({
  name: 'alternatives',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, description: 'the generic name of the link group, e.g. `editor`' },
      path: { type: 'string', minLength: 1, description: 'the real executable the link should point to (with state: absent, the entry to remove)' },
      link: { type: 'string', minLength: 1, description: 'the generic link, e.g. /usr/bin/editor; needed when the group does not exist yet' },
      priority: { type: 'integer', description: 'the alternative\'s priority; on install, the current one or 50 when not given' },
      state: {
        type: 'string',
        enum: ['present', 'selected', 'auto', 'absent'],
        default: 'selected',
        description: '`present` installs without selecting, `selected` installs and selects (manual mode), `auto` installs and puts the group in auto mode, `absent` removes the entry',
      },
      subcommands: {
        type: 'array',
        aliases: ['slaves'],
        description: 'slave links installed with the alternative: each `name`, `path`, `link`',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, path: { type: 'string' }, link: { type: 'string' } },
          required: ['name', 'path', 'link'],
          additionalProperties: false,
        },
      },
      family: { type: 'string', description: 'RHEL only (alternatives --family): refused on Debian with a clear error' },
    },
    required: ['name'],
  }),
  doc: {
    short: 'Install, select or remove an update-alternatives entry (community.general.alternatives)',
    description:
      'One probe runs `update-alternatives --query NAME` and checks that `path` exists. As the collection does: the entry is (re)installed with `--install LINK NAME PATH PRIORITY [--slave ...]` when it is not in the group, or when a given priority or subcommands differ (a reinstall keeps the current slaves when subcommands is not given); `selected` then runs `--set` when another path is selected, `auto` runs `--auto` when the group is in manual mode, `absent` runs `--remove`. The message is the collection\'s ("Install alternative ... Set alternative ..."). --check shows the plan; --diff shows the before/after state. When link is given (and no subcommands), a first run and an unchanged run each cost one remote command. `family` is RHEL-only and refused here.',
    returns: { msg: 'what was done, in the collection\'s words', name: 'the group', path: 'the entry', link: 'the group\'s link', priority: 'the entry\'s priority', state: 'the requested state' },
    example: '- alternatives:\n    name: editor\n    path: /usr/bin/vim.basic\n    link: /usr/bin/editor\n    priority: 60',
  },
  probe: (args) => alternativesFact(args.name, args.path),
  plan: planAlternatives,
  fast: (args) => alternativesFast(args),
});
