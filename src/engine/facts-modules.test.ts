// Facts modules in a run (in-memory hosts): what service_facts/setup return under ansible_facts
// reaches `ansible_facts.X` and the top-level name for the next tasks, is registered as Ansible
// registers it, and survives the engine gathering facts again after a change.
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import type { TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';

const UNITS = '@@units\ncron.service loaded active running Regular background program\n@@files\ncron.service enabled enabled\n';

describe('facts modules in a run', () => {
  it('service_facts: ansible_facts.services and services, registered as Ansible, kept after facts are gathered again', async () => {
    const { playbook } = await playbookFrom(`
- hosts: all
  gather_facts: true
  tasks:
    - service_facts:
      register: sf
    - name: changes the host (facts go stale)
      sh: touch /tmp/x
    - name: reads facts (gathers again)
      probe: {}
    - name: show
      debug:
        msg: "{{ ansible_facts.services['cron.service'].state }} {{ services['cron.service'].status }} {{ sf.ansible_facts.services['cron.service'].source }} {{ ansible_facts.distribution }} {{ ansible_distribution }}"
`);
    let gathered = 0;
    const fleet = memoryFleet({ reply: (_h, c) => (c.includes('list-units') ? { stdout: UNITS } : undefined) });
    const mem = createMemoryReporter();
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a'] }),
      { transportFactory: (h) => fleet.factory(h), gatherFacts: () => (gathered++, Promise.resolve(FAKE_FACTS)), getModule: (n) => testModules.get(n), forks: 1 },
      mem,
    );
    expect(recap.exitCode).toBe(0);
    expect(gathered).toBe(2);
    const show = mem.events.find((e): e is TaskResultEvent => e.type === 'task_result' && e.task.name === 'show');
    expect(show?.msg).toBe(`running enabled systemd ${FAKE_FACTS.distribution} ${FAKE_FACTS.distribution}`);
  });
});
