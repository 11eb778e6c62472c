import { describe, expect, it } from 'vitest';
import { createScope, render, TemplateError } from './index.js';

const scope = createScope([
  {
    name: 'vars',
    kind: 'template',
    vars: {
      s: 'Hello World',
      words: ['b', 'a', 'c', 'a'],
      nums: [3, 1, 2],
      users: [
        { name: 'ann', uid: 1001, admin: true, tags: ['x'] },
        { name: 'bob', uid: 1002, admin: false },
      ],
      conf: { a: 1, b: { c: 2, d: [1] } },
      path: '/etc/nginx/nginx.conf',
      json: '{"k": [1, 2]}',
      empty: '',
      nothing: null,
      hosts: ['h1', 'h2'],
      hv: { h1: { ip: '10.0.0.1' }, h2: { ip: '10.0.0.2' } },
    },
  },
]);
const r = (t: string): unknown => render(t, scope);

describe('filters', () => {
  it('default / d', () => {
    expect(r("{{ nope | default('x') }}")).toBe('x');
    expect(r("{{ nope | d('x') }}")).toBe('x');
    expect(r("{{ empty | default('x') }}")).toBe('');
    expect(r("{{ empty | default('x', true) }}")).toBe('x');
    expect(r("{{ nothing | default('x', boolean=true) }}")).toBe('x');
    expect(r('{{ nope | default }}')).toBe('');
    expect(r("{{ nope.deeper | default('x') }}")).toBe('x');
  });
  it('mandatory', () => {
    expect(() => r('{{ nope | mandatory }}')).toThrow(/mandatory variable not defined: 'nope' is undefined/);
    expect(() => r("{{ nope | mandatory('set nope') }}")).toThrow(/set nope/);
    expect(r('{{ s | mandatory }}')).toBe('Hello World');
  });
  it('string filters', () => {
    expect(r('{{ s | lower }}')).toBe('hello world');
    expect(r('{{ s | upper }}')).toBe('HELLO WORLD');
    expect(r("{{ '  x ' | trim }}")).toBe('x');
    expect(r("{{ s | replace('World', 'There') }}")).toBe('Hello There');
    expect(r("{{ 'a-b-c' | split('-') }}")).toEqual(['a', 'b', 'c']);
    expect(r("{{ 'a b  c' | split }}")).toEqual(['a', 'b', 'c']);
    expect(r('{{ path | basename }}')).toBe('nginx.conf');
    expect(r('{{ path | dirname }}')).toBe('/etc/nginx');
    expect(r("{{ \"it's\" | quote }}")).toBe("'it'\\''s'");
    expect(r("{{ 'safe-word' | quote }}")).toBe('safe-word');
    expect(r("{{ 'hi' | b64encode }}")).toBe('aGk=');
    expect(r("{{ 'aGk=' | b64decode }}")).toBe('hi');
    expect(r('{{ s | length }}')).toBe(11);
    expect(r('{{ s | string }}')).toBe('Hello World');
    expect(r('{{ 5 | string }}')).toBe('5');
  });
  it('regex filters with Python syntax', () => {
    expect(r("{{ 'host-01.example.org' | regex_replace('^host-(\\\\d+)\\\\..*$', 'node\\\\1') }}")).toBe('node01');
    expect(r("{{ 'a1b22' | regex_replace('\\\\d', '#') }}")).toBe('a#b##');
    expect(r("{{ 'ABC' | regex_replace('b', 'x', ignorecase=true) }}")).toBe('AxC');
    expect(r("{{ 'k=v' | regex_replace('(?P<key>\\\\w)=(\\\\w)', '\\\\g<key>:\\\\2') }}")).toBe('k:v');
    expect(r("{{ 'cost $5' | regex_replace('cost', '$') }}")).toBe('$ $5');
    expect(r("{{ 'version 1.2.3' | regex_search('\\\\d+\\\\.\\\\d+') }}")).toBe('1.2');
    expect(r("{{ 'version 1.2.3' | regex_search('(\\\\d+)\\\\.(\\\\d+)', '\\\\2') }}")).toEqual(['2']);
    expect(r("{{ 'abc' | regex_search('z') }}")).toBeNull();
    expect(r("{{ 'a.b*c' | regex_escape }}")).toBe('a\\.b\\*c');
    expect(r("{{ 'a1b2' | regex_findall('\\\\d') }}")).toEqual(['1', '2']);
    expect(() => r("{{ 'a' | regex_replace('(', 'x') }}")).toThrow(/invalid regular expression/);
    // unknown escapes stay as written, as in Python: what YAML hands over for "\\d" or '\d'
    expect(r("{{ 'a1 b22' | regex_replace('\\d+', '#') }}")).toBe('a# b#');
    expect(r("{{ 'a1 b22' | regex_replace('(\\w)(\\d)', '\\2\\1') }}")).toBe('1a 2b2');
    expect(r("{{ 'x  y' | regex_replace('\\s+', '\\n') }}")).toBe('x\ny');
    expect(r('{% if "a1" is match("\\w\\d") %}yes{% endif %}')).toBe('yes');
  });
  it('list filters', () => {
    expect(r('{{ words | join(",") }}')).toBe('b,a,c,a');
    expect(r('{{ words | join }}')).toBe('bac' + 'a');
    expect(r('{{ words | length }}')).toBe(4);
    expect(r('{{ words | count }}')).toBe(4);
    expect(r('{{ words | first }}')).toBe('b');
    expect(r('{{ words | last }}')).toBe('a');
    expect(r('{{ words | unique }}')).toEqual(['b', 'a', 'c']);
    expect(r('{{ words | sort }}')).toEqual(['a', 'a', 'b', 'c']);
    expect(r('{{ nums | sort(reverse=true) }}')).toEqual([3, 2, 1]);
    expect(r("{{ users | sort(attribute='uid', reverse=true) | map(attribute='name') | list }}")).toEqual(['bob', 'ann']);
    expect(r('{{ nums | min }}')).toBe(1);
    expect(r('{{ nums | max }}')).toBe(3);
    expect(r('{{ nums | sum }}')).toBe(6);
    expect(r("{{ users | sum(attribute='uid') }}")).toBe(2003);
    expect(r('{{ conf | list }}')).toEqual(['a', 'b']);
    expect(r('{{ [1, [2, [3]]] | flatten }}')).toEqual([1, 2, 3]);
    expect(r('{{ [1, 2] | difference([2, 3]) }}')).toEqual([1]);
    expect(r('{{ [1, 2] | union([2, 3]) }}')).toEqual([1, 2, 3]);
    expect(r('{{ [1, 2] | intersect([2, 3]) }}')).toEqual([2]);
    expect(r('{{ nums | reverse }}')).toEqual([2, 1, 3]);
  });
  it('map, select, reject, selectattr, rejectattr with tests', () => {
    expect(r("{{ users | map(attribute='name') | list }}")).toEqual(['ann', 'bob']);
    expect(r("{{ users | map(attribute='shell', default='/bin/false') | list }}")).toEqual(['/bin/false', '/bin/false']);
    expect(r("{{ words | map('upper') | list }}")).toEqual(['B', 'A', 'C', 'A']);
    expect(r("{{ ['1', '2'] | map('int') | sum }}")).toBe(3);
    expect(r("{{ users | selectattr('admin') | map(attribute='name') | list }}")).toEqual(['ann']);
    expect(r("{{ users | rejectattr('admin') | map(attribute='name') | list }}")).toEqual(['bob']);
    expect(r("{{ users | selectattr('uid', 'equalto', 1002) | map(attribute='name') | first }}")).toBe('bob');
    expect(r("{{ users | selectattr('tags', 'defined') | map(attribute='name') | list }}")).toEqual(['ann']);
    expect(r("{{ words | select('match', '^[ab]') | list }}")).toEqual(['b', 'a', 'a']);
    expect(r("{{ words | reject('equalto', 'a') | list }}")).toEqual(['b', 'c']);
    expect(r("{{ [0, 1, '', 'x', none] | select | list }}")).toEqual([1, 'x']);
    expect(r("{{ hosts | map('extract', hv, 'ip') | list }}")).toEqual(['10.0.0.1', '10.0.0.2']);
  });
  it('dict filters', () => {
    expect(r('{{ conf | dict2items }}')).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: { c: 2, d: [1] } },
    ]);
    expect(r("{{ [{'key': 'x', 'value': 1}] | items2dict }}")).toEqual({ x: 1 });
    expect(r("{{ [{'n': 'x', 'v': 1}] | items2dict(key_name='n', value_name='v') }}")).toEqual({ x: 1 });
    expect(r("{{ conf | combine({'a': 9, 'z': 0}) }}")).toEqual({ a: 9, b: { c: 2, d: [1] }, z: 0 });
    expect(r("{{ conf | combine({'b': {'e': 3}}) }}")).toEqual({ a: 1, b: { e: 3 } });
    expect(r("{{ conf | combine({'b': {'e': 3}}, recursive=true) }}")).toEqual({ a: 1, b: { c: 2, d: [1], e: 3 } });
    expect(r("{{ conf | combine({'b': {'d': [2]}}, recursive=true, list_merge='append') }}")).toEqual({ a: 1, b: { c: 2, d: [1, 2] } });
    expect(r('{{ conf | dict2items | items2dict }}')).toEqual(r('{{ conf }}'));
  });
  it('json and yaml', () => {
    expect(r('{{ conf | to_json }}')).toBe('{"a": 1, "b": {"c": 2, "d": [1]}}');
    expect(r('{{ {"b": 1, "a": [1]} | to_nice_json }}')).toBe('{\n    "a": [\n        1\n    ],\n    "b": 1\n}');
    expect(r('{{ json | from_json }}')).toEqual({ k: [1, 2] });
    expect(r('{{ (json | from_json).k[1] }}')).toBe(2);
    expect(r('{{ conf | to_yaml }}')).toBe('a: 1\nb:\n  c: 2\n  d:\n    - 1\n');
    expect(r("{{ 'a: [1]' | from_yaml }}")).toEqual({ a: [1] });
    expect(() => r("{{ '{bad' | from_json }}")).toThrow(TemplateError);
  });
  it('type conversions', () => {
    for (const v of ['yes', 'on', '1', 'true', 'True', 'YES']) expect(r(`{{ '${v}' | bool }}`)).toBe(true);
    for (const v of ['no', 'off', '0', 'false', 'x', '']) expect(r(`{{ '${v}' | bool }}`)).toBe(false);
    expect(r('{{ 1 | bool }}')).toBe(true);
    // ansible-core's to_bool: None stays None; `y`, `t` and 2 are not in the filter's true list
    expect(r('{{ nothing | bool }}')).toBe(null);
    for (const v of ["'y'", "'t'", '2', "' yes'"]) expect(r(`{{ ${v} | bool }}`)).toBe(false);
    expect(r("{{ '42' | int }}")).toBe(42);
    expect(r("{{ '4.7' | int }}")).toBe(4);
    expect(r("{{ 'x' | int }}")).toBe(0);
    expect(r("{{ 'x' | int(7) }}")).toBe(7);
    expect(r("{{ 'ff' | int(base=16) }}")).toBe(255);
    expect(r("{{ '1.5' | float }}")).toBe(1.5);
    expect(r('{{ true | int }}')).toBe(1);
  });
  it('ternary', () => {
    expect(r("{{ (1 > 0) | ternary('yes', 'no') }}")).toBe('yes');
    expect(r("{{ '' | ternary('yes', 'no') }}")).toBe('no');
    expect(r("{{ nothing | ternary('yes', 'no', 'null') }}")).toBe('null');
  });
  it('version tests', () => {
    expect(r("{{ '2.10' is version('2.9', '>') }}")).toBe(true);
    expect(r("{{ '2.10' is version('2.9', '>=') }}")).toBe(true);
    expect(r("{{ '1.0' is version('1.0', 'eq') }}")).toBe(true);
    expect(r("{{ '1.0.1' is version('1.0', '<') }}")).toBe(false);
    expect(r("{{ '12.1' is version_compare('9.9', 'gt') }}")).toBe(true);
    expect(r("{{ '2.0' is not version('3', '>=') }}")).toBe(true);
    expect(() => r("{{ '1' is version('2', '~') }}")).toThrow(/Invalid operator type \(~\)/);
  });
  it('other tests', () => {
    expect(r("{{ 'abc' is match('b') }}")).toBe(false);
    expect(r("{{ 'abc' is search('b') }}")).toBe(true);
    expect(r("{{ 'abc' is match('a') }}")).toBe(true);
    expect(r('{{ nothing is none }}')).toBe(true);
    expect(r('{{ s is string }}')).toBe(true);
    expect(r('{{ 1.5 is number }}')).toBe(true);
    expect(r('{{ conf is mapping }}')).toBe(true);
    expect(r('{{ words is iterable }}')).toBe(true);
    expect(r('{{ 5 is iterable }}')).toBe(false);
    expect(r('{{ empty is truthy }}')).toBe(false);
    expect(r('{{ empty is falsy }}')).toBe(true);
    expect(r('{{ [1] is subset([1, 2]) }}')).toBe(true);
  });
  it('hashes, paths, URLs and list combinations', () => {
    expect(r("{{ 'abc' | hash('sha256') }}")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(r("{{ 'abc' | checksum }}")).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(r("{{ 'abc' | md5 }}")).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(() => r("{{ 'abc' | hash('crc') }}")).toThrow(/unsupported algorithm/);
    expect(r("{{ ['/etc', 'nginx', 'x.conf'] | path_join }}")).toBe('/etc/nginx/x.conf');
    expect(r("{{ 'https://u@example.org:8443/a?b=1#f' | urlsplit('hostname') }}")).toBe('example.org');
    expect(r("{{ 'https://example.org:8443/a' | urlsplit }}")).toMatchObject({ scheme: 'https', port: 8443, path: '/a' });
    expect(r('{{ [1, 2] | product(["a", "b"]) }}')).toEqual([[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]);
    expect(r('{{ [1, 2] | zip(["a", "b", "c"]) }}')).toEqual([[1, 'a'], [2, 'b']]);
    expect(r('{{ [1] | zip_longest(["a", "b"]) }}')).toEqual([[1, 'a'], [null, 'b']]);
    expect(r("{{ users | subelements('tags', {'skip_missing': true}) | map('last') | list }}")).toEqual(['x']);
    expect(r("{{ [['a', 1]] | dict }}")).toEqual({ a: 1 });
  });
  it('unknown filters and wrong types are TemplateErrors', () => {
    expect(() => r('{{ s | nosuchfilter }}')).toThrow(/no filter named 'nosuchfilter'/);
    expect(() => r('{{ s is nosuchtest }}')).toThrow(/no test named 'nosuchtest'/);
    expect(() => r('{{ conf | lower }}')).toThrow(/expects a string, got dict/);
    expect(() => r('{{ nope | lower }}')).toThrow(/'nope' is undefined/);
  });
});

describe('filter and test names by collection (Jinja reads `name(.name)*`)', () => {
  it('ansible.builtin. and ansible.legacy. names are the builtin filters and tests', () => {
    expect(r('{{ [3, 1, 2] | ansible.builtin.sort | ansible.legacy.first }}')).toBe(1);
    expect(r("{{ {'a': 1} | ansible.builtin.to_json }}")).toBe('{"a": 1}');
    expect(r("{{ '1.2.3' is ansible.builtin.version('1.0', '>') }}")).toBe(true);
    expect(r("{{ '1.2.3' is not ansible.builtin.version('1.0', '>') }}")).toBe(false);
    expect(r("{{ 'x' is ansible.builtin.string }}")).toBe(true);
  });

  it('another collection\'s filter runbook does not have is named whole in the error; attribute access is untouched', () => {
    expect(() => r("{{ 'x' | community.crypto.openssl_csr_info }}")).toThrow(/no filter named 'community\.crypto\.openssl_csr_info'/);
    expect(r("{{ {'a': {'b': 2}}.a.b }}")).toBe(2);
  });
});

describe('json_query (community.general, JMESPath)', () => {
  it('queries as JMESPath specifies, under both names; a bad expression names itself', () => {
    expect(r("{{ {'alice': {'uid': 1}, 'bob': {'uid': 2}} | json_query('*.uid') }}")).toEqual([1, 2]);
    expect(r("{{ {'c': [{'n': 'a', 'p': 1}, {'n': 'b', 'p': 2}]} | community.general.json_query('c[?p==`2`].n') }}")).toEqual(['b']);
    expect(r("{{ [{'n': 'a'}] | json_query('[0].missing') }}")).toBeNull();
    expect(() => r("{{ {} | json_query('c[') }}")).toThrow(/json_query: .* in "c\["/);
  });
});
