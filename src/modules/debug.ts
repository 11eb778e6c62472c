// debug: print a message or a variable (controller only). `var` may be any expression
// (`result.stdout_lines`), evaluated with the engine's evaluator when it offers one.
import type { ModuleDefinition } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

function lookupPath(vars: Readonly<Record<string, unknown>>, path: string): unknown {
  let cur: unknown = vars;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export const debugModule: ModuleDefinition<DebugArgs> = defineModule({
  name: 'debug',
  controllerOnly: true,
  schema: moduleSchema({
    properties: {
      msg: { description: 'message to print (any value)' },
      var: { type: 'string', description: 'a variable or expression to print, without braces (e.g. `result.stdout_lines`)' },
      verbosity: { type: 'integer', minimum: 0, default: 0, description: 'accepted for Ansible compatibility; the message is always recorded' },
    },
    extra: { not: { required: ['msg', 'var'] } },
  }),
  doc: {
    short: 'Print a message or a variable',
    returns: { msg: 'the message printed (msg)', '<var>': 'the value printed, under the variable\'s name (var)' },
    example: '- debug:\n    msg: "certificate at {{ cert.fullchain }}"\n- debug:\n    var: renew.stdout_lines',
    notes: ['msg and var are mutually exclusive.'],
  },
  run(ctx, args) {
    if (args.var !== undefined) {
      let value: unknown;
      try {
        value = ctx.evaluateValue ? ctx.evaluateValue(args.var) : lookupPath(ctx.vars, args.var);
      } catch (e) {
        value = `VARIABLE IS NOT DEFINED! (${(e as Error).message})`;
      }
      if (value === undefined) value = 'VARIABLE IS NOT DEFINED!';
      return Promise.resolve({ changed: false, msg: `${args.var}: ${typeof value === 'string' ? value : JSON.stringify(value)}`, data: { [args.var]: value } });
    }
    const msg = args.msg ?? 'Hello world!';
    return Promise.resolve({ changed: false, msg: typeof msg === 'string' ? msg : JSON.stringify(msg), data: { msg } });
  },
});
