// service: started/stopped/restarted/reloaded and enabled at boot. systemd where it runs,
// otherwise the init script through `service` and update-rc.d (containers and the lab have
// no systemd). One probe decides; started/stopped/enabled run nothing when already so.
import { sh, type ShellCommand } from '../transport/command.js';
import { serviceStateFact, type ServiceState } from '../facts/service.js';
import { boolSchema, toBool } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean | string;
  daemon_reload?: boolean | string;
}

export function planService(args: ServiceArgs, st: ServiceState, _env: PlanEnv): Plan {
  const name = args.name;
  const data: Record<string, unknown> = { name, manager: st.manager };
  if (!st.exists) {
    const where = st.manager === 'systemd' ? `no systemd unit ${name}` : `no init script /etc/init.d/${name} (and systemd is not running on this host)`;
    return failPlan(`service ${name} not found: ${where}; is its package installed?`, data);
  }
  const commands: ShellCommand[] = [];
  const done: string[] = [];
  const sd = st.manager === 'systemd';
  const act = (verb: string): ShellCommand => (sd ? sh`systemctl ${verb} -- ${name}` : sh`service ${name} ${verb}`);
  if (sd && toBool(args.daemon_reload)) commands.push(sh`systemctl daemon-reload`);
  switch (args.state) {
    case 'started':
      if (!st.running) {
        commands.push(act('start'));
        done.push('started');
      }
      break;
    case 'stopped':
      if (st.running) {
        commands.push(act('stop'));
        done.push('stopped');
      }
      break;
    case 'restarted':
      commands.push(act('restart'));
      done.push(st.running ? 'restarted' : 'started');
      break;
    case 'reloaded':
      commands.push(act(st.running ? 'reload' : 'start'));
      done.push(st.running ? 'reloaded' : 'started (was not running)');
      break;
    case undefined:
      break;
  }
  if (args.enabled !== undefined) {
    const want = toBool(args.enabled);
    if (want !== st.enabled) {
      if (sd) commands.push(sh`systemctl ${want ? 'enable' : 'disable'} -- ${name}`);
      else if (want) commands.push(st.hasLinks ? sh`update-rc.d ${name} enable` : sh`update-rc.d ${name} defaults`);
      else commands.push(sh`update-rc.d ${name} disable`);
      done.push(want ? 'enabled at boot' : 'disabled at boot');
    }
  }
  data.state = args.state === 'stopped' ? 'stopped' : args.state ? 'started' : st.running ? 'started' : 'stopped';
  data.enabled = args.enabled !== undefined ? toBool(args.enabled) : st.enabled;
  const hasAction = commands.some((c) => !c.toShell().startsWith('systemctl daemon-reload'));
  if (!hasAction) {
    const now = [st.running ? 'running' : 'stopped', ...(args.enabled !== undefined ? [st.enabled ? 'enabled' : 'disabled'] : [])];
    return noop(`${name} is ${now.join(' and ')} (${st.manager})`, data);
  }
  return { commands, msg: `${name} ${done.join(', ')} (${st.manager})`, data };
}

export const serviceModule = defineModule<ServiceArgs, ServiceState>({
  name: 'service',
  aliases: ['sysvinit'],
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, aliases: ['service', 'unit'], description: 'service name (systemd unit without `.service`, or the /etc/init.d script)' },
      state: {
        type: 'string',
        enum: ['started', 'stopped', 'restarted', 'reloaded'],
        description: '`started`/`stopped` act only when needed; `restarted` and `reloaded` always act (reloaded starts a stopped service)',
      },
      enabled: boolSchema('start at boot (systemctl enable, or update-rc.d without systemd)'),
      daemon_reload: boolSchema('systemd: run `systemctl daemon-reload` first', false),
    },
    required: ['name'],
    extra: { anyOf: [{ required: ['state'] }, { required: ['enabled'] }] },
  }),
  doc: {
    short: 'Start, stop, restart or reload a service, and enable it at boot',
    description:
      'Uses systemd when it is running on the host (`/run/systemd/system` exists); otherwise the init script through `service NAME ...` and `update-rc.d` for boot links, so it works in containers and the runbook lab, where there is no systemd. One probe reads the state; `started`, `stopped` and `enabled` do nothing when already so.',
    returns: { name: 'the service', state: '`started` or `stopped` after the task', enabled: 'starts at boot', manager: '`systemd` or `sysvinit`' },
    example: '- service:\n    name: apache2\n    state: reloaded\n- service:\n    name: apache2\n    state: started\n    enabled: yes',
    notes: ['Without systemd, "running" is the init script\'s `status` (exit 0).'],
  },
  probe: (args) => serviceStateFact(args.name),
  plan: (args, st, env) => ({ ...planService(args, st, env), timeoutMs: 600_000 }),
});
