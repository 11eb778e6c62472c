// The names of the filters, tests and lookups the template engine implements, for callers that
// want to flag an unknown name before a run (validate) instead of when the template first renders.
// The names are data `npm run schemas` writes from the engine's own tables (names.generated.ts):
// `runbook validate` checks them without loading the filter code. known.test.ts keeps them in sync.
import { FILTER_NAMES, LOOKUP_NAMES, TEST_NAMES } from './names.generated.js';

/** Every filter name `{{ x | name }}` accepts (sorted, a fresh copy on each call). */
export function knownFilters(): string[] {
  return [...FILTER_NAMES];
}

/** Every test name `{{ x is name }}` accepts (sorted, a fresh copy on each call). */
export function knownTests(): string[] {
  return [...TEST_NAMES];
}

/** Every lookup name `lookup('name', ...)` and `with_name` accept (sorted, a fresh copy on each call). */
export function knownLookupNames(): string[] {
  return [...LOOKUP_NAMES];
}
