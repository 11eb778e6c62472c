import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { knownFilters, knownTests, render, createScope } from './index.js';
import { knownLookupNames } from './known.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import { knownLookups } from './lookups/registry.js';
import { TEMPLATE_NAMES_FILE, templateNamesSource } from '../../scripts/template-names.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('knownFilters / knownTests', () => {
  it('are the names the engine implements: names.generated.ts is in sync (run `npm run schemas` if this fails)', () => {
    expect(knownFilters()).toEqual([...FILTERS.keys()].sort());
    expect(knownTests()).toEqual([...TESTS.keys()].sort());
    expect(knownLookupNames()).toEqual(knownLookups());
    const onDisk = readFileSync(join(root, TEMPLATE_NAMES_FILE), 'utf8');
    expect(onDisk === templateNamesSource(), `${TEMPLATE_NAMES_FILE} differs from the engine's tables: run \`npm run schemas\``).toBe(true);
  });

  it('lists the implemented filters and tests, sorted', () => {
    const f = knownFilters();
    expect(f).toContain('default');
    expect(f).toContain('regex_replace');
    expect(f).not.toContain('no_such_filter');
    expect([...f].sort()).toEqual(f);
    const t = knownTests();
    expect(t).toContain('defined');
    expect(t).toContain('version');
    expect(t).not.toContain('no_such_test');
  });

  it('every listed filter is accepted by the renderer', () => {
    const scope = createScope([{ name: 'v', kind: 'data', vars: { x: 'a' } }]);
    for (const name of knownFilters()) {
      // An unknown name fails with "no filter named"; known ones may fail on the argument type.
      try {
        render(`{{ x | ${name} }}`, scope);
      } catch (e) {
        expect(String(e)).not.toMatch(/no filter named/);
      }
    }
  });

  it('returns a copy the caller cannot use to change the engine', () => {
    const f = knownFilters();
    f.push('evil');
    expect(knownFilters()).not.toContain('evil');
  });
});
