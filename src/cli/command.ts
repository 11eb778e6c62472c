// A command is a small module: its flags, its help text, and a run function that returns
// an exit code or throws one of the typed errors of src/util/errors.ts. Its one-line summary
// is in commands/index.ts, so `runbook --help` lists the commands without importing them.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** full `runbook NAME --help` text */
  help: string;
  options: OptionSpec;
  /** allow positionals beyond the documented ones */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}
