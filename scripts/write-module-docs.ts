// Regenerate docs/modules/*.md from the modules' schemas and doc metadata:
//   npx tsx scripts/write-module-docs.ts
// src/modules/doc-page.test.ts fails when the committed pages differ from what this writes.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allModules } from '../src/modules/registry.js';
import { moduleDocFiles } from '../src/modules/doc-page.js';

const dir = join(import.meta.dirname, '..', 'docs', 'modules');
mkdirSync(dir, { recursive: true });
const files = moduleDocFiles(allModules());
for (const f of readdirSync(dir)) if (f.endsWith('.md') && !files.has(f)) rmSync(join(dir, f));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`wrote ${files.size} pages to ${dir}`);
