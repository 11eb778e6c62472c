// Delegation on in-memory hosts: which host's connection a delegated task uses, whose variables
// it templates with, where its results and facts land, and that connections are pooled per
// delegated host. (test/lab/delegate.test.ts proves the same against real sshd hosts.)
import { describe, expect, it } from 'vitest';
import type { InventoryHost } from '../inventory/types.js';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';

interface Setup {
  groups?: Record<string, string[]>;
  hostVars?: Record<string, Record<string, unknown>>;
  fleet?: FleetOptions;
}

async function run(yaml: string, setup: Setup = {}) {
  const { playbook } = await playbookFrom(yaml);
  const fleet = memoryFleet(setup.fleet);
  const made: InventoryHost[] = [];
  const inv = memoryInventory(setup.groups ?? { web: ['a', 'b'], db: ['c'] }, setup.hostVars);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(
    playbook,
    inv,
    {
      transportFactory: (h) => (made.push(h), fleet.factory(h)),
      gatherFacts: (t) => Promise.resolve({ ...FAKE_FACTS, hostname: `facts-of-${t.host}` }),
      getModule: (n) => testModules.get(n),
      forks: 10,
    },
    mem,
  );
  return { recap, events: mem.events, fleet, made };
}

const results = (events: RunEvent[], task: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && e.task.name === task);
const byHost = (events: RunEvent[], task: string): Record<string, TaskResultEvent> => Object.fromEntries(results(events, task).map((e) => [e.host, e]));
const calls = (fleet: { calls: Array<{ host: string; command: string }> }): string[] => fleet.calls.map((c) => `${c.host}: ${c.command}`).sort();

describe('delegate_to', () => {
  it('an inventory host: runs over its connection, templated with the task host\'s variables, registered on the task host', async () => {
    const { fleet, events, recap } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: on c
      sh: "echo {{ inventory_hostname }} {{ ansible_delegated_vars['c'].inventory_hostname }}"
      delegate_to: c
      register: out
    - name: show
      debug: { msg: "{{ out.stdout | default('') }}{{ out.rc }} {{ inventory_hostname }}" }
`);
    expect(recap.exitCode).toBe(0);
    expect(calls(fleet)).toEqual(['c: echo a c', 'c: echo b c']);
    // one connection to c for both task hosts; a and b were never contacted
    expect(fleet.connects).toEqual(['c']);
    const r = byHost(events, 'on c');
    expect(Object.keys(r).sort()).toEqual(['a', 'b']);
    expect(r.a?.delegatedTo).toBe('c');
    expect(r.a?.status).toBe('changed');
    expect(byHost(events, 'show').b?.msg).toBe('0 b');
  });

  it('the registered result is the task host\'s; delegate_to is rendered per loop item', async () => {
    const { fleet, events } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - name: each
      sh: "echo {{ item }}"
      delegate_to: "{{ item }}"
      loop: [b, c]
      register: each
    - name: show
      debug: { msg: "{{ each.results | map(attribute='rc') | join(',') }}" }
`);
    expect(calls(fleet)).toEqual(['b: echo b', 'c: echo c']);
    expect(byHost(events, 'show').a?.msg).toBe('0,0');
  });

  it('localhost outside the inventory: Ansible\'s implicit localhost, a local connection, one for all task hosts, closed at the end', async () => {
    const { fleet, made, events } = await run(`
- hosts: all
  gather_facts: false
  tasks:
    - name: here
      sh: "touch /tmp/{{ inventory_hostname }}"
      delegate_to: localhost
`);
    expect(calls(fleet)).toEqual(['localhost: touch /tmp/a', 'localhost: touch /tmp/b', 'localhost: touch /tmp/c']);
    const local = made.filter((h) => h.name === 'localhost');
    expect(local).toHaveLength(1);
    expect(local[0]?.vars.ansible_connection).toBe('local');
    expect(fleet.closed).toContain('localhost');
    expect(byHost(events, 'here').b?.delegatedTo).toBe('localhost');
  });

  it('127.0.0.1 is the implicit localhost too; another address is a host of that address without inventory variables', async () => {
    const { made } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - sh: one
      delegate_to: 127.0.0.1
    - sh: two
      delegate_to: 192.0.2.7
`);
    const lo = made.find((h) => h.name === '127.0.0.1');
    expect(lo?.vars.ansible_connection).toBe('local');
    const other = made.find((h) => h.name === '192.0.2.7');
    expect(other?.vars).toEqual({});
  });

  it('an address that is an inventory host\'s ansible_host is that host (its variables, its connection)', async () => {
    const { made, fleet } = await run(
      `
- hosts: a
  gather_facts: false
  tasks:
    - sh: one
      delegate_to: 10.9.9.9
`,
      { hostVars: { c: { ansible_host: '10.9.9.9', ansible_user: 'deploy' } } },
    );
    expect(made.map((h) => h.name)).toEqual(['c']);
    expect(calls(fleet)).toEqual(['c: one']);
  });

  it('become comes from the delegated host\'s variables; the task\'s become keyword still applies', async () => {
    const { fleet } = await run(
      `
- hosts: a
  gather_facts: false
  tasks:
    - sh: by-vars
      delegate_to: c
    - sh: by-keyword
      delegate_to: b
      become: true
`,
      { hostVars: { a: { ansible_become: false }, c: { ansible_become: true, ansible_become_user: 'postgres' } } },
    );
    const rec = (cmd: string) => fleet.calls.find((c) => c.command === cmd);
    expect(rec('by-vars')).toMatchObject({ host: 'c', become: 'postgres' });
    expect(rec('by-keyword')).toMatchObject({ host: 'b', become: 'root' });
  });

  it('a delegated module reads the delegated host\'s facts', async () => {
    const { events } = await run(`
- hosts: a
  gather_facts: true
  tasks:
    - name: facts
      probe: {}
      delegate_to: c
      register: p
    - name: show
      debug: { msg: "{{ p.hostname }} / {{ ansible_hostname }}" }
`);
    expect(byHost(events, 'show').a?.msg).toBe('facts-of-c / facts-of-a');
  });

  it('an unreachable delegated host makes the task unreachable on the task host', async () => {
    const { events, recap } = await run(
      `
- hosts: a
  gather_facts: false
  tasks:
    - name: there
      sh: x
      delegate_to: c
`,
      { fleet: { unreachable: ['c'] } },
    );
    expect(byHost(events, 'there').a?.status).toBe('unreachable');
    expect(recap.exitCode).not.toBe(0);
  });
});

describe('delegate_facts', () => {
  it('facts set by a delegated set_fact go to the delegated host with delegate_facts, else to the task host', async () => {
    const { events } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - set_fact: { given: yes-c }
      delegate_to: c
      delegate_facts: true
    - set_fact: { kept: yes-a }
      delegate_to: c
    - name: show
      debug:
        msg: "{{ hostvars['c'].given }} {{ given | default('none') }} {{ kept }} {{ hostvars['c'].kept | default('none') }}"
`);
    expect(byHost(events, 'show').a?.msg).toBe('yes-c none yes-a none');
  });

  it('with a loop, each item\'s facts go to its own delegated host', async () => {
    const { events } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - set_fact: { mark: "m-{{ item }}" }
      delegate_to: "{{ item }}"
      delegate_facts: true
      loop: [b, c]
    - name: show
      debug: { msg: "{{ hostvars['b'].mark }} {{ hostvars['c'].mark }} {{ mark | default('none') }}" }
`);
    expect(byHost(events, 'show').a?.msg).toBe('m-b m-c none');
  });
});

describe('local_action and connection: local', () => {
  it('local_action, as a string and as a mapping, runs on localhost', async () => {
    const { fleet, events } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - name: string form
      local_action: sh echo one {{ inventory_hostname }}
    - name: mapping form
      local_action:
        module: sh
        cmd: echo two
`);
    expect(calls(fleet)).toEqual(['localhost: echo one a', 'localhost: echo two']);
    expect(byHost(events, 'string form').a?.delegatedTo).toBe('localhost');
  });

  it('connection: local on a play: facts and tasks over the local connection, results on each host', async () => {
    const { fleet, events } = await run(`
- hosts: web
  connection: local
  tasks:
    - name: run
      sh: "echo {{ inventory_hostname }}"
    - name: show
      debug: { msg: "{{ ansible_hostname }}" }
`);
    expect(calls(fleet)).toEqual(['localhost: echo a', 'localhost: echo b']);
    expect(fleet.connects).toEqual(['localhost']);
    expect(byHost(events, 'show').a?.msg).toBe('facts-of-localhost');
    // not a delegation: the result names no other host
    expect(byHost(events, 'run').a?.delegatedTo).toBeUndefined();
  });

  it('connection: local on one task; the next task is back on the host', async () => {
    const { fleet } = await run(`
- hosts: a
  gather_facts: false
  tasks:
    - sh: here
      connection: local
    - sh: there
`);
    expect(calls(fleet)).toEqual(['a: there', 'localhost: here']);
  });
});

describe('run_once with delegate_to', () => {
  it('runs once on the delegated host; every host of the batch gets the result', async () => {
    const { fleet, events } = await run(`
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      sh: "echo {{ inventory_hostname }}"
      delegate_to: c
      run_once: true
      register: once
    - name: show
      debug: { msg: "{{ once.rc }}" }
`);
    expect(calls(fleet)).toEqual(['c: echo a']);
    const shown = byHost(events, 'show');
    expect(Object.keys(shown).sort()).toEqual(['a', 'b', 'c']);
    for (const e of Object.values(shown)) expect(e.msg).toBe('0');
  });
});

describe('loading', () => {
  it('local_action with delegate_to is an error at its line', async () => {
    await expect(
      playbookFrom(`
- hosts: all
  tasks:
    - local_action: sh x
      delegate_to: c
`),
    ).rejects.toThrow(/local_action.*delegate_to/);
  });
});
