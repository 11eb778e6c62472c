// The TSIG secret of DNS-01 (dns_rfc2136_secret) is masked in every event, like the passwords:
// from the inventory and from -e.
import { describe, expect, it } from 'vitest';
import { createMemoryReporter } from '../report/combine.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';

describe('dns_rfc2136_secret', () => {
  it('never reaches an event, whether it comes from the inventory or from -e', async () => {
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - debug: { msg: "key {{ dns_rfc2136_secret }}" }
`);
    for (const [hostVars, extraVars] of [
      [{ a: { dns_rfc2136_secret: 'c2VjcmV0LWZyb20taW52ZW50b3J5' } }, {}],
      [{}, { dns_rfc2136_secret: 'c2VjcmV0LWZyb20tZXh0cmE=' }],
    ] as const) {
      const mem = createMemoryReporter();
      await runPlaybook(
        playbook,
        memoryInventory({ web: ['a'] }, hostVars),
        { transportFactory: memoryFleet().factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), extraVars },
        mem,
      );
      const text = JSON.stringify(mem.events);
      expect(text).toContain('key ********');
      expect(text).not.toMatch(/c2VjcmV0LWZyb20t/);
    }
  });
});
