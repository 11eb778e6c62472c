import { describe, expect, it } from 'vitest';
import { createScope, render } from './index.js';

const scope = createScope([{ name: 'vars', kind: 'template', vars: { x: 1, y: '{{ x + 1 }}', secretish: '{{ nope }}' } }]);
const r = (t: string): unknown => render(t, scope);

describe('vars', () => {
  it('is the current variables as a read-only mapping, resolved only on access', () => {
    expect(r("{{ vars['y'] }}")).toBe(2);
    expect(r('{{ vars.x }}')).toBe(1);
    expect(r("{{ vars['no_such'] | default('d') }}")).toBe('d');
    expect(r("{{ 'x' in vars }}")).toBe(true);
    // `secretish` fails to resolve, but nothing asked for it
    expect(r("{{ vars['x'] + 1 }}")).toBe(2);
  });

  it('a variable named vars wins', () => {
    const s = createScope([{ name: 'v', kind: 'data', vars: { vars: { a: 1 } } }]);
    expect(render('{{ vars.a }}', s)).toBe(1);
  });
});
