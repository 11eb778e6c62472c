// meta: Ansible's engine actions (`meta: flush_handlers`, `end_play`, `end_host`, ...). They act
// on the run itself, not on a host, so the engine handles a task whose module is `meta` before
// it would call `run`; `run` here only answers when something calls the module directly.
import type { ModuleDefinition } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface MetaArgs {
  action: string;
}

/** The meta actions runbook's engine carries out; any other is a clear error at run time. */
export const META_ACTIONS: readonly string[] = ['flush_handlers', 'end_play', 'end_batch', 'end_host', 'noop'];

export const metaModule: ModuleDefinition<MetaArgs> = defineModule({
  name: 'meta',
  controllerOnly: true,
  freeForm: 'action',
  schema: moduleSchema({
    properties: {
      action: { type: 'string', description: `what to do: ${META_ACTIONS.join(', ')}` },
    },
    required: ['action'],
  }),
  doc: {
    short: 'Act on the run: run notified handlers now, end the play or a host',
    description:
      'flush_handlers runs the handlers notified so far, at this point, on the hosts that notified them ' +
      '(under the linear strategy for every host of the batch at once). end_play ends the play for every ' +
      'host (later batches of the play do not start; later plays run), end_batch only the current batch, ' +
      'end_host the play for the current host; none of them fails a host, and handlers still pending are ' +
      'listed in the recap. noop does nothing. `when:` works on all of them.',
    returns: {},
    example: '- meta: flush_handlers\n- meta: end_host\n  when: not needs_update',
    notes: ['Other Ansible meta actions (refresh_inventory, clear_facts, reset_connection, clear_host_errors, role_complete) are not supported and fail the task.'],
  },
  run(_ctx, args) {
    return Promise.resolve({
      changed: false,
      failed: true,
      msg: `meta: ${args.action}: meta actions are carried out by the engine and cannot run as a module here`,
    });
  },
});
