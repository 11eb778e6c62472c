import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test/support/cli.js';

const INV = 'web:\n  hosts:\n    w1: {a: 1}\n    w2: {}\n  vars: {g: x}\ndb:\n  hosts:\n    d1: {}\nprod:\n  children:\n    web: {}\n    db: {}\nall:\n  hosts:\n    lonely: {}\n';

describe('runbook inventory (ansible-inventory shapes)', () => {
  it('--graph, --list and --host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-inv-'));
    await writeFile(join(dir, 'hosts.yml'), INV);
    const graph = await runCli(['inventory', '-i', 'hosts.yml', '--graph'], { cwd: dir });
    expect(graph.out).toBe('@all:\n  |--@ungrouped:\n  |  |--lonely\n  |--@prod:\n  |  |--@web:\n  |  |  |--w1\n  |  |  |--w2\n  |  |--@db:\n  |  |  |--d1\n');
    expect((await runCli(['inventory', '-i', 'hosts.yml', '--graph', 'web'], { cwd: dir })).out).toBe('@web:\n  |--w1\n  |--w2\n');
    const list = JSON.parse((await runCli(['inventory', '-i', 'hosts.yml', '--list'], { cwd: dir })).out) as Record<string, unknown>;
    expect(list).toEqual({
      _meta: { hostvars: { w1: { g: 'x', a: 1 }, w2: { g: 'x' }, d1: {}, lonely: {} } },
      all: { children: ['ungrouped', 'prod'] },
      ungrouped: { hosts: ['lonely'] },
      web: { hosts: ['w1', 'w2'] },
      db: { hosts: ['d1'] },
      prod: { children: ['web', 'db'] },
    });
    expect(JSON.parse((await runCli(['inventory', '-i', 'hosts.yml', '--host', 'w1'], { cwd: dir })).out)).toEqual({ g: 'x', a: 1 });
    const bad = await runCli(['inventory', '-i', 'hosts.yml', '--host', 'w3'], { cwd: dir });
    expect(bad).toMatchObject({ code: 1, err: `runbook inventory: no host 'w3' in ${join(dir, 'hosts.yml')}; did you mean 'w1'?\n` });
    expect((await runCli(['inventory', '-i', 'hosts.yml'], { cwd: dir })).err).toBe("runbook inventory: give one of --list, --graph or --host NAME (see 'runbook inventory --help')\n");
  });

  it('takes the inventory from runbook.cfg when -i is not given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-inv-'));
    await writeFile(join(dir, 'hosts.yml'), INV);
    await writeFile(join(dir, 'runbook.cfg'), '[defaults]\ninventory = hosts.yml\n');
    expect((await runCli(['inventory', '--graph', 'db'], { cwd: dir, env: { HOME: dir } })).out).toBe('@db:\n  |--d1\n');
  });
});
