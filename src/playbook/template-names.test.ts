// Unknown Jinja filter and test names are validate errors with a position and a suggestion.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook, type LoadResult } from './load.js';
import { testModules } from '../modules/testing/playbook-modules.js';
import { unknownTemplateNames } from './template-names.js';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-tnames-'));
  writeFileSync(join(dir, 'site.yml'), text);
  return join(dir, 'site.yml');
}
const errs = (r: LoadResult): string[] => (r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`));
const load = (text: string): Promise<LoadResult> => loadPlaybook(write(text), { modules: testModules });

describe('unknownTemplateNames', () => {
  it('finds filters (plain, called, in for loops) and tests, each once', () => {
    expect(unknownTemplateNames('{{ a | upper | nope | nope }}{% for x in b | nope2(1) %}{{ x is oddd }}{% endfor %}')).toEqual([
      { kind: 'filter', name: 'nope' },
      { kind: 'filter', name: 'nope2' },
      { kind: 'test', name: 'oddd', guess: 'odd' },
    ]);
    expect(unknownTemplateNames('{{ a | default(b | int) }} {{ c is not defined }}')).toEqual([]);
    expect(unknownTemplateNames('{{ broken |')).toEqual([]);
  });
});

describe('unknown Jinja filters and tests', () => {
  it('an unknown filter in a module argument is an error at the value, with a suggestion', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - debug: msg="{{ x | to_jsno }}"\n    - debug: msg="{{ x | nosuchfilter }}"\n');
    expect(errs(r)).toEqual(['3:14 unknown-filter unknown Jinja filter `| to_jsno`; did you mean `to_json`?', '4:14 unknown-filter unknown Jinja filter `| nosuchfilter`']);
  });

  it('unknown tests in conditions and templates, also `is name(args)`; known names pass', async () => {
    const r = await load(
      [
        '- hosts: all',
        '  vars:',
        '    a: "{{ [1] | map(\'string\') | join(\',\') | upper }}"',
        '  tasks:',
        '    - debug: msg=x',
        '      when: x is definedd',
        '    - debug: msg="{{ v is versionn(\'1\', \'>=\') }}"',
        '    - debug: msg="{% for i in l | sort %}{{ i | default(1) | int }}{% endfor %}"',
        '      changed_when: r is succeeded and r.rc is not none',
        '',
      ].join('\n'),
    );
    expect(errs(r)).toEqual(['6:13 unknown-test unknown Jinja test `is definedd`; did you mean `defined`?', '7:14 unknown-test unknown Jinja test `is versionn`; did you mean `version`?']);
  });
});
