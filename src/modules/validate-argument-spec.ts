// validate_argument_spec: check variables against an argument spec, on the controller. The
// loader puts one before a role's tasks when the role's meta/argument_specs.yml has a spec for
// the entry point (src/playbook/load.ts); a playbook may also call it. The values checked are
// the task's variables named in the spec (templated), overridden by `provided_arguments`, as
// Ansible's action plugin does; nothing is set or changed (src/playbook/argument-spec.ts).
import { checkArgumentSpec, validateArguments } from '../playbook/argument-spec.js';
import type { ModuleDefinition, ModuleResult } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface ValidateArgumentSpecArgs {
  argument_spec: unknown;
  provided_arguments?: unknown;
  validate_args_context?: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const pyType = (v: unknown): string => (Array.isArray(v) ? "<class 'list'>" : v === null || v === undefined ? "<class 'NoneType'>" : typeof v === 'string' ? "<class 'str'>" : typeof v === 'number' ? "<class 'int'>" : typeof v === 'boolean' ? "<class 'bool'>" : "<class 'dict'>");

export const validateArgumentSpecModule: ModuleDefinition<ValidateArgumentSpecArgs> = defineModule({
  name: 'validate_argument_spec',
  controllerOnly: true,
  schema: moduleSchema({
    properties: {
      argument_spec: { description: 'the options to check: `{ NAME: { type, required, default, choices, elements, options, aliases, no_log, apply_defaults } }`' },
      provided_arguments: { description: 'values to check, over the variables of the same names' },
      validate_args_context: { description: 'what is being validated (set by runbook for a role: type, name, argument_spec_name, path); returned as given' },
    },
    required: ['argument_spec'],
  }),
  doc: {
    short: 'Check variables against an argument spec (types, required, choices, nested options)',
    description:
      "Each option of `argument_spec` is looked up among the task's variables (templated), then in `provided_arguments`, and checked as Ansible checks role arguments: `required`, `type` (str, int, float, bool, list, dict, path, raw, json, jsonarg, bytes, bits, with Ansible's conversions), `elements`, `choices`, nested `options`. The variables are not changed. runbook runs this module before a role's tasks when the role's `meta/argument_specs.yml` (or `argument_specs` in meta/main.yml) has a spec for the entry point (`main` or the `tasks_from` name); `rolespec_validate: false` on import_role/include_role turns that off.",
    returns: {
      argument_errors: 'the problems found (on failure), in Ansible\'s words',
      argument_spec_data: 'the spec checked against (on failure)',
      argument_spec_errors: 'what is wrong with the spec itself (on failure)',
      validate_args_context: 'the validate_args_context given',
    },
    example: '- validate_argument_spec:\n    argument_spec:\n      port: { type: int, required: true }\n      mode: { type: str, choices: [fast, safe], default: safe }\n    provided_arguments:\n      port: "{{ web_port }}"',
  },
  run(ctx, args): Promise<ModuleResult> {
    const context = isObj(args.validate_args_context) ? args.validate_args_context : {};
    const fail = (msg: string, data: Obj = {}): Promise<ModuleResult> => Promise.resolve({ changed: false, failed: true, msg, data: { validate_args_context: context, ...data } });
    const specData = args.argument_spec;
    if (!isObj(specData)) return fail(`Incorrect type for argument_spec, expected dict and got ${pyType(specData)}`);
    const provided = args.provided_arguments ?? {};
    if (!isObj(provided)) return fail(`Incorrect type for provided_arguments, expected dict and got ${pyType(provided)}`);
    // a role's spec was checked (and its problems reported) when the playbook was loaded; a
    // spec given to the module is refused when it is wrong, as Ansible's is
    const role = context.type === 'role';
    const checked = checkArgumentSpec(specData, role);
    const specErrors = checked.problems.filter((p) => p.severity === 'error' || !role).map((p) => `${p.path.join('.')}: ${p.message}`);
    if (specErrors.length > 0) return fail('Invalid argument_spec cannot be used to validate variables.', { argument_spec_errors: specErrors, argument_spec_data: specData });
    const values: Obj = {};
    for (const name of Object.keys(checked.spec)) {
      if (!(name in ctx.vars)) continue;
      try {
        values[name] = ctx.evaluateValue ? ctx.evaluateValue(name) : ctx.vars[name];
      } catch (err) {
        return fail(`validate_argument_spec: cannot template the variable '${name}': ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const result = validateArguments(checked.spec, { ...values, ...provided });
    if (result.errors.length > 0) {
      return fail(`Validation of arguments failed:\n${result.errors.join('\n')}`, { argument_errors: result.errors, argument_spec_data: specData });
    }
    return Promise.resolve({ changed: false, msg: 'The arg spec validation passed', data: { validate_args_context: context } });
  },
});
