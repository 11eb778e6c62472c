// Filters of other Ansible collections that content written for Ansible uses as much as the
// builtin ones. json_query is community.general's (JMESPath over a value); Ansible routes the
// short name to it, so both names work. JMESPath comes from the `jmespath` package: the
// reference implementation of the same specification Python's jmespath (which
// community.general calls) implements.
import jmespath from 'jmespath';
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn } from './access.js';
import { str } from './values.js';

const jsonQuery: FilterFn = (v, args) => {
  const expr = args[0];
  if (typeof expr !== 'string') throw new TemplateRuntimeError('json_query needs a JMESPath expression (a string)');
  try {
    // JMESPath reads plain JSON: the template's values are plain objects and lists already
    return jmespath.search(JSON.parse(JSON.stringify(v ?? null)) as unknown, expr) as unknown;
  } catch (err) {
    throw new TemplateRuntimeError(`json_query: ${err instanceof Error ? err.message : str(err)} in ${JSON.stringify(expr)}`);
  }
};

export const COLLECTION_FILTERS: Readonly<Record<string, FilterFn>> = {
  json_query: jsonQuery,
  'community.general.json_query': jsonQuery,
};
