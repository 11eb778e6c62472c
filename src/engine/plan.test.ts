import { describe, expect, it } from 'vitest';
import { UsageError } from '../util/errors.js';
import { planRun } from './plan.js';
import { memoryInventory, playbookFrom } from './testing/memory.js';

const inv = memoryInventory({ web: ['w1', 'w2', 'w3'], db: ['d1'] });

const YAML = `
- name: first
  hosts: "{{ target | default('web') }}"
  gather_facts: true
  serial: 2
  tags: [deploy]
  pre_tasks:
    - name: pre
      sh: pre
  tasks:
    - name: one
      sh: one
    - block:
        - name: in block
          sh: b
          tags: [inner]
      rescue:
        - name: in rescue
          sh: r
      always:
        - name: in always
          sh: a
      tags: [blk]
    - name: "[abc"
      sh: literal
  post_tasks:
    - sh: post
- name: second
  hosts: db
  gather_facts: false
  tasks:
    - name: two
      sh: two
`;

describe('planRun: what a run will do, before anything connects', () => {
  it('per play: the rendered hosts pattern, its hosts, batches, positions and tags', async () => {
    const { playbook } = await playbookFrom(YAML);
    const plan = await planRun(playbook, inv);
    const [first, second] = plan.plays;
    expect(first?.pattern).toBe('web');
    expect(first?.hosts).toEqual(['w1', 'w2', 'w3']);
    expect(first?.batches).toEqual([['w1', 'w2'], ['w3']]);
    expect(first?.tasks.map((t) => [t.task.name ?? t.task.module, t.section, t.position, t.tags])).toEqual([
      ['pre', 'pre_tasks', 1, ['deploy']],
      ['one', 'tasks', 2, ['deploy']],
      ['in block', 'tasks', 3, ['deploy', 'blk', 'inner']],
      ['in rescue', 'tasks', 4, ['deploy', 'blk']],
      ['in always', 'tasks', 5, ['deploy', 'blk']],
      ['[abc', 'tasks', 6, ['deploy']],
      ['sh', 'post_tasks', 7, ['deploy']],
    ]);
    // fact gathering is one more step for each host
    expect(first?.taskCount).toBe(8);
    expect(second?.hosts).toEqual(['d1']);
    expect(plan.hosts).toEqual(['w1', 'w2', 'w3', 'd1']);
  });

  it('a templated hosts: sees -e; --limit narrows every play', async () => {
    const { playbook } = await playbookFrom(YAML);
    const plan = await planRun(playbook, inv, { extraVars: { target: 'db' }, limit: ['d1:w2'] });
    expect(plan.plays.map((p) => [p.pattern, p.hosts])).toEqual([
      ['db', ['d1']],
      ['db', ['d1']],
    ]);
    await expect(planRun(playbook, inv, { limit: ['nope*'] })).rejects.toThrow(/--limit nope\*: matches no host/);
  });

  it('--tags / --skip-tags mark what is selected (the CLI lists it)', async () => {
    const { playbook } = await playbookFrom(YAML);
    const plan = await planRun(playbook, inv, { tags: ['blk'], skipTags: ['inner'] });
    expect(plan.plays[0]?.tasks.filter((t) => t.selected).map((t) => t.task.name)).toEqual(['in rescue', 'in always']);
  });

  it("--start-at-task: glob classes work, an unclosed '[abc' is literal text, never a crash", async () => {
    const { playbook } = await playbookFrom(YAML);
    const literal = await planRun(playbook, inv, { startAtTask: '[abc' });
    expect(literal.plays[0]?.tasks.filter((t) => t.selected).map((t) => t.task.name ?? t.task.module)).toEqual(['[abc', 'sh']);
    // 1 (literal) + post task + gathering facts
    expect(literal.plays[0]?.taskCount).toBe(3);
    const cls = await planRun(playbook, inv, { startAtTask: 'in [ab]lock' });
    expect(cls.plays[0]?.tasks.find((t) => t.selected)?.task.name).toBe('in block');
    const err = await planRun(playbook, inv, { startAtTask: '[xyz' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^--start-at-task "\[xyz": no task has this name in /);
  });

  it('a hosts: template that does not render is a usage error at the play', async () => {
    const { playbook } = await playbookFrom(`
- hosts: "{{ nope.missing }}"
  gather_facts: false
  tasks:
    - sh: x
`);
    await expect(planRun(playbook, inv)).rejects.toThrow(/site\.yml:2: play ".*": hosts: /);
  });
});
