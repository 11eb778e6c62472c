import { describe, expect, it } from 'vitest';
import { codeFrame, formatDiagnostics, summarizeDiagnostics } from './format.js';
import type { Diagnostic } from '../util/diagnostic.js';

const source = '- hosts: all\n  tasks:\n    - file:\n        path: /x\n        mode: 644\n';
const diag = (over: Partial<Diagnostic> = {}): Diagnostic => ({
  severity: 'error',
  code: 'octal-mode',
  location: { file: 'site.yml', line: 5, col: 15 },
  path: '0.tasks.0.file.mode',
  message: '`file.mode` is the number 644',
  fix: "quote it: `mode: '0644'`",
  ...over,
});

describe('formatDiagnostics', () => {
  it('prints file:line:col, a code frame with a caret under the column, and the fix', () => {
    const text = formatDiagnostics([diag()], new Map([['site.yml', source]]));
    expect(text).toBe(
      [
        'site.yml:5:15: error: `file.mode` is the number 644 [octal-mode]',
        '  3 |     - file:',
        '  4 |         path: /x',
        '> 5 |         mode: 644',
        '    |               ^',
        "fix: quote it: `mode: '0644'`",
        '',
      ].join('\n'),
    );
  });

  it('orders by file and position and separates entries; works without a source', () => {
    const text = formatDiagnostics([diag({ location: { file: 'b.yml', line: 2, col: 1 } }), diag({ severity: 'warning', location: { file: 'a.yml', line: 9, col: 3 }, fix: undefined })]);
    expect(text.indexOf('a.yml:9:3: warning:')).toBeLessThan(text.indexOf('b.yml:2:1: error:'));
    expect(text).toContain('\n\n');
    expect(formatDiagnostics([])).toBe('');
  });

  it('windows long lines so the caret still points at the column', () => {
    const line = `x: ${'a'.repeat(300)}B${'c'.repeat(300)}`;
    const frame = codeFrame(line, 1, 304);
    const [text, caret] = frame.split('\n');
    expect(text?.length).toBeLessThan(140);
    expect(text?.[caret?.indexOf('^') ?? -1]).toBe('B');
  });

  it('summarises counts', () => {
    expect(summarizeDiagnostics([diag(), diag(), diag({ severity: 'warning' })])).toBe('2 errors, 1 warning');
  });
});
