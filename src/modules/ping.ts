// ping: Ansible's connection test. One round trip through the host's shell (with the task's
// become), returning `ping: pong` (or `data`); it never changes anything. The round trip is the
// module's probe, so it runs in --check too (as Ansible's ping does); the plan checks the answer.
import { sh } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { failPlan, noop, type Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface PingArgs {
  data?: string;
}

export interface PingAnswer {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export function pingFact(data: string): Fact<PingAnswer> {
  return { name: 'ping', command: sh`printf '%s' ${data}`, parse: (stdout, stderr, exitCode) => ({ exitCode, stdout, stderr }) };
}

export function planPing(args: PingArgs, answer: PingAnswer | undefined): Plan {
  const data = args.data ?? 'pong';
  if (data === 'crash' || !answer) return failPlan('boom: the ping module was asked to fail (data=crash)');
  if (answer.exitCode !== 0) return failPlan(`ping: the host answered with exit code ${String(answer.exitCode)}${answer.stderr.trim() !== '' ? `: ${answer.stderr.trim()}` : ''}`);
  if (answer.stdout !== data) return failPlan(`ping: expected \`${data}\` back, got \`${answer.stdout.slice(0, 200)}\``);
  return noop(data, { ping: data });
}

export const pingModule = defineModule<PingArgs, PingAnswer | undefined>({
  name: 'ping',
  schema: moduleSchema({
    properties: {
      data: { type: 'string', default: 'pong', description: 'the value echoed back as `ping`; `crash` makes the task fail (as in Ansible)' },
    },
  }),
  doc: {
    short: 'Check that the host answers: a shell round trip that returns `ping: pong`',
    description: 'Runs `printf` through the same connection (and sudo, with become) as every other task and checks the answer. Never reports a change, also not in --check.',
    returns: { ping: 'the echoed `data` (`pong` by default)' },
    example: '- ping:\n- ansible.builtin.ping:\n    data: hello',
  },
  probe: (args) => ((args.data ?? 'pong') === 'crash' ? undefined : pingFact(args.data ?? 'pong')),
  plan: planPing,
});
