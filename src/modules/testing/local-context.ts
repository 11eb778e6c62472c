// A ModuleContext on this machine (LocalTransport: real /bin/sh, real files), for module tests
// that run the real commands in a temp directory. It counts the remote commands each module
// run needs, the number the benchmark's "one command per task when nothing changes" is about.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { LocalTransport } from '../../transport/local.js';
import { ExecError } from '../../transport/errors.js';
import type { ShellCommand } from '../../transport/command.js';
import type { BecomeOptions, Transport } from '../../transport/types.js';
import { createScope, evaluate, render, renderValue } from '../../template/index.js';
import { gatherFacts } from '../../facts/gather.js';
import type { HostFacts } from '../../facts/types.js';
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

/** A ModuleContext over any transport (ssh to a lab host in test/lab, local here). */
export function transportContext(transport: Transport, o: LocalContextOptions = {}): LocalContext {
  const scope = createScope([{ name: 'test vars', vars: o.vars ?? {}, kind: 'template' }]);
  let facts: Promise<HostFacts> | undefined;
  const commands: string[] = [];
  const exec = async (command: ShellCommand, options: Parameters<ModuleContext['exec']>[1] = {}) => {
    const { become: useBecome, ...rest } = options;
    commands.push(command.toDisplay());
    const become = useBecome === false ? undefined : o.become;
    return transport.exec(command, { ...rest, ...(become ? { become } : {}) });
  };
  const ctx: LocalContext = {
    host: transport.host,
    check: o.check ?? false,
    diff: o.diff ?? false,
    vars: o.vars ?? {},
    commands,
    warnings: [],
    progressNotes: [],
    facts: () => (facts ??= gatherFacts(transport)),
    exec,
    run: async (command, options) => {
      const r = await exec(command, options);
      if (!r.ok) throw new ExecError(r);
      return r;
    },
    put: (path, content, options) => transport.put(path, content, { ...options, ...(o.become ? { become: o.become } : {}) }),
    readLocalFile: (p) => readFile(isAbsolute(p) ? p : join(o.baseDir ?? process.cwd(), p), 'utf8'),
    renderTemplate: (text) => String(render(text, scope)),
    evaluate: (expr) => evaluate(expr, scope),
    evaluateValue: (expr) => renderValue(`{{ ${expr} }}`, scope),
    warn: (m) => ctx.warnings.push(m),
    progress: (m) => ctx.progressNotes.push(m),
  };
  return ctx;
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
