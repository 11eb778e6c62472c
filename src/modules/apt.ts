// apt: Debian packages present/latest/absent, the package lists fresh, upgrades. One probe
// (dpkg-query + the cache stamp + the host clock, and `apt-cache policy` for latest) decides;
// when nothing is to do no apt command runs. apt never asks questions (noninteractive, keep
// existing config files) and waits for the dpkg lock held by another apt instead of failing.
import { sh, raw, type ShellCommand } from '../transport/command.js';
import { aptStateFact, parseAptSummary, type AptState, type AptSummary } from '../facts/deb-packages.js';
import { known, type Fact } from '../facts/types.js';
import { failPlan, noop, step, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface AptArgs {
  name?: string | string[];
  state?: 'present' | 'installed' | 'latest' | 'absent' | 'removed' | 'purged' | 'purge';
  update_cache?: boolean | string;
  cache_valid_time?: number;
  upgrade?: 'no' | 'yes' | 'safe' | 'full' | 'dist' | boolean;
  autoremove?: boolean | string;
  purge?: boolean | string;
  install_recommends?: boolean | string;
  lock_timeout?: number;
  dpkg_options?: string;
}

export interface AptPlan {
  /** apt-get update runs first */
  update: boolean;
  commands: ShellCommand[];
  /** package names that will be installed/upgraded/removed (for messages) */
  install: string[];
  remove: string[];
  upgrade?: string;
  /** why nothing runs (or what runs), for the message */
  notes: string[];
  failed?: string;
}

function split(spec: string): { name: string; version?: string } {
  const i = spec.indexOf('=');
  return i > 0 ? { name: spec.slice(0, i), version: spec.slice(i + 1) } : { name: spec };
}

function normState(s: AptArgs['state']): 'present' | 'latest' | 'absent' {
  if (s === undefined || s === 'present' || s === 'installed') return 'present';
  if (s === 'latest') return 'latest';
  return 'absent';
}

function aptGet(args: AptArgs, sub: string, names: string[] = [], extra: string[] = []): ShellCommand {
  const lock = args.lock_timeout ?? 600;
  const opts = (args.dpkg_options ?? 'force-confdef,force-confold')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '')
    .map((o) => `-o Dpkg::Options::=--${o}`)
    .join(' ');
  const rec = args.install_recommends === undefined ? '' : toBool(args.install_recommends) ? ' --install-recommends' : ' --no-install-recommends';
  const tail = names.length > 0 ? sh` -- ${names}` : sh``;
  return sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=${lock} ${raw(opts)}${raw(rec)}${raw(extra.map((e) => ' ' + e).join(''))} ${raw(sub)}${tail}`;
}

/** The pure part: probed state + arguments → what to run. */
export function planApt(args: AptArgs, st: AptState): AptPlan {
  const plan: AptPlan = { update: false, commands: [], install: [], remove: [], notes: [] };
  const names = toList(args.name);
  const state = normState(args.state);
  const purge = toBool(args.purge) || args.state === 'purge' || args.state === 'purged';

  if (toBool(args.update_cache)) {
    const valid = args.cache_valid_time ?? 0;
    const age = st.cacheUpdatedAt !== undefined && st.now !== undefined ? st.now - st.cacheUpdatedAt : undefined;
    if (valid > 0 && age !== undefined && age >= 0 && age < valid) {
      plan.notes.push(`package lists are ${age}s old (valid for ${valid}s)`);
    } else {
      plan.update = true;
      // Debian has no hook that records a successful update: keep the stamp Ubuntu's apt uses
      plan.commands.push(
        sh`${aptGet(args, 'update')} && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp`,
      );
    }
  }

  for (const spec of names) {
    const { name, version } = split(spec);
    const p = st.packages[name];
    const installed = p?.installed === true;
    if (state === 'absent') {
      if (installed || (purge && p?.status.startsWith('rc'))) plan.remove.push(name);
    } else if (!installed || (version !== undefined && p?.version !== version)) {
      plan.install.push(spec);
    } else if (state === 'latest' && (plan.update || p?.candidate === undefined || p.candidate !== p.version)) {
      // after an update the candidate may have changed: let apt decide (its summary says)
      plan.install.push(spec);
    }
  }
  if (plan.install.length > 0) plan.commands.push(aptGet(args, 'install', plan.install));
  if (plan.remove.length > 0) plan.commands.push(aptGet(args, purge ? 'purge' : 'remove', plan.remove));
  if (names.length > 0 && plan.install.length === 0 && plan.remove.length === 0) {
    plan.notes.push(state === 'absent' ? `${names.join(', ')} not installed` : state === 'latest' ? `${names.join(', ')} at the latest version` : `${names.join(', ')} already installed`);
  }

  const up = args.upgrade === undefined || args.upgrade === false ? 'no' : args.upgrade === true ? 'yes' : args.upgrade;
  if (up !== 'no') {
    plan.upgrade = up;
    plan.commands.push(up === 'dist' || up === 'full' ? aptGet(args, 'dist-upgrade') : aptGet(args, 'upgrade', [], up === 'yes' ? ['--with-new-pkgs'] : []));
  }
  if (toBool(args.autoremove)) plan.commands.push(aptGet(args, 'autoremove', [], purge ? ['--purge'] : []));
  if (names.length === 0 && !toBool(args.update_cache) && up === 'no' && !toBool(args.autoremove)) {
    plan.failed = 'nothing to do: give name (packages), update_cache, upgrade or autoremove';
  }
  return plan;
}

/** A simulation (`apt-get -s`) of what --check cannot know without asking apt: its summary. */
function simulationFact(plan: AptPlan): Fact<AptSummary | undefined> | undefined {
  if (!plan.upgrade) return undefined;
  const sub = plan.upgrade === 'dist' || plan.upgrade === 'full' ? 'dist-upgrade' : 'upgrade';
  return { name: 'apt-simulation', command: sh`LC_ALL=C apt-get -s -q ${raw(sub)}`, parse: (stdout) => parseAptSummary(stdout) };
}

const LOCK_WAIT = /Waiting for cache lock|Could not get lock|waiting for .*lock/i;

export const aptModule = defineModule<AptArgs, AptState>({
  name: 'apt',
  schema: moduleSchema({
    properties: {
      name: { ...listSchema('package name(s); `name=version` pins a version'), aliases: ['pkg', 'package'] },
      state: {
        type: 'string',
        enum: ['present', 'installed', 'latest', 'absent', 'removed', 'purged', 'purge'],
        default: 'present',
        description: '`present` installs missing packages, `latest` also upgrades them, `absent` removes them (`purge` also removes their configuration)',
      },
      update_cache: { ...boolSchema('run `apt-get update` first', false), aliases: ['update-cache'] },
      cache_valid_time: { type: 'integer', minimum: 0, default: 0, description: 'skip the update when the lists are younger than this many seconds (0: always update)' },
      upgrade: {
        description: '`yes` (apt-get upgrade --with-new-pkgs), `safe` (apt-get upgrade), `dist`/`full` (apt-get dist-upgrade), `no`',
        anyOf: [{ type: 'string', enum: ['no', 'yes', 'safe', 'full', 'dist'] }, { type: 'boolean' }],
        default: 'no',
      },
      autoremove: boolSchema('remove packages nothing depends on any more', false),
      purge: boolSchema('with state=absent: also remove configuration files', false),
      install_recommends: boolSchema('install recommended packages (default: apt\'s configuration)'),
      lock_timeout: { type: 'integer', minimum: 0, default: 600, description: 'seconds to wait for the dpkg lock held by another apt/dpkg before failing' },
      dpkg_options: { type: 'string', default: 'force-confdef,force-confold', description: 'comma-separated dpkg options (`--force-confold` keeps changed config files without asking)' },
    },
  }),
  doc: {
    short: 'Install, upgrade or remove Debian packages; refresh and upgrade the system',
    description:
      'One probe (`dpkg-query` for the packages, the age of the package lists, the host clock; `apt-cache policy` for state=latest) decides what to do. When everything is as wanted no apt command runs. apt runs with `DEBIAN_FRONTEND=noninteractive` and keeps existing configuration files (`--force-confdef --force-confold`), so it never stops at a question. When another apt or dpkg holds the lock (for example unattended-upgrades after boot) it waits up to `lock_timeout` seconds and says so, instead of failing. `changed` comes from apt\'s own summary, so a package that was already there is never reported as changed.',
    returns: {
      cache_updated: 'apt-get update ran',
      cache_update_time: 'epoch seconds of the lists update (when it ran, or as found)',
      installed: 'packages installed or upgraded',
      removed: 'packages removed',
      stdout: 'apt output',
      stderr: 'apt errors and warnings',
    },
    example: '- apt:\n    update_cache: yes\n    cache_valid_time: 3600\n    name: [certbot, python3-certbot-apache]\n    state: present',
    notes: [
      'update_cache reports changed whenever the lists were refreshed (as in Ansible): use cache_valid_time for a run that reports no change the second time.',
      '--check runs no apt command that changes anything; with upgrade it asks apt for a simulation (`apt-get -s`).',
    ],
  },
  probe(args) {
    const names = toList(args.name).map((n) => split(n).name);
    // upgrade/autoremove alone need nothing from the host first: apt itself says what changed
    const needProbe = names.length > 0 || toBool(args.update_cache);
    return needProbe ? aptStateFact(names, normState(args.state) === 'latest') : known<AptState>({ packages: {} });
  },
  plan: planAptTask,
});

/** The module's plan: apt's commands as one, changed from apt's own summary. */
export function planAptTask(args: AptArgs, st: AptState, env: PlanEnv): Plan {
  const plan = planApt(args, st);
  if (plan.failed) return failPlan(plan.failed);
  const what = [
    ...(plan.update ? ['update package lists'] : []),
    ...(plan.install.length ? [`install ${plan.install.join(', ')}`] : []),
    ...(plan.remove.length ? [`remove ${plan.remove.join(', ')}`] : []),
    ...(plan.upgrade ? [`upgrade (${plan.upgrade})`] : []),
  ];
  const data: Record<string, unknown> = { cache_updated: false, cache_update_time: st.cacheUpdatedAt, installed: [], removed: [] };
  if (plan.commands.length === 0) return noop(plan.notes.join('; ') || 'nothing to do', data);
  if (env.check) {
    const checked = (upgradeChanges: boolean): Plan => {
      const changed = plan.update || plan.install.length > 0 || plan.remove.length > 0 || upgradeChanges;
      return { commands: [], changed, msg: changed ? `would ${what.filter((w) => !w.startsWith('upgrade') || upgradeChanges).join(', ')}` : 'nothing to upgrade', data };
    };
    const sim = simulationFact(plan);
    if (!sim) return checked(false);
    return { commands: [], msg: '', next: step(sim, (s) => checked(s === undefined || s.upgraded + s.installed + s.removed > 0)) };
  }
  const lockTimeout = args.lock_timeout ?? 600;
  return {
    commands: plan.commands,
    timeoutMs: (lockTimeout + 3600) * 1000,
    watch: { pattern: LOCK_WAIT, note: `waiting for the dpkg lock (another apt/dpkg is running), up to ${lockTimeout}s` },
    msg: '',
    data,
    after: (r) => {
      const out: Record<string, unknown> = { ...data, stdout: r.stdout, stderr: r.stderr };
      if (!r.ok) {
        const lines = (r.stderr || r.stdout).trim().split('\n');
        const e = lines.filter((l) => /^E:|^dpkg:|error/i.test(l)).slice(-5);
        const lockHint = /Could not get lock|lock/i.test(r.stderr) ? ' (the dpkg lock stayed busy: raise lock_timeout or find what holds it with `fuser /var/lib/dpkg/lock-frontend`)' : '';
        return { commands: [], failed: true, msg: `apt failed (exit ${r.exitCode ?? 'none'}) trying to ${what.join(', ')}${lockHint}: ${(e.length ? e : lines.slice(-3)).join('\n')}`, data: out };
      }
      const summary = parseAptSummary(r.stdout);
      const pkgChanged = summary !== undefined && summary.upgraded + summary.installed + summary.removed > 0;
      out.cache_updated = plan.update;
      if (plan.update) out.cache_update_time = Math.floor(r.end.getTime() / 1000);
      out.installed = pkgChanged ? plan.install : [];
      out.removed = pkgChanged ? plan.remove : [];
      const msg = [
        ...(plan.update ? ['package lists updated'] : plan.notes.filter((n) => n.startsWith('package lists'))),
        ...(summary ? [`${summary.installed} installed, ${summary.upgraded} upgraded, ${summary.removed} removed`] : []),
      ].join('; ');
      return { commands: [], changed: plan.update || pkgChanged, msg: msg || 'done', data: out };
    },
  };
}
