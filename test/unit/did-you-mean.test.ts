// `runbook doc NAME` and the playbook loader share one "did you mean" (src/util/edit-distance.ts):
// a suggestion only for a near miss, over the real module list.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { docCommand } from '../../src/cli/commands/doc.js';

const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: process.cwd() });

describe('runbook doc with an unknown module', () => {
  it('suggests nothing for a word that is no near miss (`nope` used to suggest copy)', async () => {
    const err = await docCommand.run({ positionals: ['nope'], values: {} }, io()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('unknown module "nope" (runbook doc lists all modules)');
  });

  it('suggests the one closest module for a typo, by its short name', async () => {
    await expect(docCommand.run({ positionals: ['servce'], values: {} }, io())).rejects.toThrow('unknown module "servce"; did you mean service? (runbook doc lists all modules)');
    await expect(docCommand.run({ positionals: ['ansible.builtin.lineinfle'], values: {} }, io())).rejects.toThrow(/did you mean ansible\.builtin\.lineinfile\?/);
  });
});
