// Module tests as data (pyinfra's tests/operations/*.json): each file under
// test/fixtures/modules/<module>/ gives arguments and the probed state, and the exact commands
// the module's plan must produce (none when nothing has to change), whether it changes or fails,
// and the message. One test per file, for every module in the registry by its name; a module
// added with its fixtures is tested here without touching this file.
//
// Both paths: where the module has a one-command path (FastPath) for these arguments, the
// branch the host would run for the fixture's state must be the very plan of the planned path
// (same commands, so the runner reports the planned path's message). `"fast": "KEY"` names the
// class the host prints for the state; `"fast": null` says no branch covers it (the runner then
// plans from the probe and runs a second command).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getModule } from './registry.js';
import { planChanges, type Plan, type PlanEnv, type PlanSpec } from './contract.js';
import { fastBranches, fastCommand, joinCommands } from './runner.js';
import { normalizeArgs } from './util/schema.js';
import type { Fact } from '../facts/types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(root, 'test/fixtures/modules');

interface Case {
  description: string;
  args: Record<string, unknown>;
  state: unknown;
  env?: Partial<Omit<PlanEnv, 'now'>> & { now?: string };
  commands: string[];
  stdin?: string;
  changed: boolean;
  failed?: boolean;
  msg?: string;
  diff?: Array<{ path: string; before: string; after: string }>;
  /** the class the host prints on the one-command path (null: none covers this state) */
  fast?: string | null;
}

const update = process.env.RB_FIXTURE_UPDATE === '1';
const shellOf = (p: Plan): string[] => p.commands.map((x) => x.toShell());

for (const name of readdirSync(dir).sort()) {
  describe(`${name} (test/fixtures/modules/${name})`, () => {
    for (const file of readdirSync(join(dir, name)).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(dir, name, file);
      const c = JSON.parse(readFileSync(path, 'utf8')) as Case;
      it(`${file}: ${c.description}`, () => {
        const module = getModule(name) as (PlanSpec<unknown, unknown, unknown> & { name: string }) | undefined;
        expect(typeof module?.plan, `no module with a plan is registered as ${name}`).toBe('function');
        const spec = module!;
        const env: PlanEnv = { check: false, diff: false, tmpSuffix: 'TMP', vars: {}, ...c.env, now: new Date(c.env?.now ?? '2026-01-02T03:04:05Z') };
        // the arguments as the runner gives them: aliases mapped, defaults filled
        const args = normalizeArgs<Record<string, unknown>>((spec as unknown as { schema: object }).schema, c.args);
        const p = spec.plan(args, c.state, env);
        const commands = shellOf(p);
        if (update) {
          writeFileSync(path, JSON.stringify({ ...c, commands, changed: planChanges(p), failed: p.failed ?? false, msg: p.msg, ...(p.stdin !== undefined ? { stdin: p.stdin.toString() } : {}), ...(p.diff ? { diff: p.diff } : {}) }, null, 2) + '\n');
          return;
        }
        expect(commands).toEqual(c.commands);
        expect(planChanges(p)).toBe(c.changed);
        expect(p.failed ?? false).toBe(c.failed ?? false);
        if (c.msg !== undefined) expect(p.msg).toBe(c.msg);
        if (c.stdin !== undefined) expect(p.stdin?.toString()).toBe(c.stdin);
        if (c.diff !== undefined) expect(p.diff).toEqual(c.diff);
        // whatever the planner produces must join into one syntactically valid POSIX sh command
        if (commands.length > 0) expect(() => execFileSync('sh', ['-n', '-c', joinCommands(p.commands).toShell()])).not.toThrow();

        // the one-command path, where there is one for these arguments
        const fast = env.check || env.diff ? undefined : spec.fast?.(args, env);
        if (!fast) {
          expect(c.fast, 'the fixture names a fast class, but these arguments have no one-command path').toBeUndefined();
          return;
        }
        const branches = fastBranches(spec, args, fast, env);
        const probe = spec.probe?.(args, env) as Fact<unknown> | undefined;
        expect(probe && 'command' in probe, 'a one-command path needs a host probe').toBe(true);
        expect(() => execFileSync('sh', ['-n', '-c', fastCommand(probe!, fast, branches).command.toShell()])).not.toThrow();
        const matching = branches.filter((b) => JSON.stringify(shellOf(b.plan)) === JSON.stringify(commands));
        if (c.fast === null) {
          expect(matching, 'the fixture says no class covers this state').toEqual([]);
        } else if (c.fast !== undefined) {
          const branch = branches.find((b) => b.key === c.fast);
          if (commands.length === 0) expect(branch, `class ${c.fast} has nothing to run, so it has no branch`).toBeUndefined();
          else expect(branch && shellOf(branch.plan)).toEqual(commands);
        } else if (commands.length > 0 && !p.failed) {
          // every state the planned path would change is covered by one class's branch
          expect(matching.map((b) => b.key), 'no one-command branch runs what the planned path runs').not.toEqual([]);
        }
      });
    }
  });
}
