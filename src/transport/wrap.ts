// How a command is wrapped before it is sent to a host, shared by the ssh and local transports.
//
//   printf '%s\n' "<pid tag>:$$ $SHELL" && exec [sudo ...] /bin/sh -c '<inner>' [</dev/null]   (portable)
//   printf '%s\n' "<pid tag>:$$" || exit 1; set +euC; [exec </dev/null;] <inner>              (direct)
//
// - sshd runs every command through the login shell, which may not be a POSIX shell: the
//   portable form only needs `printf`, `&&` and `exec` from it and runs the script in /bin/sh.
//   The pid line also names the login shell ($SHELL, set by sshd). Once a host's login shell is
//   known to be bash, dash or sh, commands without become use the direct form: the same script
//   in the login shell itself, which saves starting a second shell per command (measured on
//   the fleet benchmark's second run at 50 hosts: 0.27 of the 1.3 CPU-seconds the machine
//   spent over plain ssh).
// - A command without input gets /dev/null as stdin on the host, so no EOF has to be sent.
// - The outer shell prints its pid first. sshd starts every non-pty session in a new session
//   (setsid), so that pid is also the process group: on timeout or abort a second channel runs
//   `kill -- -PID`, which stops the command and everything it started. (An SSH "signal" request
//   is ignored by OpenSSH for sessions without a pty.)
// - With become, sudo runs /bin/sh whose first act is to print a success marker with its own pid.
//   Seeing the marker means sudo accepted us; the pid is the group to kill when sudo's `use_pty`
//   put the command in a session of its own.
// - With a password, sudo is given a unique prompt (`-p`), reads the password from stdin (`-S`)
//   and the password is written only after that prompt appears on stderr: it is never in argv.
// - env is exported and cwd entered inside the inner shell, so they survive sudo's env_reset.
import { randomBytes } from 'node:crypto';
import { quote, type ShellCommand } from './command.js';
import type { BecomeOptions } from './types.js';

export interface WrapOptions {
  become?: BecomeOptions;
  env?: Record<string, string>;
  cwd?: string;
  /** input for the command; without it (and without a sudo password) stdin is /dev/null */
  stdin?: string | Buffer;
}

export interface WrappedCommand {
  /** text sent to the host (contains no password) */
  text: string;
  /** `<pidTag>:<pid>\n` is the first line the outer shell writes to stdout */
  pidTag: string;
  /** with become: `<okTag>:<pid>\n` on stdout means sudo succeeded and the command starts now */
  okTag?: string;
  /** with a become password: the unique prompt sudo writes to stderr */
  prompt?: string;
  /** the user sudo runs the command as */
  becomeUser?: string;
  /**
   * stdin is /dev/null on the host: nothing to send, not even EOF (saves a packet per command
   * and the server's work for it)
   */
  stdinNull?: boolean;
}

// Unique per command, not secret: a command can read its own command line anyway. One random
// draw per process and a counter (a random draw per command was a measurable share of the
// controller's CPU per command).
const NONCE_BASE = randomBytes(6).toString('hex');
let nonceCounter = 0;

export function newNonce(): string {
  nonceCounter = (nonceCounter + 1) % 0x100000000;
  return `${NONCE_BASE}${nonceCounter.toString(16).padStart(8, '0')}`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The script run by the inner /bin/sh: cd, exports, then the command text itself. */
export function innerScript(command: ShellCommand, options: WrapOptions): string {
  const lines: string[] = [];
  if (options.cwd !== undefined) lines.push(`cd -- ${quote(options.cwd)} || exit 1`);
  const env = Object.entries(options.env ?? {});
  if (env.length > 0) {
    for (const [name] of env) {
      if (!ENV_NAME.test(name)) throw new TypeError(`invalid environment variable name: ${JSON.stringify(name)}`);
    }
    lines.push(`export ${env.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}`);
  }
  lines.push(command.toShell());
  return lines.join('\n');
}

/** The sudo argv prefix (shell text); the password never appears in it. */
export function sudoPrefix(become: BecomeOptions, prompt: string | undefined): string {
  if (become.method !== undefined && become.method !== 'sudo') {
    throw new TypeError(`become method ${JSON.stringify(become.method)} is not supported (only sudo)`);
  }
  const user = become.user ?? 'root';
  const auth = prompt === undefined ? '-n' : `-S -p ${quote(prompt)}`;
  return `sudo -H ${auth} -u ${quote(user)} --`;
}

/**
 * How the shell that receives the command text is known to behave: `posix` (bash, dash, sh: the
 * script may run in it directly) or `unknown` (anything else, or not seen yet).
 */
export type LoginShell = 'posix' | 'unknown';

/** Login shells whose `-c` runs runbook's POSIX scripts as /bin/sh would. */
export function loginShellKind(shellPath: string | undefined): LoginShell {
  if (shellPath === undefined) return 'unknown';
  return /(?:^|\/)(?:bash|dash|sh)$/.test(shellPath.trim()) ? 'posix' : 'unknown';
}

export function wrapCommand(command: ShellCommand, options: WrapOptions = {}, nonce = newNonce(), loginShell: LoginShell = 'unknown'): WrappedCommand {
  const pidTag = `__RUNBOOK_PID_${nonce}`;
  let inner = innerScript(command, options);
  const hasInput = options.stdin !== undefined && options.stdin.length > 0;
  if (!options.become && loginShell === 'posix') {
    // Debian's bash reads ~/.bashrc even for `ssh host cmd`: options an rc file sets before its
    // interactive guard (errexit, nounset, noclobber) must not change how the script runs.
    // (A function that shadows a command would still apply, as it does for `ssh host cmd`.)
    const head = `printf '%s\\n' "${pidTag}:$$" || exit 1\nset +euC`;
    if (hasInput) return { text: `${head}\n${inner}`, pidTag };
    return { text: `${head}\nexec </dev/null\n${inner}`, pidTag, stdinNull: true };
  }
  const wrapped: WrappedCommand = { text: '', pidTag };
  let sudo = '';
  if (options.become) {
    const okTag = `__RUNBOOK_OK_${nonce}`;
    const prompt = options.become.password !== undefined ? `[runbook sudo ${nonce}] password: ` : undefined;
    inner = `printf '%s\\n' "${okTag}:$$" || exit 1\n${inner}`;
    sudo = `${sudoPrefix(options.become, prompt)} `;
    wrapped.okTag = okTag;
    wrapped.becomeUser = options.become.user ?? 'root';
    if (prompt !== undefined) wrapped.prompt = prompt;
  }
  // a space, not a colon, before $SHELL: csh would read `$$:$` as a variable modifier
  wrapped.text = `printf '%s\\n' "${pidTag}:$$ $SHELL" && exec ${sudo}/bin/sh -c ${quote(inner)}`;
  // a sudo password travels on stdin: only without one can stdin be /dev/null
  if (!hasInput && wrapped.prompt === undefined) {
    wrapped.text += ' </dev/null';
    wrapped.stdinNull = true;
  }
  return wrapped;
}

/** Shell text that signals the process groups of a running command (and the pids themselves). */
export function killScript(signal: 'TERM' | 'KILL', pids: readonly number[]): string {
  const targets = pids.flatMap((p) => [`-${p}`, `${p}`]).join(' ');
  // no `--`: dash's kill rejects it, and `kill -TERM -PID` is unambiguous once the signal is given
  return `for p in ${targets}; do kill -${signal} "$p" 2>/dev/null; done; true`;
}

export interface InstallOptions {
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Shell text (run through sudo, content on stdin) that writes a file atomically: a temp file in
 * the destination directory, mode/owner set (kept from the existing file when not given, as
 * Ansible's atomic_move does), then `mv -f` over the destination. Nothing half-written is ever
 * visible under the destination name.
 */
export function installScript(dest: string, tmpName: string, options: InstallOptions): string {
  const dir = dest.includes('/') ? dest.slice(0, dest.lastIndexOf('/')) || '/' : '.';
  const tmp = `${dir === '/' ? '' : dir}/${tmpName}`;
  return [
    `dst=${quote(dest)}; tmp=${quote(tmp)}`,
    `m=${quote(options.mode ?? '')}; o=${quote(options.owner ?? '')}; g=${quote(options.group ?? '')}`,
    `if [ -e "$dst" ]; then`,
    `  [ -n "$m" ] || m=$(stat -c %a -- "$dst")`,
    `  if [ "$(id -u)" = 0 ]; then [ -n "$o" ] || o=$(stat -c %u -- "$dst"); [ -n "$g" ] || g=$(stat -c %g -- "$dst"); fi`,
    `fi`,
    `[ -n "$m" ] || m=644`,
    `umask 077`,
    `cat > "$tmp" && chmod "$m" -- "$tmp" && { [ -z "$o" ] || chown -- "$o" "$tmp"; } && { [ -z "$g" ] || chgrp -- "$g" "$tmp"; } && mv -f -- "$tmp" "$dst"`,
    `rc=$?`,
    `[ $rc = 0 ] || rm -f -- "$tmp"`,
    `exit $rc`,
  ].join('\n');
}

export function tempName(dest: string): string {
  const base = dest.slice(dest.lastIndexOf('/') + 1);
  return `.${base}.runbook-${randomBytes(6).toString('hex')}.tmp`;
}

export function validateMode(mode: string | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (!/^0?[0-7]{3,4}$/.test(mode)) throw new TypeError(`invalid file mode ${JSON.stringify(mode)} (expected octal like '0644')`);
  return parseInt(mode, 8);
}
