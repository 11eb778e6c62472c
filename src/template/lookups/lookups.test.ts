// Each lookup against Ansible's documented results, through lookup()/query()/q() in templates.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScope, render } from '../index.js';
import { knownLookups } from './registry.js';
import { passwordHash } from '../crypt.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-lookup-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

const scopeIn = (dir: string, vars: Record<string, unknown> = {}) => createScope([{ name: 'vars', kind: 'template', vars: { playbook_dir: dir, ...vars } }]);

describe('lookup() and query()', () => {
  it('lookup joins strings with commas, query/q return the list; wantlist=True is the list', () => {
    const s = scopeIn('/tmp');
    expect(render("{{ lookup('list', 'a', 'b') }}", s)).toBe('a,b');
    expect(render("{{ query('list', 'a', 'b') }}", s)).toEqual(['a', 'b']);
    expect(render("{{ q('list', 'a', 'b') }}", s)).toEqual(['a', 'b']);
    expect(render("{{ lookup('list', 'a', 'b', wantlist=True) }}", s)).toEqual(['a', 'b']);
    // one non-string item alone; several non-strings as the list
    expect(render("{{ lookup('list', 3) }}", s)).toBe(3);
    expect(render("{{ lookup('list', 3, 4) }}", s)).toEqual([3, 4]);
  });

  it('errors=ignore gives None (lookup) or [] (query); strict (default) fails with the reason; unknown names fail', () => {
    const s = scopeIn(project({}));
    expect(render("{{ lookup('file', 'nope.txt', errors='ignore') }}", s)).toBeNull();
    expect(render("{{ query('file', 'nope.txt', errors='warn') }}", s)).toEqual([]);
    expect(() => render("{{ lookup('file', 'nope.txt') }}", s)).toThrow(/lookup 'file': could not locate file 'nope.txt'; looked in: .*files\/nope\.txt/);
    expect(() => render("{{ lookup('fille', 'x') }}", s)).toThrow(/no lookup named 'fille'/);
    expect(knownLookups()).toEqual(['dict', 'env', 'file', 'fileglob', 'first_found', 'indexed_items', 'items', 'lines', 'list', 'nested', 'password', 'pipe', 'sequence', 'subelements', 'template', 'together', 'vars']);
  });
});

describe('file lookups along the search path', () => {
  const dir = project({ 'files/motd.txt': '  hello\n\n', 'plain.txt': 'top\n', 'templates/t.j2': 'host={{ name }} x={{ x }}\n', 'files/a.conf': 'a', 'files/b.conf': 'b', 'files/c.txt': 'c', 'vars/Debian.yml': 'x: 1\n' });
  const s = scopeIn(dir, { name: 'web1', ansible_search_path: [dir] });

  it('file: files/ first, then the directory itself; trailing whitespace stripped (rstrip), lstrip on request', () => {
    expect(render("{{ lookup('file', 'motd.txt') }}", s)).toBe('  hello');
    expect(render("{{ lookup('file', 'motd.txt', lstrip=True) }}", s)).toBe('hello');
    expect(render("{{ lookup('file', 'motd.txt', rstrip=False) }}", s)).toBe('  hello\n\n');
    expect(render("{{ lookup('file', 'plain.txt', 'motd.txt') }}", s)).toBe('top,  hello');
  });

  it('template: rendered with the current variables and template_vars', () => {
    expect(render("{{ lookup('template', 't.j2', template_vars={'x': 5}) }}", s)).toBe('host=web1 x=5\n');
  });

  it('template: {% include %}, {% import %} and {% from %} find templates beside it and in templates/ of the search path', () => {
    const d = project({
      'roles/r/templates/main.j2': "{% import 'macros.j2' as m %}{% from 'sub/more.j2' import shout %}[{% include 'part.j2' %}] {{ m.greet(name) }} {{ shout(name) }}\n",
      'roles/r/templates/part.j2': 'part for {{ name }}\n',
      'templates/macros.j2': '{% macro greet(n) %}hello {{ n }}{% endmacro %}',
      'templates/sub/more.j2': "{% macro shout(n) %}{{ n | upper }}!{% endmacro %}",
      'templates/broken.j2': "{% include 'nowhere.j2' %}",
    });
    const sc = scopeIn(d, { name: 'web1', ansible_search_path: [join(d, 'roles/r'), d] });
    expect(render("{{ lookup('template', 'main.j2') }}", sc)).toBe('[part for web1] hello web1 WEB1!\n');
    expect(() => render("{{ lookup('template', 'broken.j2') }}", sc)).toThrow(/lookup 'template': \{% include 'nowhere.j2' %\} in .*broken\.j2: template not found; looked in: .*roles\/r\/templates/);
  });

  it('first_found: the first existing candidate as an absolute path; files/paths/skip', () => {
    expect(render("{{ lookup('first_found', ['nope.yml', 'a.conf']) }}", s)).toBe(join(dir, 'files/a.conf'));
    expect(render("{{ lookup('first_found', {'files': ['Ubuntu.yml', 'Debian.yml'], 'paths': ['vars']}) }}", s)).toBe(join(dir, 'vars/Debian.yml'));
    expect(render("{{ query('first_found', {'files': ['x.yml'], 'skip': True}) }}", s)).toEqual([]);
    expect(() => render("{{ lookup('first_found', 'x.yml', 'y.yml') }}", s)).toThrow(/no file was found; looked in: .*x\.yml.*y\.yml/);
    // inside a role (search path [role, playbook]) a relative `paths` entry is looked for along it: ROLE/vars/NAME
    const pb = project({ 'roles/web/vars/Debian.yml': 'x: 1\n' });
    const inRole = scopeIn(pb, { ansible_search_path: [join(pb, 'roles/web'), pb] });
    expect(render("{{ lookup('first_found', {'files': ['Debian-12.yml', 'Debian.yml'], 'paths': ['vars']}) }}", inRole)).toBe(join(pb, 'roles/web/vars/Debian.yml'));
  });

  it('fileglob: matching files in files/ of the search path', () => {
    expect(render("{{ query('fileglob', '*.conf') }}", s)).toEqual([join(dir, 'files/a.conf'), join(dir, 'files/b.conf')]);
    expect(render("{{ lookup('fileglob', '*.conf') }}", s)).toBe(`${join(dir, 'files/a.conf')},${join(dir, 'files/b.conf')}`);
  });
});

describe('controller lookups', () => {
  it('env: the controller environment, default when unset', () => {
    process.env.RB_LOOKUP_TEST = 'yes';
    const s = scopeIn('/tmp');
    expect(render("{{ lookup('env', 'RB_LOOKUP_TEST') }}", s)).toBe('yes');
    expect(render("{{ lookup('env', 'RB_LOOKUP_UNSET_X') }}", s)).toBe('');
    expect(render("{{ lookup('env', 'RB_LOOKUP_UNSET_X', default='d') }}", s)).toBe('d');
  });

  it('vars: by computed name; default; missing is an error', () => {
    const s = scopeIn('/tmp', { port_web: 80, which: 'web' });
    expect(render("{{ lookup('vars', 'port_' ~ which) }}", s)).toBe(80);
    expect(render("{{ lookup('vars', 'nope', default=1) }}", s)).toBe(1);
    expect(() => render("{{ lookup('vars', 'nope') }}", s)).toThrow(/no variable named 'nope'/);
  });

  it('pipe and lines run on the controller in the playbook directory; a failing command is an error', () => {
    const dir = project({ 'here.txt': 'x' });
    const s = scopeIn(dir);
    expect(render("{{ lookup('pipe', 'ls; echo done') }}", s)).toBe('here.txt\ndone');
    expect(render("{{ query('lines', 'printf \"a\\\\nb\\\\n\"') }}", s)).toEqual(['a', 'b']);
    expect(() => render("{{ lookup('pipe', 'exit 3') }}", s)).toThrow(/returned 3/);
  });
});

describe('list-shaping lookups (the with_<lookup> loops)', () => {
  const s = scopeIn('/tmp', { users: [{ name: 'a', keys: ['k1', 'k2'] }, { name: 'b', keys: [] }, { name: 'c' }] });
  it('items flattens one level; dict gives key/value; indexed_items; together; nested', () => {
    expect(render("{{ query('items', 1, [2, [3]], 4) }}", s)).toEqual([1, 2, [3], 4]);
    expect(render("{{ query('dict', {'a': 1, 'b': 2}) }}", s)).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(render("{{ query('indexed_items', ['x', 'y']) }}", s)).toEqual([[0, 'x'], [1, 'y']]);
    expect(render("{{ query('together', [1, 2, 3], ['a', 'b']) }}", s)).toEqual([[1, 'a'], [2, 'b'], [3, null]]);
    expect(render("{{ query('nested', ['a', 'b'], [1, 2]) }}", s)).toEqual([['a', 1], ['a', 2], ['b', 1], ['b', 2]]);
  });

  it('sequence: start/end/stride/format, count, and the shortcut form', () => {
    expect(render("{{ query('sequence', 'start=1 end=5') }}", s)).toEqual(['1', '2', '3', '4', '5']);
    expect(render("{{ query('sequence', 'start=0 end=10 stride=5 format=web%02d') }}", s)).toEqual(['web00', 'web05', 'web10']);
    expect(render("{{ query('sequence', 'count=3') }}", s)).toEqual(['1', '2', '3']);
    expect(render("{{ query('sequence', '4-8/2') }}", s)).toEqual(['4', '6', '8']);
    expect(() => render("{{ query('sequence', 'start=1') }}", s)).toThrow(/needs `end` or `count`/);
  });

  it('subelements: [element, subitem] pairs; missing key an error unless skip_missing', () => {
    expect(() => render("{{ query('subelements', users, 'keys') }}", s)).toThrow(/could not find 'keys'/);
    const r = render("{{ query('subelements', users, 'keys', {'skip_missing': True}) | map('last') | list }}", s);
    expect(r).toEqual(['k1', 'k2']);
  });
});

describe('password', () => {
  it('creates the file (0600, directories 0700) on first use and gives the same password after; length and chars', () => {
    const dir = project({});
    const s = scopeIn(dir);
    const first = render("{{ lookup('password', 'creds/db length=12 chars=digits') }}", s);
    expect(first).toMatch(/^[0-9]{12}$/);
    expect(readFileSync(join(dir, 'creds/db'), 'utf8')).toBe(`${String(first)}\n`);
    expect(statSync(join(dir, 'creds/db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'creds')).mode & 0o777).toBe(0o700);
    // reused, whatever the options say now (Ansible reads the stored one)
    expect(render("{{ lookup('password', 'creds/db length=30') }}", s)).toBe(first);
    // the default: 20 of letters, digits and .,:-_
    expect(render("{{ lookup('password', '/dev/null') }}", s)).toMatch(/^[A-Za-z0-9.,:_-]{20}$/);
    expect(render("{{ lookup('password', '/dev/null', length=5, chars=['ascii_lowercase', ',,']) }}", s)).toMatch(/^[a-z,]{5}$/);
    expect(render("{{ lookup('password', '/dev/null chars=ab,, length=40') }}", s)).toMatch(/^[ab,]{40}$/);
  });

  it('/dev/null is never stored; seed gives the same password every time; encrypt keeps the salt in the file', () => {
    const dir = project({});
    const s = scopeIn(dir);
    expect(render("{{ lookup('password', '/dev/null') }}", s)).not.toBe(render("{{ lookup('password', '/dev/null') }}", s));
    const seeded = render("{{ lookup('password', '/dev/null', seed='h1') }}", s);
    expect(render("{{ lookup('password', '/dev/null seed=h1') }}", s)).toBe(seeded);
    expect(render("{{ lookup('password', '/dev/null', seed='h2') }}", s)).not.toBe(seeded);
    const hash = String(render("{{ lookup('password', 'pw encrypt=sha512_crypt') }}", s));
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const [plain, salt] = readFileSync(join(dir, 'pw'), 'utf8').trim().split(' salt=');
    expect(hash).toBe(passwordHash(String(plain), 'sha512', salt, undefined, undefined));
    // the same hash on the next run: the salt was stored
    expect(render("{{ lookup('password', 'pw encrypt=sha512_crypt') }}", s)).toBe(hash);
    // a stored plain password gains a salt when encrypt is asked later, and keeps its password
    const p2 = String(render("{{ lookup('password', 'pw2') }}", s));
    render("{{ lookup('password', 'pw2', encrypt='md5_crypt') }}", s);
    expect(readFileSync(join(dir, 'pw2'), 'utf8')).toMatch(new RegExp(`^${p2.replace(/[.*+?^$()[\]{}|\\]/g, '\\$&')} salt=[./0-9A-Za-z]{8}\n$`));
  });

  it('bad options fail clearly, and never show the stored password', () => {
    const dir = project({ secret: 'hunter2-stored\n' });
    const s = scopeIn(dir);
    expect(() => render("{{ lookup('password', 'secret lenght=3') }}", s)).toThrow('Unrecognized parameter(s) given to password lookup: lenght');
    expect(() => render("{{ lookup('password', 'x length=0') }}", s)).toThrow(/length must be a whole number/);
    let msg = '';
    try {
      render("{{ lookup('password', 'secret', encrypt='nope') }}", s);
    } catch (err) {
      msg = String(err);
    }
    expect(msg).toMatch(/unknown hash type 'nope'/);
    expect(msg).not.toContain('hunter2');
  });
});
