import { describe, expect, it } from 'vitest';
import { globMatch, globToRegExp, hasGlobChars } from './glob.js';

describe('globToRegExp (fnmatch semantics)', () => {
  it('* is any run of characters, ? exactly one, and the whole text must match', () => {
    expect(globMatch('web*', 'web01')).toBe(true);
    expect(globMatch('web*', 'web')).toBe(true);
    expect(globMatch('web*', 'aweb01')).toBe(false);
    expect(globMatch('*.example.org', 'a.example.org')).toBe(true);
    expect(globMatch('*.example.org', 'a.exampleXorg')).toBe(false);
    expect(globMatch('node?', 'node1')).toBe(true);
    expect(globMatch('node?', 'node12')).toBe(false);
    expect(globMatch('a*b', 'a\nb')).toBe(true);
  });

  it('[abc], [a-z] and [!abc] are character classes', () => {
    expect(globMatch('node[12]', 'node1')).toBe(true);
    expect(globMatch('node[12]', 'node3')).toBe(false);
    expect(globMatch('node[0-9]x', 'node7x')).toBe(true);
    expect(globMatch('node[!12]', 'node3')).toBe(true);
    expect(globMatch('node[!12]', 'node1')).toBe(false);
    expect(globMatch('[]]', ']')).toBe(true);
    expect(globMatch('[!]]', 'a')).toBe(true);
    expect(globMatch('[!]]', ']')).toBe(false);
    expect(globMatch('[a-]', '-')).toBe(true);
    expect(globMatch('[\\]', '\\')).toBe(true);
    expect(globMatch('[^a]', '^')).toBe(true);
    expect(globMatch('[^a]', 'b')).toBe(false);
  });

  it('an unclosed [ is a literal and never throws (--start-at-task \'[abc\')', () => {
    expect(() => globToRegExp('[abc')).not.toThrow();
    expect(globMatch('[abc', '[abc')).toBe(true);
    expect(globMatch('[abc', 'a')).toBe(false);
    expect(globMatch('x[', 'x[')).toBe(true);
    expect(globMatch('[!', '[!')).toBe(true);
    expect(globMatch('[]', '[]')).toBe(true);
  });

  it('a reversed range matches nothing instead of throwing', () => {
    expect(() => globToRegExp('[z-a]')).not.toThrow();
    expect(globMatch('[z-a]', 'm')).toBe(false);
    expect(globMatch('[!z-a]', 'm')).toBe(true);
  });

  it('RegExp characters in the pattern are literal', () => {
    for (const p of ['a.b', 'a+b', '(x)', 'a|b', '^a$', '{1}', 'a\\b', 'a/b-c']) {
      expect(globMatch(p, p)).toBe(true);
    }
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it('is case-sensitive unless asked, and classes: false keeps brackets literal (OpenSSH)', () => {
    expect(globMatch('Web*', 'web1')).toBe(false);
    expect(globMatch('Web*', 'web1', { ignoreCase: true })).toBe(true);
    expect(globMatch('[host]:22*', '[host]:2222', { classes: false })).toBe(true);
    expect(globMatch('[host]:22*', 'h:2222', { classes: false })).toBe(false);
  });

  it('hasGlobChars tells a wildcard pattern from a plain name', () => {
    expect(hasGlobChars('web01')).toBe(false);
    expect(hasGlobChars('web*')).toBe(true);
    expect(hasGlobChars('[abc')).toBe(true);
    expect(hasGlobChars('[host]:22', { classes: false })).toBe(false);
  });
});
