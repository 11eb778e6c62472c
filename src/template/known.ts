// The names of the filters and tests the template engine implements, for callers that want to
// flag an unknown filter before a run (validate) instead of when the template first renders.
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';

/** Every filter name `{{ x | name }}` accepts (sorted, a fresh copy on each call). */
export function knownFilters(): string[] {
  return [...FILTERS.keys()].sort();
}

/** Every test name `{{ x is name }}` accepts (sorted, a fresh copy on each call). */
export function knownTests(): string[] {
  return [...TESTS.keys()].sort();
}
