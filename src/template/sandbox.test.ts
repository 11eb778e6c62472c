// Templates must not reach JavaScript: no prototypes, constructors, globals or functions
// outside the fixed table. Every attempt below must either fail with a TemplateError or
// render something harmless (never run code, never expose a function or object internals).
import { describe, expect, it } from 'vitest';
import { createScope, render, evaluate, TemplateError } from './index.js';

const scope = createScope([
  {
    name: 'data',
    kind: 'data',
    vars: { x: { a: 1 }, s: 'text', l: [1, 2], n: 5, fn: (): string => 'called', process: undefined },
  },
]);

const attempts = [
  "{{ ''.constructor }}",
  "{{ ''.constructor.constructor('return process')() }}",
  "{{ x.__proto__ }}",
  "{{ x['__proto__'] }}",
  "{{ x.constructor }}",
  "{{ x['constructor']['constructor']('return 1')() }}",
  "{{ range.constructor('return process')() }}",
  "{{ range.constructor }}",
  "{{ range.call }}",
  "{{ range.apply(none, [1]) }}",
  "{{ range.bind }}",
  "{{ l.constructor }}",
  "{{ l.map }}",
  "{{ l.push(3) }}",
  "{{ l['__proto__']['constructor'] }}",
  "{{ s.toString() }}",
  "{{ s.valueOf }}",
  "{{ s.__proto__.constructor }}",
  "{{ s['constructor'] }}",
  "{{ s.constructor.fromCharCode(65) }}",
  "{{ n.constructor }}",
  "{{ n.toFixed(2) }}",
  "{{ fn() }}",
  "{{ fn.call() }}",
  "{{ process }}",
  "{{ process.env }}",
  "{{ globalThis }}",
  "{{ global.process }}",
  "{{ require('child_process') }}",
  "{{ import('fs') }}",
  "{{ this }}",
  "{{ Function('return process')() }}",
  "{{ eval('1+1') }}",
  "{{ self.__init__.__globals__ }}",
  "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  "{{ cycler.__init__.__globals__.os }}",
  "{{ lipsum.__globals__ }}",
  "{{ namespace.__init__ }}",
  "{{ dict.constructor }}",
  "{{ lookup('pipe', 'id') }}",
  "{{ x | attr('__proto__') }}",
  "{% set c = ''.constructor %}{{ c('return process')() }}",
  "{% for k in x.__proto__ %}{{ k }}{% endfor %}",
  "{{ {'__proto__': {'polluted': 1}}.polluted }}",
  "{{ ({} | combine({'__proto__': {'polluted': 1}})).polluted }}",
  "{{ dict(__proto__={'polluted': 1}).polluted }}",
  "{{ range.fn }}",
  "{{ range.name }}",
  "{{ range['fn']('return process') }}",
  "{{ x | map('constructor') | list }}",
  "{{ l | map(attribute='constructor') | list }}",
  "{{ l | map(attribute='__proto__.constructor') | list }}",
  "{{ [x] | selectattr('constructor') | list }}",
  "{{ x | dict2items }}",
  "{{ x.items()[0].constructor }}",
  "{{ x.get('constructor') }}",
  "{{ x.get.constructor }}",
  "{{ s.split.constructor('return 1')() }}",
  "{{ (s | list).constructor }}",
  "{{ s.__class__ }}",
  "{{ 'abc'|attr('length') }}",
  "{{ s.length }}",
  "{{ l.length }}",
  "{% set x.__proto__ = 1 %}",
  "{{ x['__pro' ~ 'to__'] }}",
  "{{ x[s.replace('text', 'constructor')] }}",
  // callables and values added for Ansible compatibility: now(), datetimes, vars, filters
  "{{ now.constructor }}",
  "{{ now.fn }}",
  "{{ now().constructor }}",
  "{{ now().__proto__ }}",
  "{{ now().date }}",
  "{{ now()['date'] }}",
  "{{ now().date.constructor }}",
  "{{ now().utc }}",
  "{{ now().strftime.constructor('return process')() }}",
  "{{ now().strftime('%Y').constructor }}",
  "{{ now().toString() }}",
  "{{ now().getTime() }}",
  "{% set d = now() %}{{ d.date.getTime.constructor }}",
  "{{ now() | attr('date') }}",
  "{{ [now()] | map(attribute='date') | list }}",
  "{{ vars.constructor }}",
  "{{ vars.__proto__ }}",
  "{{ vars['__proto__'] }}",
  "{{ vars.layer }}",
  "{{ vars.parent }}",
  "{{ vars.lookup }}",
  "{{ vars.lookup('fn') }}",
  "{{ vars.toObject() }}",
  "{{ vars.get.constructor }}",
  "{{ vars.fn() }}",
  "{{ '%s' | format(fn) }}",
  "{{ '%s' | format(x.constructor) }}",
  "{{ '%(constructor)s' | format(a=1) }}",
  "{{ x | urlencode }}",
  "{{ [range, now] | random }}",
  "{{ '%Y' | strftime(x) }}",
  "{{ l | batch(1) | map(attribute='constructor') | list }}",
  "{{ 'x' | truncate(255, end=fn) }}",
];

describe('sandbox', () => {
  it.each(attempts)('%s fails cleanly or renders nothing harmful', (tpl) => {
    let out: unknown;
    try {
      out = render(tpl, scope);
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as Error).message).not.toMatch(/\n\s+at /); // no stack trace in the message
      return;
    }
    // rendered: must be plain data, no function, nothing from the JS runtime
    expect(typeof out).not.toBe('function');
    const text = JSON.stringify(out) ?? '';
    expect(text).not.toMatch(/function|native code|process|\[object|v\d+\.\d+\.\d+|called/);
  });

  it('does not pollute Object.prototype', () => {
    for (const t of attempts) {
      try {
        render(t, scope);
      } catch {
        // failing is fine
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('now() and vars expose only data: a datetime reads as text, vars as variables', () => {
    expect(() => render("{{ now().date }}", scope)).toThrow(/has no attribute/);
    expect(() => render('{{ now().date.getTime() }}', scope)).toThrow(TemplateError);
    expect(() => render('{{ vars.lookup }}', scope)).toThrow(/undefined|no attribute/);
    expect(render("{{ vars['s'] }}", scope)).toBe('text');
  });

  it('a JavaScript function passed in as data is not callable', () => {
    expect(() => render('{{ fn() }}', scope)).toThrow(/not callable/);
  });

  it('conditions are sandboxed the same way', () => {
    expect(() => evaluate("''.constructor.constructor('return true')()", scope)).toThrow(TemplateError);
    expect(evaluate('x.constructor is defined', scope)).toBe(false);
    expect(evaluate('x.__proto__ is undefined', scope)).toBe(true);
  });

  it('huge outputs are refused instead of exhausting memory', () => {
    expect(() => render("{{ 'x' * 100000000 }}", scope)).toThrow(TemplateError);
    expect(() => render('{{ range(100000000) | length }}', scope)).toThrow(TemplateError);
  });
});
