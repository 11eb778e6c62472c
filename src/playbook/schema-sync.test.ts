import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { buildPlaybookSchema, publishedSchemaFiles } from './schema.js';
import { allModules } from '../modules/registry.js';
import { parseYaml } from './yaml.js';
import { TEST_MODULES } from '../modules/testing/playbook-modules.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('published schemas', () => {
  const files = publishedSchemaFiles(allModules());

  it.each([...files.keys()])('%s is in sync with the code (run `npm run schemas` if this fails)', (rel) => {
    const abs = join(root, rel);
    expect(existsSync(abs), `${rel} is missing: run \`npm run schemas\``).toBe(true);
    expect(readFileSync(abs, 'utf8'), `${rel} differs from the code: run \`npm run schemas\``).toBe(files.get(rel));
  });

  it('has no schema of a module that no longer exists (run `npm run schemas`)', () => {
    const onDisk = readdirSync(join(root, 'schemas/modules')).map((n) => `schemas/modules/${n}`);
    expect(onDisk.filter((f) => !files.has(f)), 'stale files: run `npm run schemas`').toEqual([]);
  });

  it('is a valid draft-07 schema that accepts an Ansible-style playbook and rejects typos', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(buildPlaybookSchema(TEST_MODULES));
    const ok = parseYaml(readFileSync(join(root, 'test/fixtures/playbooks/valid/ansible-way.yml'), 'utf8'), 'x.yml');
    if (!ok.ok) throw new Error('fixture did not parse');
    expect(validate(ok.yaml.value), JSON.stringify(validate.errors)).toBe(true);
    const bad = parseYaml('- hostz: all\n  tasks:\n    - copy: {dest: /x, mode: 644, bogus: 1}\n', 'x.yml');
    if (!bad.ok) throw new Error('did not parse');
    expect(validate(bad.yaml.value)).toBe(false);
  }, 30_000);

  it('accepts the shipped playbooks (what editors see matches what runbook validates)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(buildPlaybookSchema(allModules()));
    const shipped = readdirSync(join(root, 'playbooks')).filter((f) => f.endsWith('.yml'));
    for (const f of shipped) {
      const parsed = parseYaml(readFileSync(join(root, 'playbooks', f), 'utf8'), f);
      if (!parsed.ok) throw new Error(`${f} did not parse`);
      expect(validate(parsed.yaml.value), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    // compiling the whole schema with every module takes a while on a busy machine
  }, 30_000);

  it('publishes module arguments inside the playbook schema for editors', () => {
    const schema = buildPlaybookSchema(TEST_MODULES) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
    const task = schema.definitions.task?.properties ?? {};
    expect(Object.keys(task)).toEqual(expect.arrayContaining(['copy', 'ansible.builtin.copy', 'command', 'when', 'loop', 'block', 'import_tasks']));
    expect(schema.definitions['module-copy']).toBeDefined();
  });

  it('lists with_<lookup> for every lookup the loader accepts, so an editor does not flag them', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(buildPlaybookSchema(TEST_MODULES));
    const play = (task: Record<string, unknown>): unknown => [{ hosts: 'all', tasks: [task] }];
    expect(validate(play({ debug: { var: 'item' }, with_fileglob: ['/etc/*.conf'] })), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(play({ debug: { var: 'item' }, with_first_found: ['a.yml'] }))).toBe(true);
    expect(validate(play({ debug: { var: 'item' }, with_nope: ['x'] }))).toBe(false);
  });
});
