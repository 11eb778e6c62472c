// Ansible behaviours an outside tester found missing: rescue variables, meta tasks,
// --start-at-task on unnamed tasks.
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom, retryRecorder } from './testing/memory.js';
import type { FleetOptions } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

async function run(yaml: string, setup: { groups?: Record<string, string[]>; fleet?: FleetOptions; run?: Partial<RunOptions> } = {}) {
  const { playbook } = await playbookFrom(yaml);
  const fleet = memoryFleet(setup.fleet);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(
    playbook,
    memoryInventory(setup.groups ?? { web: ['a', 'b'] }),
    {
      transportFactory: fleet.factory,
      gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }),
      getModule: (n) => testModules.get(n),
      forks: 10,
      ...setup.run,
    },
    mem,
  );
  return { recap, events: mem.events, fleet };
}

const results = (events: RunEvent[], host: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.host === host && e.item === undefined);
const msgOf = (events: RunEvent[], host: string, task: string) => results(events, host).find((e) => e.task.name === task)?.msg;
const cmds = (calls: Array<{ host: string; command: string }>, host: string) => calls.filter((c) => c.host === host).map((c) => c.command);

describe('rescue: ansible_failed_task and ansible_failed_result', () => {
  it('are defined in rescue with the failed task and its registered result', async () => {
    const { events, recap } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - name: ok first
          sh: fine
        - name: breaks
          sh: boom
      rescue:
        - name: show
          debug:
            msg: "{{ ansible_failed_task.name }}|{{ ansible_failed_task.action }}|{{ ansible_failed_result.rc }}|{{ ansible_failed_result.stderr }}|{{ ansible_failed_result.failed }}"
    - name: after
      debug:
        msg: "{{ ansible_failed_task is defined }}"
`,
      { groups: { web: ['a'] }, fleet: { reply: (_h, c) => (c === 'boom' ? { exitCode: 3, stderr: 'bad {{ x }}' } : undefined) } },
    );
    expect(msgOf(events, 'a', 'show')).toBe('breaks|sh|3|bad {{ x }}|True');
    // only inside rescue, as in Ansible
    expect(msgOf(events, 'a', 'after')).toBe('false');
    expect(recap.hosts.a).toMatchObject({ rescued: 1, failed: 0 });
  });

  it('an unnamed failed task is named by its module; nested blocks see the inner failure', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - block:
            - fail: { msg: inner trouble }
      rescue:
        - name: show
          debug:
            msg: "{{ ansible_failed_task.name }}/{{ ansible_failed_result.msg }}"
`,
      { groups: { web: ['a'] } },
    );
    expect(msgOf(events, 'a', 'show')).toBe('fail/inner trouble');
  });
});

describe('--start-at-task', () => {
  const yaml = `
- hosts: web
  gather_facts: false
  tasks:
    - name: first
      sh: one
    - sh: two
    - debug: { msg: hi }
    - sh: three
`;
  it('matches an unnamed task by the name it is shown with (its module)', async () => {
    const { fleet } = await run(yaml, { groups: { web: ['a'] }, run: { startAtTask: 'sh' } });
    expect(cmds(fleet.calls, 'a')).toEqual(['two', 'three']);
    const r2 = await run(yaml, { groups: { web: ['a'] }, run: { startAtTask: 'debug' } });
    expect(cmds(r2.fleet.calls, 'a')).toEqual(['three']);
    const r3 = await run(yaml, { groups: { web: ['a'] }, run: { startAtTask: 'ansible.builtin.debug' } });
    expect(cmds(r3.fleet.calls, 'a')).toEqual(['three']);
  });
});

describe('an unreachable host in the plain output', () => {
  it('one UNREACHABLE line (connect + first task), recap counts it once, the host is to retry', async () => {
    const { Writable } = await import('node:stream');
    const { createPlainReporter } = await import('../report/plain.js');
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - name: hello
      sh: one
    - sh: two
`);
    const fleet = memoryFleet({ unreachable: ['b'] });
    const retry = retryRecorder();
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a', 'b'] }),
      { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), retry: retry.retry },
      createPlainReporter(out),
    );
    expect(text.match(/UNREACHABLE/g)).toHaveLength(1);
    expect(text).toMatch(/^b {2}UNREACHABLE: hello \(.*site\.yml:5\): /m);
    expect(recap.hosts.b).toMatchObject({ unreachable: 1, ok: 0, failed: 0 });
    expect(recap.hosts.a).toMatchObject({ ok: 2, unreachable: 0 });
    expect(retry.hosts()).toEqual(['b']);
  });
});

describe('meta', () => {
  const flush = (strategy: string, meta = 'meta') => `
- hosts: web
  gather_facts: false
  strategy: ${strategy}
  tasks:
    - name: config
      sh: config
      when: inventory_hostname == 'a'
      notify: restart
    - ${meta}: flush_handlers
    - name: later
      sh: later
      notify: reload
  handlers:
    - name: restart
      sh: restart
    - name: reload
      sh: reload
`;

  for (const strategy of ['linear', 'free']) {
    it(`flush_handlers runs the notified handlers at that point, on the hosts that notified (${strategy})`, async () => {
      const { fleet, recap } = await run(flush(strategy));
      expect(cmds(fleet.calls, 'a')).toEqual(['config', 'restart', 'later', 'reload']);
      expect(cmds(fleet.calls, 'b')).toEqual(['later', 'reload']);
      expect(recap.exitCode).toBe(0);
      expect(recap.pendingHandlers).toEqual({});
    });
  }

  it('linear: the flushed handler runs on every notifying host before any host starts the next task', async () => {
    const { fleet } = await run(flush('linear').replace("when: inventory_hostname == 'a'", ''), {
      fleet: { reply: (h, c) => (h === 'a' && c === 'restart' ? { delayMs: 60 } : undefined) },
    });
    const restarts = fleet.calls.filter((c) => c.command === 'restart');
    expect(restarts).toHaveLength(2);
    const lastRestart = Math.max(...restarts.map((c) => c.endSeq ?? Infinity));
    for (const c of fleet.calls.filter((x) => x.command === 'later')) expect(c.seq).toBeGreaterThan(lastRestart);
  });

  it('ansible.builtin.meta works too', async () => {
    const { fleet } = await run(flush('linear', 'ansible.builtin.meta'));
    expect(cmds(fleet.calls, 'a')).toEqual(['config', 'restart', 'later', 'reload']);
  });

  it('end_host (with when) ends the play for that host only, without failing it; later plays run', async () => {
    const { fleet, recap, events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: one
      sh: one
      notify: h
    - meta: end_host
      when: inventory_hostname == 'a'
    - name: two
      sh: two
  handlers:
    - name: h
      sh: handler
- hosts: web
  gather_facts: false
  tasks:
    - sh: three
`);
    expect(cmds(fleet.calls, 'a')).toEqual(['one', 'three']);
    expect(cmds(fleet.calls, 'b')).toEqual(['one', 'two', 'handler', 'three']);
    expect(recap.hosts.a).toMatchObject({ failed: 0, unreachable: 0 });
    expect(recap.hosts.b).toMatchObject({ skipped: 1 });
    expect(recap.exitCode).toBe(0);
    // the handler a notified did not run: reported, not lost
    expect(recap.pendingHandlers).toEqual({ a: ['h'] });
    expect(events.some((e) => e.type === 'host_end' && e.host === 'a' && e.state === 'ok')).toBe(true);
  });

  it('end_play ends the play for every host and the later batches; the next play runs', async () => {
    const { fleet, recap } = await run(
      `
- hosts: web
  gather_facts: false
  serial: 2
  tasks:
    - name: one
      sh: one
    - meta: end_play
      when: inventory_hostname == 'b'
    - name: two
      sh: two
- hosts: web
  gather_facts: false
  tasks:
    - sh: three
`,
      { groups: { web: ['a', 'b', 'c'] } },
    );
    expect(cmds(fleet.calls, 'a')).toEqual(['one', 'three']);
    expect(cmds(fleet.calls, 'b')).toEqual(['one', 'three']);
    expect(cmds(fleet.calls, 'c')).toEqual(['three']);
    expect(recap.exitCode).toBe(0);
    expect(recap.notStarted).toEqual([]);
  });

  it('an unsupported meta action fails the task with a clear message', async () => {
    const { recap, events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - meta: refresh_inventory
    - sh: never
`);
    expect(msgOf(events, 'a', 'meta')).toMatch(/meta: 'refresh_inventory' is not supported by runbook; supported: flush_handlers, end_play/);
    expect(recap.hosts.a).toMatchObject({ failed: 1 });
    expect(recap.exitCode).toBe(2);
  });
});

describe('ansible_facts and vars', () => {
  it('ansible_facts is an empty mapping before facts are gathered, the facts after', async () => {
    const { events } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - name: none yet
      debug:
        msg: "{{ ansible_facts | length }} {{ ansible_facts.distribution | default('unknown') }}"
- hosts: web
  gather_facts: true
  tasks:
    - name: gathered
      debug:
        msg: "{{ ansible_facts.distribution }} {{ vars['inventory_hostname'] }}"
`, { groups: { web: ['a'] } });
    expect(msgOf(events, 'a', 'none yet')).toBe('0 unknown');
    expect(msgOf(events, 'a', 'gathered')).toBe(`${String(FAKE_FACTS.distribution)} a`);
  });
});
