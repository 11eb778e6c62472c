// `npm run schemas`: write the published JSON Schemas (playbook, inventory, --json events, one per module)
// from the code that validates them, and drop module schemas whose module no longer exists.
// Also writes what the playbook loader uses instead of importing code: the precompiled validators
// (src/playbook/validators.generated.ts), the modules as the loader sees them
// (src/playbook/module-specs.generated.ts) and the template engine's filter/test/lookup names
// (src/template/names.generated.ts); `runbook validate` loads these, not the modules or filters.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// src/playbook/schema.ts imports the generated validators; when the file is missing, start
// from one that precompiles nothing (the loader then compiles at runtime) and generate it anew
const validatorsFile = join(root, 'src/playbook/validators.generated.ts');
if (!existsSync(validatorsFile)) {
  await writeFile(validatorsFile, `import type { ValidateFunction } from 'ajv';\nexport const KEYWORD_VALIDATORS: Record<string, ValidateFunction> = {};\nexport const MODULE_VALIDATORS: Record<string, ValidateFunction> = {};\n`);
}
// the names first: the playbook schema (with_<lookup> keys) is built from them
const { TEMPLATE_NAMES_FILE, templateNamesSource } = await import('./template-names.js');
await writeFile(join(root, TEMPLATE_NAMES_FILE), templateNamesSource());
process.stdout.write(`wrote ${TEMPLATE_NAMES_FILE}\n`);
const { publishedSchemaFiles } = await import('../src/playbook/schema.js');
const { allModules } = await import('../src/modules/registry.js');
const { inventorySchema } = await import('../src/inventory/schema.js');
const { eventsSchema } = await import('../src/report/schema.js');
const { VALIDATORS_FILE, validatorsSource } = await import('./validators.js');

const files = publishedSchemaFiles(allModules());
// same format as src/inventory/schema.test.ts expects
files.set('schemas/inventory.schema.json', `${JSON.stringify(inventorySchema, null, 2)}\n`);
files.set('schemas/events.schema.json', `${JSON.stringify(eventsSchema, null, 2)}\n`);
for (const [rel, content] of files) {
  const abs = join(root, rel);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, content);
}
const moduleDir = join(root, 'schemas/modules');
for (const name of await readdir(moduleDir)) {
  if (name.endsWith('.schema.json') && !files.has(`schemas/modules/${name}`)) await rm(join(moduleDir, name));
}
process.stdout.write(`wrote ${files.size} schema files under schemas/\n`);
await writeFile(join(root, VALIDATORS_FILE), validatorsSource());
process.stdout.write(`wrote ${VALIDATORS_FILE}\n`);
const { MODULE_SPECS_FILE, moduleSpecsSource } = await import('./module-specs.js');
await writeFile(join(root, MODULE_SPECS_FILE), moduleSpecsSource());
process.stdout.write(`wrote ${MODULE_SPECS_FILE}\n`);
