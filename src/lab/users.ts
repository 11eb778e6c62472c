// The lab's users: `deploy` (key login, passwordless sudo) and `ops` (key login, sudo asks
// for a password). On fleet hosts they exist only inside the hosts' mount namespaces:
// lab copies of /etc/passwd, shadow, group, gshadow and sudoers.d are bind-mounted over the
// machine's, so the operator's own /etc never changes.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EnvironmentError } from '../util/errors.js';
import { runOk } from './exec.js';

export const NOPASSWD_USER = 'deploy';
export const PASSWD_USER = 'ops';

export interface LabUsers {
  deploy: { uid: number; gid: number };
  ops: { uid: number; gid: number; password: string };
}

/** The files bind-mounted into fleet hosts, relative to the lab etc dir and to /etc. */
export const ACCOUNT_FILES = ['passwd', 'shadow', 'group', 'gshadow'] as const;

function idsIn(file: string, field: number): Set<number> {
  const ids = new Set<number>();
  if (!existsSync(file)) return ids;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const v = line.split(':')[field];
    if (v !== undefined && /^\d+$/.test(v)) ids.add(Number(v));
  }
  return ids;
}

/** Two uid=gid pairs unused by the machine, stable while the machine's accounts do not change. */
export function allocateUsers(): LabUsers {
  const used = new Set([...idsIn('/etc/passwd', 2), ...idsIn('/etc/group', 2)]);
  const free: number[] = [];
  for (let id = 2900; free.length < 2 && id < 60000; id++) if (!used.has(id)) free.push(id);
  const [d, o] = free;
  if (d === undefined || o === undefined) throw new EnvironmentError('lab: no free uid/gid for the lab users');
  // a readable random password; it only guards sudo inside throwaway hosts
  const password = `ops-${randomBytes(9).toString('base64url')}`;
  return { deploy: { uid: d, gid: d }, ops: { uid: o, gid: o, password } };
}

export async function ensureClientKey(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = join(dir, 'id_ed25519');
  if (!existsSync(key) || !existsSync(`${key}.pub`)) {
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'runbook-lab', '-f', key], 'creating the lab client key');
  }
  return key;
}

export async function hashPassword(password: string): Promise<string> {
  // on stdin, never in argv (visible in ps)
  const r = await runOk(['openssl', 'passwd', '-6', '-stdin'], 'hashing the ops password', { input: `${password}\n` });
  return r.stdout.trim();
}

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** machine file minus any lab user lines, plus ours (a machine that has its own deploy/ops keeps it outside the lab) */
function withLines(file: string, add: readonly string[]): string {
  const names = new Set(add.map((l) => l.split(':')[0]));
  const base = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !names.has(l.split(':')[0]))
    : [];
  return `${[...base, ...add].join('\n')}\n`;
}

export function sudoersLines(): { deploy: string; ops: string } {
  return {
    deploy: `# runbook lab: passwordless sudo\n${NOPASSWD_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`,
    // no timestamp: every sudo asks, so tests of the password path are deterministic
    ops: `# runbook lab: sudo asks for the password\nDefaults:${PASSWD_USER} timestamp_timeout=0\n${PASSWD_USER} ALL=(ALL:ALL) ALL\n`,
  };
}

/**
 * Write stateDir/etc: copies of the machine's account files with the lab users added, and a
 * sudoers.d with the machine's files plus the lab's. Homes live under stateDir/home.
 */
export async function prepareFleetAccounts(stateDir: string, users: LabUsers, clientPub: string): Promise<{ etc: string; homes: string }> {
  const etc = join(stateDir, 'etc');
  const homes = join(stateDir, 'home');
  mkdirSync(etc, { recursive: true, mode: 0o755 });
  mkdirSync(homes, { recursive: true, mode: 0o755 });
  chmodSync(homes, 0o755);
  const day = Math.floor(Date.now() / 86_400_000);
  const opsHash = await hashPassword(users.ops.password);
  const home = (u: string): string => join(homes, u);
  writeAtomic(
    join(etc, 'passwd'),
    withLines('/etc/passwd', [
      `${NOPASSWD_USER}:x:${users.deploy.uid}:${users.deploy.gid}:runbook lab:${home(NOPASSWD_USER)}:/bin/bash`,
      `${PASSWD_USER}:x:${users.ops.uid}:${users.ops.gid}:runbook lab:${home(PASSWD_USER)}:/bin/bash`,
    ]),
    0o644,
  );
  // '*' (not '!'): no password login, but the account is not locked for key login
  writeAtomic(
    join(etc, 'shadow'),
    withLines('/etc/shadow', [`${NOPASSWD_USER}:*:${day}:0:99999:7:::`, `${PASSWD_USER}:${opsHash}:${day}:0:99999:7:::`]),
    0o640,
  );
  writeAtomic(join(etc, 'group'), withLines('/etc/group', [`${NOPASSWD_USER}:x:${users.deploy.gid}:`, `${PASSWD_USER}:x:${users.ops.gid}:`]), 0o644);
  writeAtomic(join(etc, 'gshadow'), withLines('/etc/gshadow', [`${NOPASSWD_USER}:!::`, `${PASSWD_USER}:!::`]), 0o640);
  const shadowGid = statSafeGid('/etc/shadow');
  for (const f of ['shadow', 'gshadow']) chownSync(join(etc, f), 0, shadowGid);

  // sudoers.d: the machine's files plus ours, mode 0440 as sudo demands. Synced in place (not
  // recreated): running hosts have this very directory bind-mounted.
  const sudoers = join(etc, 'sudoers.d');
  mkdirSync(sudoers, { recursive: true, mode: 0o755 });
  const keep = new Set(['runbook-lab-deploy', 'runbook-lab-ops']);
  if (existsSync('/etc/sudoers.d')) {
    for (const f of readdirSync('/etc/sudoers.d')) {
      const src = join('/etc/sudoers.d', f);
      if (!statSync(src).isFile() || keep.has(f)) continue;
      keep.add(f);
      copyFileSync(src, join(sudoers, f));
      chmodSync(join(sudoers, f), statSync(src).mode & 0o777);
    }
  }
  for (const f of readdirSync(sudoers)) if (!keep.has(f)) rmSync(join(sudoers, f), { force: true });
  const lines = sudoersLines();
  for (const [name, text] of [
    ['runbook-lab-deploy', lines.deploy],
    ['runbook-lab-ops', lines.ops],
  ] as const) {
    const p = join(sudoers, name);
    writeFileSync(p, text, { mode: 0o440 });
    chmodSync(p, 0o440);
    await runOk(['visudo', '-cqf', p], `checking ${p}`);
  }

  for (const [name, ids] of [
    [NOPASSWD_USER, users.deploy],
    [PASSWD_USER, users.ops],
  ] as const) {
    const h = home(name);
    mkdirSync(join(h, '.ssh'), { recursive: true });
    writeFileSync(join(h, '.ssh', 'authorized_keys'), clientPub, { mode: 0o600 });
    chmodSync(h, 0o750);
    chmodSync(join(h, '.ssh'), 0o700);
    chmodSync(join(h, '.ssh', 'authorized_keys'), 0o600);
    for (const p of [h, join(h, '.ssh'), join(h, '.ssh', 'authorized_keys')]) chownSync(p, ids.uid, ids.gid);
  }
  return { etc, homes };
}

function statSafeGid(path: string): number {
  try {
    return statSync(path).gid;
  } catch {
    return 0;
  }
}
