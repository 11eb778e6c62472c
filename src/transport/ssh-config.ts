// ~/.ssh/config (and /etc/ssh/ssh_config) through the `ssh-config` parser: the settings ssh
// would use for one host, first value wins across files as in ssh.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'ssh-config';
import { globToRegExp, hasGlobChars } from '../util/glob.js';

export type SshConfigValues = Record<string, string | string[]>;

export function defaultSshConfigFiles(home = homedir()): string[] {
  return [`${home}/.ssh/config`, '/etc/ssh/ssh_config'];
}

type Parsed = ReturnType<typeof parse>;

/**
 * Parsed files, reused while the file's size and mtime stay the same: a fleet run looks up
 * every host in the same files (re-reading and re-parsing them per host was measurable at 50
 * hosts). Included files are read when the including file is parsed.
 */
const parsedFiles = new Map<string, { stamp: string; parsed: Parsed }>();

function parsedConfig(file: string): Parsed | undefined {
  let stamp: string;
  try {
    // no exception for a missing file (~/.ssh/config often is): this runs for every host
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = parsedFiles.get(file);
  if (hit && hit.stamp === stamp) return hit.parsed;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parse(expandIncludes(text, dirname(file), 0));
  parsedFiles.set(file, { stamp, parsed });
  return parsed;
}

/** Settings for `host` (keys lower-cased). Missing files are skipped; `Match exec` is not run. */
export function lookupSshConfig(host: string, files: readonly string[], user?: string): SshConfigValues {
  const merged: SshConfigValues = {};
  for (const file of files) {
    const config = parsedConfig(file);
    if (config === undefined) continue;
    const computed = config.compute(user === undefined ? { Host: host } : { Host: host, User: user }, { ignoreCase: true, matchExec: false });
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

/**
 * `Include` is inlined where it stands (the parser library leaves it alone). Relative paths are
 * taken from ~/.ssh for user files and /etc/ssh for system files, as ssh does; `*` and `?` are
 * expanded in the last path component.
 */
function expandIncludes(text: string, baseDir: string, depth: number): string {
  if (depth > 8) return text;
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*include\s+(.+?)\s*$/i.exec(line);
      if (!m) return line;
      const parts: string[] = [];
      for (const pattern of (m[1] ?? '').split(/\s+/)) {
        const path = pattern.startsWith('~') ? homedir() + pattern.slice(1) : isAbsolute(pattern) ? pattern : join(baseDir, pattern);
        for (const file of globFiles(path)) {
          try {
            parts.push(expandIncludes(readFileSync(file, 'utf8'), baseDir, depth + 1));
          } catch {
            // an unreadable include is skipped, as by ssh
          }
        }
      }
      return parts.join('\n');
    })
    .join('\n');
}

function globFiles(path: string): string[] {
  const name = basename(path);
  if (!hasGlobChars(name)) return [path];
  const re = globToRegExp(name);
  try {
    return readdirSync(dirname(path))
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dirname(path), f));
  } catch {
    return [];
  }
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
