// What a command loads before it runs: the static (non-type, non-dynamic) imports reachable from
// its file. `runbook --version`/`--help` load no command; `runbook validate` loads no module code,
// no SSH, no engine, no store and no filter implementations (issue 19: validate under 300 ms,
// startup included). A static import added along one of these paths fails here, with the chain.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const parsed = new Map<string, string[]>();

/** Specifiers a file imports when it is evaluated: not `import type`, not all-type named imports, not `import()`. */
function runtimeImports(file: string): string[] {
  const cached = parsed.get(file);
  if (cached !== undefined) return cached;
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const clause = st.importClause;
      if (clause?.isTypeOnly === true) continue;
      const named = clause?.namedBindings;
      const onlyTypes = clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push(st.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier) && !st.isTypeOnly) {
      out.push(st.moduleSpecifier.text);
    }
  }
  parsed.set(file, out);
  return out;
}

/** Every file (relative to src/, no extension) and package loaded with `entry`, each with the chain that loads it. */
function closure(entry: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const visit = (rel: string, chain: string[]): void => {
    if (chains.has(rel)) return;
    chains.set(rel, [...chain, rel]);
    if (rel.startsWith('npm:')) return;
    for (const s of runtimeImports(resolve(SRC, `${rel}.ts`))) {
      if (s.startsWith('node:')) continue;
      if (!s.startsWith('.')) {
        // a package by its name (`@scope/name/sub` → `@scope/name`)
        const parts = s.split('/');
        visit(`npm:${s.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? s)}`, [...chain, rel]);
        continue;
      }
      visit(relative(SRC, resolve(dirname(resolve(SRC, rel)), s)).replace(/\.js$/, ''), [...chain, rel]);
    }
  };
  visit(entry, []);
  return chains;
}

/** The loaded files matching `bad`, each as its import chain. */
function offending(entry: string, bad: (f: string) => boolean): string[] {
  return [...closure(entry)].filter(([f]) => bad(f)).map(([, chain]) => chain.join(' -> '));
}

const under = (f: string, ...dirs: string[]): boolean => dirs.some((d) => f.startsWith(`${d}/`));

describe('what each command loads before it runs', () => {
  it('the walker follows real imports (apply loads the module registry)', () => {
    const apply = closure('cli/commands/apply');
    expect(apply.has('modules/registry')).toBe(true);
    expect([...apply.keys()].some((f) => under(f, 'modules'))).toBe(true);
    expect(closure('cli/commands/validate').has('npm:yaml')).toBe(true);
    // a type-only import is not followed: command.ts's types name no module
    expect(closure('cli/command').size).toBe(1);
  }, 60_000);

  it('main (--version, --help) loads no command module', () => {
    expect(offending('cli/main', (f) => under(f, 'cli/commands') && f !== 'cli/commands/index')).toEqual([]);
    expect(offending('cli/main', (f) => f.startsWith('npm:'))).toEqual([]);
  });

  it('validate loads no module code, transport, engine, store, report or filter implementation', () => {
    const bad = (f: string): boolean =>
      under(f, 'modules', 'facts', 'transport', 'engine', 'store', 'report', 'lab', 'certs') ||
      ['template/filters', 'template/tests', 'template/render', 'template/index'].includes(f) ||
      ['npm:ssh2', 'npm:better-sqlite3', 'npm:listr2', 'npm:jmespath', 'npm:ajv', 'npm:diff'].includes(f);
    expect(offending('cli/commands/validate', bad)).toEqual([]);
  }, 60_000);
});
