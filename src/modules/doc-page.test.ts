import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { allModules, getModule } from './registry.js';
import { moduleDocFiles, renderModuleDoc, typeName } from './doc-page.js';
import { docCommand } from '../cli/commands/doc.js';
import { canonicalProperties } from './util/schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docsDir = join(root, 'docs/modules');

describe('module reference pages', () => {
  it('docs/modules/*.md are exactly what the generator writes (run `npx tsx scripts/write-module-docs.ts`)', () => {
    const files = moduleDocFiles(allModules());
    for (const [name, text] of files) {
      const path = join(docsDir, name);
      expect(existsSync(path), `${path} is missing: run npx tsx scripts/write-module-docs.ts`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${name} is out of date: run npx tsx scripts/write-module-docs.ts`).toBe(text);
    }
    const stale = readdirSync(docsDir).filter((f) => f.endsWith('.md') && !files.has(f));
    expect(stale, 'pages for modules that no longer exist').toEqual([]);
  });

  it('every module documents every canonical argument, an example and its return values', () => {
    for (const m of allModules()) {
      expect(m.doc.short.length, m.name).toBeGreaterThan(5);
      expect(m.doc.example, m.name).toMatch(/^- /);
      const page = renderModuleDoc(m);
      for (const [name, p] of canonicalProperties(m.schema)) {
        expect(page, `${m.name}.${name}`).toContain(`| \`${name}\` |`);
        expect(p.description, `${m.name}.${name} has no description`).toBeTruthy();
      }
    }
  });

  it('shows types, defaults, required and aliases from the schema', () => {
    const page = renderModuleDoc(getModule('file')!);
    expect(page).toMatch(/\| `path` \| string \| yes \| {2}\| `dest`, `name` \|/);
    expect(page).toMatch(/\| `recurse` \| boolean \| {2}\| `false` \|/);
    expect(page).toMatch(/Choices: `file`, `directory`, `absent`, `touch`, `link`/);
    expect(typeName({ anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] })).toBe('list of string or string');
  });
});

function io() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { io: { stdout: out, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: root }, text: () => text };
}

describe('runbook doc', () => {
  it('lists modules', async () => {
    const f = io();
    expect(await docCommand.run({ positionals: [], values: {} }, f.io)).toBe(0);
    expect(f.text()).toMatch(/^apt\s+Install, upgrade or remove Debian packages/m);
    expect(f.text()).toMatch(/^lineinfile\s+/m);
  });

  it('prints the same page as docs/modules, also by alias', async () => {
    const f = io();
    expect(await docCommand.run({ positionals: ['ansible.builtin.copy'], values: {} }, f.io)).toBe(0);
    expect(f.text()).toBe(renderModuleDoc(getModule('copy')!));
  });

  it('suggests close names for an unknown module', async () => {
    await expect(docCommand.run({ positionals: ['lineinfle'], values: {} }, io().io)).rejects.toThrow(/unknown module "lineinfle"; did you mean lineinfile/);
  });

  it('prints the JSON schema with --schema', async () => {
    const f = io();
    await docCommand.run({ positionals: ['stat'], values: { schema: true } }, f.io);
    expect((JSON.parse(f.text()) as { properties: Record<string, unknown> }).properties).toHaveProperty('checksum_algorithm');
  });
});
