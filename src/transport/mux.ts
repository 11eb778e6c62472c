// One shell per host for the host's commands (Mitogen's idea, in bash): the pure parts.
//
// With one exec per command, every command costs the host a new sshd session (a fork, the
// session's set-up, the login shell started and its rc file read) and the controller a channel
// opened and closed: on the fleet benchmark that was most of the whole machine's CPU beyond the
// commands' own work. So the ssh transport starts one session per host that runs muxLoop: a
// loop in the login bash that reads framed commands from its stdin and runs each in a forked
// subshell, one at a time. It is started with the host's first command, before the login shell
// is known: a login shell that is not bash ends it at its first line, and that host's commands
// are exec'd, one session each.
//
// A frame is a fixed header (the command's end tag and two byte counts), the script, then the
// command's input. bash's `read -N` reads a counted pipe in one read(2) (a line `read` takes a
// read per byte), and in the C locale it counts bytes; it cannot hold a NUL byte, so input with
// one goes the old way (one exec). The loop unsets its own variables and positional parameters
// before the script runs, so the script sees a fresh shell's; each command runs in its own
// process group (`set -m` in the loop, `set +m` in the subshell), which the pid line names, so a
// timeout or Ctrl-C stops it and everything it started exactly as before. After it, the loop
// writes `<end tag>:<exit code>` on both streams: the controller knows the command's output
// is complete when both have come. A command's stdout and stderr are the session's own, so
// output is never copied on the host.
//
// What differs from one exec per command, on purpose: `$$` and `$PPID` are the loop shell's
// (`$BASHPID` is the command's); the rc files ran once per connection, not once per command.
import { newNonce, sudoPrefix, innerScript, type WrapOptions, type WrappedCommand } from './wrap.js';
import { quote, type ShellCommand } from './command.js';
import type { BecomeOptions } from './types.js';

/**
 * bytes in a frame header: the end tag, how the input reaches the command (`n` none, `h` a
 * here-string, `p` a pipe from a forked printf), then the script's and the input's byte counts
 */
const TAG_LEN = 34;
const COUNT_LEN = 10;
export const HEADER_LEN = TAG_LEN + 1 + 2 * COUNT_LEN;

/**
 * Input that ends with a newline and fits a pipe's atomic size goes as a bash here-string: bash
 * writes it into a pipe itself (no process; bash >= 5.1 uses a pipe below the pipe's size, a
 * temporary file above, which input never should be) and adds the newline, so the frame carries
 * the input without it. Other input is piped by a forked printf.
 */
const HERE_STRING_MAX = 4096;

/** a script or an input larger than this goes the old way (it is held in a shell variable) */
export const MUX_MAX_BYTES = 256 * 1024;

export function endTagOf(nonce: string): string {
  const tag = `__RUNBOOK_END_${nonce}`;
  if (tag.length !== TAG_LEN) throw new RangeError(`a mux end tag is ${TAG_LEN} bytes, got ${tag.length}`);
  return tag;
}

/** The ready line the loop prints first: `<tag>:<pid>`. */
export function muxReadyTag(nonce: string): string {
  return `__RUNBOOK_MUX_${nonce}`;
}

const V = '__rb_h __rb_t __rb_n __rb_m __rb_c __rb_i __rb_r __rb_p';
// The script is the body of the subshell itself, as `bash -c` runs it, not an `eval` inside a
// subshell: then bash execs the last simple command instead of forking it (measured: one process
// fewer per command on the fleet benchmark). The `)` goes on a line of its own, after any comment
// or here-document at the end of the script.
const RUN = `eval "( unset ${V}; set +m --; $__rb_c"'
)'`;

/**
 * The loop, run by the login bash as an exec'd command (so after the rc files, as the direct
 * form's scripts are). The shell's own stderr goes to /dev/null, so its job notices ("Killed")
 * are not mixed into a command's stderr; commands get the session's stderr as fd 2.
 */
export function muxLoop(readyTag: string): string {
  return [
    // The loop may be started before the login shell is known (ssh.ts), so a shell that is not
    // bash must end here, before any other line does something. csh and tcsh run every line of
    // a -c script, errors and `exit` notwithstanding, so the first line replaces them: their
    // `$?NAME` is 0 for an unset variable, where a POSIX shell reads `$?` then the name. fish
    // rejects the whole script unread. Then sh, dash, ksh and zsh: BASH_VERSION is bash's own.
    // Then a bash that would not run scripts as the direct form does: restricted, or in POSIX
    // mode (a login shell named sh).
    'test "$?BASH_VERSION" = 0 && exec false',
    'test -n "$BASH_VERSION" || exit 3',
    'shopt -q restricted_shell && exit 3; case :$SHELLOPTS: in *:posix:*) exit 3 ;; esac',
    'set +euC; set +o pipefail; set -m; exec 3>&2 2>/dev/null',
    // bash 4.2 or later (`read -N` counting bytes); here-strings through a pipe from 5.1 (a
    // temporary file before: input never touches a disk, so older bash pipes it from printf)
    '[ "${BASH_VERSINFO[0]:-0}" -gt 4 ] || { [ "${BASH_VERSINFO[0]:-0}" = 4 ] && [ "${BASH_VERSINFO[1]:-0}" -ge 2 ]; } || exit 3',
    '__rb_p=; [ "${BASH_VERSINFO[0]}" -gt 5 ] || { [ "${BASH_VERSINFO[0]}" = 5 ] && [ "${BASH_VERSINFO[1]}" -ge 1 ]; } || __rb_p=1',
    // on both streams: what an rc file printed before it, on either, is not a command's
    `printf '%s\\n' "${readyTag}:$$" || exit 1; printf '%s\\n' "${readyTag}:$$" >&3`,
    `while LC_ALL=C IFS= read -r -N ${HEADER_LEN} __rb_h && [ "\${#__rb_h}" = ${HEADER_LEN} ]; do`,
    `  __rb_t=\${__rb_h:0:${TAG_LEN}}; __rb_n=$((10#\${__rb_h:${TAG_LEN + 1}:${COUNT_LEN}})); __rb_m=$((10#\${__rb_h:${TAG_LEN + 1 + COUNT_LEN}:${COUNT_LEN}})); __rb_i=`,
    '  LC_ALL=C IFS= read -r -N "$__rb_n" __rb_c || break',
    '  if [ "$__rb_m" -gt 0 ]; then LC_ALL=C IFS= read -r -N "$__rb_m" __rb_i || break; fi',
    `  case \${__rb_h:${TAG_LEN}:1} in`,
    `    h) if [ -z "$__rb_p" ]; then ${RUN} <<<"$__rb_i" 2>&3 3>&-; else ${RUN} < <(printf '%s\\n' "$__rb_i") 2>&3 3>&-; fi ;;`,
    `    p) ${RUN} < <(printf %s "$__rb_i") 2>&3 3>&- ;;`,
    `    *) ${RUN} </dev/null 2>&3 3>&- ;;`,
    '  esac',
    '  __rb_r=$?; __rb_i=',
    `  printf '%s:%s\\n' "$__rb_t" "$__rb_r"; printf '%s:%s\\n' "$__rb_t" "$__rb_r" >&3`,
    'done',
    'exit 0',
  ].join('\n');
}

/** Whether an input can travel in a frame: no NUL byte (a shell variable cannot hold one), not too big. */
export function muxCanCarry(input: string | Buffer | undefined): boolean {
  if (input === undefined || input.length === 0) return true;
  if (typeof input === 'string') return Buffer.byteLength(input) <= MUX_MAX_BYTES && !input.includes('\0');
  return input.length <= MUX_MAX_BYTES && !input.includes(0);
}

/**
 * The bytes written to the loop's stdin for one command; undefined: the script is too big.
 * Written into one buffer of the frame's size: the script was encoded into a buffer of its own,
 * then copied with the header and the input into a third (a one-command script is kilobytes, one
 * per task and host).
 */
export function muxFrame(endTag: string, script: string, input: string | Buffer | undefined): Buffer | undefined {
  const scriptBytes = Buffer.byteLength(script, 'utf8');
  if (scriptBytes > MUX_MAX_BYTES || scriptBytes === 0) return undefined;
  let data = input === undefined ? undefined : typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let how = 'n';
  if (data && data.length > 0) {
    how = 'p';
    if (data.length <= HERE_STRING_MAX && data[data.length - 1] === 10) {
      how = 'h';
      data = data.subarray(0, data.length - 1);
    }
  }
  const dataBytes = data?.length ?? 0;
  const frame = Buffer.allocUnsafe(HEADER_LEN + scriptBytes + dataBytes);
  frame.write(`${endTag}${how}${String(scriptBytes).padStart(COUNT_LEN, '0')}${String(dataBytes).padStart(COUNT_LEN, '0')}`, 0, HEADER_LEN, 'latin1');
  frame.write(script, HEADER_LEN, scriptBytes, 'utf8');
  if (data && dataBytes > 0) data.copy(frame, HEADER_LEN + scriptBytes);
  return frame;
}

/**
 * The script a command runs as in the loop's subshell, wrapped as wrap.ts wraps it (same pid
 * line, same sudo success marker and prompt-less sudo), with `$BASHPID`: `$$` is the loop's. A
 * sudo password is asked for on stdin, which a frame cannot answer: such commands go the old way.
 */
export function wrapForMux(command: ShellCommand, options: WrapOptions, nonce: string): WrappedCommand {
  const pidTag = `__RUNBOOK_PID_${nonce}`;
  const inner = innerScript(command, options);
  if (!options.become) {
    return { text: `printf '%s\\n' "${pidTag}:$BASHPID" || exit 1\nset +euC\n${inner}`, pidTag, stdinNull: true };
  }
  const become: BecomeOptions = options.become;
  if (become.password !== undefined) throw new TypeError('a command with a sudo password cannot run in the mux');
  const okTag = `__RUNBOOK_OK_${nonce}`;
  const script = `printf '%s\\n' "${okTag}:$$" || exit 1\n${inner}`;
  return {
    text: `printf '%s\\n' "${pidTag}:$BASHPID" && exec ${sudoPrefix(become, undefined)} /bin/sh -c ${quote(script)}`,
    pidTag,
    okTag,
    becomeUser: become.user ?? 'root',
    stdinNull: true,
  };
}

/** A command made ready for the loop: its frame, its end tag, and its tags without the script's text. */
export interface MuxFramed {
  frame: Buffer;
  endTag: string;
  wrapped: Omit<WrappedCommand, 'text'>;
}

/**
 * wrapForMux and muxFrame for one command (undefined: too big for a frame). The text is not
 * kept: what waits for the command's end holds its tags, not a copy of the script (kilobytes for
 * a one-command path, for a round trip, per host).
 */
export function muxCommand(command: ShellCommand, options: WrapOptions): MuxFramed | undefined {
  const nonce = newNonce();
  const { text, ...wrapped } = wrapForMux(command, options, nonce);
  const endTag = endTagOf(nonce);
  const frame = muxFrame(endTag, text, options.stdin);
  return frame ? { frame, endTag, wrapped } : undefined;
}

/** The end line found in a stream: where it starts, and the exit code it carries. */
export interface EndLine {
  index: number;
  end: number;
  code: number;
}

/**
 * One stream of the loop's session, for the command that runs now: everything up to
 * `<tag>:<code>\n` is the command's. A chunk that ends with what may be the start of the end line
 * keeps those bytes back until the next chunk tells.
 */
export class EndScanner {
  private held: Buffer | undefined;
  private readonly head: Buffer;
  constructor(tag: string) {
    this.head = Buffer.from(`${tag}:`, 'latin1');
  }

  /** The command's part of `chunk` (possibly empty), and the end line once it is complete. */
  push(chunk: Buffer): { data: Buffer; end?: EndLine } {
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = undefined;
    const at = buf.indexOf(this.head);
    if (at !== -1) {
      const nl = buf.indexOf(10, at + this.head.length);
      if (nl === -1) {
        this.held = buf.subarray(at);
        return { data: buf.subarray(0, at) };
      }
      const digits = buf.toString('latin1', at + this.head.length, nl);
      const code = /^\d{1,3}$/.test(digits) ? Number(digits) : 255;
      return { data: buf.subarray(0, at), end: { index: at, end: nl + 1, code } };
    }
    const keep = this.partialTail(buf);
    if (keep > 0) this.held = buf.subarray(buf.length - keep);
    return { data: keep > 0 ? buf.subarray(0, buf.length - keep) : buf };
  }

  /** bytes held back (the stream ended without the end line: they are the command's) */
  rest(): Buffer | undefined {
    const h = this.held;
    this.held = undefined;
    return h;
  }

  /** how many bytes at the end of `buf` are a proper prefix of the end line's head */
  private partialTail(buf: Buffer): number {
    const head = this.head;
    for (let k = Math.min(head.length - 1, buf.length); k > 0; k--) {
      if (buf[buf.length - k] !== head[0]) continue;
      if (buf.compare(head, 0, k, buf.length - k, buf.length) === 0) return k;
    }
    return 0;
  }
}
