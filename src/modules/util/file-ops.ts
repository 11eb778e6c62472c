// Building blocks shared by the file-like modules (file, copy, template, lineinfile): compare
// a path's mode/owner/group with what is wanted, and write new content atomically in one
// remote command (temp file in the same directory, attributes, optional validate and backup,
// rename), so a change costs one round trip and a failed validation leaves the file as it was.
import { sh, raw, rawCommand, quote, type Raw, type ShellCommand } from '../../transport/command.js';
import { readableInShell, STDIN_READ, type FileState } from '../../facts/file.js';
import { sameMode, wantedMode } from './mode.js';
import { FAIL_MARKER, joinCommands, simpleCommand } from '../runner.js';

export interface AttributeArgs {
  mode?: unknown;
  owner?: string;
  group?: string;
}

export interface AttributeChange {
  commands: ShellCommand[];
  /** human-readable list: "mode 0600 → 0644", "owner root → www-data" */
  changes: string[];
}

function sameId(wanted: string, name: string | undefined, id: number | undefined): boolean {
  return wanted === name || (/^\d+$/.test(wanted) && Number(wanted) === id);
}

/**
 * Commands that set mode/owner/group on an existing path when they differ. `targets`: the shell
 * words they act on instead of the path (the directories a task created: `"$@"`).
 */
export function attributeCommands(path: string, state: FileState | undefined, args: AttributeArgs, opts: { recurse?: boolean; isDir?: boolean; targets?: ShellCommand } = {}): AttributeChange {
  const commands: ShellCommand[] = [];
  const changes: string[] = [];
  const r = opts.recurse ? sh`-R ` : sh``;
  const on = opts.targets ?? sh`${path}`;
  const isDir = opts.isDir ?? state?.type === 'directory';
  const mode = wantedMode(args.mode, state?.mode, isDir);
  if (mode !== undefined && !sameMode(mode, state?.mode)) {
    commands.push(simpleCommand(sh`chmod ${r}${mode} -- ${on}`));
    changes.push(state?.mode ? `mode ${state.mode} → ${mode}` : `mode ${mode}`);
  }
  const ownerDiffers = args.owner !== undefined && !sameId(args.owner, state?.owner, state?.uid);
  const groupDiffers = args.group !== undefined && !sameId(args.group, state?.group, state?.gid);
  if (ownerDiffers || groupDiffers) {
    const spec = ownerDiffers && groupDiffers ? `${args.owner}:${args.group}` : ownerDiffers ? `${args.owner}` : `:${args.group}`;
    commands.push(simpleCommand(sh`chown ${r}${spec} -- ${on}`));
    if (ownerDiffers) changes.push(state?.owner ? `owner ${state.owner} → ${args.owner}` : `owner ${args.owner}`);
    if (groupDiffers) changes.push(state?.group ? `group ${state.group} → ${args.group}` : `group ${args.group}`);
  }
  return { commands, changes };
}

export interface WriteFileOptions {
  /** resolved 4-digit octal mode, if one is wanted */
  mode?: string;
  owner?: string;
  group?: string;
  /** the destination exists now (its attributes are kept unless given) */
  exists: boolean;
  /** copy the current file here before replacing it */
  backupFile?: string;
  /** validation command; `%s` is replaced with the temp file's path */
  validate?: string;
  /** unique suffix for the temp file (random in real runs, fixed in tests) */
  tmpSuffix: string;
  /** what prints the new content (default `cat`: all of stdin); e.g. a file on the host (copy remote_src) */
  reader?: ShellCommand;
  /** copy's `checksum`: the sha1 the written temp file must have, checked on the host before it is put in place */
  checksum?: string;
  /** the content that will arrive on stdin: a small text is then read by bash's builtin (see createTemp) */
  stdin?: string | Buffer;
}

/** Temp file next to the destination so the final rename is atomic (same filesystem). */
export function tempPathFor(dest: string, suffix: string): string {
  const slash = dest.lastIndexOf('/');
  const dir = slash >= 0 ? dest.slice(0, slash + 1) : '';
  return `${dir}.${dest.slice(slash + 1)}.runbook-${suffix}.tmp`;
}

/** A path or a shell word that expands to one (`"$t"`). */
type PathWord = string | ShellCommand | Raw;

/**
 * Create the temp file `tmp` with stdin's (or `from`'s) content, never through an existing file
 * or link (noclobber), and without a subshell: noclobber is switched off again whatever happened.
 * Succeeds only when the file was written.
 */
export function createTemp(tmp: PathWord, from?: PathWord, reader?: ShellCommand, stdin?: string | Buffer): ShellCommand {
  if (reader === undefined && from === undefined && stdin !== undefined && readableInShell(stdin)) {
    // bash: `read` puts stdin into `$_rb_c` (or a copy probe already did) and the builtin printf
    // writes it (no process, nothing in an argv); dash has no `read -d`: `cat` as always
    return sh`{ set -C; if [ -n "\${BASH_VERSION-}" ]; then ${raw(STDIN_READ)}; [ "$_rb_r" = 1 ] && printf '%s' "$_rb_c" > ${tmp}; else cat > ${tmp}; fi; _rb_w=$?; set +C; [ "$_rb_w" = 0 ]; }`;
  }
  // what fills it: a command that prints the content (copy remote_src), a file, or stdin
  const fill = reader ?? (from === undefined ? sh`cat` : sh`cat -- ${from}`);
  return sh`{ set -C; ${fill} > ${tmp}; _rb_w=$?; set +C; [ "$_rb_w" = 0 ]; }`;
}

/** chown's `owner`, `owner:group` or `:group`; undefined when neither is wanted. */
export function ownerSpec(owner: string | undefined, group: string | undefined): string | undefined {
  if (owner !== undefined && group !== undefined) return `${owner}:${group}`;
  if (owner !== undefined) return owner;
  return group !== undefined ? `:${group}` : undefined;
}

/**
 * Give the temp file `tmp` the owner and group of `ref` (which it is about to replace), as
 * Ansible's atomic_move does: only root can, so a failure is not an error. When both already
 * belong to this user and its group, which the builtin tests -O/-G tell, chown would change
 * nothing: skipping it saves a process per write.
 */
export function keepOwner(ref: PathWord, tmp: PathWord): ShellCommand {
  return sh`{ { [ -O ${ref} ] && [ -G ${ref} ] && [ -G ${tmp} ]; } || chown --reference=${ref} -- ${tmp} 2>/dev/null || :; }`;
}

/**
 * One command that writes stdin to `dest` atomically. The temp file is created with the
 * umask's default mode (noclobber: never through an existing file or link), gets the wanted
 * or the current attributes, is validated, and renamed over the destination; on any failure
 * it is removed and the destination is untouched.
 */
export function writeFileCommand(dest: string, o: WriteFileOptions): ShellCommand {
  const tmp = tempPathFor(dest, o.tmpSuffix);
  const steps: ShellCommand[] = [createTemp(tmp, undefined, o.reader, o.stdin)];
  // the bytes that arrived, not the controller's idea of them (Ansible's message)
  if (o.checksum !== undefined) steps.push(sh`{ [ "$(sha1sum < ${tmp})" = ${`${o.checksum.toLowerCase()}  -`} ] || { echo ${`${FAIL_MARKER}Copied file does not match the expected checksum. Transfer failed. (expected_checksum ${o.checksum})`} >&2; false; }; }`);
  if (o.mode !== undefined) steps.push(sh`chmod ${o.mode} -- ${tmp}`);
  else if (o.exists) steps.push(sh`chmod --reference=${dest} -- ${tmp}`);
  const spec = ownerSpec(o.owner, o.group);
  if (spec !== undefined) steps.push(sh`chown ${spec} -- ${tmp}`);
  // keep the current owner when we are allowed to (as root); otherwise the file stays ours
  else if (o.exists) steps.push(keepOwner(dest, tmp));
  if (o.validate !== undefined) {
    const text = o.validate.includes('%s') ? o.validate.split('%s').join(quote(tmp)) : `${o.validate} ${quote(tmp)}`;
    // grouped so that only a failing validation (not an earlier step) prints this reason
    steps.push(sh`{ { ${rawCommand(text)}
} || { echo ${`${FAIL_MARKER}validation failed: \`${o.validate}\` rejected the new ${dest}; it was left as it was`} >&2; false; }; }`);
  }
  if (o.backupFile !== undefined && o.exists) steps.push(sh`cp -p -- ${dest} ${o.backupFile}`);
  steps.push(sh`mv -f -- ${tmp} ${dest}`);
  return sh`{ ${joinCommands(steps)}; } || { rm -f -- ${tmp}; false; }`;
}

/**
 * One command that appends `line` to the existing file `dest` atomically: a copy in a temp file
 * next to it (with a final newline if the file lacks one), then the line, the wanted (or the current)
 * attributes, and replaces the file. Nothing of the content travels: the host has it.
 */
export function appendLineCommand(dest: string, line: string, o: Omit<WriteFileOptions, 'exists' | 'backupFile' | 'validate'> & { shellText?: string }): ShellCommand {
  const tmp = tempPathFor(dest, o.tmpSuffix);
  const setMode = o.mode !== undefined ? sh`chmod ${o.mode} -- ${tmp}` : sh`chmod --reference=${dest} -- ${tmp}`;
  const spec = ownerSpec(o.owner, o.group);
  const setOwner = spec !== undefined ? sh`chown ${spec} -- ${tmp}` : keepOwner(dest, tmp);
  // GNU sed's `$a\` copies the file and ends its last line with a newline when it lacks one
  // (an empty file stays empty): one process where `cat` and `tail -c1` were two, and a last
  // byte NUL (which `$(tail -c1)` could not tell from a newline) is handled as the planner does
  const sed = sh`sed -e '$a\\' -- ${dest}`;
  // the probe of the same script may hold the whole file in a shell variable (facts/file.ts
  // shellText, set only when it read all of it): the builtin printf writes it, with the
  // missing final newline (an empty file stays empty), no process
  const T = o.shellText;
  const fill = T === undefined ? sed : sh`if [ -n "$\{${raw(T)}_ok-}" ]; then case "$${raw(T)}" in ''|*'
') printf '%s' "$${raw(T)}" ;; *) printf '%s\n' "$${raw(T)}" ;; esac; else ${sed}; fi`;
  const copy = createTemp(tmp, undefined, fill);
  return sh`{ ${copy} && printf '%s\n' ${line} >> ${tmp} && ${setMode} && ${setOwner} && mv -f -- ${tmp} ${dest}; } || { rm -f -- ${tmp}; false; }`;
}

/** Ansible's backup name: `dest.YYYY-MM-DD@HH:MM:SS~` (controller time, UTC). */
export function backupPathFor(dest: string, now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}@${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}`;
  return `${dest}.${stamp}~`;
}
