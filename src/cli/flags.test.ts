import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TextSink } from '../../test/support/cli.js';
import { main } from './main.js';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await main(args, { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: process.cwd() });
  return { code, err: err.text };
}

describe('command-line mistakes', () => {
  it('an unknown flag: the nearest flag of the command', async () => {
    expect(await run(['apply', 'site.yml', '--limt', 'web'])).toEqual({
      code: 1,
      err: "runbook apply: unknown flag '--limt'. Did you mean '--limit'? Run 'runbook apply --help' for the flags.\n",
    });
    expect((await run(['apply', 'site.yml', '--nothing-like-it'])).err).toBe(
      "runbook apply: unknown flag '--nothing-like-it'. Run 'runbook apply --help' for the flags.\n",
    );
  });

  it("Ansible's flags point to runbook's way, typos of them too", async () => {
    expect(await run(['apply', 'site.yml', '--syntax-check'])).toEqual({
      code: 1,
      err: "runbook apply: unknown flag '--syntax-check' (an Ansible flag). In runbook: runbook validate PLAYBOOK checks a playbook without running it (add -i INVENTORY to check host patterns too).\n",
    });
    expect((await run(['apply', 'site.yml', '--synatx-check'])).err).toBe(
      "runbook apply: unknown flag '--synatx-check'. Did you mean Ansible's '--syntax-check'? In runbook: runbook validate PLAYBOOK checks a playbook without running it (add -i INVENTORY to check host patterns too).\n",
    );
    expect((await run(['apply', 'site.yml', '--become-method=su'])).err).toBe(
      "runbook apply: unknown flag '--become-method' (an Ansible flag). In runbook: runbook becomes another user with sudo only; drop --become-method.\n",
    );
  });

  it('a flag without its value, and a value given to an on/off flag', async () => {
    expect((await run(['apply', 'site.yml', '-i'])).err).toBe("runbook apply: -i/--inventory needs a value (e.g. --inventory VALUE). Run 'runbook apply --help' for the flags.\n");
    expect((await run(['apply', 'site.yml', '--check=yes'])).err).toBe('runbook apply: -C/--check is an on/off flag and takes no value; write --check alone.\n');
  });

  it('an unknown command: Ansible program names and playbook files point to the command', async () => {
    expect(await run(['aplly'])).toEqual({ code: 1, err: "runbook: unknown command 'aplly'. Did you mean 'apply'? Run 'runbook --help' for the list.\n" });
    expect((await run(['ansible-playbook', 'site.yml'])).err).toBe("runbook: unknown command 'ansible-playbook'. In runbook that is 'runbook apply'. Run 'runbook --help' for the list.\n");
    expect((await run(['site.yml'])).err).toBe("runbook: unknown command 'site.yml'. To run a playbook: runbook apply site.yml -i INVENTORY. Run 'runbook --help' for the list.\n");
  });
});
