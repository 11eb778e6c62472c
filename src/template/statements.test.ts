// Jinja2's statements beyond if/for/set, with the results Jinja's template designer
// documentation states (Ansible renders with Jinja2's defaults: trim_blocks on in files).
import { describe, expect, it } from 'vitest';
import { createScope, render } from './index.js';
import { renderFile } from './file-template.js';

const scope = createScope([{ name: 'v', kind: 'data', vars: { users: ['ann', 'bob'], port: 80, secret_name: 'db' } }]);
const r = (t: string): unknown => render(t, scope);

describe('macros', () => {
  it('positional and keyword arguments, defaults that use earlier arguments', () => {
    const m = "{% macro input(name, value='', type='text', size=20) %}<{{ type }} {{ name }}={{ value }} {{ size }}>{% endmacro %}";
    expect(r(`${m}{{ input('user') }}`)).toBe('<text user= 20>');
    expect(r(`${m}{{ input('pw', type='password') }}`)).toBe('<password pw= 20>');
    expect(r(`${m}{{ input('a', 'b', size=3) }}`)).toBe('<text a=b 3>');
    expect(r("{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}")).toBe('x!');
  });
  it('a missing argument is undefined (an error only where used); too many arguments are an error', () => {
    expect(r('{% macro m(a, b) %}{{ a }}{{ b is defined }}{% endmacro %}{{ m(1) }}')).toBe('1False');
    expect(() => r('{% macro m(a, b) %}{{ b }}{% endmacro %}{{ m(1) }}')).toThrow(/parameter 'b' was not provided/);
    expect(() => r('{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}')).toThrow(/macro 'm' takes not more than 1 argument/);
    expect(() => r('{% macro m(a) %}{% endmacro %}{{ m(1, z=2) }}')).toThrow(/macro 'm' takes no keyword argument 'z'/);
    expect(() => r('{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}')).toThrow(/multiple values for argument 'a'/);
  });
  it('varargs and kwargs catch extra arguments when the macro uses them', () => {
    expect(r('{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}')).toBe("1[2, 3]{'x': 4}");
    expect(r('{% macro m() %}{{ varargs | length }}{% endmacro %}{{ m() }}')).toBe('0');
  });
  it('sees template variables and globals, not the caller\'s loop variables; recursion works', () => {
    expect(r('{% set top = 1 %}{% macro m() %}{{ top }}/{{ port }}/{{ x is defined }}{% endmacro %}{% for x in [1] %}{{ m() }}{% endfor %}')).toBe('1/80/False');
    expect(r('{% macro f(n) %}{{ n }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}')).toBe('3210');
    // assignments inside a macro stay in it
    expect(r('{% set a = 1 %}{% macro m() %}{% set a = 2 %}{{ a }}{% endmacro %}{{ m() }}{{ a }}')).toBe('21');
  });
  it('call blocks: caller() renders the block, with arguments, seeing the call site', () => {
    const dl = '{% macro list(items) %}<ul>{% for i in items %}<li>{{ caller(i) }}</li>{% endfor %}</ul>{% endmacro %}';
    expect(r(`${dl}{% set sfx = '!' %}{% call(u) list(users) %}{{ u | upper }}{{ sfx }}{% endcall %}`)).toBe('<ul><li>ANN!</li><li>BOB!</li></ul>');
    expect(r("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}in{% endcall %}")).toBe('[in]');
    expect(() => r('{% macro box() %}{{ caller() }}{% endmacro %}{{ box() }}')).toThrow(/'caller' is undefined/);
    expect(() => r('{% call port() %}x{% endcall %}')).toThrow(/needs a macro, but 'port' is int/);
  });
});

describe('filter blocks, block set, with, namespace, loop controls', () => {
  it('{% filter %} applies any filter, with arguments, to the block', () => {
    expect(r('{% filter upper %}This Text Becomes Uppercase{% endfilter %}')).toBe('THIS TEXT BECOMES UPPERCASE');
    expect(r("{% filter replace('a', 'o') %}banana {{ port }}{% endfilter %}")).toBe('bonono 80');
    expect(r('{% filter indent(2, true) %}a\nb{% endfilter %}')).toBe('  a\n  b');
    expect(() => r('{% filter nope %}x{% endfilter %}')).toThrow(/no filter named 'nope'/);
  });
  it('block set captures rendered text, optionally through a filter', () => {
    expect(r('{% set nav %}{% for u in users %}<{{ u }}>{% endfor %}{% endset %}[{{ nav }}]')).toBe('[<ann><bob>]');
    expect(r('{% set x | upper %}abc{% endset %}{{ x }}')).toBe('ABC');
  });
  it('with: a scope of its own; values evaluated outside it', () => {
    expect(r('{% with a = 42, b = port %}{{ a }} {{ b }}{% endwith %}|{{ a is defined }}')).toBe('42 80|False');
    expect(r('{% set a = 1 %}{% with a = 2, b = a %}{{ a }}{{ b }}{% endwith %}{{ a }}')).toBe('211');
    expect(r('{% with %}{% set inner = 1 %}{{ inner }}{% endwith %}{{ inner is defined }}')).toBe('1False');
    expect(() => r('{% with a = 1 %}x{% endcall %}')).toThrow(/`\{% endcall %\}` without a matching `\{% call %\}`/);
    expect(() => r('{% endwith %}')).toThrow(/`\{% endwith %\}` without a matching/);
    expect(() => r('{% call x %}{% endwith %}')).toThrow(/`\{% endwith %\}` without a matching `\{% with %\}`/);
  });
  it('namespace(): assignments in a loop are seen after it (a plain set is not)', () => {
    expect(r('{% set ns = namespace(found=false) %}{% for u in users %}{% if u == "bob" %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}')).toBe('True');
    expect(r('{% set found = false %}{% for u in users %}{% set found = true %}{% endfor %}{{ found }}')).toBe('False');
    expect(r("{% set ns = namespace({'n': 1}, m=2) %}{% set ns.n = ns.n + ns.m %}{{ ns.n }}")).toBe('3');
    expect(() => r('{% set d = {} %}{% set d.x = 1 %}')).toThrow(/cannot assign attribute on non-namespace object 'd'/);
  });
  it('break and continue in loops', () => {
    expect(r('{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}')).toBe('02');
  });
  it('unknown tags name the supported ones; do and inheritance say why', () => {
    expect(() => r('{% do x %}')).toThrow(/jinja2\.ext\.do extension, which Ansible does not enable/);
    expect(() => r("{% extends 'base.j2' %}")).toThrow(/template inheritance\) is not supported/);
    expect(() => r('{% frobnicate %}')).toThrow(/unknown tag `\{% frobnicate %\}` \(supported: if, for, set, macro, call, filter, with/);
  });
});

describe('import and from (template files)', () => {
  const includes = new Map([
    ['macros.j2', "{% set _private = 1 %}{% set version = '2' %}{% macro greet(who) %}hi {{ who }}{% endmacro %}{% macro where() %}{{ port }}{% endmacro %}{% macro wrap() %}<{{ caller() }}>{% endmacro %}ignored output\n"],
    ['chain.j2', "{% from 'macros.j2' import greet %}{% macro twice(x) %}{{ greet(x) }} {{ greet(x) }}{% endmacro %}"],
    ['loop.j2', "{% import 'loop.j2' as me %}"],
    ['lookups.j2', "{% macro dir() %}{{ lookup('vars', 'port') }}{% endmacro %}"],
  ]);
  const f = (t: string): string => renderFile(t, scope, { includes });
  it('import as a module: macros and top-level variables; output of the imported file is dropped', () => {
    expect(f("{% import 'macros.j2' as m %}{{ m.greet('ann') }} v{{ m.version }}")).toBe('hi ann v2');
    expect(f("{% import 'macros.j2' as m %}{% call m.wrap() %}x{% endcall %}")).toBe('<x>');
  });
  it('from: several names, aliases, trailing comma; nested imports', () => {
    expect(f("{% from 'macros.j2' import greet, version as v, %}{{ greet('bob') }} {{ v }}")).toBe('hi bob 2');
    expect(f("{% from 'chain.j2' import twice %}{{ twice('x') }}")).toBe('hi x hi x');
  });
  it('without context (the default) an imported macro does not see the variables; with context it does', () => {
    expect(() => f("{% import 'macros.j2' as m %}{{ m.where() }}")).toThrow(/'port' is undefined \(the template 'macros.j2' is imported without context\)/);
    expect(f("{% import 'macros.j2' as m with context %}{{ m.where() }}")).toBe('80');
    expect(f("{% for port in [1] %}{% from 'macros.j2' import where with context %}{{ where() }}{% endfor %}")).toBe('1');
    expect(() => f("{% from 'macros.j2' import where without context %}{{ where() }}")).toThrow(/'port' is undefined/);
  });
  it('lookups in a template imported without context still read the task variables (Ansible since 2.11)', () => {
    expect(f("{% import 'lookups.j2' as l %}{{ l.dir() }}")).toBe('80');
  });
  it('private and missing names are undefined where used; unknown files and cycles are errors', () => {
    expect(() => f("{% from 'macros.j2' import _private %}{{ _private }}")).toThrow(/does not export the requested name '_private'/);
    expect(f("{% from 'macros.j2' import nope %}{{ nope is defined }}")).toBe('False');
    expect(() => f("{% import 'gone.j2' as g %}")).toThrow(/template 'gone.j2' not found/);
    expect(() => f("{% import 'loop.j2' as g %}")).toThrow(/imports nest more than 20 deep/);
    expect(() => f("{% import secret_name as g %}")).toThrow(/template 'db' not found/);
    expect(() => r("{% import 'macros.j2' as m %}")).toThrow(/works in template files only/);
    expect(() => f("{% import 'macros.j2' %}")).toThrow(/written `\{% import 'file.j2' as name %\}`/);
    expect(() => f("{% from 'macros.j2' import %}")).toThrow(/`\{% from %\}` is written/);
  });
});
