// Keyword values Ansible accepts (issue 14): templated task and play keywords, float delay,
// omit, environment on plays and blocks, check_mode/diff on plays and blocks, block notify and
// any_errors_fatal, action:, !unsafe, loop_control extended/break_when/pause, templated set_fact
// names. Each test states Ansible's documented result and runs the playbook through the engine
// on in-memory hosts.
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

async function run(yaml: string, setup: { groups?: Record<string, string[]>; hostVars?: Record<string, Record<string, unknown>>; fleet?: FleetOptions; run?: Partial<RunOptions>; files?: Record<string, string> } = {}) {
  const { playbook } = await playbookFrom(yaml, setup.files);
  const fleet = memoryFleet(setup.fleet);
  const inv = memoryInventory(setup.groups ?? { web: ['a', 'b', 'c'] }, setup.hostVars);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(playbook, inv, { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), forks: 10, ...setup.run }, mem);
  return { recap, events: mem.events, fleet };
}

const results = (events: RunEvent[], host?: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && (host === undefined || e.host === host));
const resultOf = (events: RunEvent[], host: string, task: string): TaskResultEvent | undefined => results(events, host).find((e) => e.task.name === task);

describe('templated task keywords are rendered per host before the module runs', () => {
  it('become and become_user from variables reach the connection rendered (not `{{ ... }}`)', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  vars: { do_become: "yes" }
  tasks:
    - name: as the app user
      sh: id
      become: "{{ do_become }}"
      become_user: "{{ app_user }}"
`,
      { hostVars: { a: { app_user: 'alice' }, b: { app_user: 'bob' }, c: { app_user: 'carol' } } },
    );
    expect(recap.exitCode).toBe(0);
    expect(Object.fromEntries(fleet.calls.map((c) => [c.host, c.become]))).toEqual({ a: 'alice', b: 'bob', c: 'carol' });
  });

  it('a play-level templated become_user is inherited, and a loop renders it per item', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  become: true
  become_user: "{{ 'svc_' ~ inventory_hostname }}"
  tasks:
    - sh: whoami
    - sh: "ls ~{{ item }}"
      become_user: "{{ item }}"
      loop: [u1, u2]
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => [c.command, c.become])).toEqual([['whoami', 'svc_a'], ['ls ~u1', 'u1'], ['ls ~u2', 'u2']]);
  });

  it('a template that renders to a non-boolean fails the task naming the keyword (strict, as Ansible\'s boolean conversion)', async () => {
    const { events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: t
      sh: id
      become: "{{ 'perhaps' }}"
`, { groups: { web: ['a'] } });
    const r = resultOf(events, 'a', 't');
    expect(r?.status).toBe('failed');
    expect(r?.msg).toMatch(/`become` rendered to 'perhaps', which is not a boolean/);
  });

  it('check_mode: "{{ omit }}" leaves the keyword unset; check_mode from a variable turns check mode on', async () => {
    const { fleet, events } = await run(`
- hosts: web
  gather_facts: false
  vars: { dry: true }
  tasks:
    - name: omitted
      sh: real
      check_mode: "{{ omit }}"
    - name: dry
      sh: pretend
      check_mode: "{{ dry }}"
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['real']);
    expect(resultOf(events, 'a', 'dry')?.msg).toBe('would run: pretend');
  });

  it('retries from a template and a fractional delay (0.5 s): until retries that many times, half a second apart', async () => {
    let n = 0;
    const t0 = Date.now();
    const { events } = await run(`
- hosts: web
  gather_facts: false
  vars: { tries: 2 }
  tasks:
    - name: poll
      sh: poll
      register: out
      until: out.stdout == 'ready'
      retries: "{{ tries }}"
      delay: 0.5
`, { groups: { web: ['a'] }, fleet: { reply: () => ({ stdout: ++n >= 3 ? 'ready' : 'no' }) } });
    const elapsed = Date.now() - t0;
    expect(resultOf(events, 'a', 'poll')?.status).toBe('changed');
    expect(n).toBe(3);
    // two waits of 0.5 s: at least one second, far below two 5 s default delays
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4000);
  });
});

describe('templated play keywords are rendered with the play variables before batches', () => {
  it('serial and strategy from variables (and extra vars) shape the batches', async () => {
    const { events } = await run(`
- hosts: web
  gather_facts: false
  vars: { batch: 1, how: linear }
  serial: "{{ batch }}"
  strategy: "{{ how }}"
  tasks:
    - sh: step
`);
    expect(events.filter((e) => e.type === 'batch_start').map((e) => (e as { hosts: string[] }).hosts)).toEqual([['a'], ['b'], ['c']]);
    const two = await run(`
- hosts: web
  gather_facts: false
  serial: ["{{ first }}", "50%"]
  tasks:
    - sh: step
`, { run: { extraVars: { first: 2 } } });
    expect(two.events.filter((e) => e.type === 'batch_start').map((e) => (e as { hosts: string[] }).hosts)).toEqual([['a', 'b'], ['c']]);
  });

  it('a strategy that renders to an unknown name stops the run before any host is contacted, at the play', async () => {
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  strategy: "{{ 'host_pinned' }}"
  tasks:
    - sh: step
`);
    const fleet = memoryFleet();
    await expect(runPlaybook(playbook, memoryInventory({ web: ['a'] }), { transportFactory: fleet.factory, getModule: (n) => testModules.get(n) }, createMemoryReporter())).rejects.toThrow(/site\.yml:2:3: play "web": strategy: rendered to 'host_pinned'/);
    expect(fleet.calls).toEqual([]);
  });
});

describe('environment, check_mode and diff on plays and blocks', () => {
  it('play environment (a template of a mapping) and block environment stack; the task\'s wins', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  vars: { proxy_env: { http_proxy: "http://proxy:3128", LANG: C } }
  environment: "{{ proxy_env }}"
  tasks:
    - block:
        - sh: one
          environment: { LANG: C.UTF-8 }
      environment: { APP: "{{ inventory_hostname }}" }
`, { groups: { web: ['a'] } });
    expect(fleet.calls[0]?.env).toEqual({ http_proxy: 'http://proxy:3128', LANG: 'C.UTF-8', APP: 'a' });
  });

  it('check_mode on a play puts every task in check mode; a block can turn it off again', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  check_mode: true
  tasks:
    - sh: dry
    - block:
        - sh: wet
      check_mode: false
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['wet']);
  });
});

describe('block any_errors_fatal and notify', () => {
  it('any_errors_fatal on a block: one host failing inside it stops every host of the batch', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - sh: boom
      any_errors_fatal: true
    - sh: after
`, { fleet: { reply: (host, cmd) => (host === 'b' && cmd === 'boom' ? { exitCode: 1 } : undefined) } });
    expect(fleet.calls.filter((c) => c.command === 'after')).toEqual([]);
  });

  it('notify on a block: a task of the block that changed notifies the handler', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - sh: change
      notify: restart
  handlers:
    - name: restart
      sh: restarted
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['change', 'restarted']);
  });
});

describe('action:, !unsafe and templated set_fact names', () => {
  it('action: module args (string and mapping forms) runs that module', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - action: sh echo one
    - action: { module: sh, cmd: echo two }
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['echo one', 'echo two']);
  });

  it('!unsafe text reaches the module as written, braces and all', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  vars:
    fmt: !unsafe '{{ .Names }}'
  tasks:
    - sh: !unsafe "docker ps --format '{{ .ID }}'"
    - sh: "docker ps --format '{{ fmt }}'"
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(["docker ps --format '{{ .ID }}'", "docker ps --format '{{ .Names }}'"]);
  });

  it('set_fact with a templated variable name sets the rendered name', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  vars: { svc: web }
  tasks:
    - set_fact:
        "{{ svc }}_port": 8080
    - sh: "echo {{ web_port }}"
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['echo 8080']);
  });
});

describe('loop_control: extended, break_when, pause', () => {
  it('extended: ansible_loop has index/index0, revindex/revindex0, first/last, length, previtem/nextitem, allitems', async () => {
    const { fleet } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: "echo {{ ansible_loop.index }}/{{ ansible_loop.index0 }} {{ ansible_loop.revindex }}/{{ ansible_loop.revindex0 }} {{ ansible_loop.first }} {{ ansible_loop.last }} {{ ansible_loop.length }} {{ ansible_loop.previtem | default('-') }} {{ ansible_loop.nextitem | default('-') }} {{ ansible_loop.allitems | join(',') }}"
      loop: [x, y, z]
      loop_control: { extended: true }
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['echo 1/0 3/2 True False 3 - y x,y,z', 'echo 2/1 2/1 False False 3 x z x,y,z', 'echo 3/2 1/0 False True 3 y - x,y,z']);
  });

  it('break_when stops the loop after the first item for which it holds (the item\'s result under the register name)', async () => {
    const { fleet, events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: count
      sh: "echo {{ item }}"
      loop: [1, 2, 3, 4]
      register: out
      loop_control:
        break_when:
          - item >= 2
          - out.rc == 0
    - sh: "echo {{ out.results | length }}"
`, { groups: { web: ['a'] } });
    expect(fleet.calls.map((c) => c.command)).toEqual(['echo 1', 'echo 2', 'echo 2']);
    expect(resultOf(events, 'a', 'count')?.status).toBe('changed');
  });

  it('pause waits between items, not before the first', async () => {
    const t0 = Date.now();
    await run(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: "echo {{ item }}"
      loop: [1, 2, 3]
      loop_control: { pause: 0.2 }
`, { groups: { web: ['a'] } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
  });
});
