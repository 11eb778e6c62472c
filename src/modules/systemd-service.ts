// systemd_service (systemd): a unit's state, boot enablement and mask, and daemon-reload /
// daemon-reexec, with systemctl only (Ansible's systemd module). One probe: `systemctl show`
// (registered as `status`, Ansible's dictionary) and `is-enabled`; only what differs runs, in
// Ansible's order: reload/reexec, mask/unmask, enable/disable, then the state.
import { sh, type ShellCommand } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { sectionMap } from '../facts/sections.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface SystemdArgs {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean | string;
  masked?: boolean | string;
  force?: boolean | string;
  daemon_reload?: boolean | string;
  daemon_reexec?: boolean | string;
  scope?: 'system' | 'user' | 'global';
  no_block?: boolean | string;
}

export interface SystemdState {
  /** systemd is PID 1 and running (/run/systemd/system) */
  running: boolean;
  /** `systemctl show` of the unit, key → value */
  status: Record<string, string>;
  /** `systemctl is-enabled`: its word and exit code */
  isEnabled?: { word: string; rc: number };
}

function unitOf(name: string): string {
  return /\.(service|socket|timer|target|mount|path|slice|scope|device|swap|automount)$/.test(name) || name.includes('@.') ? name : `${name}.service`;
}

function scopeFlag(scope: SystemdArgs['scope']): ShellCommand {
  return scope === 'user' ? sh` --user` : scope === 'global' ? sh` --global` : sh``;
}

export function systemdFact(args: SystemdArgs): Fact<SystemdState> {
  const s = scopeFlag(args.scope);
  const unit = args.name !== undefined ? unitOf(args.name) : undefined;
  const show = unit !== undefined ? sh`; echo '@@show'; systemctl${s} show -- ${unit} 2>/dev/null; echo '@@enabled'; w=$(systemctl${s} is-enabled -- ${unit} 2>/dev/null); printf '%s %s\\n' "$?" "$w"` : sh``;
  return {
    name: 'systemd',
    command: sh`if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo '@@systemd'${show}; else echo '@@none'; fi`,
    parse(stdout) {
      const m = sectionMap(stdout);
      const status: Record<string, string> = {};
      for (const line of m.get('show') ?? []) {
        const i = line.indexOf('=');
        if (i > 0) status[line.slice(0, i)] = line.slice(i + 1);
      }
      const e = /^(\d+) ?(.*)$/.exec(m.get('enabled')?.[0] ?? '');
      return { running: m.has('systemd'), status, ...(e ? { isEnabled: { word: (e[2] ?? '').trim(), rc: Number(e[1]) } } : {}) };
    },
  };
}

export function planSystemd(args: SystemdArgs, st: SystemdState, _env: PlanEnv): Plan {
  const s = scopeFlag(args.scope);
  const data: Record<string, unknown> = {};
  if (args.name !== undefined) data.name = args.name;
  if (!st.running) return failPlan('systemd is not running on this host (no /run/systemd/system): use the service module, which falls back to init scripts', data);
  const commands: ShellCommand[] = [];
  const done: string[] = [];
  if (toBool(args.daemon_reload)) {
    commands.push(sh`systemctl${s} daemon-reload`);
    done.push('daemon reloaded');
  }
  if (toBool(args.daemon_reexec)) {
    commands.push(sh`systemctl${s} daemon-reexec`);
    done.push('daemon re-executed');
  }
  const reloads = commands.length;
  if (args.name === undefined) {
    if (args.state !== undefined || args.enabled !== undefined || args.masked !== undefined) return failPlan('name is required with state, enabled or masked', data);
    // Ansible does not count a daemon reload as a change
    return { commands, changed: false, msg: done.join(', ') || 'nothing asked', data };
  }
  const unit = unitOf(args.name);
  const status = st.status;
  data.status = status;
  const load = status.LoadState ?? '';
  const fileState = status.UnitFileState ?? '';
  let masked = load === 'masked' || fileState === 'masked' || fileState === 'masked-runtime';
  const found = load !== '' && load !== 'not-found';
  const noBlock = toBool(args.no_block) ? sh` --no-block` : sh``;
  const force = toBool(args.force) ? sh` --force` : sh``;
  if (args.masked !== undefined) {
    const want = toBool(args.masked);
    if (want !== masked) {
      commands.push(sh`systemctl${s} ${want ? 'mask' : 'unmask'} -- ${unit}`);
      done.push(want ? 'masked' : 'unmasked');
      masked = want;
    }
  }
  if ((args.enabled !== undefined || args.state !== undefined) && !found && !(args.masked !== undefined && toBool(args.masked))) {
    return failPlan(`Could not find the requested service ${args.name}: host`, data);
  }
  if (args.enabled !== undefined) {
    const want = toBool(args.enabled);
    const word = st.isEnabled?.word ?? '';
    // Ansible: is-enabled's exit code, except a unit that is only `indirect` or `alias`
    const enabled = (st.isEnabled?.rc ?? 1) === 0 && word !== 'indirect' && word !== 'alias';
    if (masked && want) return failPlan(`Unable to enable service ${args.name}: it is masked`, data);
    if (want !== enabled) {
      commands.push(sh`systemctl${s}${force} ${want ? 'enable' : 'disable'} -- ${unit}`);
      done.push(want ? 'enabled' : 'disabled');
    }
    data.enabled = want;
  }
  if (args.state !== undefined) {
    const active = ['active', 'activating', 'reloading'].includes(status.ActiveState ?? '');
    let verb: string | undefined;
    if (args.state === 'started') verb = active ? undefined : 'start';
    else if (args.state === 'stopped') verb = active ? 'stop' : undefined;
    else if (args.state === 'restarted') verb = active ? 'restart' : 'start';
    else verb = active ? 'reload' : 'start';
    if (verb) {
      if (masked && verb !== 'stop') return failPlan(`Unable to ${verb} service ${args.name}: it is masked`, data);
      commands.push(sh`systemctl${s}${noBlock} ${verb} -- ${unit}`);
      done.push(verb === 'start' ? 'started' : verb === 'stop' ? 'stopped' : verb === 'restart' ? 'restarted' : 'reloaded');
    }
    data.state = args.state;
  }
  const state = (): string => `${unit} is ${status.ActiveState ?? 'unknown'}${args.enabled !== undefined ? `, ${st.isEnabled?.word ?? 'unknown'}` : ''}${masked ? ', masked' : ''}`;
  if (commands.length === 0) return noop(state(), data);
  // daemon-reload/reexec run, but, as in Ansible, do not make the task changed
  if (commands.length === reloads) return { commands, changed: false, msg: state(), data };
  return { commands, msg: `${unit}: ${done.join(', ')}`, data, timeoutMs: 600_000 };
}

export const systemdServiceModule = defineModule<SystemdArgs, SystemdState>({
  name: 'systemd_service',
  aliases: ['systemd'],
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, aliases: ['service', 'unit'], description: 'the unit (`.service` is added when no unit type is given)' },
      state: { type: 'string', enum: ['started', 'stopped', 'restarted', 'reloaded'], description: '`started`/`stopped` act only when needed; `restarted` and `reloaded` always act (reloaded starts a stopped unit)' },
      enabled: boolSchema('start at boot (systemctl enable/disable)'),
      masked: boolSchema('mask (cannot be started at all) or unmask the unit'),
      force: boolSchema('enable/disable with --force (replace conflicting links)', false),
      daemon_reload: { ...boolSchema('run `systemctl daemon-reload` first (unit files changed)', false), aliases: ['daemon-reload'] },
      daemon_reexec: { ...boolSchema('run `systemctl daemon-reexec` first', false), aliases: ['daemon-reexec'] },
      scope: { type: 'string', enum: ['system', 'user', 'global'], default: 'system', description: 'the systemd instance: `user` is the task\'s (become) user\'s manager (needs its session: XDG_RUNTIME_DIR), `global` enables for all users' },
      no_block: boolSchema('do not wait for the start/stop job to finish (--no-block)', false),
    },
  }),
  doc: {
    short: 'Control a systemd unit: started/stopped/restarted/reloaded, enabled at boot, masked; daemon-reload',
    description:
      'Needs systemd running on the host (use `service` on hosts without it). One probe (`systemctl show` and `is-enabled`); daemon-reload/daemon-reexec, mask/unmask, enable/disable and start/stop/restart/reload run only as needed, in that order, in one command.',
    returns: {
      name: 'the unit as given',
      state: 'the state asked for',
      enabled: 'whether it starts at boot (when asked)',
      status: 'the unit\'s `systemctl show` properties before the task (ActiveState, SubState, UnitFileState, MainPID, ...), as Ansible registers them',
    },
    example: '- systemd_service:\n    name: asterisk\n    state: started\n    enabled: yes\n    daemon_reload: yes',
    notes: ['`status` is read before the change, as in Ansible.'],
  },
  probe: (args) => systemdFact(args),
  plan: planSystemd,
});
