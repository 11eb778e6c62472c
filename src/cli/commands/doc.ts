// `runbook doc [MODULE]`: the module list, or one module's reference page (the same Markdown
// as docs/modules/MODULE.md, generated from the module's schema and doc metadata).
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { allModuleNames, allModules, getModule } from '../../modules/registry.js';
import { renderModuleDoc } from '../../modules/doc-page.js';
import { UsageError } from '../../util/errors.js';

function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export const docCommand: Command = {
  name: 'doc',
  summary: 'List modules, or show one module\'s arguments, return values and example',
  help: `Usage: runbook doc [MODULE] [--schema]

Without MODULE: every module with a one-line summary.
With MODULE (a name or alias such as ansible.builtin.copy): its reference page: arguments
(type, required, default, aliases, choices), return values, an example and notes. The same
pages are in docs/modules/.

Options:
      --schema    print the module's argument JSON Schema instead
  -h, --help      this help
`,
  options: {
    schema: { type: 'boolean' },
  },
  run: (args, io) => Promise.resolve().then(() => runDoc(args, io)),
};

function runDoc(args: ParsedArgs, io: CommandIo): number {
    const [name, ...rest] = args.positionals;
    if (rest.length > 0) throw new UsageError(`runbook doc takes one module name, got: ${args.positionals.join(' ')}`);
    if (name === undefined) {
      const mods = [...allModules()].sort((a, b) => a.name.localeCompare(b.name));
      const width = Math.max(...mods.map((m) => m.name.length));
      io.stdout.write(mods.map((m) => `${m.name.padEnd(width)}  ${m.doc.short}`).join('\n') + '\n');
      io.stdout.write('\nrunbook doc MODULE shows a module\'s reference page.\n');
      return 0;
    }
    const m = getModule(name);
    if (!m) {
      const close = allModuleNames()
        .filter((n) => !n.startsWith('ansible.builtin.'))
        .map((n) => [n, distance(n, name)] as const)
        .filter(([, d]) => d <= Math.max(2, Math.floor(name.length / 3)))
        .sort((a, b) => a[1] - b[1])
        .map(([n]) => n);
      throw new UsageError(`unknown module "${name}"${close.length ? `; did you mean ${close.slice(0, 3).join(', ')}?` : ''} (runbook doc lists all modules)`);
    }
    io.stdout.write(args.values.schema === true ? JSON.stringify(m.schema, null, 2) + '\n' : renderModuleDoc(m));
    return 0;
}
