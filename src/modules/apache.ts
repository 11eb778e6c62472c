// apache: Debian's Apache modules and sites enabled or disabled (a2enmod/a2ensite), and
// never a reload onto a configuration that does not pass `apachectl configtest`: a change that
// breaks the configuration is rolled back before anything is reloaded.
import { joinWith, sh, type ShellCommand } from '../transport/command.js';
import { combineFacts } from '../facts/combine.js';
import { apacheFact, configtestFact, type ApacheState } from '../facts/apache.js';
import { step, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface ApacheArgs {
  modules?: string[] | string;
  sites?: string[] | string;
  state?: 'present' | 'absent';
  reload?: boolean | string;
  /** Ansible apache2_module's: accepted, no effect (a2dismod always gets -f) */
  force?: boolean | string;
  /** Ansible apache2_module's: accepted, no effect (the state comes from mods-enabled) */
  identifier?: string;
  /** Ansible apache2_module's: accepted, not honoured (a failing configtest says so) */
  ignore_configcheck?: boolean | string;
  /** Ansible apache2_module's: accepted, no effect */
  warn_mpm_absent?: boolean | string;
}

export interface ApachePlan {
  enable: { modules: string[]; sites: string[] };
  disable: { modules: string[]; sites: string[] };
  /** the commands that make the change, and the ones that undo it (the run undoes from the real state: see undoCommands) */
  apply: ShellCommand[];
  undo: ShellCommand[];
  error?: string;
}

const siteName = (s: string): string => s.replace(/\.conf$/, '');

/** Pure: wanted modules/sites + what is enabled → a2enmod/a2ensite (and their undo). */
export function planApache(state: ApacheState, args: ApacheArgs): ApachePlan {
  const present = (args.state ?? 'present') === 'present';
  const modules = toList(args.modules);
  const sites = toList(args.sites).map(siteName);
  const plan: ApachePlan = { enable: { modules: [], sites: [] }, disable: { modules: [], sites: [] }, apply: [], undo: [] };
  if (!state.installed) {
    plan.error = 'Apache is not installed (apache2ctl not found): install the apache2 package first';
    return plan;
  }
  if (present) {
    const unknownMods = modules.filter((m) => !state.modsAvailable.includes(m));
    const unknownSites = sites.filter((s) => !state.sitesAvailable.includes(s));
    if (unknownMods.length || unknownSites.length) {
      plan.error = [
        unknownMods.length ? `no such Apache module: ${unknownMods.join(', ')} (see /etc/apache2/mods-available)` : '',
        unknownSites.length ? `no such site: ${unknownSites.join(', ')} (put it in /etc/apache2/sites-available/NAME.conf)` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return plan;
    }
    plan.enable.modules = modules.filter((m) => !state.modsEnabled.includes(m));
    plan.enable.sites = sites.filter((s) => !state.sitesEnabled.includes(s));
  } else {
    plan.disable.modules = modules.filter((m) => state.modsEnabled.includes(m));
    plan.disable.sites = sites.filter((s) => state.sitesEnabled.includes(s));
  }
  const { enable, disable } = plan;
  if (enable.modules.length) {
    plan.apply.push(sh`a2enmod -q ${enable.modules}`);
    plan.undo.push(sh`a2dismod -q -f ${enable.modules}`);
  }
  if (enable.sites.length) {
    plan.apply.push(sh`a2ensite -q ${enable.sites}`);
    plan.undo.push(sh`a2dissite -q ${enable.sites}`);
  }
  if (disable.modules.length) {
    plan.apply.push(sh`a2dismod -q -f ${disable.modules}`);
    plan.undo.push(sh`a2enmod -q ${disable.modules}`);
  }
  if (disable.sites.length) {
    plan.apply.push(sh`a2dissite -q ${disable.sites}`);
    plan.undo.push(sh`a2ensite -q ${disable.sites}`);
  }
  return plan;
}

/** Pure: the commands that bring enabled modules/sites from `now` back to `before`. */
export function undoCommands(before: ApacheState, now: ApacheState): ShellCommand[] {
  const out: ShellCommand[] = [];
  const added = (a: string[], b: string[]): string[] => b.filter((x) => !a.includes(x));
  const mods = added(before.modsEnabled, now.modsEnabled);
  const sites = added(before.sitesEnabled, now.sitesEnabled);
  const lostMods = added(now.modsEnabled, before.modsEnabled);
  const lostSites = added(now.sitesEnabled, before.sitesEnabled);
  if (sites.length) out.push(sh`a2dissite -q ${sites}`);
  if (mods.length) out.push(sh`a2dismod -q -f ${mods}`);
  if (lostMods.length) out.push(sh`a2enmod -q ${lostMods}`);
  if (lostSites.length) out.push(sh`a2ensite -q ${lostSites}`);
  return out;
}

function describe(plan: ApachePlan): string {
  const parts: string[] = [];
  if (plan.enable.modules.length) parts.push(`enable module ${plan.enable.modules.join(', ')}`);
  if (plan.enable.sites.length) parts.push(`enable site ${plan.enable.sites.join(', ')}`);
  if (plan.disable.modules.length) parts.push(`disable module ${plan.disable.modules.join(', ')}`);
  if (plan.disable.sites.length) parts.push(`disable site ${plan.disable.sites.join(', ')}`);
  return parts.join('; ');
}

const IGNORE_CONFIGCHECK_NOTE = '\n(ignore_configcheck is not honoured: runbook changes modules and sites only on a configuration that passes apachectl configtest)';

export const apacheModule = defineModule<ApacheArgs, ApacheState>({
  name: 'apache',
  aliases: ['apache2_module', 'apache2'],
  schema: moduleSchema({
    properties: {
      // `name`: Ansible's community.general.apache2_module takes one module under that name
      modules: { ...listSchema('Apache modules (names as in /etc/apache2/mods-available, e.g. ssl, rewrite, headers)'), aliases: ['name'] },
      sites: listSchema('sites (names as in /etc/apache2/sites-available, with or without .conf)'),
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'present: enabled; absent: disabled' },
      reload: boolSchema('reload Apache after a change, when it runs (always after a passing configtest)', true),
      force: boolSchema('for apache2_module playbooks; no effect: modules are always disabled with `a2dismod -f`'),
      identifier: { type: 'string', description: 'for apache2_module playbooks; no effect: whether a module is enabled is read from /etc/apache2/mods-enabled' },
      ignore_configcheck: boolSchema('for apache2_module playbooks; not honoured: a configuration that fails `apachectl configtest` still fails the task'),
      warn_mpm_absent: boolSchema('for apache2_module playbooks; no effect (it only tunes ignore_configcheck)'),
    },
  }),
  doc: {
    short: 'Enable or disable Apache modules and sites (Debian a2enmod/a2ensite), with configtest before any reload',
    description:
      'Only what is not yet in the wanted state is changed. After a change `apachectl configtest` must pass, else ' +
      'the change is undone and the task fails with the configtest output; Apache is reloaded only after it passes. ' +
      'Without modules and sites the task only runs the configtest (a precondition check).',
    returns: {
      enabled: 'modules and sites enabled by this task',
      disabled: 'modules and sites disabled by this task',
      configtest: "apachectl configtest's output",
      reloaded: 'whether Apache was reloaded',
      running: 'whether Apache runs',
    },
    example: '- apache:\n    modules: [ssl, rewrite, headers]\n    sites: [000-default]',
    notes: [
      'Playbooks written for Ansible\'s `community.general.apache2_module` run as they are: `name` is an alias of `modules`, `state` is the same. ' +
        '`force`, `identifier` and `warn_mpm_absent` are accepted and have no effect (runbook always disables with `a2dismod -f`, and reads whether a module is enabled from /etc/apache2/mods-enabled, not from `apache2ctl -M`). ' +
        '`ignore_configcheck` is accepted but not honoured: a configuration that fails `apachectl configtest` still fails the task, and the message says so. ' +
        'Switching MPMs therefore needs one command task (`a2dismod -f mpm_event && a2enmod mpm_prefork`), not two apache tasks.',
    ],
  },

  probe: () => apacheFact,
  plan: planApacheTask,
});

/**
 * The module's plan: the change, then configtest (with the state again, to undo from what
 * really changed), then reload or undo.
 */
export function planApacheTask(args: ApacheArgs, state: ApacheState, env: PlanEnv): Plan {
  const plan = planApache(state, args);
  if (plan.error) return { commands: [], failed: true, msg: plan.error };
  const data = { enabled: plan.enable, disabled: plan.disable, running: state.running };
  const changing = plan.apply.length > 0;
  if (env.check) {
    return { commands: plan.apply, changed: changing, msg: changing ? `would ${describe(plan)}` : 'already in the wanted state', data: { ...data, reloaded: false } };
  }
  const before = state.configtest ?? { ok: false, output: 'apachectl configtest did not run' };
  const ignoreNote = toBool(args.ignore_configcheck) ? IGNORE_CONFIGCHECK_NOTE : '';
  if (!before.ok) {
    return {
      commands: [],
      failed: true,
      msg: `Apache's configuration does not pass apachectl configtest; fix it before changing it:\n${before.output}${ignoreNote}`,
      data: { ...data, configtest: before.output },
    };
  }
  if (!changing) return { commands: [], msg: 'already in the wanted state; configtest passes', data: { ...data, configtest: before.output, reloaded: false } };
  const after = combineFacts([configtestFact, apacheFact] as const);
  return {
    commands: plan.apply,
    msg: describe(plan),
    next: step(after, ([ct, now]) => {
      if (!ct?.ok) {
        // undo from what really changed: a2enmod also enables dependencies (ssl → socache_shmcb)
        const undo = undoCommands(state, now);
        return {
          commands: undo.length > 0 ? [sh`{ ${joinWith(undo, '; ')}; }`] : [],
          failed: true,
          msg: `after ${describe(plan)}, apachectl configtest fails, so the change was undone and Apache not reloaded:\n${ct?.output ?? ''}${ignoreNote}`,
        };
      }
      const reload = toBool(args.reload, true) && state.running;
      const done = { ...data, configtest: ct.output, reloaded: reload };
      if (!reload) return { commands: [], changed: true, msg: describe(plan), data: done };
      return { commands: [sh`service apache2 reload`], msg: `${describe(plan)}; reloaded Apache`, data: done };
    }),
  };
}
