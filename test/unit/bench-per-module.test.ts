// bench/per-module.ts's playbooks: each kind's play must load as a valid playbook (schemas and
// semantic rules, the modules `runbook validate` knows), with the ten repeats of its task on their own
// paths, so the bench measures the module and not a failing run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE, KINDS, playbook } from '../../bench/per-module.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { knownModules } from '../../src/playbook/known-modules.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-per-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/per-module.ts', () => {
  it('has the baseline and the ten fleet tasks', () => {
    expect(Object.keys(KINDS)).toContain(BASELINE);
    expect(Object.keys(KINDS)).toHaveLength(11);
  });

  for (const [kind, task] of Object.entries(KINDS)) {
    it(`${kind}: the play loads, two setup tasks then ten repeats on their own paths`, async () => {
      const file = join(dir, `${kind.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, playbook(task));
      const r = await loadPlaybook(file, { modules: knownModules });
      expect(r.ok, r.ok ? '' : JSON.stringify(r.errors)).toBe(true);
      if (!r.ok) return;
      const tasks = r.playbook.plays[0]?.tasks ?? [];
      expect(tasks).toHaveLength(12);
      const texts = tasks.slice(2).map((t) => JSON.stringify('args' in t ? t.args : t));
      // a kind whose task has a path gives each repeat its own (0..9)
      if (texts.some((t) => t.includes('host_dir'))) expect(new Set(texts).size).toBe(10);
    });
  }
});
