// user: a local account exists with these properties, or does not (useradd/usermod/userdel,
// as on Debian). One probe reads passwd, the groups asked for, the user's memberships and a
// digest of the shadow password; the password hash itself goes to `chpasswd -e` on stdin, so
// it is never on a command line, in a message, a diff or the registered result.
import { createHash } from 'node:crypto';
import { sh, type ShellCommand } from '../transport/command.js';
import { accountFact, type AccountState } from '../facts/account.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, failedOutcomePlan } from './runner.js';

export interface UserArgs {
  name: string;
  state?: 'present' | 'absent';
  uid?: number | string;
  group?: string;
  groups?: string[] | string;
  append?: boolean | string;
  comment?: string;
  home?: string;
  shell?: string;
  password?: string;
  update_password?: 'always' | 'on_create';
  password_lock?: boolean | string;
  create_home?: boolean | string;
  move_home?: boolean | string;
  system?: boolean | string;
  non_unique?: boolean | string;
  remove?: boolean | string;
  force?: boolean | string;
  expires?: number | string;
}

/** What Ansible registers instead of the password. */
const NOT_LOGGED = 'NOT_LOGGING_PASSWORD';
const PASSWD_MARK = '@@rb-passwd ';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Ansible's expires (epoch seconds, float; negative: never) → shadow's days since the epoch ('' never). */
function expireDays(expires: number | string | undefined): string | undefined {
  if (expires === undefined || expires === '') return undefined;
  const n = Number(expires);
  if (!Number.isFinite(n)) throw new TypeError(`expires ${JSON.stringify(expires)} is not a number of seconds since the epoch`);
  return n < 0 ? '' : String(Math.floor(n / 86400));
}

function dateOfDays(days: string): string {
  return days === '' ? '' : new Date(Number(days) * 86400_000).toISOString().slice(0, 10);
}

function groupOf(st: AccountState, g: string): { name: string; gid: number } | undefined {
  const e = st.knownGroups[g];
  return e ? { name: e.name, gid: e.gid } : undefined;
}

function userData(args: UserArgs, st: AccountState, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const u = st.user;
  const d: Record<string, unknown> = { name: args.name, state: args.state ?? 'present' };
  if ((args.state ?? 'present') === 'absent') return { ...d, force: toBool(args.force), remove: toBool(args.remove), ...extra };
  Object.assign(d, {
    append: toBool(args.append),
    create_home: toBool(args.create_home, true),
    move_home: toBool(args.move_home),
    system: toBool(args.system),
    force: toBool(args.force),
    remove: toBool(args.remove),
  });
  if (u) Object.assign(d, { uid: u.uid, group: u.gid, comment: u.comment, home: u.home, shell: u.shell, groups: st.groups.join(',') });
  if (args.password !== undefined) d.password = NOT_LOGGED;
  return { ...d, ...extra };
}

/** The entry read back after a change (uid, primary gid, home, shell, comment as the host made them). */
function readBack(name: string): ShellCommand {
  return sh`printf '%s%s\\n' ${PASSWD_MARK} "$(getent passwd ${name})"`;
}

function withReadBack(plan: Plan, name: string): Plan {
  const full: Plan = { ...plan, commands: [...plan.commands, readBack(name)] };
  return {
    ...full,
    after: (r) => {
      if (!r.ok) return failedOutcomePlan(plan, r);
      const line = r.stdout.slice(r.stdout.lastIndexOf(PASSWD_MARK) + PASSWD_MARK.length).split('\n')[0] ?? '';
      const [, , uid = '', gid = '', comment = '', home = '', shell = ''] = line.split(':');
      const back = line.includes(':') ? { uid: Number(uid), group: Number(gid), comment, home, shell } : {};
      return { commands: [], changed: true, msg: plan.msg, data: { ...plan.data, ...back } };
    },
  };
}

export function planUser(args: UserArgs, st: AccountState, _env: PlanEnv): Plan {
  const name = args.name;
  const u = st.user;
  if ((args.state ?? 'present') === 'absent') {
    const data = userData(args, st);
    if (!u) return noop(`user ${name} does not exist`, data);
    const del = sh`userdel${toBool(args.remove) ? sh` -r` : sh``}${toBool(args.force) ? sh` -f` : sh``} ${name}`;
    return { commands: [del], msg: `user ${name} removed${toBool(args.remove) ? ' with its home' : ''}`, data };
  }
  let expires: string | undefined;
  try {
    expires = expireDays(args.expires);
  } catch (e) {
    return failPlan((e as Error).message, userData(args, st));
  }
  // groups that must exist (Ansible: "Group X does not exist")
  const wantedGroups = args.groups === undefined ? undefined : toList(args.groups);
  for (const g of [...(args.group !== undefined ? [args.group] : []), ...(wantedGroups ?? [])]) {
    if (!groupOf(st, g)) return failPlan(`Group ${g} does not exist`, userData(args, st));
  }
  const uid = args.uid === undefined || args.uid === '' ? undefined : Number(args.uid);
  if (uid !== undefined && (!Number.isInteger(uid) || uid < 0)) return failPlan(`uid ${JSON.stringify(args.uid)} is not a number`, userData(args, st));
  const o = toBool(args.non_unique) ? [sh`-o`] : [];
  const flags: ShellCommand[] = [];
  const changes: string[] = [];
  const wantGroupNames = wantedGroups?.map((g) => groupOf(st, g)!.name);
  const passwordWanted = args.password !== undefined && (!u || (args.update_password ?? 'always') === 'always') && (!u || st.passwordSha !== sha256(args.password));
  const commands: ShellCommand[] = [];
  let stdin: string | undefined;
  if (!u) {
    if (uid !== undefined) flags.push(sh`-u ${String(uid)}`, ...o);
    if (args.group !== undefined) flags.push(sh`-g ${groupOf(st, args.group)!.name}`);
    if (wantGroupNames?.length) flags.push(sh`-G ${wantGroupNames.join(',')}`);
    if (args.comment !== undefined) flags.push(sh`-c ${args.comment}`);
    if (args.home !== undefined) flags.push(sh`-d ${args.home}`);
    if (args.shell !== undefined) flags.push(sh`-s ${args.shell}`);
    if (expires !== undefined) flags.push(sh`-e ${dateOfDays(expires)}`);
    if (toBool(args.system)) flags.push(sh`-r`);
    flags.push(toBool(args.create_home, true) ? sh`-m` : sh`-M`);
    commands.push(sh`useradd ${flags.reduce((a, f, i) => (i === 0 ? f : sh`${a} ${f}`), sh``)} ${name}`);
    changes.push('created');
  } else {
    if (uid !== undefined && u.uid !== uid) {
      flags.push(sh`-u ${String(uid)}`, ...o);
      changes.push(`uid ${u.uid} → ${uid}`);
    }
    if (args.group !== undefined) {
      const g = groupOf(st, args.group)!;
      if (g.gid !== u.gid) {
        flags.push(sh`-g ${g.name}`);
        changes.push(`group ${st.primaryGroup ?? u.gid} → ${g.name}`);
      }
    }
    if (wantGroupNames !== undefined) {
      const have = new Set(st.groups);
      const primary = st.primaryGroup;
      const want = wantGroupNames.filter((g) => g !== primary);
      if (toBool(args.append)) {
        const missing = want.filter((g) => !have.has(g));
        if (missing.length) {
          flags.push(sh`-a -G ${missing.join(',')}`);
          changes.push(`groups +${missing.join(',')}`);
        }
      } else {
        const same = want.length === have.size && want.every((g) => have.has(g));
        if (!same) {
          flags.push(sh`-G ${want.join(',')}`);
          changes.push(`groups ${[...have].join(',') || '(none)'} → ${want.join(',') || '(none)'}`);
        }
      }
    }
    if (args.comment !== undefined && args.comment !== u.comment) {
      flags.push(sh`-c ${args.comment}`);
      changes.push('comment');
    }
    if (args.home !== undefined && args.home !== u.home) {
      flags.push(toBool(args.move_home) ? sh`-d ${args.home} -m` : sh`-d ${args.home}`);
      changes.push(`home ${u.home} → ${args.home}`);
    }
    if (args.shell !== undefined && args.shell !== u.shell) {
      flags.push(sh`-s ${args.shell}`);
      changes.push(`shell ${u.shell} → ${args.shell}`);
    }
    if (expires !== undefined && st.expireDays !== undefined && expires !== st.expireDays) {
      flags.push(sh`-e ${dateOfDays(expires)}`);
      changes.push(`expires ${dateOfDays(expires) || 'never'}`);
    }
    if (flags.length) commands.push(sh`usermod ${flags.reduce((a, f, i) => (i === 0 ? f : sh`${a} ${f}`), sh``)} ${name}`);
  }
  if (passwordWanted) {
    // the hash travels on stdin only
    commands.push(sh`chpasswd -e`);
    stdin = `${name}:${args.password}\n`;
    changes.push('password');
  }
  if (args.password_lock !== undefined) {
    const lock = toBool(args.password_lock);
    const locked = u ? st.locked === true : false;
    if (lock !== locked) {
      commands.push(lock ? sh`usermod -L ${name}` : sh`usermod -U ${name}`);
      changes.push(lock ? 'password locked' : 'password unlocked');
    }
  }
  const data = userData(args, st);
  if (commands.length === 0) return noop(`user ${name} exists as wanted (uid ${u!.uid})`, data);
  const plan: Plan = { commands, msg: `user ${name}: ${changes.join(', ')}`, data };
  if (stdin !== undefined) plan.stdin = stdin;
  return withReadBack(plan, name);
}

export const userModule = defineModule<UserArgs, AccountState>({
  name: 'user',
  secretArgs: ['password'],
  homePaths: ['home'],
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, aliases: ['user'], description: 'the account' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the account exists' },
      uid: { type: ['integer', 'string'], description: 'user id' },
      group: { type: 'string', description: 'primary group (name or gid; must exist)' },
      groups: listSchema('supplementary groups (must exist); with append: no the user is in exactly these, `[]` removes all'),
      append: boolSchema('add the user to `groups` without removing it from others', false),
      comment: { type: 'string', description: 'the GECOS field (full name)' },
      home: { type: 'string', description: 'home directory' },
      shell: { type: 'string', description: 'login shell' },
      password: { type: 'string', description: 'the password HASH (crypt(3), e.g. from `password_hash`), set with `chpasswd -e` on stdin; never shown' },
      update_password: { type: 'string', enum: ['always', 'on_create'], default: 'always', description: '`on_create` sets the password of new accounts only' },
      password_lock: boolSchema('lock (usermod -L) or unlock (-U) the password'),
      create_home: { ...boolSchema('create the home directory of a new account (useradd -m; -M when no)', true), aliases: ['createhome'] },
      move_home: boolSchema('when home changes, move the old home\'s content there (usermod -d -m)', false),
      system: boolSchema('a new account is a system account (useradd -r)', false),
      non_unique: boolSchema('allow a uid another account has (-o)', false),
      remove: boolSchema('state=absent: remove the home directory and mail spool too (userdel -r)', false),
      force: boolSchema('state=absent: remove the account even while the user is logged in (userdel -f)', false),
      expires: { type: ['number', 'string'], description: 'account expiry as epoch seconds; a negative number: never' },
    },
    required: ['name'],
  }),
  doc: {
    short: 'Make sure a local user account exists with these properties, or does not',
    description:
      'One probe reads the account (getent passwd), the groups asked for, its group memberships and a sha256 digest of its shadow password field; useradd, usermod, chpasswd -e or userdel run only for what differs, in one command, and the account is read back (uid, group, home) in the same command. The password hash goes on stdin, never on a command line, and is registered as `NOT_LOGGING_PASSWORD`.',
    returns: {
      name: 'the account',
      state: '`present` or `absent`',
      uid: 'user id',
      group: 'primary group id',
      groups: 'supplementary groups, comma-separated',
      comment: 'GECOS field',
      home: 'home directory',
      shell: 'login shell',
      password: '`NOT_LOGGING_PASSWORD` when a password was given',
      'append / create_home / move_home / system / force / remove': 'the arguments as used',
    },
    example: '- user:\n    name: asterisk\n    comment: Asterisk PBX\n    groups: [audio, dialout]\n    append: yes\n    shell: /usr/sbin/nologin\n    system: yes',
    notes: [
      '`password` is a hash, as in Ansible: use `{{ "secret" | password_hash("sha512") }}`.',
      'SSH key generation (generate_ssh_key), SELinux users, local (luseradd) and the non-Linux options are not supported: they are refused by name.',
    ],
  },
  probe: (args) => accountFact({ user: args.name, groups: [...(args.group !== undefined ? [args.group] : []), ...toList(args.groups)] }),
  plan: planUser,
});
