// `runbook doc [MODULE]`: the module list, or one module's reference page (the same Markdown
// as docs/modules/MODULE.md, generated from the module's schema and doc metadata).
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { allModuleNames, allModules, getModule } from '../../modules/registry.js';
import { renderModuleDoc } from '../../modules/doc-page.js';
import { didYouMean } from '../../util/edit-distance.js';
import { UsageError } from '../../util/errors.js';

export const docCommand: Command = {
  name: 'doc',
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
      const close = didYouMean(name, allModuleNames());
      throw new UsageError(`unknown module "${name}"${close !== undefined ? `; did you mean ${close}?` : ''} (runbook doc lists all modules)`);
    }
    io.stdout.write(args.values.schema === true ? JSON.stringify(m.schema, null, 2) + '\n' : renderModuleDoc(m));
    return 0;
}
