// Sessions started ahead of their command, for slow links (issue 18).
//
// Over SSH every command costs two round trips before it runs: the channel open, then the exec
// request (ssh2's `exec` sends the second only when the first is confirmed, and its public API
// has no way to open a session now and exec in it later). On an 80 ms link that is 160 ms per
// task, plus one more for a command whose input goes on stdin (the input can only follow the
// exec's confirmation). So on a slow link the ssh transport starts sessions ahead of time: each
// runs a small loader that prints the usual pid line and then waits for ONE script on its
// stdin, up to an end line; the script is the command exactly as the portable wrapper would
// have run it (`exec [sudo ...] /bin/sh -c '<inner>' [</dev/null]`), and the command's own
// input follows the end line on the same stdin. When a command comes, its script and input go
// out in one write and its output comes back one round trip later.
//
// Still one session per command (sshd's log, the pid line and process group used to stop it,
// exit status and streams are as before); the script travels on stdin, so nothing more is in
// any argv than before. The cost: the sessions started ahead that are never used (at most
// PREOPEN_DEPTH per connection, ended when the connection closes), so it is used only where the
// round trip is long (see ssh.ts).
import { quote } from './command.js';
import { loginShellKind, type LoginShell } from './wrap.js';

/** sessions kept started ahead per connection: two keep one command per round trip going */
export const PREOPEN_DEPTH = 2;

/** a script longer than this is exec'd as before (the loader reads it a byte at a time) */
export const PREOPEN_MAX_SCRIPT = 32 * 1024;

/** The prefixes wrap.ts puts before the command's own script: the portable form's, the direct form's. */
function prefixes(pidTag: string): { portable: string; direct: string } {
  return { portable: `printf '%s\\n' "${pidTag}:$$ $SHELL" && `, direct: `printf '%s\\n' "${pidTag}:$$" || exit 1\n` };
}

export function endTag(nonce: string): string {
  return `__RUNBOOK_END_${nonce}`;
}

/**
 * The kind of loader for a login shell (the path the pid line named), or undefined: none. bash
 * gets the direct form's (the script runs in bash, as exec'd); a shell that is not POSIX the
 * portable form's (in /bin/sh, as exec'd); a dash or sh login shell none, since only bash can
 * run the script with the argv[0] sshd gives it (dash's `exec` has no -a), and its messages
 * would differ.
 */
export function loaderKind(loginShellPath: string | undefined): LoginShell | undefined {
  if (loginShellPath === undefined) return undefined;
  const kind = loginShellKind(loginShellPath);
  if (kind === 'unknown') return 'unknown';
  return /(?:^|\/)bash$/.test(loginShellPath.trim()) ? 'posix' : undefined;
}

/**
 * The command text of a session started ahead. It prints the pid line as wrap.ts's wrapper of
 * the same kind would, then reads lines up to the end line and runs them; stdin EOF
 * before the end line (a session never used) ends it quietly. `read` reads a pipe a byte at a
 * time (POSIX), so the input after the end line is left for the command. `posix` (a login bash:
 * see loaderKind) runs it in that shell, as wrap.ts's direct form does; `unknown` in /bin/sh, as
 * the portable form does (the pid line, from the login shell, names it).
 */
export function loaderText(pidTag: string, nonce: string, loginShell: LoginShell): string {
  const end = endTag(nonce);
  const loader = [
    'set +euC',
    's=',
    `while IFS= read -r l; do [ "$l" = ${end} ] && break; s="$s$l`,
    `"; done`,
    `[ "$l" = ${end} ] || exit 0`,
  ];
  const p = prefixes(pidTag);
  // In the login bash the script runs as `bash -c SCRIPT` with sshd's argv[0] (messages start
  // with it), as an exec'd one does: bash then execs the script's last command instead of forking
  // it, which `eval` would not (one process more per command), and `eval` would show in the
  // shell's own messages. In /bin/sh every script is the portable form's single `exec ...`.
  if (loginShell === 'posix') return `${p.direct}${[...loader, 'exec -a "$0" "$SHELL" -c "$s"'].join('\n')}`;
  return `${p.portable}exec /bin/sh -c ${quote([...loader, 'eval "$s"'].join('\n'))}`;
}

/**
 * What to write on a loader's stdin for a command that wrap.ts wrapped with the loader's nonce
 * (and login shell kind): the wrapper's script after its pid line, and the end line. undefined
 * when the text is not of that form (then the command is exec'd as before).
 */
export function loaderScript(wrappedText: string, pidTag: string, nonce: string): string | undefined {
  const p = prefixes(pidTag);
  const prefix = [p.portable, p.direct].find((x) => wrappedText.startsWith(x));
  if (prefix === undefined) return undefined;
  // the direct form's pid line is its script's line 1: an empty line keeps the line numbers of
  // the shell's messages ("bash: line 4: ...") as they are when exec'd
  const script = `${prefix === p.direct ? '\n' : ''}${wrappedText.slice(prefix.length)}`;
  const end = endTag(nonce);
  // a line equal to the end line would cut the script short (the nonce makes it unguessable)
  if (script.split('\n').includes(end) || script.length > PREOPEN_MAX_SCRIPT) return undefined;
  return `${script}\n${end}\n`;
}
