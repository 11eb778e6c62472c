// Local users and groups as the passwd, group and shadow databases have them (getent: files,
// and whatever NSS adds), in one command. The password hash never leaves the host: the probe
// prints its sha256 and whether it is locked, so a plan can compare without seeing it.
import { sh } from '../transport/command.js';
import { sectionMap } from './sections.js';
import type { Fact } from './types.js';

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface AccountState {
  user?: UserEntry;
  /** name of the user's primary group */
  primaryGroup?: string;
  /** supplementary groups the user is a member of */
  groups: string[];
  /** sha256 (hex) of the shadow password field; undefined when shadow cannot be read */
  passwordSha?: string;
  /** the shadow password field starts with `!` */
  locked?: boolean;
  /** shadow's expiry field: days since the epoch ('' = never) */
  expireDays?: string;
  /** groups asked about (primary and supplementary arguments): name or gid → entry, absent when missing */
  knownGroups: Record<string, GroupEntry | null>;
  /** group module: the group itself */
  group?: GroupEntry;
}

function parseGroup(line: string | undefined): GroupEntry | undefined {
  if (!line) return undefined;
  const [name = '', , gid = '', members = ''] = line.split(':');
  return { name, gid: Number(gid), members: members === '' ? [] : members.split(',') };
}

/** getent NAME for a user (when given), the asked groups, the user's memberships and shadow digest. */
export function accountFact(opts: { user?: string; groups?: readonly string[] }): Fact<AccountState> {
  const groups = [...new Set(opts.groups ?? [])];
  const parts = [sh`:`];
  if (opts.user !== undefined) {
    const u = opts.user;
    parts.push(
      sh`echo '@@passwd'; getent passwd ${u}`,
      sh`echo '@@primary'; g=$(getent passwd ${u} | cut -d: -f4); [ -n "$g" ] && getent group "$g" | cut -d: -f1`,
      sh`echo '@@member'; getent group | awk -F: -v u=${u} '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $1 }'`,
      sh`echo '@@shadow'; s=$(getent shadow ${u}) && { printf '%s' "$s" | cut -d: -f2 | tr -d '\\n' | sha256sum | cut -d' ' -f1; case "$s" in *:!*) echo locked ;; esac; printf 'expire:%s\\n' "$(printf '%s' "$s" | cut -d: -f8)"; }`,
    );
  }
  groups.forEach((g, i) => parts.push(sh`echo ${`@@group-${i}`}; getent group ${g}`));
  const command = parts.slice(1).reduce((acc, p) => sh`${acc}; ${p}`, parts[0]!);
  return {
    name: 'account',
    command: sh`${command}; :`,
    parse(stdout) {
      const m = sectionMap(stdout);
      const pw = m.get('passwd')?.[0];
      const out: AccountState = { groups: m.get('member') ?? [], knownGroups: {} };
      if (pw) {
        const [name = '', , uid = '', gid = '', comment = '', home = '', shell = ''] = pw.split(':');
        out.user = { name, uid: Number(uid), gid: Number(gid), comment, home, shell };
        out.primaryGroup = m.get('primary')?.[0];
        const sh256 = m.get('shadow') ?? [];
        if (sh256[0] && /^[0-9a-f]{64}$/.test(sh256[0])) {
          out.passwordSha = sh256[0];
          out.locked = sh256.includes('locked');
          out.expireDays = sh256.find((l) => l.startsWith('expire:'))?.slice(7) ?? '';
        }
      }
      groups.forEach((g, i) => (out.knownGroups[g] = parseGroup(m.get(`group-${i}`)?.[0]) ?? null));
      return out;
    },
  };
}
