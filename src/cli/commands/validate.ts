// `runbook validate PLAYBOOK... [-i INVENTORY]`: everything `apply` checks before it connects
// anywhere (YAML safety, schema, module arguments, semantic rules, host patterns against the
// inventory), and nothing else. Diagnostics go to stderr; --json puts a report on stdout.
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import type { Diagnostic } from '../../util/diagnostic.js';
import { formatDiagnostics, summarizeDiagnostics } from '../../playbook/format.js';
import { loadPlaybook } from '../../playbook/load.js';
import { knownModules } from '../../playbook/known-modules.js';
import type { Step } from '../../playbook/types.js';
import type { Inventory } from '../../inventory/types.js';
import { loadInventory } from '../../inventory/load.js';
import { selectHosts } from '../../inventory/pattern.js';
import { hostPatternHint } from '../hints.js';
import { variableWarnings } from '../var-hints.js';
import { relative, resolve } from 'node:path';

/** A file as the loader shows it: relative to the working directory when inside it. */
function shownPath(file: string): string {
  const r = relative(process.cwd(), file);
  return r !== '' && !r.startsWith('..') ? r : file;
}
import { loadConfig, pathListSetting } from '../config.js';
import { inventoryTarget } from '../run-flags.js';
import { EXIT, RunbookError, UsageError } from '../../util/errors.js';
import { visible, visibleLine } from '../../util/visible.js';
import { VAULT_HELP, VAULT_OPTIONS, maskedIo, withVaultArgs } from './vault.js';

export interface ValidateReport {
  valid: boolean;
  inventories: Array<{ file: string; ok: boolean; hosts?: number; errors: Diagnostic[] }>;
  playbooks: Array<{ file: string; ok: boolean; plays?: number; tasks?: number; errors: Diagnostic[]; warnings: Diagnostic[] }>;
}

function countTasks(steps: readonly Step[]): number {
  let n = 0;
  for (const s of steps) n += s.kind === 'task' ? 1 : countTasks(s.block) + countTasks(s.rescue) + countTasks(s.always);
  return n;
}

function asList(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined || typeof v === 'boolean') return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** An inventory failure as diagnostics, whatever shape the inventory loader reports it in. */
function inventoryDiagnostics(file: string, e: unknown): Diagnostic[] {
  const diags = (e as { diagnostics?: readonly Diagnostic[] } | undefined)?.diagnostics;
  if (Array.isArray(diags) && diags.length > 0) return [...(diags as Diagnostic[])];
  const message = e instanceof Error ? e.message : String(e);
  return [{ severity: 'error', code: 'inventory-invalid', location: { file, line: 1, col: 1 }, path: '', message }];
}

const validateWithoutVault: Command = {
  name: 'validate',
  help: `Usage: runbook validate PLAYBOOK... [-i INVENTORY] [--json]

Checks each playbook the way \`runbook apply\` does before it connects anywhere:
  - YAML safety: size, nesting, alias bombs, tags, merge keys, __proto__ keys, %YAML 1.1
  - the playbook schema: play and task keywords, blocks, import_tasks/include_tasks
  - module arguments against each module's schema (runbook doc MODULE lists them)
  - semantic rules: unknown modules (with a suggestion), notify without a handler,
    unquoted octal modes (mode: 644), non-boolean when, duplicate keys, two modules
    in one task, invalid register names, loop variable clashes
  - with -i: every play's hosts pattern must match at least one inventory host

Every problem is printed as FILE:LINE:COL, a code frame and the fix. Warnings do not
fail validation.

Options:
  -i, --inventory FILE   inventory (Ansible YAML or INI) to check host patterns against
                         (repeatable)
      --json             print a JSON report on stdout:
                         {"valid", "inventories": [...], "playbooks": [{"file", "ok",
                         "errors", "warnings"}]} (diagnostics as file/line/col/message/fix)
${VAULT_HELP}  -h, --help             show this help

Exit codes:
  0    every playbook is valid (warnings allowed)
  1    a playbook or inventory is invalid, or the command line is wrong

Examples:
  runbook validate playbooks/allmon3.yml playbooks/dms.yml
  runbook validate site.yml -i inventory.yml
  runbook validate site.yml --json | jq '.playbooks[].errors'

Editors: add this first line to a playbook for completion and inline errors
(yaml-language-server, e.g. the VS Code YAML extension):
  # yaml-language-server: $schema=<path to runbook>/schemas/playbook.schema.json
`,
  options: {
    inventory: { type: 'string', short: 'i', multiple: true },
    json: { type: 'boolean' },
  },
  async run(args: ParsedArgs, io: CommandIo): Promise<number> {
    const playbooks = args.positionals;
    if (playbooks.length === 0) throw new UsageError("runbook validate: give at least one playbook. Run 'runbook validate --help' for usage.");
    const json = args.values.json === true;
    const report: ValidateReport = { valid: true, inventories: [], playbooks: [] };
    // colour only for a person at a terminal (NO_COLOR respected)
    const color = io.stderr.isTTY === true && io.env.NO_COLOR === undefined;
    const out = (text: string): void => {
      if (text !== '') io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    };

    // roles_path / collections_path from runbook.cfg, ansible.cfg or the environment
    const config = loadConfig(io.cwd, io.env);
    const rolePaths = { rolesPath: pathListSetting(config, 'roles_path', io.cwd), collectionsPath: pathListSetting(config, 'collections_path', io.cwd) };
    let inventory: Inventory | undefined;
    const inventoryFiles = asList(args.values.inventory);
    if (inventoryFiles.length > 0) {
      const file = inventoryFiles.join(' ');
      try {
        inventory = await loadInventory(inventoryFiles.map((f) => inventoryTarget(f, io.cwd)));
        report.inventories.push({ file, ok: true, hosts: inventory.hosts.size, errors: [] });
      } catch (e) {
        // only user-input problems are reported here; a bug still reaches main's boundary
        if (!(e instanceof RunbookError)) throw e;
        const diags = inventoryDiagnostics(file, e);
        report.valid = false;
        report.inventories.push({ file, ok: false, errors: diags });
        out(visible(e.message));
      }
    }
    const inv = inventory;
    const matchHosts = inv !== undefined ? (pattern: string): string[] => selectHosts(inv, pattern) : undefined;

    for (const file of playbooks) {
      // relative to the CLI's working directory (an embedding caller's io.cwd), as apply resolves them
      const r = await loadPlaybook(resolve(io.cwd, file), { modules: knownModules, ...(matchHosts !== undefined && inv !== undefined ? { matchHosts, hostPatternHint: (p: string) => hostPatternHint(p, inv) } : {}), ...rolePaths });
      // with an inventory every variable source can be seen: misspelt variables get a suggestion
      if (r.ok && inv !== undefined) r.warnings.push(...variableWarnings(r.playbook, inv, [], shownPath));
      if (r.warnings.length > 0) out(formatDiagnostics(r.warnings, undefined, { color }));
      if (r.ok) {
        const plays = r.playbook.plays.length;
        const tasks = r.playbook.plays.reduce((n, p) => n + countTasks(p.preTasks) + countTasks(p.tasks) + countTasks(p.postTasks) + p.handlers.length, 0);
        report.playbooks.push({ file, ok: true, plays, tasks, errors: [], warnings: r.warnings });
        if (!json) io.stdout.write(`${visibleLine(file)}: valid (${plays} play${plays === 1 ? '' : 's'}, ${tasks} task${tasks === 1 ? '' : 's'}${r.warnings.length > 0 ? `, ${summarizeDiagnostics(r.warnings).split(', ')[1]}` : ''})\n`);
      } else {
        report.valid = false;
        report.playbooks.push({ file, ok: false, errors: r.errors, warnings: r.warnings });
        out(formatDiagnostics(r.errors, undefined, { color }));
        out(`${visibleLine(file)}: invalid (${summarizeDiagnostics([...r.errors, ...r.warnings])})`);
      }
    }
    if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.valid ? EXIT.ok : EXIT.usage;
  },
};

/** Under the vault flags' keyring; whatever a vault revealed is masked in all it prints. */
export const validateCommand: Command = {
  ...validateWithoutVault,
  options: { ...validateWithoutVault.options, ...VAULT_OPTIONS },
  run: (args, io) => withVaultArgs(args, io, (secrets) => validateWithoutVault.run(args, maskedIo(io, secrets))),
};
