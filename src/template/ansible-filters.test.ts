// Ansible's filters and tests that content relies on, each against the result ansible-core
// documents (or that Python's own library gives: uuid5, strptime, crypt(3), openssl passwd).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createScope, render } from './index.js';
import { markVaulted } from './vaulted.js';

const scope = createScope([
  {
    name: 'vars',
    kind: 'data',
    vars: {
      nothing: null,
      ok: { changed: false, failed: false },
      down: { unreachable: true, failed: false, changed: false },
      job: { started: 1, finished: 0, ansible_job_id: 'j1' },
      plain: { rc: 0 },
      slow: { failed: true, timedout: { frame: 'x', period: 30 } },
      loop_result: { results: [{ changed: false }, { changed: true }] },
      users: [
        { name: 'a', team: 'x' },
        { name: 'b', team: 'y' },
        { name: 'c', team: 'x' },
      ],
    },
  },
]);
const r = (t: string): unknown => render(t, scope);

describe('Jinja fixes the issue names', () => {
  it('regex_replace honours count and mandatory_count (re.subn)', () => {
    expect(r("{{ 'aaa' | regex_replace('a', 'b', count=2) }}")).toBe('bba');
    expect(r("{{ 'aaa' | regex_replace('a', 'b') }}")).toBe('bbb');
    expect(r("{{ 'k=1 k=2' | regex_replace('k=(\\\\d)', 'v\\\\1', count=1) }}")).toBe('v1 k=2');
    expect(() => r("{{ 'aaa' | regex_replace('a', 'b', mandatory_count=2) }}")).toThrow(/should match 2 times, but matches 3 times/);
  });
  it('the regex/match/search tests take ignorecase, multiline and match_type', () => {
    expect(r("{{ 'ABC' is regex('abc') }}")).toBe(false);
    expect(r("{{ 'ABC' is regex('abc', ignorecase=True) }}")).toBe(true);
    expect(r("{{ 'ABC' is search('b', ignorecase=true) }}")).toBe(true);
    expect(r("{{ 'x\\nfoo' is match('^foo', multiline=True) }}")).toBe(false); // match anchors at the text's start
    expect(r("{{ 'x\\nfoo' is search('^foo', multiline=True) }}")).toBe(true);
    expect(r("{{ 'xabc' is regex('abc', match_type='match') }}")).toBe(false);
    expect(r("{{ 'abc' is regex('ab', match_type='fullmatch') }}")).toBe(false);
    expect(r("{{ 'abc' is regex('ab.', match_type='fullmatch') }}")).toBe(true);
    expect(() => r("{{ 'abc' is regex('a', match_type='nope') }}")).toThrow(/Invalid match_type/);
  });
  it("path_join of a string is that string; an absolute member restarts (os.path.join)", () => {
    expect(r("{{ 'foo' | path_join }}")).toBe('foo');
    expect(r("{{ ['etc', 'apache2', 'sites'] | path_join }}")).toBe('etc/apache2/sites');
    expect(r("{{ ['a', '/b', 'c'] | path_join }}")).toBe('/b/c');
    expect(r("{{ ['a/', 'b'] | path_join }}")).toBe('a/b');
  });
  it('truthy/falsy with convert_bool read boolean words', () => {
    expect(r("{{ 'off' is truthy }}")).toBe(true);
    expect(r("{{ 'off' is truthy(convert_bool=True) }}")).toBe(false);
    expect(r("{{ 'yes' is falsy(convert_bool=True) }}")).toBe(false);
    expect(r("{{ 'hello' is truthy(convert_bool=True) }}")).toBe(true);
    expect(r("{{ 0 is falsy }}")).toBe(true);
  });
  it('version honours version_type and strict', () => {
    expect(r("{{ '1.0.0-rc.1' is version('1.0.0', '<', version_type='semver') }}")).toBe(true);
    expect(r("{{ '1.0.0-rc.1' is version('1.0.0', '<') }}")).toBe(false); // LooseVersion: a longer list sorts after
    expect(r("{{ '1.0.0-alpha' is version('1.0.0-alpha.1', '<', version_type='semantic') }}")).toBe(true);
    expect(r("{{ '1.0.0+build.5' is version('1.0.0', '==', version_type='semver') }}")).toBe(true);
    expect(() => r("{{ '1.0' is version('1.0.0', '<', version_type='semver') }}")).toThrow(/invalid semantic version '1.0'/);
    expect(r("{{ '1.0a1' is version('1.0', '<', strict=True) }}")).toBe(true);
    expect(r("{{ '1.0a1' is version('1.0b1', '<', version_type='strict') }}")).toBe(true);
    expect(() => r("{{ '1.0.0.0' is version('1.0', '<', version_type='strict') }}")).toThrow(/invalid version number/);
    expect(r("{{ '1.0.dev1' is version('1.0a1', '<', version_type='pep440') }}")).toBe(true);
    expect(r("{{ '1.0rc1' is version('1.0', '<', version_type='pep440') }}")).toBe(true);
    expect(r("{{ '1.0' is version('1.0.post1', '<', version_type='pep440') }}")).toBe(true);
    expect(r("{{ '1.0' is version('1.0.0', '==', version_type='pep440') }}")).toBe(true);
    expect(r("{{ '1.10' is version('1.9', '>') }}")).toBe(true);
    expect(() => r("{{ '1' is version('2', version_type='calver') }}")).toThrow(/Invalid version type \(calver\)/);
    expect(() => r("{{ '1' is version('2', strict=True, version_type='loose') }}")).toThrow(/Cannot specify both/);
  });
  it('None | bool is None (ansible-core to_bool)', () => {
    expect(r('{{ nothing | bool }}')).toBe(null);
    expect(r("{{ 'True' | bool }}")).toBe(true);
  });
  it('b64encode/b64decode take an encoding', () => {
    expect(r("{{ 'Aé' | b64encode(encoding='utf-16-le') }}")).toBe('QQDpAA==');
    expect(r("{{ 'QQDpAA==' | b64decode(encoding='utf-16-le') }}")).toBe('Aé');
    expect(r("{{ 'Aé' | b64encode }}")).toBe('QcOp');
    expect(() => r("{{ 'a' | b64encode(encoding='ebcdic') }}")).toThrow(/unknown encoding: ebcdic/);
  });
});

describe('filters that were missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-filters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('expanduser, expandvars, realpath, relpath, normpath, fileglob (on the controller)', () => {
    expect(r("{{ '~/x' | expanduser }}")).toBe(join(process.env.HOME ?? '', 'x'));
    expect(r("{{ '~root' | expanduser }}")).toBe('/root');
    expect(r("{{ '~no_such_user_here/x' | expanduser }}")).toBe('~no_such_user_here/x');
    process.env.RB_FILTER_TEST = 'val';
    expect(r("{{ '$RB_FILTER_TEST/${RB_FILTER_TEST}/$RB_UNSET_VAR' | expandvars }}")).toBe('val/val/$RB_UNSET_VAR');
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'a.txt'), 'x');
    writeFileSync(join(dir, 'real', 'b.conf'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(r(`{{ '${dir}/link/a.txt' | realpath }}`)).toBe(join(dir, 'real', 'a.txt'));
    expect(r(`{{ '${dir}/link/missing/x' | realpath }}`)).toBe(join(dir, 'real', 'missing', 'x'));
    expect(r("{{ '/etc/apache2/sites' | relpath('/etc') }}")).toBe('apache2/sites');
    expect(r("{{ 'a//b/./c/../d/' | normpath }}")).toBe('a/b/d');
    expect(r(`{{ '${dir}/real/*.txt' | fileglob }}`)).toEqual([join(dir, 'real', 'a.txt')]);
  });
  it('file tests look at the controller', () => {
    expect(r(`{{ '${dir}/real/a.txt' is file }}`)).toBe(true);
    expect(r(`{{ '${dir}/real' is directory }}`)).toBe(true);
    expect(r(`{{ '${dir}/link' is link }}`)).toBe(true);
    expect(r(`{{ '${dir}/nope' is exists }}`)).toBe(false);
    expect(r("{{ '/etc' is abs }}")).toBe(true);
    expect(r("{{ '/' is mount }}")).toBe(true);
  });
  it('password_hash matches crypt(3) (Drepper test vectors) and openssl passwd', () => {
    expect(r("{{ 'Hello world!' | password_hash('sha512', 'saltstring') }}")).toBe('$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
    expect(r("{{ 'Hello world!' | password_hash('sha512', 'saltstringsaltstring', rounds=10000) }}")).toBe(
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
    expect(r("{{ 'Hello world!' | password_hash('sha256', 'saltstring') }}")).toBe('$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
    const pw = `p w-${Date.now()}é`;
    const scoped = createScope([{ name: 'v', kind: 'data', vars: { pw } }]);
    for (const [flag, type, salt] of [['-6', 'sha512', 'Ab.9/xyzAb.9/xyz'], ['-5', 'sha256', 'q1w2e3'], ['-1', 'md5', 'sAlT1234']] as const) {
      const want = execFileSync('openssl', ['passwd', flag, '-salt', salt, pw], { encoding: 'utf8' }).trim();
      expect(render(`{{ pw | password_hash('${type}', '${salt}') }}`, scoped)).toBe(want);
    }
    const random = String(r("{{ 'x' | password_hash }}"));
    expect(random).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(() => r("{{ 'x' | password_hash('blowfish') }}")).toThrow(/bcrypt \(blowfish\) is not supported/);
    expect(() => r("{{ 'x' | password_hash('sha512', 'bad salt!') }}")).toThrow(/salt may hold only/);
  });
  it('to_uuid is uuid5 in Ansible namespace (or the one given)', () => {
    expect(r("{{ 'www.example.com' | to_uuid }}")).toBe('69680a13-a686-5d20-a166-0e7b3b17ef84');
    expect(r("{{ 'example.org' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }}")).toBe('aad03681-8b63-5304-89e0-8ca8f49461b5');
  });
  it('type_debug names Python types', () => {
    expect(r("{{ 'a' | type_debug }}")).toBe('str');
    expect(r('{{ 1 | type_debug }}')).toBe('int');
    expect(r('{{ 1.5 | type_debug }}')).toBe('float');
    expect(r('{{ true | type_debug }}')).toBe('bool');
    expect(r('{{ nothing | type_debug }}')).toBe('NoneType');
    expect(r('{{ users | type_debug }}')).toBe('list');
    expect(r('{{ ok | type_debug }}')).toBe('dict');
  });
  it('shuffle keeps the items; a seed repeats the order', () => {
    const a = r('{{ range(20) | list | shuffle }}') as number[];
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(r("{{ range(20) | list | shuffle(seed='host1') }}")).toEqual(r("{{ range(20) | list | shuffle(seed='host1') }}"));
  });
  it('to_datetime parses (strptime); subtracting gives a timedelta', () => {
    expect(r("{{ (('2016-08-14 20:00:12' | to_datetime) - ('2016-08-04 18:00:12' | to_datetime)).days }}")).toBe(10);
    expect(r("{{ (('2016-08-14 20:00:12' | to_datetime) - ('2016-08-04 18:00:12' | to_datetime)).total_seconds() }}")).toBe(871200);
    expect(r("{{ ('2016-08-14 20:00:12' | to_datetime) - ('2016-08-04 18:00:12' | to_datetime) }}")).toBe('10 days, 2:00:00');
    expect(r("{{ ('2020-01-01' | to_datetime('%Y-%m-%d')) - ('2020-01-02 00:00:01' | to_datetime) }}")).toBe('-2 days, 23:59:59');
    expect(r("{{ '20160804' | to_datetime('%Y%m%d') }}")).toBe('2016-08-04 00:00:00');
    expect(r("{{ ('Aug 4 2016' | to_datetime('%b %d %Y')).month }}")).toBe(8);
    expect(r("{{ ('2016-08-05' | to_datetime('%Y-%m-%d')) > ('2016-08-04' | to_datetime('%Y-%m-%d')) }}")).toBe(true);
    expect(() => r("{{ '2016/08/04' | to_datetime }}")).toThrow(/does not match format/);
  });
  it('comment renders Ansible comment styles', () => {
    expect(r("{{ 'Plain style (default)' | comment }}")).toBe('#\n# Plain style (default)\n#');
    expect(r("{{ 'C style' | comment('c') }}")).toBe('//\n// C style\n//');
    expect(r("{{ 'C block style' | comment('cblock') }}")).toBe('/*\n *\n * C block style\n *\n */');
    expect(r("{{ 'XML style' | comment('xml') }}")).toBe('<!--\n -\n - XML style\n -\n-->');
    expect(r("{{ 'a\\nb' | comment(decoration='; ') }}")).toBe(';\n; a\n; b\n;');
    expect(r("{{ 'Custom' | comment('plain', prefix='####', postfix='####', prefix_count=2) }}")).toBe('####\n####\n# Custom\n####');
  });
  it('human_readable / human_to_bytes, log, pow, root', () => {
    expect(r('{{ 1024 | human_readable }}')).toBe('1.00 KB');
    expect(r('{{ 10 | human_readable }}')).toBe('10.00 Bytes');
    expect(r("{{ 1048576 | human_readable(unit='K') }}")).toBe('1024.00 KB');
    expect(r('{{ 1048576 | human_readable(isbits=True) }}')).toBe('1.00 Mb');
    expect(r("{{ '1 MB' | human_to_bytes }}")).toBe(1048576);
    expect(r("{{ '1.5K' | human_to_bytes }}")).toBe(1536);
    expect(r("{{ '2' | human_to_bytes(default_unit='G') }}")).toBe(2 * 2 ** 30);
    expect(r("{{ '1Mb' | human_to_bytes(isbits=True) }}")).toBe(1048576);
    expect(() => r("{{ '10 MX' | human_to_bytes }}")).toThrow(/Value is not a valid string \(expect MB or M\)/);
    expect(r('{{ 8 | log(2) }}')).toBe(3);
    expect(r('{{ 2 | pow(10) }}')).toBe(1024);
    expect(r('{{ 27 | root(3) }}')).toBeCloseTo(3);
  });
  it('groupby returns [grouper, items] lists; from_yaml_all reads every document', () => {
    expect(r("{{ users | groupby('team') | map('first') | list }}")).toEqual(['x', 'y']);
    expect(r("{{ (users | groupby('team'))[0][1] | map(attribute='name') | list }}")).toEqual(['a', 'c']);
    expect(r("{{ 'a: 1\\n---\\nb: 2\\n' | from_yaml_all | list }}")).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('tests that were missing', () => {
  it('result tests: successful, reachable, unreachable, timedout, changed over loop results', () => {
    expect(r('{{ ok is successful }}')).toBe(true);
    expect(r('{{ down is unreachable }}')).toBe(true);
    expect(r('{{ down is reachable }}')).toBe(false);
    expect(r('{{ ok is reachable }}')).toBe(true);
    expect(r('{{ slow is timedout }}')).toBe(true);
    expect(r('{{ ok is timedout }}')).toBe(false);
    expect(r('{{ loop_result is changed }}')).toBe(true);
    expect(() => r("{{ 'x' is successful }}")).toThrow(/expects a registered task result/);
  });
  it('async tests: started/finished read 0/1; other results count as both', () => {
    expect(r('{{ job is started }}')).toBe(true);
    expect(r('{{ job is finished }}')).toBe(false);
    expect(r('{{ plain is finished }}')).toBe(true);
  });
  it('any / all', () => {
    expect(r('{{ [0, 1] is any }}')).toBe(true);
    expect(r('{{ [0, 1] is all }}')).toBe(false);
    expect(r('{{ [] is all }}')).toBe(true);
  });
  it('vault_encrypted: a !vault value or vault ciphertext', () => {
    markVaulted('s3cret-from-vault-tag');
    const v = createScope([{ name: 'v', kind: 'data', vars: { a: 's3cret-from-vault-tag', b: 'plain text', c: '$ANSIBLE_VAULT;1.1;AES256\n6162' } }]);
    expect(render('{{ a is vault_encrypted }}', v)).toBe(true);
    expect(render('{{ b is vault_encrypted }}', v)).toBe(false);
    expect(render('{{ c is vault_encrypted }}', v)).toBe(true);
  });
});
