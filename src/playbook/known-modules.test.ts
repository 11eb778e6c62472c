// `runbook validate` looks modules up in generated data (known-modules.ts), `apply` and the
// engine in the module registry: the two must be one and the same for the loader.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODULE_SPECS_FILE, moduleSpecsSource, specOf } from '../../scripts/module-specs.js';
import { allModules, registeredModules } from '../modules/registry.js';
import { knownModules } from './known-modules.js';
import { loadPlaybook } from './load.js';
import { validateModuleArgs } from './schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function ymlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? ymlFiles(p) : n.endsWith('.yml') || n.endsWith('.yaml') ? [p] : [];
  });
}

describe('known modules (generated from the registry)', () => {
  it('module-specs.generated.ts is in sync with the registry (run `npm run schemas` if this fails)', () => {
    const onDisk = readFileSync(join(root, MODULE_SPECS_FILE), 'utf8');
    expect(onDisk === moduleSpecsSource(), `${MODULE_SPECS_FILE} differs from the registered modules: run \`npm run schemas\``).toBe(true);
  }, 30_000);

  it('answers to every name the registry does, in the same order, with the same spec', () => {
    expect(knownModules.names()).toEqual(registeredModules.names());
    expect(knownModules.names().length).toBeGreaterThan(50);
    for (const name of registeredModules.names()) {
      const registered = registeredModules.get(name);
      expect(registered, name).toBeDefined();
      if (registered !== undefined) expect(knownModules.get(name), name).toEqual(specOf(registered));
    }
    expect(knownModules.get('no_such_module')).toBeUndefined();
  });

  it('validates arguments with the same errors as the registered modules', () => {
    let failing = 0;
    for (const m of allModules()) {
      const known = knownModules.get(m.name);
      if (known === undefined) throw new Error(`${m.name} is not known`);
      const props = Object.keys((m.schema.properties as Record<string, unknown> | undefined) ?? {});
      for (const args of [{}, { bogus: 1 }, Object.fromEntries(props.map((p) => [p, 42]))]) {
        const got = validateModuleArgs(known, args);
        if (got.length > 0) failing++;
        expect(got, `${m.name} ${JSON.stringify(args)}`).toEqual(validateModuleArgs(m, args));
      }
    }
    expect(failing).toBeGreaterThan(0);
  });

  it('loads every fixture and shipped playbook exactly as the registry does (diagnostics included)', async () => {
    const files = [...ymlFiles(join(root, 'test/fixtures/playbooks')), ...ymlFiles(join(root, 'playbooks'))];
    expect(files.length).toBeGreaterThan(50);
    let invalid = 0;
    for (const file of files) {
      const viaRegistry = await loadPlaybook(file, { modules: registeredModules });
      const viaKnown = await loadPlaybook(file, { modules: knownModules });
      if (!viaRegistry.ok) invalid++;
      expect(JSON.stringify(viaKnown), file).toBe(JSON.stringify(viaRegistry));
    }
    // the broken fixtures are there: module errors (unknown module, bad arguments) were compared too
    expect(invalid).toBeGreaterThan(10);
  }, 60_000);
});
