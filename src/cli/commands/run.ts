// `runbook run PATTERN -m MODULE -a ARGS`: Ansible's ad-hoc command (`ansible web -m shell -a
// 'systemctl status apache2'`). Not a second executor: the command becomes a one-task playbook
// (hosts: PATTERN, gather_facts: false, the module with -a as its arguments), validated like a
// playbook file (module arguments against the module's schema, the pattern against the
// inventory) and run by `runbook apply`'s code with the same flags, view, recap and exit codes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { loadPlaybook, type LoadOptions } from '../../playbook/load.js';
import type { Playbook, Step } from '../../playbook/types.js';
import { parseYaml } from '../../playbook/yaml.js';
import { allModuleNames, getModule } from '../../modules/registry.js';
import { didYouMean } from '../../util/edit-distance.js';
import { UsageError } from '../../util/errors.js';
import { shellQuote } from '../../util/shlex.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from '../run-flags.js';
import type { LoadedPlaybooks } from '../playbooks.js';
import { VAULT_HELP, VAULT_OPTIONS, withVaultArgs } from './vault.js';
import { runApply, type AdhocSource, type ApplyHooks } from './apply.js';

/** Ansible's default module for an ad-hoc command (`ansible all -a uptime`). */
export const DEFAULT_MODULE = 'command';

/** Modules whose -a is a command line, not arguments (free form). */
const COMMAND_MODULES = new Set(['command', 'shell', 'raw']);

export const runCommand: Command = {
  name: 'run',
  help: `Usage: runbook run PATTERN [-m MODULE] [-a ARGS] -i INVENTORY [options]

Runs one module on every host PATTERN selects (a group, a host, web*, a:!b, all), as
Ansible's \`ansible\` command does, with the same connection, become, forks, check and
output options as \`runbook apply\`, the same view and recap, and the same exit codes.
The task is checked like a playbook task first (the module's arguments, the pattern
against the inventory); nothing connects before it is valid.

  -m, --module-name MODULE    the module (default: command; runbook doc lists them)
  -a, --args ARGS             the module's arguments: key=value pairs ('src=a dest=/b
                              mode=0644'), a YAML/JSON mapping ('{name: nginx, state:
                              present}'), or for command/shell/raw the command line
                              itself: -a 'systemctl status apache2'
  -l, --limit PATTERN         further limit the hosts (as apply's --limit)
  -e, --extra-vars VARS       variables (key=value, YAML/JSON, @file; repeatable)
  -C, --check                 dry run: nothing changes; the module says what it would do
  -D, --diff                  show before/after of changed files
  -v, --verbose               -v (the default here): what the module printed; -vv: the
                              command too
      --json                  NDJSON events on stdout (as apply --json)
      --log FILE              write a full log (secrets masked)
      --junit FILE            JUnit XML, one test case per host
      --list-hosts            list the hosts PATTERN selects; run nothing
      --ask                   show the hosts and ask before running (needs a terminal)
${VAULT_HELP}  -h, --help                  show this help

${CONNECTION_HELP}
Exit codes: as runbook apply (0 ok, 1 bad input, 2 some host failed, 4 some host
unreachable, 130 interrupted). No retry file is written: re-run with --limit.

Examples:
  runbook run web -m shell -a 'systemctl status apache2' -i hosts.yml
  runbook run all -a uptime -i hosts.yml -f 20
  runbook run node1 -m apt -a 'name=htop state=present' -b -i hosts.yml --check
  runbook run all -m copy -a '{src: motd, dest: /etc/motd, mode: "0644"}' -b -i hosts.yml
`,
  options: {
    ...CONNECTION_OPTIONS,
    'module-name': { type: 'string', short: 'm' },
    args: { type: 'string', short: 'a' },
    limit: { type: 'string', short: 'l', multiple: true },
    'extra-vars': { type: 'string', short: 'e', multiple: true },
    check: { type: 'boolean', short: 'C' },
    diff: { type: 'boolean', short: 'D' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
    json: { type: 'boolean' },
    log: { type: 'string' },
    junit: { type: 'string' },
    'list-hosts': { type: 'boolean' },
    ask: { type: 'boolean' },
    ...VAULT_OPTIONS,
  },
  run: (args, io) => withVaultArgs(args, io, () => runAdhoc(args, io)),
};

/** Exposed for tests: what `run` does, with apply's injectable pieces. */
export async function runAdhoc(args: ParsedArgs, io: CommandIo, hooks: Omit<ApplyHooks, 'adhoc'> = {}): Promise<number> {
  const [pattern, ...extra] = args.positionals;
  if (pattern === undefined || pattern === '') throw new UsageError("runbook run: missing PATTERN (the hosts to run on: a group, a host, all). Usage: runbook run PATTERN -m MODULE -a ARGS -i INVENTORY (see 'runbook run --help')");
  if (extra.length > 0) {
    throw new UsageError(`runbook run: one PATTERN only, got also ${extra.map((e) => `'${e}'`).join(' ')}; quote the module's arguments as one -a: -a '${extra.join(' ')}'`);
  }
  const moduleName = typeof args.values['module-name'] === 'string' ? args.values['module-name'] : DEFAULT_MODULE;
  const moduleArgs = typeof args.values.args === 'string' ? args.values.args : undefined;
  // `runbook run all --list-hosts` needs no -a (the task is never run)
  const listing = args.values['list-hosts'] === true && moduleArgs === undefined && COMMAND_MODULES.has(getModule(moduleName)?.name ?? '');
  const task = adhocTask(moduleName, listing ? 'true' : moduleArgs);
  const rerun = ['runbook run', pattern, '-m', moduleName, ...(moduleArgs !== undefined ? ['-a', moduleArgs] : []), ...stringsOf(args.values.inventory).flatMap((i) => ['-i', i])]
    .map((w, i) => (i < 1 ? w : shellQuote(w)))
    .join(' ');
  const source: AdhocSource = { load: (options) => loadAdhoc(pattern, moduleName, moduleArgs, task, options), rerun };
  return runApply(args, io, { ...hooks, adhoc: source });
}

function stringsOf(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/**
 * The task `-m MODULE -a ARGS` stands for, as a playbook would write it. An unknown module
 * fails here, with the nearest name.
 */
export function adhocTask(moduleName: string, moduleArgs: string | undefined): Record<string, unknown> {
  const mod = getModule(moduleName);
  if (mod === undefined) {
    const near = didYouMean(moduleName, allModuleNames());
    throw new UsageError(`runbook run: unknown module '${moduleName}'${near !== undefined ? `; did you mean '${near}'?` : ''} (runbook doc lists the modules)`);
  }
  const isCommand = COMMAND_MODULES.has(mod.name);
  if (moduleArgs === undefined || moduleArgs.trim() === '') {
    if (isCommand) throw new UsageError(`runbook run: -m ${moduleName} needs the command to run: -a 'COMMAND' (e.g. -a 'uptime')`);
    return { [moduleName]: {} };
  }
  const text = moduleArgs.trim();
  if (text.startsWith('{')) {
    const parsed = parseYaml(text, '-a');
    const value: unknown = parsed.ok ? parsed.yaml.value : undefined;
    const isMapping = typeof value === 'object' && value !== null && !Array.isArray(value);
    const props = (mod.schema as { properties?: Record<string, unknown> }).properties ?? {};
    // `-a '{ echo a; echo b; }'` is a shell group, not a mapping: for command modules a
    // mapping counts only when every key is one of the module's arguments
    const argsMapping = isMapping && (!isCommand || Object.keys(value).every((k) => Object.hasOwn(props, k)));
    if (argsMapping) return { [moduleName]: value };
    if (!isCommand) {
      const why = parsed.ok ? 'expected a mapping of arguments' : parsed.errors.map((d) => `${d.message} (column ${d.location.col})`).join('; ');
      throw new UsageError(`runbook run: -a '${moduleArgs}': not a valid YAML/JSON mapping: ${why}`);
    }
  }
  // key=value pairs, or a command line: the loader reads them as it reads `apt: name=x` / `shell: ...`
  return { [moduleName]: moduleArgs };
}

/** The generated playbook, validated by the playbook loader; its problems said in terms of -m/-a/PATTERN. */
async function loadAdhoc(pattern: string, moduleName: string, moduleArgs: string | undefined, task: Record<string, unknown>, options: LoadOptions): Promise<LoadedPlaybooks> {
  const name = COMMAND_MODULES.has(getModule(moduleName)?.name ?? '') && moduleArgs !== undefined ? `${moduleName}: ${moduleArgs.trim()}` : moduleName;
  const play = [{ name: `runbook run ${pattern}`, hosts: pattern, gather_facts: false, tasks: [{ name, ...task }] }];
  const dir = await mkdtemp(join(tmpdir(), 'runbook-run-'));
  try {
    const file = join(dir, 'adhoc.yml');
    await writeFile(file, stringify(play), 'utf8');
    const r = await loadPlaybook(file, options);
    const problems = r.ok ? [] : r.errors;
    if (problems.length > 0) {
      const what = `-m ${moduleName}${moduleArgs !== undefined ? ` -a '${moduleArgs}'` : ''}`;
      throw new UsageError(
        problems
          .map((d) => {
            const about = d.code === 'hosts-no-match' ? `PATTERN '${pattern}'` : what;
            return `runbook run: ${about}: ${d.message}${d.fix !== undefined ? `\n  fix: ${d.fix}` : ''}`;
          })
          .join('\n'),
      );
    }
    if (!r.ok) throw new UsageError(`runbook run: ${moduleName}: not a valid task`);
    return { ok: true, playbook: relocate(r.playbook, pattern), warnings: [], parts: [{ file: `runbook run ${pattern}`, plays: 1 }] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The temporary file is gone after loading: what the run shows points at the command line. */
function relocate(playbook: Playbook, pattern: string): Playbook {
  const where = { file: '(ad-hoc)', line: 1, col: 1 };
  const steps = (list: Step[]): void => {
    for (const s of list) {
      s.location = where;
      if (s.kind === 'block') {
        steps(s.block);
        steps(s.rescue);
        steps(s.always);
      }
    }
  };
  for (const p of playbook.plays) {
    p.location = where;
    steps(p.tasks);
  }
  return { ...playbook, file: `runbook run ${pattern}` };
}
