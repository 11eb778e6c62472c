import type { ModuleDefinition } from './types.js';

interface DebugArgs {
  msg?: unknown;
  var?: string;
}

export const debugModule: ModuleDefinition<DebugArgs> = {
  name: 'debug',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      msg: { description: 'message to print (any value)' },
      var: { type: 'string', description: 'name of a variable to print' },
    },
    additionalProperties: false,
  },
  doc: {
    short: 'Print a message or a variable',
    returns: { msg: 'the message printed' },
    example: '- debug:\n    msg: "certificate at {{ cert.fullchain }}"',
  },
  run(ctx, args) {
    const msg = args.var !== undefined ? { [args.var]: ctx.vars[args.var] } : (args.msg ?? 'Hello world!');
    return Promise.resolve({ changed: false, msg: typeof msg === 'string' ? msg : JSON.stringify(msg), data: { msg } });
  },
};
