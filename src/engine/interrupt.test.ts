import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createInterrupt } from './interrupt.js';
import { runPlaybook } from './run.js';
import { memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';

describe('createInterrupt', () => {
  it('first SIGINT aborts signal, the second killSignal; dispose stops listening', () => {
    const source = new EventEmitter();
    const seen: number[] = [];
    const i = createInterrupt({ source, onInterrupt: (n) => seen.push(n) });
    expect(i.signal.aborted).toBe(false);
    source.emit('SIGINT');
    expect(i.signal.aborted).toBe(true);
    expect(i.killSignal.aborted).toBe(false);
    source.emit('SIGTERM');
    expect(i.killSignal.aborted).toBe(true);
    expect(seen).toEqual([1, 2]);
    i.dispose();
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
  });

  it('second Ctrl-C stops running commands at once, without waiting for the grace period', async () => {
    const source = new EventEmitter();
    const i = createInterrupt({ source });
    const { playbook } = await playbookFrom(`
- hosts: web
  gather_facts: false
  tasks:
    - sh: long
    - sh: next
`);
    const fleet = memoryFleet({ reply: () => ({ delayMs: 20_000 }) });
    setTimeout(() => source.emit('SIGINT'), 30);
    setTimeout(() => source.emit('SIGINT'), 80);
    const t0 = Date.now();
    const recap = await runPlaybook(
      playbook,
      memoryInventory({ web: ['a', 'b'] }),
      { transportFactory: fleet.factory, getModule: (n) => testModules.get(n), signal: i.signal, killSignal: i.killSignal, graceMs: 30_000 },
      {},
    );
    i.dispose();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(recap.exitCode).toBe(130);
    expect(fleet.calls.map((c) => [c.command, c.aborted])).toEqual([
      ['long', true],
      ['long', true],
    ]);
  });
});
