import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VALIDATORS_FILE, validatorsSource } from '../../scripts/validators.js';
import { allModules } from '../modules/registry.js';
import { KEYWORD_TABLES, validateKeyword, validateModuleArgs } from './schema.js';
import type { KeywordSpec } from './schema.js';
import { KEYWORD_VALIDATORS, MODULE_VALIDATORS } from './validators.generated.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('precompiled validators', () => {
  it('are in sync with the keyword tables and the module schemas (run `npm run schemas` if this fails)', () => {
    const onDisk = readFileSync(join(root, VALIDATORS_FILE), 'utf8');
    expect(onDisk === validatorsSource(), `${VALIDATORS_FILE} differs from the code: run \`npm run schemas\``).toBe(true);
  }, 30_000);

  it('cover every keyword of every table and every registered module', () => {
    const keywords = Object.entries(KEYWORD_TABLES).flatMap(([table, specs]) => Object.keys(specs).map((k) => `${table}.${k}`));
    expect(Object.keys(KEYWORD_VALIDATORS).sort()).toEqual(keywords.sort());
    expect(Object.keys(MODULE_VALIDATORS).sort()).toEqual(allModules().map((m) => m.name).sort());
  });

  // values of every JSON type, some of them nearly right: each validator's branches get used
  const SAMPLES: unknown[] = [null, true, 'no', 0, -1, 42, 1.5, '', 'x', '{{ x }}', '50%', '0644', [], [''], ['10%', 0], [1, 'a'], {}, { 'bad-name': 1 }, { file: '' }, { a: [] }];

  it('give the errors a runtime compile gives, for every keyword', () => {
    let failing = 0;
    for (const specs of Object.values(KEYWORD_TABLES)) {
      for (const spec of Object.values(specs)) {
        // a copy of a spec is not the table's object: validateKeyword compiles it with ajv
        const compiled: KeywordSpec = { ...spec };
        for (const value of SAMPLES) {
          const pre = validateKeyword(spec, value);
          if (pre.length > 0) failing++;
          expect(pre, JSON.stringify(value)).toEqual(validateKeyword(compiled, value));
        }
      }
    }
    expect(failing).toBeGreaterThan(0);
  });

  it('give the errors a runtime compile gives, for every module', () => {
    let failing = 0;
    for (const m of allModules()) {
      // same schema, another object: not the registered module, so compiled with ajv
      const compiled = { ...m };
      const props = Object.keys((m.schema.properties as Record<string, unknown> | undefined) ?? {});
      const argSets: Array<Record<string, unknown>> = [{}, { bogus: 1 }];
      for (const p of props) for (const value of SAMPLES) argSets.push({ [p]: value });
      for (const args of argSets) {
        const pre = validateModuleArgs(m, args);
        if (pre.length > 0) failing++;
        expect(pre, `${m.name} ${JSON.stringify(args)}`).toEqual(validateModuleArgs(compiled, args));
      }
    }
    expect(failing).toBeGreaterThan(0);
  }, 30_000);
});
