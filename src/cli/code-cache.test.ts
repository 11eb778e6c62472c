import { describe, expect, it } from 'vitest';
import { cacheKey } from './code-cache.js';

describe('cacheKey', () => {
  it('is the command, or main for options and no command', () => {
    expect(cacheKey(['apply', 'site.yml'], [], undefined)).toBe('apply');
    expect(cacheKey(['--version'], [], undefined)).toBe('main');
    expect(cacheKey([], [], '')).toBe('main');
    // nothing from an argument but a plain lower-case word reaches a file name
    expect(cacheKey(['../../etc/x'], [], undefined)).toBe('main');
  });

  it("carries a hash of Node's options, which V8 checks the cache against", () => {
    const plain = cacheKey(['apply'], [], undefined);
    const withFlag = cacheKey(['apply'], ['--no-opt'], undefined);
    const withEnv = cacheKey(['apply'], [], '--max-old-space-size=512');
    expect(withFlag).toMatch(/^apply-[0-9a-f]{8}$/);
    expect(withEnv).toMatch(/^apply-[0-9a-f]{8}$/);
    expect(new Set([plain, withFlag, withEnv]).size).toBe(3);
    expect(cacheKey(['apply'], ['--no-opt'], undefined)).toBe(withFlag);
  });
});
