// Small in-memory modules for engine tests. They use the real ModuleContext the engine
// builds (exec through the transport, facts, check mode), so what the tests check is the
// engine's handling of their results, not the modules themselves.
import { moduleLookup, type ModuleLookup } from '../../playbook/module-spec.js';
import { getModule, allModuleNames } from '../../modules/registry.js';
import { metaModule } from '../../modules/meta.js';
import type { ModuleDefinition } from '../../modules/types.js';
import { rawCommand } from '../../transport/command.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const anyArgs = { type: 'object', additionalProperties: true } as const;

/** `sh: TEXT`: runs TEXT on the host; changed when it ran, failed on a non-zero exit. */
export const shModule: ModuleDefinition<{ cmd: string }> = {
  name: 'sh',
  freeForm: 'cmd',
  schema: { type: 'object', properties: { cmd: { type: 'string' } }, additionalProperties: false },
  doc: { short: 'test: run a command', returns: {}, example: '- sh: true' },
  async run(ctx, args) {
    if (ctx.check) return { changed: true, msg: `would run: ${args.cmd}` };
    const r = await ctx.exec(rawCommand(args.cmd));
    return {
      changed: true,
      failed: !r.ok,
      msg: r.ok ? '' : `non-zero return code ${r.exitCode ?? '(none)'}`,
      data: { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr },
    };
  },
};

/** `probe:`: reads facts (usesFacts) and registers the distribution. */
export const probeModule: ModuleDefinition<Record<string, unknown>> = {
  name: 'probe',
  usesFacts: true,
  schema: anyArgs,
  doc: { short: 'test: read facts', returns: {}, example: '- probe: {}' },
  async run(ctx) {
    const f = await ctx.facts();
    return { changed: false, data: { distribution: f.distribution, hostname: f.hostname } };
  },
};

export const setFactModule: ModuleDefinition<Record<string, unknown>> = {
  name: 'set_fact',
  controllerOnly: true,
  schema: anyArgs,
  doc: { short: 'test: set_fact', returns: {}, example: '' },
  run(_ctx, args) {
    return Promise.resolve({ changed: false, facts: { ...args }, data: { ansible_facts: { ...args } } });
  },
};

export const failModule: ModuleDefinition<{ msg?: string }> = {
  name: 'fail',
  controllerOnly: true,
  schema: anyArgs,
  doc: { short: 'test: fail', returns: {}, example: '' },
  run(_ctx, args) {
    return Promise.resolve({ changed: false, failed: true, msg: args.msg ?? 'Failed as requested from task' });
  },
};

/** `slow: {ms}`: a controller-side wait that honours the abort signal (timeouts, Ctrl-C). */
export const slowModule: ModuleDefinition<{ ms: number }> = {
  name: 'slow',
  controllerOnly: true,
  schema: anyArgs,
  doc: { short: 'test: wait', returns: {}, example: '' },
  run(ctx, args) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve({ changed: false, msg: 'waited' }), Number(args.ms));
      ctx.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      });
    });
  },
};

/** `defer: {hosts: [..], from}`: takes those hosts out of the run (a module's `defer`, as acme_rate_limit does). */
export const deferModule: ModuleDefinition<{ hosts: string[]; from: string }> = {
  name: 'defer',
  controllerOnly: true,
  schema: anyArgs,
  doc: { short: 'test: defer hosts', returns: {}, example: '' },
  run(_ctx, args) {
    return Promise.resolve({ changed: false, msg: `deferred ${args.hosts.join(', ')}`, defer: args.hosts.map((host) => ({ host, from: args.from, reason: `budget used up: fits from ${args.from}` })) });
  },
};

/** `attrs: {mode, port}`: strict argument schema (an octal mode, an integer port); reports what it got. */
export const attrsModule: ModuleDefinition<{ mode?: string; port?: number }> = {
  name: 'attrs',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      mode: { type: 'string', pattern: '^[0-7]{3,4}$', description: 'an octal mode' },
      port: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '\\{\\{.*\\}\\}' }] },
    },
    additionalProperties: false,
  },
  doc: { short: 'test: strict arguments', returns: {}, example: '' },
  run(_ctx, args) {
    if (args.mode !== undefined && !/^[0-7]+$/.test(args.mode)) throw new TypeError('internal: the module got a mode its schema forbids');
    return Promise.resolve({ changed: false, data: { mode: args.mode, port: args.port, portType: typeof args.port } });
  },
};

// meta until src/modules/registry.ts registers it (then the registered one is the same object)
const TEST_MODULES: AnyModule[] = [shModule, probeModule, setFactModule, failModule, slowModule, deferModule, attrsModule, metaModule];
const local = moduleLookup(TEST_MODULES);

/** Test modules first, then every registered module (debug, ...). */
export const testModules: ModuleLookup<AnyModule> = {
  get: (name) => local.get(name) ?? getModule(name),
  names: () => [...local.names(), ...allModuleNames()],
};
