// Ask a host for a fact: run its command (resolving also on non-zero exit) and parse the output.
import type { ExecResult } from '../transport/types.js';
import type { ShellCommand } from '../transport/command.js';
import type { Fact } from './types.js';

/** Anything that can run a command: a Transport, or a module's context. */
export interface FactRunner {
  exec(command: ShellCommand): Promise<ExecResult>;
}

export async function readFact<T>(runner: FactRunner, fact: Fact<T>): Promise<T> {
  const r = await runner.exec(fact.command);
  return fact.parse(r.stdout, r.stderr, r.exitCode);
}
