import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';

describe('unifiedDiff', () => {
  it('one changed line in a 2,000-line file is one hunk of 7 lines, not the whole file', () => {
    const before = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 1000\n', 'line one thousand\n');
    const d = unifiedDiff(before, after, '/etc/big.conf');
    expect(d.split('\n')).toEqual([
      '--- before: /etc/big.conf',
      '+++ after: /etc/big.conf',
      '@@ -997,7 +997,7 @@',
      ' line 997',
      ' line 998',
      ' line 999',
      '-line 1000',
      '+line one thousand',
      ' line 1001',
      ' line 1002',
      ' line 1003',
      '',
    ]);
  });

  it('prints diff(1)-style starts for created and emptied files, and a missing final newline', () => {
    expect(unifiedDiff('', 'new\n', 'f')).toBe('--- before: f\n+++ after: f\n@@ -0,0 +1,1 @@\n+new\n');
    expect(unifiedDiff('old\n', '', 'f')).toBe('--- before: f\n+++ after: f\n@@ -1,1 +0,0 @@\n-old\n');
    expect(unifiedDiff('a\n', 'a', 'f')).toBe('--- before: f\n+++ after: f\n@@ -1,1 +1,1 @@\n-a\n+a\n\\ No newline at end of file\n');
    expect(unifiedDiff('x\n', 'x\n')).toBe('');
  });
});
