// assert, fail, set_fact: controller-only modules (no connection). assert evaluates each
// expression with the engine's evaluator (ctx.evaluate), the same one `when:` uses.
import type { ModuleDefinition, ModuleResult } from './types.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface AssertArgs {
  that: string | boolean | Array<string | boolean>;
  fail_msg?: unknown;
  success_msg?: unknown;
  quiet?: boolean | string;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export const assertModule: ModuleDefinition<AssertArgs> = defineModule({
  name: 'assert',
  controllerOnly: true,
  schema: moduleSchema({
    properties: {
      that: {
        description: 'expression(s) that must all be true (Jinja, without braces, as in `when:`)',
        anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }],
      },
      fail_msg: { aliases: ['msg'], description: 'message when an expression is false' },
      success_msg: { description: 'message when all are true' },
      quiet: boolSchema('print less', false),
    },
    required: ['that'],
  }),
  doc: {
    short: 'Fail the host unless every expression is true',
    description: 'Expressions are evaluated on the controller with the task\'s variables, like `when:`. The first false one fails the task and is named in the message.',
    returns: { assertion: 'the expression that failed', evaluated_to: 'false when it failed' },
    example: '- assert:\n    that:\n      - ansible_facts.distribution == "Debian"\n      - domain is defined\n    fail_msg: "this playbook supports Debian only"',
  },
  run(ctx, args): Promise<ModuleResult> {
    const list = Array.isArray(args.that) ? args.that : [args.that];
    for (const expr of list) {
      let ok: boolean;
      if (typeof expr === 'boolean') ok = expr;
      else if (!ctx.evaluate) return Promise.resolve({ changed: false, failed: true, msg: 'assert needs an engine that can evaluate expressions (ModuleContext.evaluate)' });
      else {
        try {
          ok = ctx.evaluate(expr);
        } catch (e) {
          return Promise.resolve({ changed: false, failed: true, msg: `assert: cannot evaluate ${JSON.stringify(expr)}: ${(e as Error).message}`, data: { assertion: expr } });
        }
      }
      if (!ok) {
        const msg = args.fail_msg !== undefined ? text(args.fail_msg) : `Assertion failed: ${String(expr)}`;
        return Promise.resolve({ changed: false, failed: true, msg, data: { assertion: expr, evaluated_to: false } });
      }
    }
    const msg = args.success_msg !== undefined ? text(args.success_msg) : 'All assertions passed';
    return Promise.resolve({ changed: false, msg: toBool(args.quiet) ? '' : msg });
  },
});

export interface FailArgs {
  msg?: unknown;
}

export const failModule: ModuleDefinition<FailArgs> = defineModule({
  name: 'fail',
  controllerOnly: true,
  schema: moduleSchema({ properties: { msg: { description: 'why the host fails', default: 'Failed as requested from task' } } }),
  doc: {
    short: 'Fail the host with a message (use with when:)',
    returns: { msg: 'the message' },
    example: '- fail:\n    msg: "port 80 is held by {{ holder.stdout }}; set free_port_80: true to let runbook stop it"\n  when: holder.stdout != "" and not free_port_80',
  },
  run(_ctx, args) {
    const msg = args.msg === undefined ? 'Failed as requested from task' : text(args.msg);
    return Promise.resolve({ changed: false, failed: true, msg });
  },
});

export type SetFactArgs = Record<string, unknown>;

export const setFactModule: ModuleDefinition<SetFactArgs> = defineModule({
  name: 'set_fact',
  controllerOnly: true,
  schema: moduleSchema({
    properties: { cacheable: boolSchema('accepted for Ansible compatibility; runbook keeps facts for the run only', false) },
    additionalProperties: true,
  }),
  doc: {
    short: 'Set variables on the host for the rest of the run',
    description: 'Every argument becomes a host variable (values already templated). Later tasks and plays of the run see them.',
    returns: { ansible_facts: 'the variables set' },
    example: '- set_fact:\n    cert_dir: "/etc/letsencrypt/live/{{ domain }}"',
    notes: ['`cacheable` is accepted and ignored: there is no fact cache between runs.'],
  },
  run(_ctx, args) {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      if (k === 'cacheable') continue;
      // a templated name (`"{{ prefix }}_port": 80`) is checked once rendered
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return Promise.resolve({ changed: false, failed: true, msg: `set_fact: \`${k}\` is not a valid variable name` });
      facts[k] = v;
    }
    if (Object.keys(facts).length === 0) return Promise.resolve({ changed: false, failed: true, msg: 'set_fact needs at least one variable: name: value' });
    return Promise.resolve({ changed: false, facts, data: { ansible_facts: facts } });
  },
});
