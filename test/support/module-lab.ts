// Running one module at a time on lab hosts over real SSH and sudo, for the module lab tests
// (modules-system, modules-repos, modules-more): a transport per host, kept open for the file,
// and `converge`: --check reports the change and changes nothing, the first run changes, the
// second changes nothing.
import { expect } from 'vitest';
import type { LabHostInfo, LabInfo } from './lab.js';
import { labConnectionSpec, labExec } from './lab.js';
import { createTransport } from '../../src/transport/factory.js';
import type { Transport } from '../../src/transport/types.js';
import { transportContext, runWith, type LocalContextOptions } from '../../src/modules/testing/local-context.js';
import type { ModuleDefinition, ModuleResult } from '../../src/modules/types.js';

export interface ModuleLab {
  /** a lab host by name ('fleet': the first fleet host) */
  host: (name: string) => LabHostInfo;
  /** the module run as root through sudo on the host: its result, the commands sent, the result as JSON text */
  run: <A>(on: string, m: ModuleDefinition<A>, args: A, o?: LocalContextOptions) => Promise<{ result: ModuleResult; commands: string[]; output: string }>;
  /** a shell script run as root on the host outside runbook: its stdout */
  sh: (on: string, script: string) => Promise<string>;
  /** --check changes nothing, the first run changes, the second does not; the first run's result */
  converge: <A>(on: string, m: ModuleDefinition<A>, args: A, look: () => Promise<string>, o?: LocalContextOptions) => Promise<ModuleResult>;
  /** close every transport opened */
  close: () => Promise<void>;
}

/** `lab()` is read on each call: the lab is started in the file's beforeAll. */
export function moduleLab(lab: () => LabInfo): ModuleLab {
  const transports = new Map<string, Transport>();
  const host = (name: string): LabHostInfo => {
    const h = lab().hosts.find((x) => x.name === name || (name === 'fleet' && x.kind === 'fleet'));
    if (!h) throw new Error(`lab has no host ${name}`);
    return h;
  };
  const transportOf = (name: string): Transport => {
    let t = transports.get(name);
    if (!t) {
      t = createTransport(labConnectionSpec(lab(), host(name), {}, { connectTimeoutMs: 10_000 }));
      transports.set(name, t);
    }
    return t;
  };
  const run = async <A>(on: string, m: ModuleDefinition<A>, args: A, o: LocalContextOptions = {}): Promise<{ result: ModuleResult; commands: string[]; output: string }> => {
    const r = await runWith(transportContext(transportOf(on), { become: { user: 'root' }, ...o }), m, args);
    return { result: r.result, commands: r.commands, output: JSON.stringify(r.result) };
  };
  return {
    host,
    run,
    sh: async (on, script) => (await labExec(lab(), host(on).name, ['sh', '-c', script])).stdout,
    converge: async (on, m, args, look, o = {}) => {
      const before = await look();
      const check = await run(on, m, args, { ...o, check: true });
      expect(check.result.failed ?? false, `${m.name} --check: ${check.result.msg}`).toBe(false);
      expect(check.result.changed, `${m.name} --check reports the change`).toBe(true);
      expect(await look(), `${m.name} --check changed nothing`).toBe(before);
      const first = await run(on, m, args, o);
      expect(first.result.failed ?? false, `${m.name}: ${first.result.msg}`).toBe(false);
      expect(first.result.changed, `${m.name} first run`).toBe(true);
      expect(await look(), `${m.name} changed the host`).not.toBe(before);
      const second = await run(on, m, args, o);
      expect(second.result.failed ?? false, `${m.name} again: ${second.result.msg}`).toBe(false);
      expect(second.result.changed, `${m.name} second run: ${second.result.msg}`).toBe(false);
      return first.result;
    },
    close: async () => {
      await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
      transports.clear();
    },
  };
}
