// `npm run schemas`: write the published JSON Schemas (playbook, inventory, --json events, one per module)
// from the code that validates them, and drop module schemas whose module no longer exists.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedSchemaFiles } from '../src/playbook/schema.js';
import { inventorySchema } from '../src/inventory/schema.js';
import { eventsSchema } from '../src/report/schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = publishedSchemaFiles();
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
