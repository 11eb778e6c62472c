// The import graph of src/ (non-test files; `import type` and `export ... from` count, and so
// do `import('...')` types and dynamic imports): no cycles, and no import along a forbidden
// edge. The layers, top to bottom: cli > report > engine > modules > facts > transport >
// template/inventory/playbook > vault > util; lab sits beside, used by cli (and tests) only.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every folder of src/ (a new folder is covered by the `except(...)` rows at once). */
const ALL = readdirSync(SRC, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
const except = (...keep: string[]): string[] => ALL.filter((f) => !keep.includes(f));

/**
 * Forbidden edges: no file under `from` may import a file under any of `to` (paths relative to
 * src/, a folder or a file, without `.ts`). One row per rule; add a rule by adding a row.
 */
const FORBIDDEN: ReadonlyArray<{ from: string; to: readonly string[]; why: string }> = [
  { from: 'util', to: except('util'), why: 'util is the bottom layer: it imports nothing else from src/' },
  { from: 'template', to: except('template', 'util'), why: 'templating renders values; it knows nothing of hosts, inventories or playbooks' },
  { from: 'inventory', to: except('inventory', 'playbook', 'util'), why: 'inventories are data (they share the YAML reader and diagnostics with playbook)' },
  { from: 'playbook', to: ['modules', 'transport', 'facts', 'engine', 'report', 'cli', 'lab'], why: 'loading a playbook runs nothing; the modules it may name are passed in (playbook/module-spec.ts)' },
  { from: 'transport', to: ['facts', 'modules', 'engine', 'report', 'cli', 'lab'], why: 'transports move bytes and commands; they know no modules or runs' },
  { from: 'transport/ssh', to: ['transport/local'], why: 'the two transports share code through transport/ modules of their own, not each other' },
  { from: 'facts', to: ['modules', 'engine', 'report', 'cli', 'lab'], why: 'facts are probes below the modules' },
  { from: 'modules', to: ['engine', 'report', 'cli', 'lab'], why: 'modules are called by the engine, never the other way round' },
  { from: 'engine', to: ['report', 'cli', 'lab'], why: 'the engine emits events; reporters (above it) listen' },
  { from: 'report', to: ['modules', 'cli', 'lab'], why: 'reporters show events; they know no module (the diff they print is util/diff)' },
  { from: 'vault', to: except('vault', 'util'), why: 'vault text is decrypted while YAML is read: below playbook and inventory' },
  { from: 'lab', to: except('lab', 'util'), why: 'the lab sits beside runbook: only the CLI and the tests use it' },
];

/**
 * Folders whose files may be part of no import cycle (a cycle fails when any of its files is
 * under one of these). Every folder, once its own cycles are gone.
 */
const NO_CYCLES_IN: readonly string[] = ALL;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers of a file: static, type-only, re-exports, `import('x')` (types and calls). */
function specifiers(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((s) => s.startsWith('.'));
}

/** The graph: file (relative to src/, no extension) → the files it imports. */
function importGraph(src: string): Map<string, Set<string>> {
  const files = sourceFiles(src);
  const known = new Set(files.map((f) => relative(src, f).replace(/\.ts$/, '')));
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const targets = new Set<string>();
    for (const s of specifiers(f)) {
      const t = relative(src, resolve(dirname(f), s)).replace(/\.(js|ts)$/, '');
      if (known.has(t)) targets.add(t);
      else if (known.has(`${t}/index`)) targets.add(`${t}/index`);
    }
    graph.set(relative(src, f).replace(/\.ts$/, ''), targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) strong(v);
  return found;
}

const under = (file: string, prefix: string): boolean => file === prefix || file.startsWith(`${prefix}/`);

/** Every import along a forbidden edge, as `from -> to (why)`. */
function forbiddenImports(graph: ReadonlyMap<string, ReadonlySet<string>>, rules: typeof FORBIDDEN): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!under(file, rule.from)) continue;
      for (const t of targets) if (rule.to.some((p) => under(t, p))) out.push(`${file} -> ${t} (${rule.why})`);
    }
  }
  return out.sort();
}

describe('import graph of src/', () => {
  const graph = importGraph(SRC);

  it('reads the real tree, with type-only imports', () => {
    // guards against a graph that is silently empty (a moved src/, a parser change)
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('cli/main')).toContain('util/errors');
    expect(graph.get('util/errors')).toContain('util/diagnostic'); // `import type`
  });

  it('has no import cycle', () => {
    const inScope = cycles(graph).filter((c) => c.some((f) => NO_CYCLES_IN.some((p) => under(f, p))));
    expect(inScope.map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('has no import along a forbidden edge', () => {
    expect(forbiddenImports(graph, FORBIDDEN)).toEqual([]);
  });

  it('the checks find what they look for', () => {
    // a small graph with a cycle and a forbidden edge: the same functions must report both
    const g = new Map<string, Set<string>>([
      ['util/a', new Set(['util/b'])],
      ['util/b', new Set(['playbook/c'])],
      ['playbook/c', new Set(['util/a'])],
      ['transport/ssh', new Set(['transport/local'])],
      ['transport/local', new Set()],
    ]);
    expect(cycles(g)).toEqual([['playbook/c', 'util/a', 'util/b']]);
    expect(forbiddenImports(g, FORBIDDEN).map((s) => s.split(' (')[0])).toEqual(['transport/ssh -> transport/local', 'util/b -> playbook/c']);
  });
});
