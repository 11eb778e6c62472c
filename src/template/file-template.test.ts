// Whole template files: Jinja's whitespace control as Ansible's template module sets it, and
// includes resolved before rendering.
import { describe, expect, it } from 'vitest';
import { createScope } from './index.js';
import { includedNames, renderFile } from './file-template.js';

const scope = createScope([{ name: 'v', kind: 'data', vars: { xs: [1, 2], ok: true } }]);
const src = 'a\n  {% for x in xs %}\n  x={{ x }}\n  {% endfor %}\nb\n';

describe('renderFile', () => {
  it('trim_blocks on and lstrip_blocks off by default (Ansible), both switchable', () => {
    expect(renderFile(src, scope)).toBe('a\n    x=1\n    x=2\n  b\n');
    expect(renderFile(src, scope, { lstripBlocks: true })).toBe('a\n  x=1\n  x=2\nb\n');
    expect(renderFile(src, scope, { trimBlocks: false, lstripBlocks: true })).toBe('a\n\n  x=1\n\n  x=2\n\nb\n');
  });
  it('a template that is one expression still renders to text', () => {
    expect(renderFile('{{ xs }}', scope)).toBe('[1, 2]');
  });
  it('includes: inlined with the including context; one trailing newline of the included file dropped', () => {
    const includes = new Map([
      ['inc.j2', 'x is {{ xs[0] }}\n'],
      ['nested.j2', "[{% include 'inc.j2' %}]"],
    ]);
    expect(renderFile("head\n{% include 'inc.j2' %}\ntail\n", scope, { includes })).toBe('head\nx is 1tail\n');
    expect(renderFile("{% include \"nested.j2\" %}", scope, { includes })).toBe('[x is 1]');
    expect(renderFile("a {%- include 'inc.j2' -%}   b", scope, { includes })).toBe('ax is 1b');
    expect(renderFile("a{% include 'gone.j2' ignore missing %}b", scope, { includes })).toBe('ab');
    expect(() => renderFile("{% include 'gone.j2' %}", scope, { includes })).toThrow(/include 'gone.j2' %\}: template not found/);
    expect(() => renderFile('{% include name_var %}', scope, { includes })).toThrow(/only a quoted file name can be included/);
    expect(() => renderFile("{% include 'self.j2' %}", scope, { includes: new Map([['self.j2', "{% include 'self.j2' %}"]]) })).toThrow(/nest more than 20 deep/);
  });
  it('includedNames lists literal names with ignore missing', () => {
    expect(includedNames("{% include 'a.j2' %}{% include \"b.j2\" ignore missing with context %}{% include c %}")).toEqual([
      { name: 'a.j2', ignoreMissing: false, tag: 'include' },
      { name: 'b.j2', ignoreMissing: true, tag: 'include' },
    ]);
  });
  it('newline_sequence rewrites every line ending', () => {
    expect(renderFile('a\nb\n', scope, { newline: '\r\n' })).toBe('a\r\nb\r\n');
  });
});
