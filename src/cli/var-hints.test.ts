// Misspelt variables at validate time: each with the nearest known name at file:line:col, and
// what must not be flagged (optional reads, names bound in the template, ansible_* names).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../inventory/load.js';
import { loadPlaybook } from '../playbook/load.js';
import { registeredModules } from '../modules/registry.js';
import { templateVariables, variableWarnings } from './var-hints.js';

const PLAYBOOK = `- name: vars
  hosts: web
  gather_facts: false
  vars:
    packages: [nginx, curl]
    web_port: 8080
    url: "http://{{ inventroy_hostname }}:{{ web_port }}/"
  vars_files: [extra.yml]
  tasks:
    - name: install {{ packages | join(',') }}
      debug:
        msg: "installing {{ pakages }} on port {{ web_prot }}"
    - name: loop
      debug: msg="{{ itme }} {{ item }} {{ optional_thing | default('x') }} {{ zzz_unrelated }}"
      loop: "{{ packages }}"
      when: web_port > 1 and packages is defined and extra_value == 1 and extra_valeu == 2
    - command: echo hi
      register: result
    - debug: var=result
      when: reslt.rc == 0
    - set_fact:
        computed: 1
    - debug:
        msg: "{% for p in packages %}{{ p }}{{ computd }}{% endfor %}{% set q = 1 %}{{ q }} {{ ansible_distrib }} {{ db_hots }}"
`;

describe('did you mean, for variables', () => {
  it('warns at file:line:col with the nearest name from play vars, vars_files, inventory, register, set_fact and magic variables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-vars-'));
    await writeFile(join(dir, 'site.yml'), PLAYBOOK);
    await writeFile(join(dir, 'extra.yml'), 'extra_value: 1\n');
    await writeFile(join(dir, 'hosts.yml'), 'all:\n  vars:\n    db_host: x\n  children:\n    web:\n      hosts:\n        w1: {}\n');
    const inv = await loadInventory(join(dir, 'hosts.yml'));
    const r = await loadPlaybook(join(dir, 'site.yml'), { modules: registeredModules });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const w = variableWarnings(r.playbook, inv, [], (f) => f.slice(dir.length + 1));
    expect(w.map((d) => `${d.location.file}:${d.location.line}:${d.location.col} ${d.message.replace(/ is not defined .*; /, ' ')}`)).toEqual([
      'site.yml:7:21 `inventroy_hostname` did you mean `inventory_hostname`?',
      'site.yml:12:29 `pakages` did you mean `packages`?',
      'site.yml:12:51 `web_prot` did you mean `web_port`?',
      'site.yml:14:22 `itme` did you mean `item`?',
      'site.yml:16:75 `extra_valeu` did you mean `extra_value`?',
      'site.yml:20:13 `reslt` did you mean `result`?',
      'site.yml:24:48 `computd` did you mean `computed`?',
      'site.yml:24:118 `db_hots` did you mean `db_host`?',
    ]);
    expect(w[1]).toMatchObject({
      severity: 'warning',
      code: 'unknown-variable',
      message: '`pakages` is not defined in the play, its vars_files, the inventory, a register or set_fact, or -e; did you mean `packages`?',
      fix: 'rename it to `packages` (or define `pakages`; `pakages | default(...)` if it may be missing)',
    });
    // a name read as optional anywhere (`is defined`, `| default`) may come from elsewhere: not flagged
    const optional = PLAYBOOK.replace('packages is defined', 'pakages is defined');
    await writeFile(join(dir, 'site2.yml'), optional);
    const r2 = await loadPlaybook(join(dir, 'site2.yml'), { modules: registeredModules });
    if (!r2.ok) throw new Error(JSON.stringify(r2.errors));
    expect(variableWarnings(r2.playbook, inv, []).map((d) => d.message.split('`')[1])).toEqual(['inventroy_hostname', 'web_prot', 'itme', 'extra_valeu', 'reslt', 'computd', 'db_hots']);
    // -e names are known too
    expect(variableWarnings(r.playbook, inv, ['pakages', 'web_prot']).some((d) => d.message.startsWith('`pakages`'))).toBe(false);
  });

  it('free names of a template: not filters, tests, attributes, called globals, or names it binds', () => {
    const names = (t: string): string[] => templateVariables(t).map((u) => `${u.name}${u.optional ? '?' : ''}`);
    expect(names("{{ a.b | join(c) }}{{ d['e'][f] }}{{ lookup('env', g) }}{{ h is version('1', '>=') }}")).toEqual(['a', 'c', 'd', 'f', 'g', 'h']);
    expect(names('{% for k, v in m.items() %}{{ k }}{{ v }}{{ loop.index }}{% endfor %}{% set s = 1 %}{{ s }}{{ true }}')).toEqual(['m']);
    expect(names("{{ x | default('') }}{{ y is defined }}{{ z is not none }}")).toEqual(['x?', 'y?', 'z?']);
    expect(names('{{ unclosed')).toEqual([]);
  });

  it('names bound by with, block set with a filter, call(args) and filter blocks are not free; what they read is', () => {
    const names = (t: string): string[] => templateVariables(t).map((u) => u.name);
    expect(names('{% with a = b %}{{ a }}{% endwith %}')).toEqual(['b']);
    expect(names('{% set x | replace(old, "y") %}hi{% endset %}{{ x }}')).toEqual(['old']);
    expect(names('{% macro m() %}{{ caller(1) }}{% endmacro %}{% call(u) m() %}{{ u }}{{ w }}{% endcall %}')).toEqual(['w']);
    expect(names('{% filter upper %}{{ z }}{% endfilter %}{% filter indent(n) %}x{% endfilter %}')).toEqual(['z', 'n']);
  });
});
