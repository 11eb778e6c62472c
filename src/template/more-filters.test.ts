import { describe, expect, it } from 'vitest';
import { createScope, render, TemplateError } from './index.js';
import { percentFormat } from './more-filters.js';

const scope = createScope([
  { name: 'vars', kind: 'template', vars: { x: 1, y: '{{ x + 1 }}', l: [1, 2, 3], m: { a: 'b c', 'k&': '/' }, secretish: '{{ nope }}' } },
]);
const r = (t: string): unknown => render(t, scope);

describe('format (Python %-formatting)', () => {
  it('positional and named values, widths, flags and precision', () => {
    expect(r("{{ '%s-%s' | format('a', 'b') }}")).toBe('a-b');
    expect(r("{{ '%05.1f|%-4d|%4s|%x|%X|%o|%r|%%' | format(3.14159, 7, 'ab', 255, 255, 8, 'q') }}")).toBe("003.1|7   |  ab|ff|FF|10|'q'|%");
    expect(r("{{ '%+d %d %i' | format(5, -3.9, True) }}")).toBe('+5 -3 1');
    expect(r("{{ '%(name)s is %(age)d' | format(name='ann', age=30) }}")).toBe('ann is 30');
    expect(r("{{ '%s' | format([1, 'a']) }}")).toBe("[1, 'a']");
    expect(percentFormat('%.2e|%g|%g', [12345.678, 0.0001, 1e20])).toBe('1.23e+04|0.0001|1e+20');
  });

  it('wrong argument counts and types fail like Python, as template errors', () => {
    expect(() => r("{{ '%s %s' | format('a') }}")).toThrow(/not enough arguments for format string/);
    expect(() => r("{{ '%s' | format('a', 'b') }}")).toThrow(/not all arguments converted/);
    expect(() => r("{{ '%d' | format('a') }}")).toThrow(TemplateError);
  });
});

describe('truncate', () => {
  it('follows Jinja2 (length, killwords, end, leeway 5)', () => {
    expect(r("{{ 'hello world foo bar baz' | truncate(12) }}")).toBe('hello...');
    expect(r("{{ 'hello world foo bar baz' | truncate(12, True) }}")).toBe('hello wor...');
    expect(r("{{ 'hello world foo bar baz' | truncate(13, end='~', leeway=0) }}")).toBe('hello world~');
    expect(r("{{ 'short' | truncate(4) }}")).toBe('short'); // within the leeway
    expect(() => r("{{ 'abc' | truncate(2) }}")).toThrow(/expected length >= 3/);
  });
});

describe('strftime and now()', () => {
  it('formats a timestamp (utc) and the current time', () => {
    expect(r("{{ '%Y-%m-%d %H:%M:%S' | strftime(86400 * 365 + 3723, utc=True) }}")).toBe('1971-01-01 01:02:03');
    expect(r("{{ '%a %A %b %B %j %p %I %y %% %Z' | strftime(0, utc=True) }}")).toBe('Thu Thursday Jan January 001 AM 12 70 % UTC');
    expect(r("{{ '%s' | strftime('1700000000') }}")).toBe('1700000000');
    const year = new Date().getFullYear();
    expect(Number(r("{{ '%Y' | strftime }}"))).toBeGreaterThanOrEqual(year);
    expect(() => r("{{ '%Y' | strftime('soon') }}")).toThrow(/seconds since the epoch/);
  });

  it('now(utc=True) is a datetime: str(), fields, strftime(), isoformat()', () => {
    const before = new Date().getUTCFullYear();
    expect(String(r('{{ now(utc=True) }}'))).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(r('{{ now(utc=True).year }}')).toBeGreaterThanOrEqual(before);
    expect(r("{{ now(utc=True).strftime('%Y') }}")).toBe(String(r('{{ now(utc=True).year }}')));
    expect(String(r('{{ now(True).isoformat() }}'))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(r("{{ now(True, '%Y') }}")).toBe(String(new Date().getUTCFullYear()));
    expect(r("{{ now(utc=True, fmt='%Z') }}")).toBe('UTC');
    expect(r('{{ now() is defined }}')).toBe(true);
  });
});

describe('urlencode, random, batch', () => {
  it('urlencode quotes strings (keeping /) and builds query strings from dicts', () => {
    expect(r("{{ 'a=1 b/c&é' | urlencode }}")).toBe('a%3D1%20b/c%26%C3%A9');
    expect(r('{{ m | urlencode }}')).toBe('a=b+c&k%26=%2F');
    expect(r("{{ [['q', 'x y']] | urlencode }}")).toBe('q=x+y');
  });

  it('random picks from a list or below an int; a seed repeats', () => {
    for (let i = 0; i < 20; i++) {
      expect([1, 2, 3]).toContain(r('{{ l | random }}'));
      const n = r('{{ 10 | random }}') as number;
      expect(Number.isInteger(n) && n >= 0 && n < 10).toBe(true);
      const s = r('{{ 20 | random(start=10, step=5) }}');
      expect([10, 15]).toContain(s);
    }
    expect(r("{{ 1000 | random(seed='host1') }}")).toBe(r("{{ 1000 | random(seed='host1') }}"));
    expect(r('{{ [1, 2] | random is number }}')).toBe(true);
    expect(() => r('{{ [] | random }}')).toThrow(/empty sequence/);
    expect(() => r('{{ none | random }}')).toThrow(/sequences and integers/);
  });

  it('batch splits into lists, optionally filled', () => {
    expect(r('{{ l | batch(2) | list }}')).toEqual([[1, 2], [3]]);
    expect(r("{{ l | batch(2, 'x') }}")).toEqual([[1, 2], [3, 'x']]);
    expect(() => r('{{ l | batch(0) }}')).toThrow(/at least 1/);
  });
});
