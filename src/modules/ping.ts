// ping: Ansible's connection test. One round trip through the host's shell (with the task's
// become), returning `ping: pong` (or `data`); it never changes anything.
import { sh } from '../transport/command.js';
import type { ModuleDefinition, ModuleResult } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface PingArgs {
  data?: string;
}

export const pingModule: ModuleDefinition<PingArgs> = defineModule({
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
  async run(ctx, args): Promise<ModuleResult> {
    const data = args.data ?? 'pong';
    if (data === 'crash') return { changed: false, failed: true, msg: 'boom: the ping module was asked to fail (data=crash)' };
    const r = await ctx.exec(sh`printf '%s' ${data}`);
    if (r.exitCode !== 0) return { changed: false, failed: true, msg: `ping: the host answered with exit code ${String(r.exitCode)}${r.stderr.trim() !== '' ? `: ${r.stderr.trim()}` : ''}` };
    if (r.stdout !== data) return { changed: false, failed: true, msg: `ping: expected \`${data}\` back, got \`${r.stdout.slice(0, 200)}\`` };
    return { changed: false, msg: data, data: { ping: data } };
  },
});
