// The one-command path runs the branch the host picked, then plans the probed state and checks
// that the probed plan sends the text the branch sent (modules/runner.ts): plans built from other
// parts but sending the same text pass, plans that would send something else are reported. Run
// for real through /bin/sh.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellCommand, raw, sh } from '../transport/command.js';
import { defineModule } from './runner.js';
import { runLocal } from './testing/local-context.js';
import type { Plan } from './contract.js';

type State = 'absent' | 'present';

const dir = mkdtempSync(join(tmpdir(), 'rb-same-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A module with one branch (the path is absent): its first plan (the branch, planned before the
 * command runs) makes `branch`, every later one (the probed state) makes `probed`.
 */
function twoFaced(path: string, branch: (p: string) => ShellCommand, probed: (p: string) => ShellCommand) {
  let plans = 0;
  return defineModule<Record<string, never>, State>({
    name: 'probe_test',
    schema: { type: 'object', properties: {}, additionalProperties: false },
    probe: () => ({ name: 'marker', command: sh`if [ -e ${path} ]; then echo present; else echo absent; fi`, parse: (o: string) => (o.trim() === 'present' ? 'present' : 'absent') }),
    plan: (_a: Record<string, never>, s: State): Plan => {
      if (s === 'present') return { commands: [], msg: 'there' };
      return { commands: [plans++ === 0 ? branch(path) : probed(path)], msg: 'made' };
    },
    fast: () => ({ classify: sh`if [ -e ${path} ]; then k=present; else k=absent; fi`, cases: [{ key: 'absent', state: 'absent' as State }] }),
  } as never);
}

describe('the one-command path checks the branch it ran against the probed plan', () => {
  it('passes plans that send the same text from other parts, and reports the change', async () => {
    const path = join(dir, 'same-text');
    // the branch's command is split into other parts than the probed plan's: the same text
    const m = twoFaced(path, (p) => new ShellCommand([raw('touch '), p]), (p) => sh`touch ${p}`);
    const { result, commands } = await runLocal(m, {});
    expect(result.failed ?? false, result.msg).toBe(false);
    expect(result).toMatchObject({ changed: true, msg: 'made' });
    expect(commands).toHaveLength(1);
    expect(existsSync(path)).toBe(true);
  });

  it('reports an internal error when the branch that ran is not the probed state\'s plan', async () => {
    const path = join(dir, 'other-text');
    const m = twoFaced(path, (p) => sh`touch ${p}`, (p) => sh`touch ${p} ${`${p}.other`}`);
    const { result } = await runLocal(m, {});
    expect(result.failed).toBe(true);
    expect(result.msg).toMatch(/internal error: probe_test's one-command path ran the plan for "absent", but the plan for the probed state differs/);
  });
});
