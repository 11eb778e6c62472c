import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYaml, readYamlFile } from './yaml.js';

function errorsOf(source: string, limits?: Parameters<typeof parseYaml>[2]) {
  const r = parseYaml(source, 'f.yml', limits);
  if (r.ok) throw new Error(`expected failure, got ${JSON.stringify(r.yaml.value)}`);
  return r.errors;
}

describe('parseYaml', () => {
  it('parses plain data with YAML 1.2 core semantics plus plain yes/no booleans as in Ansible', () => {
    const r = parseYaml('a: yes\nb: 644\nc: [1, "x", null, true]\n', 'f.yml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.yaml.value).toEqual({ a: true, b: 644, c: [1, 'x', null, true] });
    expect(Object.getPrototypeOf(r.yaml.value)).toBe(Object.prototype);
  });

  it('reads numbers with a leading zero as YAML 1.1 octal, as Ansible (PyYAML) does', () => {
    const r = parseYaml("a: 0644\nb: 0755\nc: -010\nd: '0644'\ne: 0o644\nf: 089\ng: 0\nh: 0x1F\ni: 644\n", 'f.yml');
    if (!r.ok) throw new Error('parse failed');
    // PyYAML: 0644 → 420, 0o644 and 089 are strings, quoted stays a string
    expect(r.yaml.value).toEqual({ a: 0o644, b: 0o755, c: -8, d: '0644', e: '0o644', f: '089', g: 0, h: 31, i: 644 });
  });

  it('keeps !unsafe strings from templating: rendering gives back the text as written', async () => {
    const { render } = await import('../template/index.js');
    const r = parseYaml("a: !unsafe '{{ lookup(\"pipe\", \"id\") }} it''s {% raw %} \\\\ x'\nb: !unsafe ['{{ x }}', {k: '{# c #}'}]\nc: !unsafe plain\nd: !unsafe 0644\n", 'f.yml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const v = r.yaml.value as { a: string; b: [string, { k: string }]; c: string; d: string };
    expect(render(v.a, {})).toBe('{{ lookup("pipe", "id") }} it\'s {% raw %} \\\\ x');
    expect(render(v.b[0], {})).toBe('{{ x }}');
    expect(render(v.b[1].k, {})).toBe('{# c #}');
    expect(v.c).toBe('plain');
    // a tagged scalar is the text, never a number
    expect(v.d).toBe('0644');
  });

  it('locates keys and values by dot path', () => {
    const r = parseYaml('- name: x\n  tasks:\n    - copy:\n        mode: 644\n', 'f.yml');
    if (!r.ok) throw new Error('parse failed');
    expect(r.yaml.locate([0, 'tasks', 0, 'copy', 'mode'])).toEqual({ file: 'f.yml', line: 4, col: 9 });
    expect(r.yaml.locateValue([0, 'tasks', 0, 'copy', 'mode'])).toEqual({ file: 'f.yml', line: 4, col: 15 });
    expect(r.yaml.locate([0, 'tasks', 0])).toEqual({ file: 'f.yml', line: 3, col: 7 });
    // a path that goes nowhere gives the deepest known position
    expect(r.yaml.locate([0, 'tasks', 0, 'nope'])).toEqual({ file: 'f.yml', line: 3, col: 7 });
  });

  it('locates keys of a large mapping (an inventory\'s hosts) as of a small one, numbers and strings alike', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `    h${i}:\n      ansible_host: 10.0.0.${i}\n`).join('');
    // a numeric key and a quoted one among them
    const r = parseYaml(`all:\n  hosts:\n${hosts}    7:\n      x: 1\n    "q h":\n      x: 2\n`, 'f.yml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.yaml.locate(['all', 'hosts', 'h0'])).toEqual({ file: 'f.yml', line: 3, col: 5 });
    expect(r.yaml.locate(['all', 'hosts', 'h39'])).toEqual({ file: 'f.yml', line: 81, col: 5 });
    expect(r.yaml.locateValue(['all', 'hosts', 'h39', 'ansible_host'])).toEqual({ file: 'f.yml', line: 82, col: 21 });
    expect(r.yaml.locate(['all', 'hosts', 7, 'x'])).toEqual({ file: 'f.yml', line: 84, col: 7 });
    expect(r.yaml.locate(['all', 'hosts', '7'])).toEqual({ file: 'f.yml', line: 83, col: 5 });
    expect(r.yaml.locate(['all', 'hosts', 'q h', 'x'])).toEqual({ file: 'f.yml', line: 86, col: 7 });
    // not there: the deepest known position, the hosts key
    expect(r.yaml.locate(['all', 'hosts', 'h40'])).toEqual({ file: 'f.yml', line: 2, col: 3 });
  });

  it('rejects a billion laughs alias bomb', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const errs = errorsOf(lines.join('\n') + '\n');
    expect(errs[0]?.code).toBe('yaml-alias-limit');
  });

  it('rejects expansion bombs that use few aliases', () => {
    const errs = errorsOf('a: &a [1,2,3,4,5,6,7,8,9,10]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n', { maxNodes: 500 });
    expect(errs[0]?.code).toBe('yaml-alias-limit');
  });

  it.each([
    ['python tag', 'a: !!python/object/apply:os.system ["ls"]\n', 'yaml-unknown-tag', 1, 4],
    ['custom tag', 'a: !foo bar\n', 'yaml-unknown-tag', 1, 4],
    ['merge key', 'x: &x {a: 1}\ny:\n  <<: *x\n', 'yaml-merge-key', 3, 3],
    ['proto key', '__proto__: {polluted: 1}\n', 'yaml-forbidden-key', 1, 1],
    ['constructor key', 'a:\n  constructor: 1\n', 'yaml-forbidden-key', 2, 3],
    ['yaml 1.1', '%YAML 1.1\n---\na: yes\n', 'yaml-version', 1, 1],
    ['duplicate key', 'a: 1\nb: 2\na: 3\n', 'duplicate-key', 3, 1],
    ['multi doc', 'a: 1\n---\nb: 2\n', 'yaml-multiple-documents', 2, 1],
    ['tab indent', 'a:\n\tb: 1\n', 'yaml-syntax', 2, 1],
    ['unknown alias', 'a: *nope\n', 'yaml-unknown-alias', 1, 4],
  ])('rejects %s', (_label, src, code, line, col) => {
    const errs = errorsOf(src);
    expect(errs.map((e) => e.code)).toContain(code);
    const e = errs.find((x) => x.code === code);
    expect(e?.location).toEqual({ file: 'f.yml', line, col });
    expect(e?.fix).toBeTruthy();
  });

  it('rejects over-size input and deep nesting', () => {
    expect(errorsOf('a: ' + 'x'.repeat(100) + '\n', { maxBytes: 50 })[0]?.code).toBe('yaml-too-large');
    expect(errorsOf('a: ' + '['.repeat(100) + ']'.repeat(100) + '\n')[0]?.code).toBe('yaml-too-deep');
    expect(errorsOf('['.repeat(100_000) + ']'.repeat(100_000))[0]?.code).toBe('yaml-too-deep');
  });

  it('reads files and reports a missing one as a diagnostic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-yaml-'));
    writeFileSync(join(dir, 'ok.yml'), 'x: 1\n');
    const ok = await readYamlFile(join(dir, 'ok.yml'));
    expect(ok.ok && ok.yaml.value).toEqual({ x: 1 });
    const missing = await readYamlFile(join(dir, 'missing.yml'));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errors[0]?.code).toBe('file-not-found');
    const big = await readYamlFile(join(dir, 'ok.yml'), { maxBytes: 2 });
    expect(!big.ok && big.errors[0]?.code).toBe('yaml-too-large');
  });
});

describe('parseYaml value limit without aliases', () => {
  it('calls many plain values too large, not an alias bomb', () => {
    const r = parseYaml(`[${'1,'.repeat(600)}1]`, 'f.yml', { maxNodes: 500 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ code: 'yaml-too-large', message: 'YAML has more than 500 values' });
  });
});

describe('Ansible-style booleans', () => {
  it('reads plain yes/no/on/off as booleans like Ansible (YAML 1.1), quoted ones as strings', () => {
    const r = parseYaml('a: yes\nb: No\nc: ON\nd: off\ne: "no"\nf: true\ng: nope\nh: [yes, no]\n', 'vars.yml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.yaml.value).toEqual({ a: true, b: false, c: true, d: false, e: 'no', f: true, g: 'nope', h: [true, false] });
  });
});
