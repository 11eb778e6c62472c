import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExtraVars } from './commands/apply.js';

describe('-e inline YAML, as Ansible reads it', () => {
  it('reads a YAML flow mapping, and JSON as before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-e-'));
    expect(await parseExtraVars(['{a: 1, b: [x, y], c: {d: true}}'], dir)).toEqual({ a: 1, b: ['x', 'y'], c: { d: true } });
    expect(await parseExtraVars(['{"a": "1"}'], dir)).toEqual({ a: '1' });
  });

  it('a list or broken YAML: the exact message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-e-'));
    await expect(parseExtraVars(['[1, 2]'], dir)).rejects.toThrow('-e: expected a mapping of variable names to values');
    await expect(parseExtraVars(['{a: 1'], dir)).rejects.toThrow(/^-e '\{a: 1': not a valid YAML\/JSON mapping: .+ \(column \d+\)/);
  });
});
