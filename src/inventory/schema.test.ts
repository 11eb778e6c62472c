import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { inventorySchema } from './schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../schemas/inventory.schema.json', import.meta.url));
const FIXTURES = new URL('../../test/fixtures/inventories/', import.meta.url);

describe('inventory schema', () => {
  it('the published schemas/inventory.schema.json matches src/inventory/schema.ts', async () => {
    const want = `${JSON.stringify(inventorySchema, null, 2)}\n`;
    // RUNBOOK_UPDATE_SCHEMAS=1 npx vitest run src/inventory/schema.test.ts rewrites the file
    if (process.env.RUNBOOK_UPDATE_SCHEMAS) await writeFile(SCHEMA_FILE, want);
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(want);
  });

  const validate = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true }).compile(inventorySchema);

  it('accepts the YAML inventory fixtures', async () => {
    for (const f of ['yaml/inventory.yml', 'dir/inv/02-more.yml', 'bad/cycle.yml', 'bad/range.yml']) {
      const doc: unknown = parse(await readFile(new URL(f, FIXTURES), 'utf8'));
      expect(validate(doc), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('rejects what the loader rejects structurally', async () => {
    for (const f of ['bad/not-mapping.yml', 'bad/unknown-key.yml']) {
      const doc: unknown = parse(await readFile(new URL(f, FIXTURES), 'utf8'));
      expect(validate(doc), f).toBe(false);
    }
    expect(validate({ all: { hosts: { h1: 'text' } } })).toBe(false);
    expect(validate({ all: { children: ['web'] } })).toBe(false);
    expect(validate({ all: { hosts: { h1: { ansible_port: 22 } }, vars: { x: 1 } } })).toBe(true);
  });
});
