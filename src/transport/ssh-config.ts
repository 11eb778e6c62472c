// ~/.ssh/config (and /etc/ssh/ssh_config) through the `ssh-config` parser: the settings ssh
// would use for one host, first value wins across files as in ssh.
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { parse } from 'ssh-config';

export type SshConfigValues = Record<string, string | string[]>;

export function defaultSshConfigFiles(home = homedir()): string[] {
  return [`${home}/.ssh/config`, '/etc/ssh/ssh_config'];
}

/** Settings for `host` (keys lower-cased). Missing files are skipped; `Match exec` is not run. */
export function lookupSshConfig(host: string, files: readonly string[], user?: string): SshConfigValues {
  const merged: SshConfigValues = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const computed = parse(text).compute(user === undefined ? { Host: host } : { Host: host, User: user }, { ignoreCase: true, matchExec: false });
    for (const [k, v] of Object.entries(computed)) {
      const key = k.toLowerCase();
      const existing = merged[key];
      if (existing === undefined) merged[key] = v;
      else if (key === 'identityfile' && Array.isArray(existing)) {
        // IdentityFile accumulates across files, like in ssh
        merged[key] = [...existing, ...(Array.isArray(v) ? v : [v])];
      }
    }
  }
  return merged;
}

export function first(values: SshConfigValues, key: string): string | undefined {
  const v = values[key];
  return Array.isArray(v) ? v[0] : v;
}

export function all(values: SshConfigValues, key: string): string[] {
  const v = values[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** `~` and the ssh percent tokens that make sense here (%d %u %h %r %p %%). */
export function expandPath(path: string, ctx: { host?: string; user?: string; port?: number; home?: string }): string {
  const home = ctx.home ?? homedir();
  let p = path.startsWith('~/') || path === '~' ? home + path.slice(1) : path;
  p = p.replace(/%([%dhrpu])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'u':
        return userInfo().username;
      case 'h':
        return ctx.host ?? '';
      case 'r':
        return ctx.user ?? '';
      case 'p':
        return String(ctx.port ?? 22);
      default:
        return '';
    }
  });
  return p;
}
