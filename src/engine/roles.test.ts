// Roles, includes and the search path, run through the engine against in-memory hosts.
import { realpath } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

interface Setup {
  groups?: Record<string, string[]>;
  hostVars?: Record<string, Record<string, unknown>>;
  fleet?: FleetOptions;
  run?: Partial<RunOptions>;
  files?: Record<string, string>;
}

async function run(yaml: string, setup: Setup = {}) {
  const { playbook, dir } = await playbookFrom(yaml, setup.files);
  const fleet = memoryFleet(setup.fleet);
  const inv = memoryInventory(setup.groups ?? { web: ['a'] }, setup.hostVars);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(
    playbook,
    inv,
    { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), forks: 10, ...setup.run },
    mem,
  );
  return { recap, events: mem.events, fleet, dir: await realpath(dir).catch(() => dir) };
}

const results = (events: RunEvent[], host?: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && (host === undefined || e.host === host));

describe('search path', () => {
  it('ansible_search_path is [playbook_dir] outside roles', async () => {
    const { events, dir } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - debug: { var: ansible_search_path }
`);
    const r = results(events)[0];
    expect(r?.status).toBe('ok');
    expect((r?.result as Record<string, unknown>).ansible_search_path).toEqual([dir]);
  });

  it('template src not found: the task fails on the host naming every path tried', async () => {
    const { events, dir } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - template: { src: nope.j2, dest: /tmp/x }
`);
    const r = results(events)[0];
    expect(r?.status).toBe('failed');
    expect(r?.msg).toContain(`template src 'nope.j2' not found; looked in: ${dir}/templates/nope.j2, ${dir}/nope.j2`);
  });
});
