import { describe, expect, it } from 'vitest';
import { createScope, evaluate, OMIT, render, renderValue, TemplateError } from './index.js';

const scope = createScope([
  {
    name: 'vars',
    kind: 'template',
    vars: {
      name: 'World',
      port: 8080,
      ratio: 1.5,
      enabled: true,
      off: false,
      empty: '',
      nothing: null,
      users: [
        { name: 'ann', uid: 1001, shell: '/bin/bash', admin: true },
        { name: 'bob', uid: 1002, shell: '/bin/sh', admin: false },
      ],
      conf: { a: 1, b: { c: 2 } },
      words: ['b', 'a', 'c', 'a'],
      nums: [3, 1, 2],
      path: '/etc/nginx/nginx.conf',
      ver: '2.10.1',
    },
  },
  {
    name: 'registered',
    kind: 'data',
    vars: {
      ok_result: { changed: false, failed: false, rc: 0, stdout: 'fine' },
      bad_result: { changed: false, failed: true, rc: 2, stdout: '' },
      changed_result: { changed: true, failed: false },
      skipped_result: { changed: false, skipped: true },
    },
  },
]);

const r = (t: string): unknown => render(t, scope);

describe('render', () => {
  it('returns strings without template markers unchanged (same string)', () => {
    const s = 'no templates here: { } % #';
    expect(r(s)).toBe(s);
  });

  it('a single {{ expr }} returns the native value', () => {
    expect(r('{{ port }}')).toBe(8080);
    expect(r('{{ enabled }}')).toBe(true);
    expect(r('{{ users | map(attribute="name") | list }}')).toEqual(['ann', 'bob']);
    expect(r('{{ conf }}')).toEqual({ a: 1, b: { c: 2 } });
    expect(r('{{ nothing }}')).toBeNull();
    expect(r('{{port}}')).toBe(8080);
  });

  it('mixed text renders to a string like Python str()', () => {
    expect(r('Hello {{ name }}!')).toBe('Hello World!');
    expect(r('port={{ port }}')).toBe('port=8080');
    expect(r('{{ port }} ')).toBe('8080 ');
    expect(r('flag {{ enabled }} {{ nothing }}')).toBe('flag True None');
    expect(r('list {{ words[:2] }}')).toBe("list ['b', 'a']");
    expect(r('{{ port }}\n')).toBe('8080\n');
  });

  it('undefined variables raise a TemplateError naming the variable and the template', () => {
    expect(() => r('x {{ nope }} y')).toThrow(TemplateError);
    try {
      r('x {{ nope }} y');
    } catch (err) {
      expect((err as TemplateError).message).toContain("'nope' is undefined");
      expect((err as TemplateError).template).toBe('x {{ nope }} y');
    }
    expect(() => r('{{ conf.missing }}')).toThrow(/has no attribute 'missing'/);
    expect(() => r('{{ nope.deeper }}')).toThrow(/'nope' is undefined/);
  });

  it('the template in an error is truncated for display', () => {
    const long = `{{ nope }}${'x'.repeat(500)}`;
    try {
      r(long);
      expect.unreachable();
    } catch (err) {
      expect((err as TemplateError).template.length).toBeLessThanOrEqual(120);
    }
  });

  it('a literal secret written in a template is masked in the error', () => {
    try {
      r('mysql --password=hunter2 -e {{ nope }}');
      expect.unreachable();
    } catch (err) {
      expect((err as TemplateError).template).toBe('mysql --password=******** -e {{ nope }}');
      expect((err as TemplateError).message).not.toContain('hunter2');
    }
  });

  it('a variable or key holding JavaScript undefined counts as undefined', () => {
    const s = createScope([{ name: 'd', kind: 'data', vars: { u: undefined, o: { k: undefined } } }]);
    expect(() => render('{{ u }}', s)).toThrow(/'u' is undefined/);
    expect(() => render('{{ o.k }}', s)).toThrow(/'o.k' is undefined/);
    expect(render("{{ o.k | default('x') }}", s)).toBe('x');
  });

  it('syntax errors are TemplateErrors', () => {
    expect(() => r('{{ port + }}')).toThrow(TemplateError);
    expect(() => r('{% if %}')).toThrow(TemplateError);
    expect(() => r('{{ port ')).toThrow(TemplateError);
  });

  it('supports statements: if, for with loop vars, set', () => {
    expect(r('{% if enabled %}on{% else %}off{% endif %}')).toBe('on');
    expect(r('{% for u in users %}{{ loop.index }}:{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}')).toBe('1:ann,2:bob');
    expect(r('{% for k, v in conf.items() %}{{ k }}{% endfor %}')).toBe('ab');
    expect(r('{% set x = port + 1 %}{{ x }}')).toBe('8081');
    expect(r('{% for u in users if u.admin %}{{ u.name }}{% endfor %}')).toBe('ann');
    expect(r('{% for u in [] %}x{% else %}none{% endfor %}')).toBe('none');
  });

  it('operators follow Python', () => {
    expect(r('{{ 7 // 2 }}')).toBe(3);
    expect(r('{{ 7 / 2 }}')).toBe(3.5);
    expect(r('{{ -7 % 3 }}')).toBe(2);
    expect(r('{{ 2 ** 10 }}')).toBe(1024);
    expect(r("{{ 'a' ~ port }}")).toBe('a8080');
    expect(r("{{ 'ab' * 2 }}")).toBe('abab');
    expect(r('{{ [1] + [2] }}')).toEqual([1, 2]);
    expect(r("{{ '%s:%d' % (name, port) }}")).toBe('World:8080');
    expect(r('{{ conf == {"a": 1, "b": {"c": 2}} }}')).toBe(true);
    expect(r("{{ 'yes' if port > 80 else 'no' }}")).toBe('yes');
    expect(r('{{ empty or "fallback" }}')).toBe('fallback');
    expect(() => r("{{ 'a' < 1 }}")).toThrow(/not supported/);
  });

  it('method calls on strings and dicts', () => {
    expect(r("{{ 'a,b'.split(',') }}")).toEqual(['a', 'b']);
    expect(r("{{ ' x '.strip() }}")).toBe('x');
    expect(r("{{ path.startswith('/etc') }}")).toBe(true);
    expect(r("{{ conf.get('zz', 'dflt') }}")).toBe('dflt');
    expect(r('{{ conf.keys() | list }}')).toEqual(['a', 'b']);
    expect(r("{{ '{}-{}'.format(1, 2) }}")).toBe('1-2');
    expect(r('{{ words[-1] }}')).toBe('a');
  });

  it('{% raw %} blocks are left as written', () => {
    expect(r('{% raw %}{{ port }}{% endraw %}')).toBe('{{ port }}');
    expect(r("a {% raw %}{% if x %}'\\n\n{% endraw %} {{ port }}")).toBe("a {% if x %}'\\n\n 8080");
  });

  it('error messages never contain variable values (they may be secrets)', () => {
    const secretScope = createScope([{ name: 'v', kind: 'data', vars: { pw: 'hunter2', d: { a: 1 }, l: [1] } }]);
    for (const t of ['{{ d[pw] }}', '{{ pw | from_json }}', "{{ pw ~ ': [' | from_yaml }}", '{{ pw + 1 }}', '{{ l[pw] }}', '{{ pw | mandatory }}{{ nope }}']) {
      let message = '';
      try {
        render(t, secretScope);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, t).not.toBe('');
      expect(message, t).not.toContain('hunter2');
    }
  });

  it('accepts a plain record of variables as data', () => {
    expect(render('{{ a }}-{{ b }}', { a: 1, b: '{{ a }}' })).toBe('1-{{ a }}');
    expect(render('{{ l }}', { l: [1] })).toEqual([1]);
    expect(evaluate('a > 0', { a: 1 })).toBe(true);
    expect(renderValue({ k: '{{ a }}' }, { a: 2 })).toEqual({ k: 2 });
    expect(() => render('{{ toString }}', {})).toThrow(/'toString' is undefined/);
  });

  it('omit is available for module arguments', () => {
    expect(r('{{ nope | default(omit) }}')).toBe(OMIT);
  });

  it('renderValue renders deeply and keeps template-free parts as the same objects', () => {
    const plain = { big: Array.from({ length: 100 }, (_, i) => i) };
    const value = { a: '{{ port }}', nested: [{ b: 'x{{ name }}' }], plain };
    const out = renderValue(value, scope) as typeof value;
    expect(out).toEqual({ a: 8080, nested: [{ b: 'xWorld' }], plain });
    expect(out.plain).toBe(plain);
    expect(renderValue(plain, scope)).toBe(plain);
  });
});

describe('evaluate', () => {
  const e = (x: string | boolean): boolean => evaluate(x, scope);
  it('bare expressions with Python truthiness', () => {
    expect(e(true)).toBe(true);
    expect(e(false)).toBe(false);
    expect(e('port == 8080')).toBe(true);
    expect(e('empty')).toBe(false);
    expect(e('words')).toBe(true);
    expect(e('[]')).toBe(false);
    expect(e('{}')).toBe(false);
    expect(e('nothing')).toBe(false);
    expect(e('0')).toBe(false);
    expect(e('"0"')).toBe(true);
  });
  it('defined / undefined / in / not / and / or / comparisons', () => {
    expect(e('nope is defined')).toBe(false);
    expect(e('nope is undefined')).toBe(true);
    expect(e('nope is not defined')).toBe(true);
    expect(e('port is defined and port > 1000')).toBe(true);
    expect(e("'a' in words")).toBe(true);
    expect(e("'z' not in words")).toBe(true);
    expect(e("'a' in conf")).toBe(true);
    expect(e("'nginx' in path")).toBe(true);
    expect(e('not enabled or off')).toBe(false);
    expect(e('1 < port <= 8080')).toBe(true);
  });
  it('registered result tests', () => {
    expect(e('ok_result is succeeded')).toBe(true);
    expect(e('ok_result is success')).toBe(true);
    expect(e('bad_result is failed')).toBe(true);
    expect(e('bad_result is failure')).toBe(true);
    expect(e('bad_result is not succeeded')).toBe(true);
    expect(e('changed_result is changed')).toBe(true);
    expect(e('ok_result is changed')).toBe(false);
    expect(e('skipped_result is skipped')).toBe(true);
    expect(e('ok_result is skipped')).toBe(false);
    expect(e('ok_result.rc == 0 and "fine" in ok_result.stdout')).toBe(true);
    expect(() => e('port is failed')).toThrow(/registered task result/);
  });
  it('an undefined variable used in a condition is an error', () => {
    expect(() => e('nope')).toThrow(/'nope' is undefined/);
    expect(() => e('nope == 1 or true')).toThrow(/'nope' is undefined/);
    expect(() => e('ok_result.missing == 0')).toThrow(/has no attribute 'missing'/);
    expect(e('nope is defined and nope == 1')).toBe(false);
    expect(() => e('nope > 1')).toThrow(/'nope' is undefined/);
  });
  it('accepts a condition wrapped in {{ }}', () => {
    expect(e('{{ port == 8080 }}')).toBe(true);
  });
  it('rejects a condition that is not one expression', () => {
    expect(() => e('port }} {{ port')).toThrow(TemplateError);
    expect(() => e('')).toThrow(TemplateError);
  });
});
