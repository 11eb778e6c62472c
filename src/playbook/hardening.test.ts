// Hostile or broken input: wrong encodings, terminal escapes in user text, bad loop/retry values
// and unknown Jinja filters/tests, each reported with a position instead of accepted.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeUtf8, firstInvalidUtf8, readYamlFile } from './yaml.js';
import { codeFrame, formatDiagnostics } from './format.js';
import { visible } from '../util/visible.js';
import { loadPlaybook, type LoadResult } from './load.js';
import { testModules } from '../modules/testing/playbook-modules.js';
import type { Diagnostic } from '../util/diagnostic.js';

function writeBytes(bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-hard-'));
  writeFileSync(join(dir, 'site.yml'), bytes);
  return join(dir, 'site.yml');
}

const errs = (r: LoadResult): string[] => (r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`));
const load = (text: string): Promise<LoadResult> => loadPlaybook(writeBytes(text), { modules: testModules });

describe('UTF-8 only', () => {
  it('a Latin-1 file is rejected at the first bad byte with line and column', async () => {
    const latin1 = Buffer.concat([Buffer.from('- hosts: all\n  vars:\n    x: "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]);
    const r = await readYamlFile(writeBytes(latin1));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ code: 'file-not-utf8', location: { line: 3, col: 12 } });
    expect(r.errors[0]?.message).toMatch(/^file is not valid UTF-8/);
  });

  it('through loadPlaybook and formatDiagnostics: file:line:col: ... not valid UTF-8', async () => {
    const file = writeBytes(Buffer.concat([Buffer.from('- hosts: é\n  tasks: []\n# '), Buffer.from([0xff]), Buffer.from('\n')]));
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatDiagnostics(r.errors);
    expect(text).toMatch(/:3:3: error: file is not valid UTF-8/);
  });

  it('a UTF-8 BOM and multi-byte characters stay accepted; columns count characters', async () => {
    const r = await readYamlFile(writeBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: "héllo ✓ 😀"\n')])));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.yaml.value).toEqual({ a: 'héllo ✓ 😀' });
    const bad = decodeUtf8(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é'), Buffer.from([0x80])]));
    expect(bad).toMatchObject({ line: 1, col: 2, byte: 0x80 });
  });

  it('overlong forms, surrogates and truncated sequences are invalid', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii ✓'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // cut short
    expect(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });
});

describe('terminal escapes in user text are shown, never sent raw', () => {
  const ESC = '\u001b';
  const d = (over: Partial<Diagnostic>): Diagnostic => ({ severity: 'error', code: 'unknown-key', location: { file: 'x.yml', line: 1, col: 1 }, path: '', message: 'm', ...over });

  it('visible() escapes C0/C1 controls and bidi overrides, keeps tab, newline and text', () => {
    expect(visible(`a${ESC}[2Jb\u009bc\u0007\u202e\t\n é`)).toBe('a\\x1b[2Jb\\u009bc\\x07\\u202e\t\n é');
  });

  it('formatDiagnostics escapes the message, the fix and the code frame', () => {
    const source = `- hosts: all\n  tasks:\n    - "${ESC}]0;PWNED\u0007${ESC}[2J": 1\n`;
    const text = formatDiagnostics(
      [d({ location: { file: 'x.yml', line: 3, col: 20 }, message: `unknown key \`${ESC}]0;PWNED\u0007\``, fix: `remove \u009b31m` })],
      new Map([['x.yml', source]]),
    );
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('unknown key `\\x1b]0;PWNED\\x07`');
    expect(text).toContain('fix: remove \\u009b31m');
    expect(text).toContain('> 3 |     - "\\x1b]0;PWNED\\x07\\x1b[2J": 1');
  });

  it('the caret still points at the same character after escapes before it', () => {
    const frame = codeFrame(`k: ${ESC}${ESC}X`, 1, 6);
    const [line, caret] = frame.split('\n');
    expect(line?.[caret?.indexOf('^') ?? -1]).toBe('X');
  });

  it('a playbook key with escapes: validate output has none', async () => {
    const file = writeBytes(`- hosts: all\n  tasks:\n    - debug: msg=hi\n      "${ESC}]0;PWNED\u0007${ESC}[2J${ESC}[31mRED": 1\n`);
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatDiagnostics(r.errors);
    expect(text).not.toContain(ESC);
    expect(text).toContain('\\x1b]0;PWNED');
  });
});

describe('loop, retries and delay values', () => {
  it('loop: a plain string or a number is an error at the value', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - debug: msg=x\n      loop: notalist\n    - debug: msg=x\n      loop: 5\n    - debug: msg=x\n      with_items: 3\n');
    expect(errs(r).map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual(['4:13 bad-value', '6:13 bad-value', '8:19 bad-value']);
  });

  it('retries: -1 and delay: -1 are errors at the value', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - debug: msg=x\n      until: false\n      retries: -1\n      delay: -1\n');
    expect(errs(r)).toEqual(['5:16 bad-value `retries` must be a whole number of 0 or more, or a `{{ }}` template that renders to one', '6:14 bad-value `delay` must be a number of seconds (0.5 is allowed), or a `{{ }}` template that renders to one']);
  });
});
