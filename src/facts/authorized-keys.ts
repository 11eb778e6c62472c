// A user's authorized_keys file: the user (home, uid, primary gid), whether the key file's
// directory exists, and the file's content, in one command. The default path is the one
// sshd reads: HOME/.ssh/authorized_keys, HOME from the password database.
import { raw, sh } from '../transport/command.js';
import type { Fact } from './types.js';

export interface AuthorizedKeysState {
  /** the user is not in the password database */
  noUser?: boolean;
  home?: string;
  uid?: number;
  gid?: number;
  /** the key file's path (the given one, or HOME/.ssh/authorized_keys) */
  path: string;
  dirExists: boolean;
  fileExists: boolean;
  /** the file's content ('' when missing) */
  content: string;
  error?: string;
}

export function parseAuthorizedKeys(stdout: string, stderr: string, given: string | undefined): AuthorizedKeysState {
  if (stdout.startsWith('@@no-user')) return { noUser: true, path: given ?? '', dirExists: false, fileExists: false, content: '' };
  const m = /^@@user\n([^\n]*)\n@@path\n([^\n]*)\n@@dir\n(yes|no)\n@@file\n(yes|no|unreadable)\n/.exec(stdout);
  if (!m) return { path: given ?? '', dirExists: false, fileExists: false, content: '', error: stderr.trim() || 'could not read the user and key file' };
  const f = (m[1] ?? '').split(':');
  const st: AuthorizedKeysState = { home: f[5] ?? '', uid: Number(f[2]), gid: Number(f[3]), path: m[2] ?? '', dirExists: m[3] === 'yes', fileExists: m[4] !== 'no', content: '' };
  if (m[4] === 'unreadable') return { ...st, error: `${st.path} exists but cannot be read` };
  const c = stdout.indexOf('@@content\n', m[0].length);
  if (c >= 0) st.content = stdout.slice(c + '@@content\n'.length);
  return st;
}

export function authorizedKeysFact(user: string, path: string | undefined): Fact<AuthorizedKeysState> {
  // the 6th field of the passwd line, with shell expansions only (no cut/awk process)
  const file = path !== undefined ? sh`f=${path}` : raw('h=${pw#*:*:*:*:*:}; h=${h%%:*}; f="$h/.ssh/authorized_keys"');
  return {
    name: 'authorized-keys',
    command: sh`if pw=$(getent passwd ${user}); then ${file}; printf '@@user\\n%s\\n@@path\\n%s\\n@@dir\\n' "$pw" "$f"; if [ -d "$(dirname -- "$f")" ]; then echo yes; else echo no; fi; echo '@@file'; if [ ! -e "$f" ]; then echo no; elif [ ! -r "$f" ]; then echo unreadable; else echo yes; echo '@@content'; cat -- "$f"; fi; else echo '@@no-user'; fi`,
    parse: (stdout, stderr) => parseAuthorizedKeys(stdout, stderr, path),
  };
}
