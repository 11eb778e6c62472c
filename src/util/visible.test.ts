import { describe, expect, it } from 'vitest';
import { visible, visibleLine } from './visible.js';

describe('visible', () => {
  it.each([
    ['clear screen', '\u001b[2J', '\\x1b[2J'],
    ['set the terminal title', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['a bare CR', 'ok\rFAILED', 'ok\\x0dFAILED'],
    ['C1 CSI and DEL', 'a\u009b31mb\u007f', 'a\\u009b31mb\\x7f'],
    ['bidi override and line separator', 'x\u202ey\u2028z', 'x\\u202ey\\u2028z'],
    ['tab, newline and ordinary text stay', 'é 🎉\tb\nc', 'é 🎉\tb\nc'],
  ])('%s', (_what, text, shown) => {
    expect(visible(text)).toBe(shown);
  });

  it('is idempotent: escaped text has nothing left to escape', () => {
    const once = visible('\u001b[2J\u0007\r\u009b');
    expect(visible(once)).toBe(once);
  });
});

describe('visibleLine', () => {
  it('also shows a newline as \\n, so a name stays on one line', () => {
    expect(visibleLine('web1\nweb2  ok: forged\u001b[2J')).toBe('web1\\nweb2  ok: forged\\x1b[2J');
    expect(visibleLine('a\tb')).toBe('a\tb');
  });
});
