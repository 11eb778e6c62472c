// env (the controller's environment) and vars (variables by a computed name).
import { Undefined } from '../values.js';
import { asStringTerm, LookupError, type LookupPlugin } from './types.js';

/** env: the controller's environment variable, or `default` (default '') when unset. */
export const envLookup: LookupPlugin = (terms, options) =>
  terms.map((t) => {
    const v = process.env[asStringTerm(t, 'env')];
    return v ?? (options.default === undefined ? '' : options.default);
  });

/** vars: the value of each variable named by a term; `default` when missing, else an error. */
export const varsLookup: LookupPlugin = (terms, options, ctx) =>
  terms.map((t) => {
    const name = asStringTerm(t, 'vars');
    const v = ctx.variable(name);
    if (!(v instanceof Undefined)) return v;
    if (options.default !== undefined) return options.default;
    throw new LookupError(`lookup 'vars': no variable named '${name}'`);
  });
