import { describe, expect, it } from 'vitest';
import { expandHostRange, invalidGroupName, invalidHostName, splitPort, unusualGroupName } from './names.js';
import { iniValue, pyLiteral } from './py-literal.js';
import { ShlexError, shlexWords } from '../util/shlex.js';

const hosts = (p: string): string[] => {
  const r = expandHostRange(p);
  if (!r.ok) throw new Error(r.message);
  return r.hosts;
};

describe('host ranges', () => {
  it('expands numeric ranges with zero padding', () => {
    expect(hosts('web[01:03].example.org')).toEqual(['web01.example.org', 'web02.example.org', 'web03.example.org']);
    expect(hosts('web[8:10]')).toEqual(['web8', 'web9', 'web10']);
    expect(hosts('web[001:002]')).toEqual(['web001', 'web002']);
  });
  it('expands letters, steps and several ranges', () => {
    expect(hosts('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(hosts('h[0:6:3]')).toEqual(['h0', 'h3', 'h6']);
    expect(hosts('r[1:2]c[a:b]')).toEqual(['r1ca', 'r1cb', 'r2ca', 'r2cb']);
    expect(hosts('plain.example.org')).toEqual(['plain.example.org']);
  });
  it.each([
    ['web[01:]', /needs both a start and an end/],
    ['web[:3]', /needs both a start and an end/],
    ['web[3:1]', /must not end before it starts/],
    ['web[a:3]', /numbers .* or single letters/],
    ['web[1:3', /unclosed '\['/],
    ['web1:3]', /unmatched '\]'/],
    ['web[1]', /must be \[start:end\]/],
    ['web[01:100]', /same width/],
    ['web[1:5:0]', /step/],
    ['web[0:9999999]', /more than 100000 hosts/],
  ])('rejects %s', (pattern, message) => {
    const r = expandHostRange(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('ports and names', () => {
  it('splits host:port, keeps IPv6 and ranges whole', () => {
    expect(splitPort('web1:2222')).toEqual({ name: 'web1', port: 2222 });
    expect(splitPort('web[01:03]:2222')).toEqual({ name: 'web[01:03]', port: 2222 });
    expect(splitPort('web[01:03]')).toEqual({ name: 'web[01:03]' });
    expect(splitPort('fe80::1')).toEqual({ name: 'fe80::1' });
    expect(splitPort('[2001:db8::1]:22')).toEqual({ name: '2001:db8::1', port: 22 });
  });
  it('validates host names', () => {
    expect(invalidHostName('web-1.example.org')).toBeUndefined();
    expect(invalidHostName('10.0.0.1')).toBeUndefined();
    expect(invalidHostName('2001:db8::1')).toBeUndefined();
    expect(invalidHostName('bad host')).toMatch(/whitespace/);
    expect(invalidHostName('a,b')).toMatch(/','/);
    expect(invalidHostName('!x')).toMatch(/'!'/);
    expect(invalidHostName('~x')).toMatch(/must not start/);
    expect(invalidHostName('a:b')).toMatch(/':'/);
    expect(invalidHostName('')).toMatch(/empty/);
    expect(invalidHostName('/path/host')).toMatch(/'\/'/);
  });
  it('validates group names (errors for pattern characters, warnings for the rest)', () => {
    expect(invalidGroupName('web_eu')).toBeUndefined();
    expect(invalidGroupName('web-eu')).toBeUndefined();
    expect(unusualGroupName('web-eu')).toMatch(/not a valid identifier/);
    expect(unusualGroupName('web_eu')).toBeUndefined();
    expect(invalidGroupName('a:b')).toMatch(/':'/);
    expect(invalidGroupName('a b')).toMatch(/whitespace/);
    expect(invalidGroupName('a&b')).toMatch(/'&'/);
  });
});

describe('INI values (Python literals)', () => {
  it.each([
    ['22', 22],
    ['-3', -3],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['True', true],
    ['False', false],
    ['None', null],
    ['0x1F', 31],
    ['0o644', 420],
    ['1_000', 1000],
    ["'quoted'", 'quoted'],
    ['"a b"', 'a b'],
    ["'a\\nb'", 'a\nb'],
    ["[1, 'a', [2]]", [1, 'a', [2]]],
    ["(1, 2)", [1, 2]],
    ["{'k': 1, 2: 'v'}", { k: 1, '2': 'v' }],
  ])('%s is a literal', (text, value) => {
    expect(pyLiteral(text)).toEqual({ ok: true, value });
    expect(iniValue(text)).toEqual(value);
  });
  it.each(['0644', 'yes', 'true', 'web01', '1.2.3', 'a b', "'unclosed", '[1, 2', '{"__proto__": 1}', '', '1 2'])('%s stays text', (text) => {
    expect(pyLiteral(text).ok).toBe(false);
    expect(iniValue(text)).toBe(text);
  });
});

describe('shlex split (INI host lines)', () => {
  const words = (line: string): string[] => shlexWords(line, { comments: true }).map((t) => t.value);
  it('splits like Python shlex with comments', () => {
    expect(words('h1 a=1 b="x y" c=\'p q\'')).toEqual(['h1', 'a=1', 'b=x y', 'c=p q']);
    expect(words('h1 a=1 # comment b=2')).toEqual(['h1', 'a=1']);
    expect(words('h1 pass=ab#cd')).toEqual(['h1', 'pass=ab']);
    expect(words('h1 pass="ab#cd"')).toEqual(['h1', 'pass=ab#cd']);
    expect(words('h1 a=x\\ y')).toEqual(['h1', 'a=x y']);
    expect(() => words('h1 a="unclosed')).toThrow(ShlexError);
  });
  it('keeps a backslash before $ inside double quotes, as Python shlex does', () => {
    expect(words('h1 a="x\\$y" b="q\\"r" c="s\\\\t"')).toEqual(['h1', 'a=x\\$y', 'b=q"r', 'c=s\\t']);
  });
  it('reports token columns', () => {
    expect(shlexWords('  h1   a=1', { comments: true }).map((t) => t.offset + 1)).toEqual([3, 8]);
    expect(shlexWords('h1 "a b"=1 \'c\'d', { comments: true }).map((t) => t.offset)).toEqual([0, 3, 11]);
  });
});
