// script: a script from the controller (looked for along the search path, in files/ first)
// runs on the host with arguments. It travels on stdin into a private temp file, runs, and the
// temp file is removed, all in one remote command; creates/removes are decided by the host first
// (a read-only probe) so a script whose condition says "done" costs one command and no transfer.
import { rawCommand, sh } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { searchCandidates, notFoundMessage } from '../playbook/search-path.js';
import { boolSchema, toBool } from './util/args.js';
import { extractFreeFormOptions, shlexSplit } from './util/shlex.js';
import { failPlan, noop, type CommandOutcome, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import type { ModuleContext } from './types.js';

export interface ScriptArgs {
  cmd?: string;
  creates?: string;
  removes?: string;
  chdir?: string;
  executable?: string;
  decrypt?: boolean | string;
}

export interface ScriptPlanArgs extends ScriptArgs {
  /** the script's path as written, and its arguments (shell text) */
  script: string;
  argsText: string;
  /** the script's content (read on the controller) */
  text: string;
  error?: string;
}

const KEYS = ['creates', 'removes', 'chdir', 'executable'] as const;

/** `path/to/s.sh a b creates=/x` → the script, its arguments and the free-form options. */
export function splitScriptCmd(a: ScriptArgs): { script: string; argsText: string; options: ScriptArgs } {
  const ex = extractFreeFormOptions(a.cmd ?? '', KEYS.filter((k) => a[k] === undefined));
  const text = ex.cmd.trim();
  const first = shlexSplit(text)[0] ?? '';
  // the arguments stay shell text, as Ansible runs them through the shell
  const m = /^(?:'[^']*'|"(?:[^"\\]|\\.)*"|\S)+/.exec(text);
  return { script: first, argsText: m ? text.slice(m[0].length).trim() : '', options: { ...a, ...ex.options } };
}

export function scriptConditionFact(a: ScriptArgs): Fact<string | undefined> | undefined {
  if (a.creates === undefined && a.removes === undefined) return undefined;
  const cd = a.chdir !== undefined ? sh`cd ${a.chdir} && ` : sh``;
  const test = a.creates !== undefined ? sh`[ -e ${a.creates} ] && echo exists` : sh`[ -e ${a.removes ?? ''} ] || echo missing`;
  return { name: 'script-condition', command: sh`${cd}{ ${test}; } || :`, parse: (o) => o.trim() || undefined };
}

const lines = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

export function planScript(a: ScriptPlanArgs, condition: string | undefined, env: PlanEnv): Plan {
  if (a.error !== undefined) return failPlan(a.error);
  if (condition === 'exists') return { commands: [], skipped: true, changed: false, msg: `skipped, since ${a.creates} exists`, data: { rc: 0, stdout: '', stderr: '' } };
  if (condition === 'missing') return { commands: [], skipped: true, changed: false, msg: `skipped, since ${a.removes} does not exist`, data: { rc: 0, stdout: '', stderr: '' } };
  if (env.check) {
    if (a.creates === undefined && a.removes === undefined) return { commands: [], skipped: true, msg: 'script does not run in --check (it cannot know what the script would do); use creates/removes to let it decide' };
    return { ...noop(`would run ${a.script}`), changed: true };
  }
  const exec = a.executable !== undefined ? sh`${rawCommand(a.executable)} "$_rb_s"` : sh`"$_rb_s"`;
  const args = a.argsText !== '' ? rawCommand(` ${a.argsText}`) : sh``;
  const cd = a.chdir !== undefined ? sh`cd ${a.chdir} && ` : sh``;
  return {
    commands: [sh`( _rb_s=$(mktemp) || exit 1; trap 'rm -f "$_rb_s"' EXIT; cat > "$_rb_s" && chmod 0700 "$_rb_s" && ${cd}${exec}${args} </dev/null )`],
    stdin: a.text,
    msg: `run ${a.script}`,
    after: (o: CommandOutcome): Plan => {
      const data = { rc: o.exitCode, stdout: o.stdout, stdout_lines: lines(o.stdout), stderr: o.stderr, stderr_lines: lines(o.stderr) };
      if (o.exitCode !== 0) return { commands: [], changed: true, failed: true, msg: 'non-zero return code', data };
      return { commands: [], changed: true, msg: `${a.script} ran`, data };
    },
  };
}

async function prepareScript(ctx: ModuleContext, a: ScriptArgs): Promise<ScriptPlanArgs> {
  const s = splitScriptCmd(a);
  const base: ScriptPlanArgs = { ...s.options, script: s.script, argsText: s.argsText, text: '' };
  if (s.script === '') return { ...base, error: 'script: give the script to run (`script: files/setup.sh ARGS` or cmd)' };
  if (a.decrypt !== undefined && !toBool(a.decrypt, true)) return { ...base, error: 'script: decrypt: false is not supported (vaulted scripts are always decrypted)' };
  const tried: string[] = [];
  for (const p of searchCandidates(ctx.searchPath ?? [''], 'files', s.script)) {
    tried.push(p);
    try {
      return { ...base, text: await ctx.readLocalFile(p) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') return { ...base, error: `script: cannot read ${p}: ${(e as Error).message}` };
    }
  }
  return { ...base, error: notFoundMessage('script', s.script, tried) };
}

export const scriptModule = defineModule<ScriptArgs, string | undefined, ScriptPlanArgs>({
  name: 'script',
  freeForm: 'cmd',
  schema: moduleSchema({
    properties: {
      cmd: { type: 'string', description: 'the script (on the controller, looked for in files/ and next to the playbook or role) and its arguments' },
      creates: { type: 'string', description: 'a path on the host: when it exists, the script does not run' },
      removes: { type: 'string', description: 'a path on the host: when it does not exist, the script does not run' },
      chdir: { type: 'string', description: 'directory on the host to run the script in' },
      executable: { type: 'string', description: 'the interpreter to run the script with (e.g. `/bin/bash`, `python3`); default: the script runs itself (its #! line)' },
      decrypt: boolSchema('accepted for compatibility: a vaulted script is always decrypted', true),
    },
  }),
  doc: {
    short: 'Copy a script from the controller to the host and run it',
    description:
      'The script travels on stdin into a private temp file (mode 0700), runs with its arguments (through the shell, as Ansible does), and the temp file is removed: one remote command. With creates/removes the host is asked first and nothing is sent when the condition says the work is done. Its output and exit code are registered like command\'s.',
    returns: { rc: 'exit code', stdout: 'standard output', stdout_lines: 'stdout as lines', stderr: 'standard error', stderr_lines: 'stderr as lines' },
    example: '- script: files/setup-node.sh --node 1999\n  args:\n    creates: /etc/asterisk/.configured',
    notes: ['The temp file is made with mktemp (in $TMPDIR or /tmp): on a host whose /tmp is mounted noexec give `executable`.', 'Under --check the script does not run; with creates/removes the result says whether it would.'],
  },
  prepare: prepareScript,
  probe: (a) => (a.error === undefined ? scriptConditionFact(a) : undefined),
  plan: planScript,
});

