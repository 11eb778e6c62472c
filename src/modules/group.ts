// group: a local group exists with this gid, or does not. One `getent` probe; groupadd,
// groupmod or groupdel only when they change something (shadow-utils, as on Debian).
import { sh, type ShellCommand } from '../transport/command.js';
import { accountFact, type AccountState } from '../facts/account.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { failedOutcomePlan } from './runner.js';

export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number | string;
  system?: boolean | string;
  non_unique?: boolean | string;
  force?: boolean | string;
  local?: boolean | string;
}

const GID_MARK = '@@rb-gid ';

export function planGroup(args: GroupArgs, st: AccountState, _env: PlanEnv): Plan {
  const name = args.name;
  const state = args.state ?? 'present';
  const g = st.group;
  const system = toBool(args.system);
  const data: Record<string, unknown> = { name, state, system };
  if (state === 'absent') {
    if (!g) return noop(`group ${name} does not exist`, data);
    return { commands: [toBool(args.force) ? sh`groupdel -f ${name}` : sh`groupdel ${name}`], msg: `group ${name} removed`, data };
  }
  const gid = args.gid === undefined || args.gid === '' ? undefined : Number(args.gid);
  if (gid !== undefined && (!Number.isInteger(gid) || gid < 0)) return failPlan(`gid ${JSON.stringify(args.gid)} is not a number`, data);
  if (g && (gid === undefined || g.gid === gid)) return noop(`group ${name} exists (gid ${g.gid})`, { ...data, gid: g.gid });
  const o = toBool(args.non_unique) ? sh` -o` : sh``;
  let command: ShellCommand;
  let msg: string;
  if (g) {
    command = sh`groupmod -g ${String(gid)}${o} ${name}`;
    msg = `group ${name}: gid ${g.gid} → ${gid}`;
  } else {
    const flags: ShellCommand[] = [];
    if (gid !== undefined) flags.push(sh` -g ${String(gid)}`, o);
    if (system) flags.push(sh` -r`);
    command = sh`groupadd${flags.reduce((a, f) => sh`${a}${f}`, sh``)} ${name}`;
    msg = `group ${name} created${gid !== undefined ? ` (gid ${gid})` : ''}`;
  }
  const plan: Plan = { commands: [command, sh`printf '%s%s\\n' ${GID_MARK} "$(getent group ${name} | cut -d: -f3)"`], msg, data: { ...data, ...(gid !== undefined ? { gid } : {}) } };
  return {
    ...plan,
    after(r) {
      if (!r.ok) return failedOutcomePlan(plan, r);
      const m = new RegExp(`${GID_MARK}(\\d+)`).exec(r.stdout);
      return { commands: [], changed: true, msg, data: { ...plan.data, ...(m ? { gid: Number(m[1]) } : {}) } };
    },
  };
}

export const groupModule = defineModule<GroupArgs, AccountState>({
  name: 'group',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, description: 'the group' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the group exists' },
      gid: { type: ['integer', 'string'], description: 'the group id (changed with groupmod when the group exists with another)' },
      system: boolSchema('create a system group (groupadd -r: a gid from the system range)', false),
      non_unique: boolSchema('allow a gid another group has (groupadd/groupmod -o)', false),
      force: boolSchema('state=absent: remove the group even when it is a user\'s primary group (groupdel -f)', false),
      local: boolSchema('Ansible\'s lgroupadd path for non-files NSS: not supported (give `false` or leave it out)', false),
    },
    required: ['name'],
    extra: { not: { properties: { local: { enum: [true, 'yes', 'true', 'True', 'Yes', 'on', 'y', '1'] } }, required: ['local'] } },
  }),
  doc: {
    short: 'Make sure a local group exists (with a gid) or does not',
    description: 'One `getent group` probe; `groupadd`, `groupmod -g` or `groupdel` run only when they change something. The gid of a new group is read back in the same command.',
    returns: { name: 'the group', state: '`present` or `absent`', gid: 'the group id', system: 'whether a system group was asked for' },
    example: '- group:\n    name: asterisk\n    gid: 990\n    system: yes',
    notes: ['`local: yes` (luseradd tools) is not supported: runbook manages the files database with shadow-utils.'],
  },
  probe: (args) => {
    const f = accountFact({ groups: [args.name] });
    return { ...f, parse: (o, e, c) => {
      const st = f.parse(o, e, c);
      const g = st.knownGroups[args.name];
      return g ? { ...st, group: g } : st;
    } };
  },
  plan: planGroup,
});
