// A ModuleContext on this machine (LocalTransport: real /bin/sh, real files), for module tests
// that run the real commands in a temp directory. It counts the remote commands each module
// run needs, the number the benchmark's "one command per task when nothing changes" is about.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { LocalTransport } from '../../transport/local.js';
import type { BecomeOptions, Transport } from '../../transport/types.js';
import { createScope } from '../../template/index.js';
import { gatherFacts } from '../../facts/gather.js';
import type { HostFacts } from '../../facts/types.js';
import { createModuleContext } from '../context.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../types.js';

export interface LocalContextOptions {
  /** run every command through sudo (the task's `become: true`) */
  become?: BecomeOptions;
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  /** directory that relative controller paths (copy src, template src) are read from */
  baseDir?: string;
}

export interface LocalContext extends ModuleContext {
  /** every command run, as displayed */
  commands: string[];
  warnings: string[];
  progressNotes: string[];
}

export function localContext(o: LocalContextOptions = {}): LocalContext {
  return transportContext(new LocalTransport('local'), o);
}

/** A ModuleContext over any transport (ssh to a lab host in test/lab, local here), built as the engine builds one. */
export function transportContext(transport: Transport, o: LocalContextOptions = {}): LocalContext {
  let facts: Promise<HostFacts> | undefined;
  const commands: string[] = [];
  const warnings: string[] = [];
  const progressNotes: string[] = [];
  const ctx = createModuleContext({
    host: transport.host,
    transport,
    module: 'test',
    check: o.check ?? false,
    diff: o.diff ?? false,
    become: o.become,
    scope: createScope([{ name: 'test vars', vars: o.vars ?? {}, kind: 'template' }]),
    facts: () => (facts ??= gatherFacts(transport)),
    readLocalFile: (p) => readFile(isAbsolute(p) ? p : join(o.baseDir ?? process.cwd(), p), 'utf8'),
    // relative controller files (copy/unarchive src) are looked for here, as under a playbook directory
    searchPath: [o.baseDir ?? process.cwd()],
    warn: (m) => warnings.push(m),
    progress: (m) => progressNotes.push(m),
    onCommand: (command) => commands.push(command.toDisplay()),
  });
  return Object.assign(ctx, { commands, warnings, progressNotes });
}

/** Run a module the way the engine does (check, args as given), returning the result and commands. */
export async function runLocal<A>(m: ModuleDefinition<A>, args: A, o: LocalContextOptions = {}): Promise<{ result: ModuleResult; commands: string[]; ctx: LocalContext }> {
  return runWith(localContext(o), m, args);
}

/** Run a module in a given context; commands are those this run added. */
export async function runWith<A>(ctx: LocalContext, m: ModuleDefinition<A>, args: A): Promise<{ result: ModuleResult; commands: string[]; ctx: LocalContext }> {
  const before = ctx.commands.length;
  const result = await m.run(ctx, args);
  return { result, commands: ctx.commands.slice(before), ctx };
}
