// The hostile and broken corpus: every file must fail cleanly (no exception, no stack trace)
// with the diagnostics its sibling `.expect` file lists. An `.expect` line is
//   [FILE:]LINE:COL CODE message fragment        (`*:*` when the position is not the point)
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaybook } from './load.js';
import { formatDiagnostics } from './format.js';
import { BLOCK_KEYWORDS, COMMON_TASK_KEYWORDS, INCLUDE_KEYWORDS, PLAY_KEYWORDS, TASK_ONLY_KEYWORDS, validateKeyword } from './schema.js';
import { testModules } from '../modules/testing/playbook-modules.js';
import type { Diagnostic } from '../util/diagnostic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = join(root, 'test/fixtures/playbooks');

interface Expectation {
  file?: string;
  line?: number;
  col?: number;
  code: string;
  fragment: string;
  raw: string;
}

function readExpect(file: string): Expectation[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((raw) => {
      const m = /^(?:(\S+\.ya?ml):)?(\d+|\*):(\d+|\*)\s+(\S+)\s+(.*)$/.exec(raw);
      if (m === null) throw new Error(`bad .expect line in ${file}: ${raw}`);
      const [, f, line, col, code, fragment] = m;
      return {
        ...(f !== undefined ? { file: f } : {}),
        ...(line !== '*' ? { line: Number(line) } : {}),
        ...(col !== '*' ? { col: Number(col) } : {}),
        code: code ?? '',
        fragment: fragment ?? '',
        raw,
      };
    });
}

function matches(d: Diagnostic, e: Expectation, fixture: string, dir: string): boolean {
  const wantFile = resolve(dir, e.file ?? fixture);
  return (
    resolve(d.location.file) === wantFile &&
    (e.line === undefined || d.location.line === e.line) &&
    (e.col === undefined || d.location.col === e.col) &&
    d.code === e.code &&
    d.message.includes(e.fragment)
  );
}

for (const kind of ['hostile', 'broken'] as const) {
  const dir = join(corpusDir, kind);
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yml'));

  describe(`${kind} corpus`, () => {
    it('has an .expect file for every fixture', () => {
      expect(fixtures.length).toBeGreaterThan(10);
      expect(fixtures.filter((f) => !existsSync(join(dir, f.replace(/\.yml$/, '.expect'))))).toEqual([]);
    });

    it.each(fixtures)('%s fails cleanly with the expected diagnostics', async (fixture) => {
      const expectations = readExpect(join(dir, fixture.replace(/\.yml$/, '.expect')));
      const result = await loadPlaybook(join(dir, fixture), { modules: testModules });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const shown = formatDiagnostics(result.errors);
      for (const e of expectations) {
        expect(
          result.errors.some((d) => matches(d, e, fixture, dir)),
          `expected "${e.raw}" among:\n${shown}`,
        ).toBe(true);
      }
      for (const d of result.errors) {
        expect(d.location.line).toBeGreaterThanOrEqual(1);
        expect(d.location.col).toBeGreaterThanOrEqual(1);
        expect(d.message).not.toMatch(/must match a schema|must NOT have|\bat .*\.(ts|js):\d+/);
        expect(d.fix, `${d.code} at ${d.location.line}:${d.location.col} has no fix`).toBeTruthy();
      }
      expect(shown).toMatch(/^.+:\d+:\d+: error: /m);
      expect(shown).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    });
  });
}

describe('limits on files', () => {
  it('rejects a huge file by its size, before parsing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-huge-'));
    const file = join(dir, 'huge.yml');
    writeFileSync(file, `- hosts: all\n  vars:\n${'    k: "' + 'x'.repeat(1000) + '"\n'.repeat(1)}${'    # padding\n'.repeat(250_000)}`);
    const started = Date.now();
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]?.code).toBe('yaml-too-large');
      expect(r.errors[0]?.fix).toMatch(/split/);
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a missing playbook is a diagnostic, not an exception', async () => {
    const r = await loadPlaybook(join(tmpdir(), 'no-such-playbook-here.yml'), { modules: testModules });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.code).toBe('file-not-found');
  });
});

describe('every keyword rejects a wrong type, at its line, naming the keyword', () => {
  const wrongValues: unknown[] = [{ a: { b: 1 } }, 3.5, [[1]], 'not-valid-%%'];
  const pick = (spec: (typeof PLAY_KEYWORDS)[string]): unknown => wrongValues.find((v) => validateKeyword(spec, v).length > 0);

  it.each(Object.keys(PLAY_KEYWORDS))('play keyword %s', async (key) => {
    const spec = PLAY_KEYWORDS[key];
    if (spec === undefined) throw new Error(key);
    const value = pick(spec);
    expect(value, `no wrong value found for ${key}`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'rb-kw-'));
    const file = join(dir, 'p.yml');
    writeFileSync(file, key === 'hosts' ? `- name: x\n  hosts: ${JSON.stringify(value)}\n` : `- hosts: all\n  ${key}: ${JSON.stringify(value)}\n`);
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = 2;
    expect(r.errors.some((d) => d.location.line === line && d.message.includes(`\`${key}`)), formatDiagnostics(r.errors)).toBe(true);
  });

  it.each([...Object.keys(COMMON_TASK_KEYWORDS), ...Object.keys(TASK_ONLY_KEYWORDS), ...Object.keys(BLOCK_KEYWORDS), ...Object.keys(INCLUDE_KEYWORDS)])('task keyword %s', async (key) => {
    const spec = COMMON_TASK_KEYWORDS[key] ?? TASK_ONLY_KEYWORDS[key] ?? BLOCK_KEYWORDS[key] ?? INCLUDE_KEYWORDS[key];
    if (spec === undefined) throw new Error(key);
    const value = pick(spec);
    expect(value, `no wrong value found for ${key}`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'rb-kw-'));
    const file = join(dir, 'p.yml');
    writeFileSync(file, `- hosts: all\n  tasks:\n    - debug: msg=hi\n      ${key}: ${JSON.stringify(value)}\n`);
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.some((d) => d.location.line === 4 && d.message.includes(`\`${key}`)), formatDiagnostics(r.errors)).toBe(true);
  });
});

describe('mutated playbooks never throw', () => {
  it('300 random edits of a valid playbook each load or fail with positioned diagnostics', async () => {
    const base = readFileSync(join(corpusDir, 'valid/ansible-way.yml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'rb-fuzz-'));
    const file = join(dir, 'p.yml');
    // deterministic: a failure can be reproduced from the seed (RB_FUZZ=3000 for a longer run)
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = [':', '-', '[', ']', '{', '}', '"', "'", '!', '&', '*', '\t', '\n', '#', '%', '|', '>', ' ', '  ', '<<', '{{', '}}', 'x', '0', '?', ','];
    for (let i = 0; i < Number(process.env.RB_FUZZ ?? 300); i++) {
      let text = base;
      for (let k = 0; k < 1 + rand(3); k++) {
        const at = rand(text.length);
        const op = rand(3);
        const ins = alphabet[rand(alphabet.length)] ?? '';
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1 + rand(5)) : op === 1 ? text.slice(0, at) + ins + text.slice(at) : text.slice(0, at) + ins + text.slice(at + 1);
      }
      writeFileSync(file, text);
      const r = await loadPlaybook(file, { modules: testModules });
      if (!r.ok) {
        for (const d of r.errors) {
          expect(d.location.line, `iteration ${i}: ${d.message}`).toBeGreaterThanOrEqual(1);
          expect(d.location.col).toBeGreaterThanOrEqual(1);
          expect(typeof d.message).toBe('string');
        }
        expect(() => formatDiagnostics(r.errors)).not.toThrow();
      }
    }
  }, 60_000);
});
