// The ssh command-line options Ansible users put in `ansible_ssh_common_args` (and
// `ansible_ssh_extra_args`): `-o Key=Value`, `-J`, `-p`, `-i`, `-l`, `-F`, and a
// `ProxyCommand` of the classic `ssh -W %h:%p bastion` form (turned into a jump host).
import { ShlexError, shlexSplit } from '../util/shlex.js';

export interface JumpTarget {
  host: string;
  port?: number;
  user?: string;
}

export interface SshArgs {
  /** `-o` options, keys lower-cased, in order (first wins, as in ssh) */
  options: Map<string, string>;
  port?: number;
  user?: string;
  identityFiles: string[];
  configFile?: string;
  /** from -J, -o ProxyJump or a ProxyCommand `ssh -W`; undefined when not given, [] for `none` */
  jump?: JumpTarget[];
}

export class SshArgsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshArgsError';
  }
}

/**
 * The words of ssh options text, split as Ansible's ssh plugin splits them (Python's shlex.split);
 * an unclosed quote is an SshArgsError like any other mistake in the options.
 */
export function shellSplit(text: string): string[] {
  try {
    return shlexSplit(text);
  } catch (e) {
    if (e instanceof ShlexError) throw new SshArgsError(e.message, { cause: e });
    throw e;
  }
}

function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SshArgsError(`${what}: invalid port ${JSON.stringify(value)}`);
  return n;
}

/** `[user@]host[:port]`, `[user@][v6addr]:port`, `ssh://[user@]host[:port]`. */
export function parseJumpTarget(spec: string): JumpTarget {
  let s = spec.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at !== -1) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let host = s;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1] ?? '';
    if (v6[2] !== undefined) port = parsePort(v6[2], `jump host ${spec}`);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon !== -1 && s.indexOf(':') === colon) {
      host = s.slice(0, colon);
      port = parsePort(s.slice(colon + 1), `jump host ${spec}`);
    }
  }
  if (!host) throw new SshArgsError(`jump host ${JSON.stringify(spec)}: no host name`);
  const out: JumpTarget = { host };
  if (port !== undefined) out.port = port;
  if (user) out.user = user;
  return out;
}

/** A comma-separated ProxyJump list; `none` means no jump host. */
export function parseJumpList(value: string): JumpTarget[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseJumpTarget);
}

// ssh flags that take an argument (we skip the ones we do not use)
const WITH_ARG = new Set(['b', 'B', 'c', 'D', 'E', 'e', 'F', 'I', 'i', 'J', 'L', 'l', 'm', 'O', 'o', 'P', 'p', 'Q', 'R', 'S', 'W', 'w']);

/** `ProxyCommand ssh [opts] -W %h:%p [user@]bastion` → the bastion; anything else is refused. */
export function parseProxyCommand(command: string): JumpTarget[] {
  if (command.trim().toLowerCase() === 'none') return [];
  const words = shellSplit(command);
  const prog = words[0] ?? '';
  const unsupported = new SshArgsError(
    `ProxyCommand ${JSON.stringify(command)} is not supported: use a jump host instead (-J user@bastion, ProxyJump, or runbook_jump_hosts)`,
  );
  if (!/(^|\/)ssh$/.test(prog) || !words.includes('-W')) throw unsupported;
  const inner = parseSshArgs(words.slice(1), true);
  const dest = inner.destination;
  if (!dest) throw unsupported;
  const target = parseJumpTarget(dest);
  if (target.port === undefined && inner.args.port !== undefined) target.port = inner.args.port;
  if (target.user === undefined && inner.args.user !== undefined) target.user = inner.args.user;
  return [target];
}

/** Parse ssh options given as text (ansible_ssh_common_args) or words. */
export function parseSshArgs(input: string | string[]): SshArgs;
export function parseSshArgs(input: string | string[], wantDestination: true): { args: SshArgs; destination?: string };
export function parseSshArgs(input: string | string[], wantDestination?: true): SshArgs | { args: SshArgs; destination?: string } {
  const words = typeof input === 'string' ? shellSplit(input) : input;
  const args: SshArgs = { options: new Map(), identityFiles: [] };
  let destination: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (!w.startsWith('-') || w === '-') {
      if (wantDestination && destination === undefined) destination = w;
      continue;
    }
    // -o X / -oX, and clustered boolean flags like -qT
    const flag = w.charAt(1);
    if (!WITH_ARG.has(flag)) continue;
    let value = w.slice(2);
    if (value === '') {
      i++;
      value = words[i] ?? '';
      if (value === '') throw new SshArgsError(`ssh option -${flag} needs a value`);
    }
    switch (flag) {
      case 'o': {
        const m = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(value.trim());
        if (!m) throw new SshArgsError(`ssh option -o ${JSON.stringify(value)}: expected Key=Value`);
        const key = (m[1] ?? '').toLowerCase();
        if (!args.options.has(key)) args.options.set(key, m[2] ?? '');
        break;
      }
      case 'J':
        args.jump ??= parseJumpList(value);
        break;
      case 'p':
        args.port ??= parsePort(value, '-p');
        break;
      case 'i':
        args.identityFiles.push(value);
        break;
      case 'l':
        args.user ??= value;
        break;
      case 'F':
        args.configFile ??= value;
        break;
      default:
        break;
    }
  }
  // -o forms of the same settings (the first of -X and -o wins, as in ssh; close enough)
  const o = args.options;
  const port = o.get('port');
  if (args.port === undefined && port !== undefined) args.port = parsePort(port, '-o Port');
  const user = o.get('user');
  if (args.user === undefined && user !== undefined) args.user = user;
  const idf = o.get('identityfile');
  if (idf !== undefined) args.identityFiles.push(idf);
  const pj = o.get('proxyjump');
  if (args.jump === undefined && pj !== undefined) args.jump = parseJumpList(pj);
  const pc = o.get('proxycommand');
  if (args.jump === undefined && pc !== undefined) args.jump = parseProxyCommand(pc);
  if (wantDestination) return destination === undefined ? { args } : { args, destination };
  return args;
}
