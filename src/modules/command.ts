// command, shell, raw: run something on the host and register its output. `creates`/`removes`
// are decided by the host in the same round trip as the command itself (a marker is printed
// instead of running it), so "skipped because it exists" costs one command, like running it.
import { quote, rawCommand, sh, ShellCommand } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { failPlan, type CommandOutcome, type Plan, type PlanEnv, type PlanSpec } from './contract.js';
import { boolSchema, listSchema } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { extractFreeFormOptions, shlexSplit } from './util/shlex.js';
import { toBool } from './util/args.js';

export type CommandKind = 'command' | 'shell' | 'raw';

export interface CommandArgs {
  cmd?: string;
  argv?: string[] | string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean | string;
  strip_empty_ends?: boolean | string;
  executable?: string;
}

export interface CommandPlan {
  /** the command to send (with the creates/removes test in front when given) */
  command: ShellCommand;
  /** printed instead of running when creates/removes says so */
  skipMarker?: string;
  /** what the task reports as `cmd` */
  cmd: string | string[];
  stdin?: string;
  cwd?: string;
  /** the command as the last thing a remote script runs (default: `command`) */
  final?: ShellCommand;
  /** --check: whether it would run needs the host (creates/removes), else it is skipped */
  checkProbe?: ShellCommand;
  error?: string;
}

const FREE_FORM_KEYS = ['creates', 'removes', 'chdir', 'executable', 'stdin'] as const;

/** A path pattern as a shell word: `*`, `?` and `[...]` stay wildcards, everything else is quoted. */
export function globWord(pattern: string): ShellCommand {
  const parts: ShellCommand[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push(sh`${literal}`);
    literal = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' || c === '?') {
      flush();
      parts.push(rawCommand(c));
      continue;
    }
    const end = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    const body = end > 0 ? pattern.slice(i + 1, end) : '';
    // a class of plain characters (letters, digits, ranges, a leading !): anything else stays literal
    if (end > 0 && /^!?[A-Za-z0-9_.,:@%+-]+$/.test(body)) {
      flush();
      parts.push(rawCommand(`[${body}]`));
      i = end;
      continue;
    }
    literal += c;
  }
  flush();
  return new ShellCommand(parts);
}

const hasGlob = (p: string): boolean => /[*?[]/.test(p);

/** Whether something matches the path or pattern (Python's glob.glob, as Ansible's creates/removes). */
function matches(pattern: string): ShellCommand {
  if (!hasGlob(pattern)) return sh`[ -e ${pattern} ]`;
  return sh`{ _rb_g=; for _rb_f in ${globWord(pattern)}; do if [ -e "$_rb_f" ] || [ -L "$_rb_f" ]; then _rb_g=1; fi; done; [ -n "$_rb_g" ]; }`;
}

function condition(args: CommandArgs): ShellCommand | undefined {
  // true → do not run
  if (args.creates !== undefined) return matches(args.creates);
  if (args.removes !== undefined) return hasGlob(args.removes) ? sh`! ${matches(args.removes)}` : sh`[ ! -e ${args.removes} ]`;
  return undefined;
}

/** The pure part: arguments → the command text to send. */
export function planCommand(kind: CommandKind, input: CommandArgs, env: Pick<PlanEnv, 'tmpSuffix'>): CommandPlan {
  const args: CommandArgs = { ...input };
  let text = args.cmd;
  if (text !== undefined && kind !== 'raw') {
    const ex = extractFreeFormOptions(text, FREE_FORM_KEYS.filter((k) => args[k] === undefined));
    text = ex.cmd;
    Object.assign(args, ex.options);
  }
  let body: ShellCommand;
  let cmd: string | string[];
  if (kind === 'command') {
    // Ansible's words (rc 256)
    if (args.argv !== undefined && text !== undefined && text.trim() !== '') return { command: sh``, cmd: [], error: 'only command or argv can be given, not both' };
    const argv = args.argv !== undefined ? (Array.isArray(args.argv) ? args.argv.map(String) : shlexSplit(args.argv)) : shlexSplit(text ?? '');
    if (argv.length === 0) return { command: sh``, cmd: [], error: 'no command given' };
    body = rawCommand(argv.map(quote).join(' '));
    cmd = argv;
  } else {
    if (text === undefined || text.trim() === '') return { command: sh``, cmd: '', error: `no command given: write \`${kind}: COMMAND\`` };
    body = args.executable !== undefined ? sh`${args.executable} -c ${text}` : rawCommand(text);
    cmd = text;
  }
  const stdin = args.stdin !== undefined ? args.stdin + (toBool(args.stdin_add_newline, true) && !args.stdin.endsWith('\n') ? '\n' : '') : undefined;
  const plan: CommandPlan = { command: body, cmd };
  if (stdin !== undefined) plan.stdin = stdin;
  if (args.chdir !== undefined) plan.cwd = args.chdir;
  const cond = condition(args);
  if (cond) {
    const marker = `__RUNBOOK_NOT_RUN_${env.tmpSuffix}__`;
    plan.skipMarker = marker;
    // the user's text runs in its own shell so any syntax in it stays self-contained
    const run = kind === 'command' || args.executable !== undefined ? body : sh`/bin/sh -c ${text ?? ''}`;
    plan.command = sh`if ${cond}; then printf '%s' ${marker}; else ${run}\nfi`;
    // the task's own remote command ends here: the user's shell can take over the login shell's
    // process (`exec`, one process fewer on the host); not for `command`, whose program may not
    // exist (the shell's "not found" message would change), nor inside an async job
    if (run !== body) plan.final = sh`if ${cond}; then printf '%s' ${marker}; else exec ${run}\nfi`;
    plan.checkProbe = sh`if ${cond}; then printf '%s' ${marker}; fi`;
  }
  return plan;
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

function delta(ms: number): string {
  const s = Math.floor(ms / 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${String(Math.round((ms % 1000) * 1000)).padStart(6, '0')}`;
}

function lines(s: string): string[] {
  return s === '' ? [] : s.split('\n');
}

/** What a finished command means: its output registered, a non-zero exit a failure. */
export function commandResult(plan: CommandPlan, r: CommandOutcome, strip: boolean): Plan {
  const clean = (s: string) => (strip ? s.replace(/[\r\n]+$/, '') : s);
  const stdout = clean(r.stdout);
  const stderr = clean(r.stderr);
  const data: Record<string, unknown> = {
    cmd: plan.cmd,
    rc: r.exitCode,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: timestamp(r.start),
    end: timestamp(r.end),
    delta: delta(r.end.getTime() - r.start.getTime()),
  };
  if (r.ok) return { commands: [], changed: true, msg: '', data };
  const why = r.timedOut ? 'timed out and was stopped' : r.signal ? `killed by signal ${r.signal}` : `non-zero return code ${r.exitCode ?? '(none)'}`;
  const last = stderr.trim().split('\n').slice(-3).join('\n');
  return { commands: [], changed: true, failed: true, msg: last ? `${why}: ${last}` : why, data };
}

/** creates/removes in --check: the host says whether the command would run (true: it would not). */
function notRunFact(plan: CommandPlan): Fact<boolean> | undefined {
  const marker = plan.skipMarker;
  if (!plan.checkProbe || marker === undefined) return undefined;
  return { name: 'creates-removes', command: plan.cwd !== undefined ? sh`cd ${plan.cwd} && ${plan.checkProbe}` : plan.checkProbe, parse: (stdout) => stdout === marker };
}

/** The plan of command, shell and raw: the command itself, its outcome registered. */
export function planCommandTask(kind: CommandKind, args: CommandArgs, notRun: boolean | undefined, env: PlanEnv): Plan {
  const plan = planCommand(kind, args, env);
  if (plan.error) return failPlan(plan.error, { rc: 256, cmd: plan.cmd });
  // Ansible's command module ignores executable, with this warning
  const warnings = kind === 'command' && args.executable !== undefined ? [`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${args.executable}'.`] : undefined;
  const a = { ...args, ...extractFreeFormOptions(args.cmd ?? '', FREE_FORM_KEYS).options };
  const reason = a.creates !== undefined ? `'${a.creates}' exists` : `'${a.removes}' does not exist`;
  const notRunPlan: Plan = {
    commands: [],
    changed: false,
    skipped: true,
    msg: `did not run: ${reason}`,
    data: { cmd: plan.cmd, rc: 0, stdout: `skipped, since ${reason}`, stderr: '', stdout_lines: [], stderr_lines: [] },
  };
  if (env.check) {
    if (!plan.checkProbe) return { commands: [], skipped: true, msg: `${kind} does not run in --check (it cannot know what the command would do); use creates/removes to let it decide` };
    if (notRun) return notRunPlan;
    return { commands: [], changed: true, msg: `would run: ${a.creates !== undefined ? `'${a.creates}' does not exist` : `'${a.removes}' exists`}` };
  }
  const withWarnings = (p: Plan): Plan => (warnings ? { ...p, warnings: [...(p.warnings ?? []), ...warnings] } : p);
  return {
    commands: [plan.final ?? plan.command],
    stdin: plan.stdin,
    cwd: plan.cwd,
    msg: '',
    after: (r) => withWarnings(plan.skipMarker && r.ok && r.stdout === plan.skipMarker ? notRunPlan : commandResult(plan, r, toBool(args.strip_empty_ends, true))),
  };
}

function commandSpec(kind: CommandKind): Pick<PlanSpec<CommandArgs, boolean | undefined>, 'probe' | 'plan'> {
  return {
    // only --check asks first (creates/removes); a real run decides on the host in the same command
    probe: (args, env) => (env.check ? notRunFact(planCommand(kind, args, env)) : undefined),
    plan: (args, notRun, env) => planCommandTask(kind, args, notRun, env),
  };
}

const COMMON_PROPS = {
  chdir: { type: 'string', description: 'directory to run in' },
  creates: { type: 'string', description: 'do not run when this path exists; may be a glob (`/etc/ssl/*.pem`): when anything matches (the host decides, in the same round trip)' },
  removes: { type: 'string', description: 'do not run unless this path (or glob) exists' },
  stdin: { type: 'string', description: 'text written to the command\'s standard input' },
  stdin_add_newline: boolSchema('end stdin with a newline', true),
  strip_empty_ends: boolSchema('strip trailing newlines from stdout/stderr', true),
};

const RETURNS = {
  cmd: 'the command run (a list of words for `command`)',
  rc: 'exit code',
  stdout: 'standard output (trailing newlines stripped)',
  stderr: 'standard error',
  stdout_lines: 'stdout split into lines',
  stderr_lines: 'stderr split into lines',
  start: 'start time on the controller (`YYYY-MM-DD HH:MM:SS.ffffff`)',
  end: 'end time',
  delta: 'duration (`H:MM:SS.ffffff`)',
};

const CHECK_NOTE = 'In --check the command is not run; with creates/removes the host is asked whether it would run (reported as changed) or not.';

export const commandModule = defineModule<CommandArgs, boolean | undefined>({
  name: 'command',
  freeForm: 'cmd',
  schema: moduleSchema({
    properties: {
      cmd: { type: 'string', description: 'the program and its arguments, split into words like a shell would but with no shell features (no pipes, redirections, variables); words are passed quoted' },
      argv: listSchema('the program and its arguments as a list (no splitting at all); not together with a command string'),
      executable: { type: 'string', description: 'accepted and ignored with Ansible\'s warning (command runs no shell); use `shell` with `executable`' },
      ...COMMON_PROPS,
    },
  }),
  doc: {
    short: 'Run a program with arguments on the host (no shell) and register its output',
    description:
      'Reports changed whenever it runs (runbook cannot know what a command did); use `creates`/`removes` to make it idempotent, or `changed_when`. A non-zero exit fails the task. Options may also be written inside the free form: `command: make install chdir=/src creates=/usr/local/bin/x`.',
    returns: RETURNS,
    example: '- command: certbot certificates\n  register: certs\n  changed_when: false',
    notes: [CHECK_NOTE],
  },
  homePaths: ['chdir', 'creates', 'removes'],
  ...commandSpec('command'),
});

export const shellModule = defineModule<CommandArgs, boolean | undefined>({
  name: 'shell',
  freeForm: 'cmd',
  schema: moduleSchema({
    properties: {
      cmd: { type: 'string', description: 'shell script text, run by /bin/sh (pipes, redirections, variables allowed)' },
      executable: { type: 'string', description: 'shell to run it with instead of /bin/sh, e.g. /bin/bash' },
      ...COMMON_PROPS,
    },
  }),
  doc: {
    short: 'Run a shell command on the host and register its output',
    description: 'Like `command`, but the text is a shell script: pipes, redirections, `&&`, variables. Prefer `command` when no shell feature is needed.',
    returns: RETURNS,
    example: '- shell: set -o pipefail; certbot renew --dry-run 2>&1 | tail -n 5\n  args:\n    executable: /bin/bash\n  register: renew',
    notes: [CHECK_NOTE],
  },
  homePaths: ['chdir', 'creates', 'removes'],
  ...commandSpec('shell'),
});

export const rawModule = defineModule<CommandArgs, boolean | undefined>({
  name: 'raw',
  freeForm: 'cmd',
  schema: moduleSchema({
    properties: {
      cmd: { type: 'string', description: 'text sent to the host as is' },
      executable: { type: 'string', description: 'shell to run it with' },
    },
  }),
  doc: {
    short: 'Send a command to the host as is (no quoting, no options) and register its output',
    description: 'For hosts where even a POSIX shell cannot be assumed to behave, or for a first bootstrap step. Always reports changed.',
    returns: RETURNS,
    example: '- raw: test -e /usr/bin/python3 || (apt-get update && apt-get install -y python3)',
    notes: ['raw does not run in --check.'],
  },
  ...commandSpec('raw'),
});

