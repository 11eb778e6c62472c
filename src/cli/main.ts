// The one error boundary of runbook: argv → command → exit code. Only this file decides how
// an error becomes an exit code; nothing else calls process.exit.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, CommandIo } from './command.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import { explainParseError, explainUnknownCommand } from './flags.js';
import { RunbookError, EXIT, exitCodesHelp } from '../util/errors.js';

export function version(): string {
  const pkgPath = fileURLToPath(new URL('../../package.json', import.meta.url));
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `runbook ${version()} — agentless, declarative task runner over SSH

Usage:
  runbook <command> [options]

Commands:
${lines.join('\n')}

Options:
  -h, --help     show help (also: runbook <command> --help)
  -V, --version  print the version

${exitCodesHelp()}

Examples:
  runbook validate playbooks/allmon3.yml -i inventory.yml
  runbook apply playbooks/allmon3.yml -i inventory.yml --limit node1
  runbook run all -m shell -a 'systemctl status apache2' -i inventory.yml
  runbook lab up --full allmon,dms
  runbook doc certbot
`;
}

/**
 * A reader that went away (`runbook doc | head`, `apply --json | head`) is not an error of the
 * command: later output is dropped and a run on hosts goes on to its end (stopping it half-way
 * would leave hosts half-changed). Other write errors are reported once on stderr.
 */
export function guardOutput(stream: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
  let reported = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || reported) return;
    reported = true;
    stderr.write(`runbook: cannot write the output: ${e.message}\n`);
  });
}

function defaultIo(): CommandIo {
  guardOutput(process.stdout, process.stderr);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export async function main(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const target = first === 'help' ? rest[0] : undefined;
      const entry = target ? findCommand(target) : undefined;
      io.stdout.write(entry ? (await entry.load()).help : mainHelp());
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (first === '-V' || first === '--version' || first === 'version') {
      io.stdout.write(`${version()}\n`);
      return EXIT.ok;
    }
    const entry = findCommand(first);
    if (!entry) {
      io.stderr.write(`${explainUnknownCommand(first, COMMANDS.map((c) => c.name))}\n`);
      return EXIT.usage;
    }
    const cmd: Command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(cmd.help);
      return EXIT.ok;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      const explained = explainParseError(cmd.name, cmd.options, e);
      const msg = e instanceof Error ? e.message : String(e);
      io.stderr.write(explained !== undefined ? `${explained}\n` : `runbook ${cmd.name}: ${msg}\nRun 'runbook ${cmd.name} --help' for usage.\n`);
      return EXIT.usage;
    }
    return await cmd.run(parsed, io);
  } catch (e) {
    if (e instanceof RunbookError) {
      io.stderr.write(`${e.message.endsWith('\n') ? e.message : `${e.message}\n`}`);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    // A bug in runbook, never the user's input: say so, and show the trace only on request.
    io.stderr.write(
      `runbook: internal error: ${err.message}\n` +
        `This is a bug in runbook, not in your playbook. Please report it with the command you ran` +
        (io.env.RUNBOOK_DEBUG ? ` and this trace:\n${err.stack ?? ''}\n` : ` (set RUNBOOK_DEBUG=1 for a trace).\n`),
    );
    return 70;
  }
}
