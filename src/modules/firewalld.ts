// firewalld: allow (enabled) or stop allowing (disabled) services and ports in a zone, with the
// arguments of Ansible's ansible.posix.firewalld (service, port, zone, permanent, immediate,
// state). Runtime and permanent configuration are compared separately, so only what is missing
// where it is asked for is changed. A host without firewalld, or with firewalld not running,
// is left alone and the task says so (ok): there is no firewalld filtering traffic to change.
import { sh, type ShellCommand } from '../transport/command.js';
import { firewalldFact, nodeZone, type FirewalldState, type FirewalldZone } from '../facts/firewalld.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
import { moduleSchema } from './util/schema.js';

export interface FirewalldArgs {
  service?: string | string[];
  port?: string | string[];
  zone?: string;
  permanent?: boolean | string;
  immediate?: boolean | string;
  state: 'enabled' | 'disabled';
}

/** `80/tcp`, `8000-8100/udp` (firewalld's own port spelling). */
const PORT_RE = /^\d{1,5}(-\d{1,5})?\/(tcp|udp|sctp|dccp)$/;

type Layer = 'runtime' | 'permanent';

export function planFirewalld(args: FirewalldArgs, st: FirewalldState, _env: PlanEnv): Plan {
  const services = toList(args.service);
  const ports = toList(args.port);
  const bad = ports.filter((p) => !PORT_RE.test(p));
  if (bad.length) return failPlan(`port ${bad.join(', ')}: give PORT/PROTOCOL or FROM-TO/PROTOCOL, e.g. 80/tcp or 8000-8100/udp`);
  if (services.length === 0 && ports.length === 0) return failPlan('nothing to change: give service and/or port');
  if (st.kind === 'missing') return noop('firewalld is not installed: no host firewall to change', { firewalld: 'missing' });
  if (st.kind === 'stopped') {
    const detail = st.detail === 'not running' ? '' : ` (${st.detail})`;
    return noop(`firewalld is installed but not running${detail}: no host firewall to change`, { firewalld: 'not running' });
  }

  const picked = args.zone ? { zone: args.zone, why: 'given' } : nodeZone(st);
  const zone = picked.zone;
  if (!st.runtime[zone] && !st.permanent[zone]) {
    return failPlan(`firewalld has no zone ${zone}: known zones are ${Object.keys(st.permanent).sort().join(', ')}`, { firewalld: 'running', zone });
  }
  // Ansible: permanent false means runtime only (immediate is implied); permanent true changes
  // the permanent configuration, and the runtime too when immediate is true.
  const permanent = toBool(args.permanent, false);
  const layers: Layer[] = permanent ? (toBool(args.immediate, false) ? ['runtime', 'permanent'] : ['permanent']) : ['runtime'];
  const enable = args.state === 'enabled';
  const commands: ShellCommand[] = [];
  const changes: Array<{ layer: Layer; values: string }> = [];
  const wanted = [...services.map((s) => ({ kind: 'service' as const, value: s })), ...ports.map((p) => ({ kind: 'port' as const, value: p }))];
  for (const layer of layers) {
    const z: FirewalldZone = (layer === 'runtime' ? st.runtime[zone] : st.permanent[zone]) ?? { interfaces: [], services: [], ports: [] };
    const todo = wanted.filter((w) => (w.kind === 'service' ? z.services : z.ports).includes(w.value) !== enable);
    if (todo.length === 0) continue;
    const flags = todo.map((w) => `--${enable ? 'add' : 'remove'}-${w.kind}=${w.value}`);
    commands.push(layer === 'permanent' ? sh`firewall-cmd --permanent --zone=${zone} ${flags}` : sh`firewall-cmd --zone=${zone} ${flags}`);
    changes.push({ layer, values: todo.map((w) => w.value).join(', ') });
  }
  const what = wanted.map((w) => w.value).join(', ');
  const data = { firewalld: 'running', zone, zone_reason: picked.why, changed_in: changes.map((c) => `${c.values} (${c.layer})`) };
  const where = layers.length === 2 ? 'runtime and permanent' : layers[0];
  if (commands.length === 0) {
    return noop(enable ? `zone ${zone} (${picked.why}) already allows ${what} (${where})` : `zone ${zone} (${picked.why}) does not allow ${what} (${where}): nothing to remove`, data);
  }
  // one line: "allow http, https (runtime and permanent)" when both layers needed the same
  const same = changes.length === 2 && changes[0]?.values === changes[1]?.values;
  const done = same ? `${changes[0]?.values ?? ''} (runtime and permanent)` : changes.map((c) => `${c.values} (${c.layer})`).join('; ');
  return { commands, msg: `zone ${zone} (${picked.why}): ${enable ? 'allow' : 'stop allowing'} ${done}`, data };
}

export const firewalldModule = defineModule<FirewalldArgs, FirewalldState>({
  name: 'firewalld',
  aliases: ['ansible.posix.firewalld'],
  schema: moduleSchema({
    properties: {
      service: listSchema('firewalld service name(s) to allow or remove (`http`, `https`; `firewall-cmd --get-services` lists them); a list is accepted besides Ansible\'s single name'),
      port: listSchema('port(s) as PORT/PROTOCOL or FROM-TO/PROTOCOL (`80/tcp`, `8000-8100/udp`)'),
      zone: {
        type: 'string',
        minLength: 1,
        description:
          "the zone to change; default: the zone holding the node's interface (that of the default route, else the only zone holding an interface), else firewalld's default zone",
      },
      permanent: boolSchema('change the permanent configuration (survives a reload and reboot); false changes the running firewall only', false),
      immediate: boolSchema('with permanent: also change the running firewall now', false),
      state: { type: 'string', enum: ['enabled', 'disabled'], description: '`enabled` allows, `disabled` stops allowing' },
    },
    required: ['state'],
    extra: { anyOf: [{ required: ['service'] }, { required: ['port'] }] },
  }),
  doc: {
    short: 'Allow or stop allowing services and ports in a firewalld zone (ansible.posix.firewalld)',
    description:
      'Compares the zone\'s runtime and permanent configuration with what is asked and runs `firewall-cmd` only for what is missing, so a zone that already allows the services is left as it is. ' +
      "Without `zone`, the zone that holds the node's network interface is changed: that is the zone firewalld applies to the node's traffic (Ansible uses the default zone, which is the same unless the interface is bound to another zone, as on AllStarLink's appliance). " +
      'When firewalld is not installed or not running, nothing is changed and the task says so (status ok).',
    returns: {
      firewalld: '`missing`, `not running` or `running`',
      zone: 'the zone changed or compared',
      zone_reason: 'why that zone (given, holds the interface, the default zone)',
      changed_in: 'what was added or removed, per runtime/permanent',
    },
    example: '- firewalld:\n    service: [http, https]\n    permanent: true\n    immediate: true\n    state: enabled',
    notes: ['`state: present/absent` (zone management) and rich rules, sources, interfaces and masquerading of the Ansible module are not supported.'],
  },
  probe: () => firewalldFact,
  plan: (args, st, env) => ({ ...planFirewalld(args, st, env), timeoutMs: 120_000 }),
});
