import { describe, expect, it } from 'vitest';
import { createScope, render } from './index.js';

const scope = createScope([{ name: 'vars', kind: 'data', vars: { x: 1 } }]);

describe('syntax errors read like advice, not parser internals', () => {
  const msg = (t: string): string => {
    try {
      render(t, scope);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  it('names what is missing', () => {
    expect(msg('{% if %}x{% endif %}')).toMatch(/`\{% \.\.\. %\}` tag ends too early.*`\{% if %\}` needs a condition/);
    expect(msg('{{ x | }}')).toMatch(/expression ends too early/);
    expect(msg('{% if x %}a')).toMatch(/ends too early.*not closed/);
    expect(msg('{{ x y }}')).toMatch(/expected `\}\}` here, found a name/);
    expect(msg('{% endif %}')).toMatch(/`\{% endif %\}` without a matching open block/);
    expect(msg('{% foo %}')).toMatch(/unknown tag `\{% foo %\}`/);
    expect(msg('{{ (x }}')).toMatch(/expected `\)` but found `\}\}`/);
    for (const t of ['{% if %}x{% endif %}', '{{ x | }}', '{{ x y }}', '{{ (x }}', '{% for %}{% endfor %}', '{% set %}']) {
      expect(msg(t)).not.toMatch(/CloseStatement|CloseExpression|CloseParen|Identifier|\$\{|!==|Cannot read/);
    }
  });
});
