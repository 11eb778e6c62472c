// add_host and group_by on in-memory hosts: the inventory changes for the plays after them
// (hosts selected again per play), `groups`/`hostvars`/`group_names` see the change, and
// `changed` is only reported when the inventory really changed (Ansible's strategy).
import { describe, expect, it } from 'vitest';
import type { InventoryHost } from '../inventory/types.js';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

async function run(yaml: string, hostVars: Record<string, Record<string, unknown>> = {}, options: Partial<RunOptions> = {}) {
  const { playbook } = await playbookFrom(yaml);
  const fleet = memoryFleet();
  const made: InventoryHost[] = [];
  const inv = memoryInventory({ web: ['a', 'b'] }, hostVars);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(
    playbook,
    inv,
    {
      transportFactory: (h) => (made.push(h), fleet.factory(h)),
      gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }),
      getModule: (n) => testModules.get(n),
      ...options,
    },
    mem,
  );
  return { recap, events: mem.events, fleet, made, inv };
}

const results = (events: RunEvent[], task: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && e.task.name === task);
const msgs = (events: RunEvent[], task: string): Record<string, string | undefined> => Object.fromEntries(results(events, task).map((e) => [e.host, e.msg]));

describe('add_host', () => {
  const play = `
- hosts: web
  gather_facts: false
  tasks:
    - name: add
      add_host:
        name: "fresh1:2222"
        groups: [newgroup, other]
        ansible_host: 192.0.2.10
        role_of: "{{ inventory_hostname }}-made-me"
    - name: again
      add_host: { name: "fresh1:2222", groups: newgroup, ansible_host: 192.0.2.10, role_of: "a-made-me" }
    - name: see
      debug: { msg: "{{ groups['newgroup'] | join(',') }} {{ hostvars['fresh1'].role_of }} {{ hostvars['fresh1'].ansible_port }}" }
- hosts: newgroup
  gather_facts: false
  tasks:
    - name: on new
      sh: "echo {{ inventory_hostname }} {{ group_names | join(',') }}"
`;

  it('runs once per batch; a later play selects the new host from the changed inventory', async () => {
    const { events, fleet, made, recap } = await run(play);
    expect(recap.exitCode).toBe(0);
    // once for the batch (Ansible bypasses the host loop), on the first host
    expect(results(events, 'add').map((e) => [e.host, e.status])).toEqual([['a', 'changed']]);
    // the same host again: nothing new, not changed
    expect(results(events, 'again').map((e) => e.status)).toEqual(['ok']);
    expect(msgs(events, 'see')).toEqual({ a: 'fresh1 a-made-me 2222', b: 'fresh1 a-made-me 2222' });
    expect(fleet.calls.map((c) => `${c.host}: ${c.command}`)).toEqual(['fresh1: echo fresh1 newgroup,other']);
    // the transport is made from the new host's own variables
    expect(made.find((h) => h.name === 'fresh1')?.vars).toMatchObject({ ansible_host: '192.0.2.10', ansible_port: 2222 });
  });

  it('with a loop: every item once, not once per host', async () => {
    const { events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: add
      add_host: { name: "{{ item }}", groups: made }
      loop: [x1, x2]
    - name: see
      debug: { msg: "{{ groups.made | join(',') }}" }
`);
    expect(results(events, 'add')).toHaveLength(1);
    expect(msgs(events, 'see').b).toBe('x1,x2');
  });

  it('a host added at run time is outside --limit (Ansible computes the limit once)', async () => {
    const { fleet } = await run(play, {}, { limit: ['a'] });
    expect(fleet.calls).toEqual([]);
  });

  it('a known host joins a group: its group_names and later plays see it', async () => {
    const { events } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - add_host: { name: b, groups: picked, extra: 1 }
- hosts: picked
  gather_facts: false
  tasks:
    - name: show
      debug: { msg: "{{ group_names | sort | join(',') }} {{ extra }}" }
`);
    expect(msgs(events, 'show')).toEqual({ b: 'picked,web 1' });
  });
});

describe('group_by', () => {
  it('each host joins the group its key names; parents are made; later plays select them; a re-run is not changed', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - name: by kind
      group_by: { key: "kind {{ kind }}", parents: [kinds] }
    - name: by kind again
      group_by: { key: "kind {{ kind }}", parents: [kinds] }
- hosts: kind-x
  gather_facts: false
  tasks:
    - name: x only
      debug: { msg: "{{ inventory_hostname }} {{ groups['kinds'] | join(',') }}" }
- hosts: kinds
  gather_facts: false
  tasks:
    - name: all kinds
      debug: { msg: "{{ group_names | sort | join(',') }}" }
`,
      { a: { kind: 'x' }, b: { kind: 'y' } },
    );
    expect(results(events, 'by kind').map((e) => [e.host, e.status, e.result?.add_group])).toEqual([
      ['a', 'changed', 'kind-x'],
      ['b', 'changed', 'kind-y'],
    ]);
    expect(results(events, 'by kind again').map((e) => e.status)).toEqual(['ok', 'ok']);
    expect(msgs(events, 'x only')).toEqual({ a: 'a a,b' });
    expect(msgs(events, 'all kinds')).toEqual({ a: 'kind-x,kinds,web', b: 'kind-y,kinds,web' });
  });
});
