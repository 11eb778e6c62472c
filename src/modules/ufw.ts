// ufw: allow/deny a port when the host firewall is ufw and it is active. A host without ufw, or
// with ufw inactive, is left alone and the task says so (ok, not changed): opening a port in an
// inactive firewall would change nothing the operator can see.
import { sh } from '../transport/command.js';
import { ufwFact, type UfwStatus } from '../facts/ufw.js';
import { noop, type Plan, type PlanEnv } from './contract.js';
import { defineModule } from './runner.js';

export interface UfwArgs {
  rule?: 'allow' | 'deny' | 'reject' | 'limit';
  port: string | number | Array<string | number>;
  proto?: 'tcp' | 'udp' | 'any';
}

/** Pure: the `ufw RULE PORT/PROTO` commands still needed. */
export function planUfw(status: UfwStatus, args: UfwArgs): { specs: string[]; reason: string } {
  const rule = args.rule ?? 'allow';
  const proto = args.proto ?? 'tcp';
  const ports = (Array.isArray(args.port) ? args.port : [args.port]).map(String);
  const specs = ports.map((p) => (proto === 'any' ? p : `${p}/${proto}`));
  if (status.kind === 'missing') return { specs: [], reason: 'ufw is not installed: no host firewall to change' };
  if (status.kind === 'inactive') return { specs: [], reason: 'ufw is installed but inactive: no host firewall to change' };
  const missing = specs.filter((s) => !status.rules.some((r) => r.to === s && r.action === rule && r.from === 'Anywhere'));
  return { specs: missing, reason: missing.length ? `${rule} ${missing.join(', ')}` : `ufw already has ${rule} ${specs.join(', ')}` };
}

export const ufwModule = defineModule<UfwArgs, UfwStatus>({
  name: 'ufw',
  aliases: ['community.general.ufw'],
  schema: {
    type: 'object',
    properties: {
      rule: { type: 'string', enum: ['allow', 'deny', 'reject', 'limit'], default: 'allow', description: 'what to do with matching traffic' },
      port: {
        description: 'port(s) or service names, e.g. 80, "443", [80, 443]',
        anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } }],
      },
      proto: { type: 'string', enum: ['tcp', 'udp', 'any'], default: 'tcp', description: 'protocol' },
    },
    required: ['port'],
    additionalProperties: false,
  },
  doc: {
    short: 'Allow or deny a port in ufw, when ufw is installed and active',
    description: 'When ufw is not installed or is inactive, nothing is changed and the task reports that (status ok).',
    returns: { ufw: 'missing, inactive or active', added: 'rules added (e.g. `80/tcp`)' },
    example: '- ufw:\n    rule: allow\n    port: [80, 443]\n    proto: tcp',
  },
  probe: () => ufwFact,
  plan: planUfwTask,
});

export function planUfwTask(args: UfwArgs, status: UfwStatus, env: PlanEnv): Plan {
  const p = planUfw(status, args);
  const data = { ufw: status.kind, added: p.specs };
  if (p.specs.length === 0) return noop(p.reason, data);
  return { commands: p.specs.map((spec) => sh`ufw ${args.rule ?? 'allow'} ${spec}`), msg: env.check ? `would ${p.reason}` : p.reason, data };
}
