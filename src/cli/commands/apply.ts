// `runbook apply PLAYBOOK -i INVENTORY`: validate everything first (playbook, inventory,
// flags), then run. No connection is opened before the whole input is known to be valid.
import type { EventEmitter } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import type { RunPlan } from '../../engine/plan.js';
import type { RunOptions } from '../../engine/types.js';
import { selectHosts } from '../../inventory/pattern.js';
import { formatDiagnostics } from '../../playbook/format.js';
import { parseYaml } from '../../playbook/yaml.js';
import { combineReporters } from '../../report/combine.js';
import { createLogReporter } from '../../report/log.js';
import type { ConnectionSpec } from '../../transport/types.js';
import { EXIT, UsageError, ValidationError } from '../../util/errors.js';
import { Keyring } from '../../vault/keyring.js';
import { currentKeyring } from '../../vault/scope.js';
import { maskAll, SecretRegistry } from '../../vault/secrets.js';
import { VAULT_HELP, VAULT_OPTIONS, withVaultArgs } from './vault.js';
import { ansibleVarWarnings, hostPatternHint } from '../hints.js';
import { loadPlaybooks, type LoadedPlaybooks } from '../playbooks.js';
import { createScreenReporter } from '../output.js';
import { formatAdhocHosts, formatListing } from '../list.js';
import { checkStepPossible, confirmRun, createStepper } from '../ask.js';
import { createJunitReporter } from '../../report/junit.js';
import type { LoadOptions } from '../../playbook/load.js';
import { registeredModules } from '../../modules/registry.js';
import { variableWarnings } from '../var-hints.js';
import { defaultStorePath } from '../../store/paths.js';
import { extraVarsDigest, historyRetention, prepareResume, resumePointFor, rolloutRunOptions, ROLLOUT_HELP, ROLLOUT_OPTIONS, startHistory } from '../rollout.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, askCredentials, connectionOverrides, loadInventories, runSettings, withDefaults } from '../run-flags.js';
import { pathListSetting } from '../config.js';
import { controllerFileReader } from '../controller-files.js';
import { hostsInFlight, tuneHeapForFleet } from '../heap.js';

// What only a run needs (the engine, facts, SSH) is imported inside runApply, where it is used:
// `runbook validate` and the other commands start without it.


export const applyCommand: Command = {
  name: 'apply',
  help: `Usage: runbook apply PLAYBOOK... -i INVENTORY [options]

Validates the playbook and the inventory completely (as \`runbook validate\` does), then runs
the plays over SSH. Nothing connects to any host before the whole input is valid. Several
playbooks run in order as one run (one recap), as ansible-playbook a.yml b.yml does.

Options:
  -l, --limit PATTERN         only hosts matching PATTERN (web*, a:!b, a:&b); @FILE reads
                              host names from a file, e.g. a retry file: --limit @site.retry
  -t, --tags TAGS             only tasks with one of these tags (comma-separated, repeatable)
      --skip-tags TAGS        skip tasks with one of these tags
  -e, --extra-vars VARS       variables that win over all others: key=value (several
                              separated by spaces), a YAML/JSON mapping ('{a: 1}'), or
                              @vars.yml (repeatable)
  -C, --check                 dry run: nothing changes on any host; modules report what
                              they would do
  -D, --diff                  show before/after of changed files
      --start-at-task NAME    start at the first task with this name (glob * allowed)
  -v, --verbose               -v: results and messages; -vv: command output too
      --json                  NDJSON events on stdout, one per line; the last line is the
                              recap (schema: schemas/events.schema.json)
      --log FILE              write a full run log (every command's output, secrets masked)
      --retry-file FILE       where to list failed and unreachable hosts
                              (default: next to the playbook, site.yml -> site.retry)
      --force-handlers        run notified handlers even on hosts that failed later
      --junit FILE            write the results as JUnit XML (one test case per host and
                              task) for CI systems
      --list-hosts            list the hosts each play would run on (after --limit), and
                              its serial batches; run nothing
      --list-tasks            list the tasks that would run (after --tags/--skip-tags,
                              --start-at-task); run nothing
      --list-tags             list the tags of the tasks that would run; run nothing
      --ask                   show what the run will touch (plays, hosts x tasks) and ask
                              before running (needs a terminal: never waits in CI)
      --step                  ask before each task: (y)es, (N)o = skip it, (c)ontinue =
                              stop asking (needs a terminal)
${VAULT_HELP}  -h, --help                  show this help

${ROLLOUT_HELP}
${CONNECTION_HELP}
Output: a live task tree in a terminal; one plain line per event when stdout is not a
terminal or CI=true; NDJSON with --json. Every run ends with a recap per host, the
failures repeated (host, task, file:line, exit code, stderr), and a retry file when some
host failed or was unreachable.

Ctrl-C: the first stops starting new tasks and lets running commands end (5 s grace), then
writes the recap and the retry file; a second Ctrl-C stops running commands at once.

Exit codes:
  0    every host ok
  1    usage or validation error (nothing was run)
  2    some host failed
  4    some host unreachable (and none failed)
  8    partly deferred: the hosts that ran are ok, some were deferred (weekly certificate budget)
  130  interrupted (Ctrl-C)

Examples:
  runbook apply playbooks/allmon3.yml -i inventory.yml
  runbook apply site.yml -i hosts.ini --limit 'web*' --check --diff
  runbook apply site.yml -i hosts.ini --limit @site.retry
  runbook apply site.yml -i hosts.yml -e domain=node1.example.org -e @secrets.yml --json
`,
  options: {
    ...CONNECTION_OPTIONS,
    limit: { type: 'string', short: 'l', multiple: true },
    tags: { type: 'string', short: 't', multiple: true },
    'skip-tags': { type: 'string', multiple: true },
    'extra-vars': { type: 'string', short: 'e', multiple: true },
    check: { type: 'boolean', short: 'C' },
    diff: { type: 'boolean', short: 'D' },
    'start-at-task': { type: 'string' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
    json: { type: 'boolean' },
    log: { type: 'string' },
    'retry-file': { type: 'string' },
    'force-handlers': { type: 'boolean' },
    junit: { type: 'string' },
    'list-hosts': { type: 'boolean' },
    'list-tasks': { type: 'boolean' },
    'list-tags': { type: 'boolean' },
    ask: { type: 'boolean' },
    step: { type: 'boolean' },
    ...ROLLOUT_OPTIONS,
    ...VAULT_OPTIONS,
  },
  // every file read under the vault flags' keyring; every vault plaintext masked in every sink
  run: (args, io) => withVaultArgs(args, io, () => runApply(args, io)),
};

/** Exposed for tests: what `run` does, with injectable pieces. */
export interface ApplyHooks {
  /** replaces SSH (tests) */
  transportFactory?: RunOptions['transportFactory'];
  gatherFacts?: RunOptions['gatherFacts'];
  /** replaces process as the source of SIGINT (tests) */
  signals?: Pick<EventEmitter, 'on' | 'off'>;
  graceMs?: number;
  /** `runbook run`: a generated one-task playbook instead of PLAYBOOK files (src/cli/commands/run.ts) */
  adhoc?: AdhocSource;
}

/** What `runbook run` gives the one executor: the ad-hoc task as a validated playbook. */
export interface AdhocSource {
  /** validate and build the playbook; bad -m/-a throw a UsageError that names them */
  load(options: LoadOptions): Promise<LoadedPlaybooks>;
  /** the command line that re-runs it (recap hint) */
  rerun: string;
}

export async function runApply(argsGiven: ParsedArgs, ioGiven: CommandIo, hooks: ApplyHooks = {}): Promise<number> {
  // --resume: the interrupted rollout's own command line, from the history (src/cli/rollout.ts)
  const storePath = defaultStorePath(ioGiven.env);
  const resuming = argsGiven.values.resume === true && !hooks.adhoc ? await prepareResume(argsGiven, ioGiven, storePath) : undefined;
  const args = resuming?.args ?? argsGiven;
  const io = resuming?.io ?? ioGiven;
  const v = args.values;
  const adhoc = hooks.adhoc;
  const command = adhoc ? 'run' : 'apply';
  const playbookArg = adhoc ? '' : args.positionals[0];
  if (playbookArg === undefined) throw new UsageError("runbook apply: missing PLAYBOOK. Usage: runbook apply PLAYBOOK... -i INVENTORY (see 'runbook apply --help')");
  // flags, environment, runbook.cfg/ansible.cfg (src/cli/run-flags.ts)
  const settings = runSettings(args, io, command);
  const { inventories, forks } = settings;
  const playbookFile = resolve(io.cwd, playbookArg);
  const extraVars = await parseExtraVars(strings(v['extra-vars']), io.cwd);

  // validate everything before any connection; several playbooks run as one, in order
  const inventory = withDefaults(await loadInventories(inventories, io.cwd), settings.defaults);
  // what vaults revealed while loading is already known: load-time warnings are masked too
  const revealed = (text: string): string => maskAll(text, currentKeyring()?.secrets.values ?? []);
  for (const w of ansibleVarWarnings(inventory)) io.stderr.write(revealed(`WARNING: ${w}\n`));
  const loadOptions: LoadOptions = {
    modules: registeredModules,
    matchHosts: (pattern) => selectHosts(inventory, pattern),
    hostPatternHint: (pattern) => hostPatternHint(pattern, inventory),
    extraVarNames: Object.keys(extraVars),
    rolesPath: pathListSetting(settings.config, 'roles_path', io.cwd),
    collectionsPath: pathListSetting(settings.config, 'collections_path', io.cwd),
  };
  const loaded = adhoc ? await adhoc.load(loadOptions) : await loadPlaybooks(args.positionals.map((p) => resolve(io.cwd, p)), loadOptions);
  if (loaded.warnings.length > 0) io.stderr.write(revealed(formatDiagnostics(loaded.warnings)));
  if (!loaded.ok) throw new ValidationError(formatDiagnostics(loaded.errors), loaded.errors);
  // misspelt variables: a warning with the nearest known name, before anything runs
  const varWarnings = variableWarnings(loaded.playbook, inventory, Object.keys(extraVars), (f) => relativeShown(io.cwd, f));
  if (varWarnings.length > 0) io.stderr.write(revealed(formatDiagnostics(varWarnings)));
  const resume = resuming ? await resumePointFor(storePath, resuming, loaded.playbook, v.force === true) : undefined;

  const [{ planRun }, { runPlaybook }, { createInterrupt }, { gatherFacts }, { createTransport, resolveConnection }] = await Promise.all([
    import('../../engine/plan.js'),
    import('../../engine/run.js'),
    import('../../engine/interrupt.js'),
    import('../../facts/gather.js'),
    import('../../transport/factory.js'),
  ]);

  const limit = strings(v.limit);
  const tags = splitList(strings(v.tags));
  const skipTags = splitList(strings(v['skip-tags']));
  const startAtTask = typeof v['start-at-task'] === 'string' ? v['start-at-task'] : undefined;
  // copy/template sources encrypted with ansible-vault are opened, as Ansible does
  const keyring = currentKeyring() ?? new Keyring([]);
  const readControllerFile = controllerFileReader(io.cwd, (text, p) => keyring.openFile(text, p));
  // the run's plan (hosts per play, --limit, --start-at-task): bad input fails here, before any prompt or connection
  const plan = await planRun(loaded.playbook, inventory, { limit, extraVars, tags, skipTags, ...(startAtTask !== undefined ? { startAtTask } : {}), readFile: readControllerFile });

  // --list-*: the plan, printed as ansible-playbook prints it; nothing connects, nothing is asked
  const list = { hosts: v['list-hosts'] === true, tasks: v['list-tasks'] === true, tags: v['list-tags'] === true };
  if (list.hosts || list.tasks || list.tags) {
    io.stdout.write(adhoc ? formatAdhocHosts(plan.hosts) : formatListing(plan, loaded.parts.map((p) => ({ ...p, file: relativeShown(io.cwd, p.file) })), list));
    return EXIT.ok;
  }
  if (v.step === true) checkStepPossible(io, command);
  if (v.ask === true && !(await confirmRun(io, plan, { command, check: v.check === true }))) {
    throw new UsageError(`runbook ${command}: not confirmed; nothing was run.`);
  }

  const creds = await askCredentials(v, io);
  const { becomePassword, sshPassword } = creds;

  const verbosity = Array.isArray(v.verbose) ? v.verbose.length : v.verbose ? 1 : 0;
  const rerun = adhoc ? adhoc.rerun : `runbook apply ${args.positionals.join(' ')} ${inventories.map((i) => `-i ${i}`).join(' ')}`;
  // the run's secrets, one list that grows: the become and SSH passwords and all that vaults revealed
  const registry = currentKeyring()?.secrets ?? new SecretRegistry();
  if (becomePassword) registry.add(becomePassword);
  if (sshPassword) registry.add(sshPassword);
  const secrets = registry.values;
  // an ad-hoc command is run to see what it prints: its output is shown without -v (Ansible too)
  const screen = createScreenReporter(io, { json: v.json === true, verbosity: adhoc ? Math.max(1, verbosity) : verbosity, rerun, diff: v.diff === true });
  const log = settings.logPath !== undefined ? createLogReporter(settings.logPath, { secrets }) : undefined;
  const junit =
    typeof v.junit === 'string'
      ? createJunitReporter(resolve(io.cwd, v.junit), { warn: (msg) => io.stderr.write(`WARNING: ${msg}\n`), ...(adhoc ? { name: adhoc.rerun } : {}) })
      : undefined;
  // the run's record in the history (who, when, playbook digest, options, results): `runbook history`, --resume
  const history = await startHistory(io, {
    kind: command,
    playbook: loaded.playbook,
    shown: adhoc ? adhoc.rerun : args.positionals.join(' '),
    storePath,
    keep: historyRetention(settings.config),
    ...(resuming ? { resumeOf: resuming.resumeOf } : {}),
    options: {
      cwd: io.cwd,
      playbooks: args.positionals.map((p) => resolve(io.cwd, p)),
      inventories,
      limit,
      tags,
      skipTags,
      check: v.check === true,
      diff: v.diff === true,
      ...(startAtTask !== undefined ? { startAtTask } : {}),
      forks,
      extraVars: strings(v['extra-vars']).map((e) => maskAll(e, secrets)),
      extraVarsMasked: strings(v['extra-vars']).some((e) => maskAll(e, secrets) !== e),
      extraVarsDigest: extraVarsDigest(extraVars),
      rollout: Object.fromEntries(['max-fail', 'max-unreachable', 'count-unreachable', 'fail-fast', 'approve', 'approve-timeout', 'approve-ci'].filter((k) => v[k] !== undefined).map((k) => [k, v[k]])),
    },
  });
  const reporter = combineReporters(screen, log, junit, history.reporter);

  const overrides = connectionOverrides(v, io, settings, creds);
  // A play's remote_user is the login user where the inventory names none (Ansible: ansible_user
  // beats remote_user; -e beats both). One connection serves a host for the whole run, so the
  // first play that targets a host decides; a task-level remote_user cannot switch it.
  const remoteUsers = remoteUserMap(plan);
  // -u / remote_user of the configuration: under the plays' remote_user
  if (settings.remoteUser !== undefined) for (const name of inventory.hosts.keys()) if (!remoteUsers.has(name)) remoteUsers.set(name, settings.remoteUser);
  const connectionVars = (host: { name: string; vars: Record<string, unknown> }): Record<string, unknown> =>
    hostConnectionVars(host, remoteUsers, extraVars);
  // connection settings are input too: resolve them all now, so a bad ansible_port or
  // ansible_connection fails before any host is contacted
  const specs = new Map<string, ConnectionSpec>();
  if (!hooks.transportFactory) {
    // -e wins over inventory here too (`-e ansible_user=admin`, as in Ansible)
    for (const host of inventory.hosts.values()) specs.set(host.name, resolveConnection({ name: host.name, vars: connectionVars(host) }, overrides));
  }
  const interrupt = createInterrupt({
    ...(hooks.signals ? { source: hooks.signals } : {}),
    onInterrupt: (count) => {
      io.stderr.write(
        count === 1
          ? '\nInterrupted: starting no new tasks; running commands get a few seconds to end. Press Ctrl-C again to stop them now.\n'
          : '\nStopping running commands now.\n',
      );
    },
  });
  const retryFile = typeof v['retry-file'] === 'string' ? resolve(io.cwd, v['retry-file']) : defaultRetryFile(playbookFile);
  const options: RunOptions = {
    limit,
    tags,
    skipTags,
    extraVars,
    forks,
    check: v.check === true,
    diff: v.diff === true,
    ...(startAtTask !== undefined ? { startAtTask } : {}),
    verbosity,
    forceHandlers: v['force-handlers'] === true,
    transportFactory:
      hooks.transportFactory ??
      ((host) =>
        // a host of the inventory as loaded: its spec resolved above; a delegated host outside it
        // (an address, the implicit localhost) or one add_host made: resolved from its own variables
        createTransport((inventory.hosts.get(host.name) === host ? specs.get(host.name) : undefined) ?? resolveConnection({ name: host.name, vars: connectionVars(host) }, overrides), {
          // "host key checking is off", "new host key recorded": part of the run's output, not stray stderr
          onWarning: (msg) => reporter.onEvent?.({ type: 'warning', host: host.name, msg }),
        })),
    gatherFacts: hooks.gatherFacts ?? gatherFacts,
    ...(becomePassword ? { becomePassword } : {}),
    secrets,
    signal: interrupt.signal,
    killSignal: interrupt.killSignal,
    ...(hooks.graceMs !== undefined ? { graceMs: hooks.graceMs } : {}),
    // an ad-hoc command leaves no retry file (neither does Ansible's): re-run it with --limit
    retry: adhoc ? () => Promise.resolve(undefined) : (hosts) => writeRetryFile(retryFile, hosts, (msg) => reporter.onEvent?.({ type: 'warning', msg })),
    ...(v.step === true ? { step: createStepper(io, screen) } : {}),
    ...rolloutRunOptions(v, io, screen),
    ...(resume ? { resume } : {}),
    // ad-hoc: relative paths (copy src=...) are the working directory's, as for `ansible`
    playbookDir: adhoc ? io.cwd : dirname(playbookFile),
    rolesPath: pathListSetting(settings.config, 'roles_path', io.cwd),
    displayRoot: io.cwd,
    readFile: readControllerFile,
  };
  try {
    tuneHeapForFleet(hostsInFlight(plan, forks));
    const recap = await runPlaybook(loaded.playbook, inventory, options, reporter);
    // the playbooks' outcomes (certificate paths, expiry) go to the store for `runbook certs --history`
    if (!adhoc && !options.check && recap.outputs && Object.keys(recap.outputs).length > 0) {
      const { recordApplyRun } = await import('../../store/apply-outputs.js');
      const warning = recordApplyRun(defaultStorePath(io.env), playbookArg, recap.outputs);
      if (warning) io.stderr.write(`${warning}\n`);
    }
    return recap.exitCode;
  } finally {
    interrupt.dispose();
    await reporter.close?.();
  }
}

/** A playbook path as the user typed it: relative to the working directory when inside it. */
function relativeShown(cwd: string, file: string): string {
  const r = relative(cwd, resolve(cwd, file));
  return r !== '' && !r.startsWith('..') ? r : file;
}

function strings(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function splitList(values: string[]): string[] {
  return values.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** `-e`: key=value pairs, an inline YAML/JSON mapping, or @file (YAML or JSON). Later ones win. */
export async function parseExtraVars(values: readonly string[], cwd: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const raw of values) {
    const text = raw.trim();
    if (text.startsWith('@')) {
      const file = resolve(cwd, text.slice(1));
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (err) {
        throw new UsageError(`-e ${raw}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      let data: unknown;
      if (extname(file) === '.json') {
        try {
          data = JSON.parse(content);
        } catch (err) {
          throw new ValidationError(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
        }
      } else {
        // the same hostile-input limits as every other YAML file the user gives us
        const parsed = parseYaml(content, file);
        if (!parsed.ok) throw new ValidationError(formatDiagnostics(parsed.errors, new Map([[file, content]])), parsed.errors);
        data = parsed.yaml.value;
      }
      rejectPrototypeKeys(data, `-e ${raw}`);
      if (data === null || data === undefined) continue;
      Object.assign(out, mapping(data, `-e ${raw}`));
    } else if (text.startsWith('{') || text.startsWith('[')) {
      // inline YAML (JSON is YAML too), as Ansible reads it: -e '{a: 1, b: [x, y]}'
      const parsed = parseYaml(text, '-e');
      if (!parsed.ok) throw new UsageError(`-e '${raw}': not a valid YAML/JSON mapping: ${parsed.errors.map((d) => `${d.message} (column ${d.location.col})`).join('; ')}`);
      const data = parsed.yaml.value;
      rejectPrototypeKeys(data, '-e');
      Object.assign(out, mapping(data, '-e'));
    } else if (text !== '') {
      for (const pair of splitPairs(text)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`-e '${pair}': expected key=value, a JSON object or @file`);
        const key = pair.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`-e '${pair}': '${key}' is not a valid variable name`);
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new UsageError(`-e: '${key}' is not allowed as a variable name`);
        out[key] = pair.slice(eq + 1);
      }
    }
  }
  for (const k of ['__proto__', 'constructor', 'prototype']) {
    if (Object.hasOwn(out, k)) throw new UsageError(`-e: '${k}' is not allowed as a variable name`);
  }
  return out;
}

/**
 * The login user each host gets from a play's remote_user (first play that targets it), over
 * the hosts the run's plan gives each play: the same selection the engine runs (a templated
 * `hosts:` rendered, --limit applied).
 */
export function remoteUserMap(plan: Pick<RunPlan, 'plays'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const { play, hosts } of plan.plays) {
    if (play.remoteUser === undefined || play.remoteUser.includes('{{')) continue;
    for (const name of hosts) if (!out.has(name)) out.set(name, play.remoteUser);
  }
  return out;
}

/** `site.yml` → `site.retry` beside it (Ansible's convention). */
export function defaultRetryFile(playbookFile: string): string {
  const ext = extname(playbookFile);
  return join(dirname(playbookFile), `${basename(playbookFile, ext)}.retry`);
}

/**
 * The retry file: the hosts a re-run with `--limit @FILE` must cover, one per line. With none,
 * a stale file from an earlier run is removed (it would re-run hosts that are fine now).
 * Returns the file written; a file that cannot be written is a warning, not a failed run.
 */
export async function writeRetryFile(path: string, hosts: readonly string[], warn: (msg: string) => void): Promise<string | undefined> {
  try {
    if (hosts.length === 0) {
      await rm(path, { force: true });
      return undefined;
    }
    await writeFile(path, hosts.join('\n') + '\n', 'utf8');
    return path;
  } catch (err) {
    warn(`could not write the retry file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** Variables a host's connection is resolved from: remote_user < inventory < -e. */
export function hostConnectionVars(host: { name: string; vars: Record<string, unknown> }, remoteUsers: Map<string, string>, extraVars: Record<string, unknown>): Record<string, unknown> {
  const remote = remoteUsers.get(host.name);
  return { ...(remote !== undefined ? { ansible_user: remote } : {}), ...host.vars, ...extraVars };
}

/** JSON.parse keeps `__proto__` as an own key; merging it anywhere would swap a prototype. */
function rejectPrototypeKeys(data: unknown, what: string, depth = 0): void {
  if (typeof data !== 'object' || data === null || depth > 64) return;
  for (const k of Object.keys(data)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new UsageError(`${what}: '${k}' is not allowed as a key`);
    rejectPrototypeKeys((data as Record<string, unknown>)[k], what, depth + 1);
  }
}

function mapping(data: unknown, what: string): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`${what}: expected a mapping of variable names to values`);
  return data as Record<string, unknown>;
}

/** `a=1 b='two words'`: split on spaces outside quotes, quotes removed. */
function splitPairs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (/\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

