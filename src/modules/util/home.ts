// `~` in a module's path arguments (Ansible's type=path): the home of the user the module runs
// as on the host (the become user when the task becomes one, else the connecting user), or
// `~NAME`'s home. Asked on the host in one command, only when some argument starts with `~`,
// from the passwd database (sudo may keep the caller's $HOME, the database does not lie).
import { joinWith, sh, type ShellCommand } from '../../transport/command.js';
import type { ModuleContext } from '../types.js';

const TILDE = /^~([a-z_][a-z0-9_.-]*\$?)?(?=\/|$)/i;

/** The `~` / `~user` prefix of a path, or undefined when it has none. */
export function tildePrefix(path: string): { user: string; rest: string } | undefined {
  const m = TILDE.exec(path);
  if (!m) return undefined;
  return { user: m[1] ?? '', rest: path.slice(m[0].length) };
}

/** Shell that prints, one per line, the home of each user ('' = the user running it). */
export function homesCommand(users: readonly string[]): ShellCommand {
  const parts = users.map((u) =>
    u === ''
      ? sh`{ h=$(getent passwd "$(id -u)" | cut -d: -f6); printf '%s\\n' "\${h:-$HOME}"; }`
      : sh`{ h=$(getent passwd ${u} | cut -d: -f6); printf '%s\\n' "\${h:-~}"; }`,
  );
  return joinWith(parts, '; ');
}

/** The arguments with `~` expanded in the named path arguments (strings and lists of strings). */
export async function expandHomeArgs<A>(ctx: Pick<ModuleContext, 'exec'>, args: A, keys: readonly string[]): Promise<A> {
  const record = args as Record<string, unknown>;
  const users = new Set<string>();
  const visit = (v: unknown, f: (s: string) => void): void => {
    if (typeof v === 'string') f(v);
    else if (Array.isArray(v)) for (const x of v) visit(x, f);
  };
  for (const k of keys) visit(record[k], (s) => {
    const t = tildePrefix(s);
    if (t) users.add(t.user);
  });
  if (users.size === 0) return args;
  const list = [...users];
  const r = await ctx.exec(homesCommand(list));
  const lines = r.stdout.split('\n');
  const homes = new Map<string, string>();
  list.forEach((u, i) => {
    const h = lines[i]?.trim();
    // an unknown ~user stays as written (as Python's expanduser leaves it)
    if (h && h !== '~' && h.startsWith('/')) homes.set(u, h);
  });
  const expand = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const t = tildePrefix(v);
      const home = t ? homes.get(t.user) : undefined;
      return t && home !== undefined ? (home === '/' && t.rest.startsWith('/') ? t.rest : home + t.rest) : v;
    }
    return Array.isArray(v) ? v.map(expand) : v;
  };
  const out: Record<string, unknown> = { ...record };
  for (const k of keys) if (k in out) out[k] = expand(out[k]);
  return out as A;
}
