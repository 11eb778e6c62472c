// ufw: allow/deny a port when the host firewall is ufw and it is active. A host without ufw, or
// with ufw inactive, is left alone and the task says so (ok, not changed): opening a port in an
// inactive firewall would change nothing the operator can see.
import { sh } from '../transport/command.js';
import type { ModuleDefinition } from './types.js';

export interface UfwArgs {
  rule?: 'allow' | 'deny' | 'reject' | 'limit';
  port: string | number | Array<string | number>;
  proto?: 'tcp' | 'udp' | 'any';
}

export type UfwStatus = { kind: 'missing' } | { kind: 'inactive' } | { kind: 'active'; rules: UfwRule[] };

export interface UfwRule {
  /** `80/tcp`, `443`, `22/udp` */
  to: string;
  action: string;
  from: string;
  v6: boolean;
}

export const UFW_PROBE = sh`if command -v ufw >/dev/null 2>&1; then ufw status 2>&1; else echo '@@missing'; fi`;

export function parseUfwStatus(stdout: string): UfwStatus {
  if (stdout.includes('@@missing')) return { kind: 'missing' };
  if (!/Status:\s*active/i.test(stdout)) return { kind: 'inactive' };
  const rules: UfwRule[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)(\s+\(v6\))?\s+(ALLOW|DENY|REJECT|LIMIT)(?:\s+IN)?\s+(.+?)\s*$/.exec(line);
    if (m?.[1] && m[3] && m[4]) rules.push({ to: m[1], action: m[3].toLowerCase(), from: m[4].replace(/\s*\(v6\)$/, ''), v6: Boolean(m[2]) });
  }
  return { kind: 'active', rules };
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

export const ufwModule: ModuleDefinition<UfwArgs> = {
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
  async run(ctx, args) {
    const r = await ctx.exec(UFW_PROBE);
    const status = parseUfwStatus(r.stdout + r.stderr);
    const plan = planUfw(status, args);
    const data = { ufw: status.kind, added: plan.specs };
    if (plan.specs.length === 0) return { changed: false, msg: plan.reason, data };
    if (ctx.check) return { changed: true, msg: `would ${plan.reason}`, data };
    for (const spec of plan.specs) await ctx.run(sh`ufw ${args.rule ?? 'allow'} ${spec}`);
    return { changed: true, msg: plan.reason, data };
  },
};
