// Ansible names and keywords people paste from existing playbooks: collection-qualified module
// and keyword names, and the keywords runbook accepts for compatibility.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook, type LoadResult } from './load.js';
import { didYouMean } from '../util/edit-distance.js';
import { allModules, allModuleNames, getModule, registeredModules } from '../modules/registry.js';
import { moduleNamesOf } from './module-spec.js';
import type { BlockNode, TaskNode } from './types.js';

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-compat-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'site.yml'), text);
  return join(dir, 'site.yml');
}

async function load(text: string, files: Record<string, string> = {}): Promise<LoadResult> {
  return loadPlaybook(write(text, files), { modules: registeredModules });
}

const errs = (r: LoadResult): string[] => (r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`));

describe('collection-qualified names', () => {
  it('module names resolve under ansible.builtin. and ansible.legacy. where Ansible has them there, only there', () => {
    // ansible-core's own modules among runbook's; the rest (community.general, runbook's own) have no ansible.builtin name
    const builtin = new Set(['command', 'shell', 'raw', 'file', 'copy', 'template', 'lineinfile', 'stat', 'apt', 'package', 'service', 'systemd', 'systemd_service', 'sysvinit', 'wait_for', 'uri', 'assert', 'fail', 'debug', 'set_fact', 'ping', 'meta',
      'blockinfile', 'replace', 'cron', 'tempfile', 'slurp', 'fetch', 'find', 'get_url', 'unarchive', 'script', 'pause',
      'user', 'group', 'hostname', 'git', 'debconf', 'apt_repository', 'deb822_repository', 'wait_for_connection',
      'setup', 'service_facts', 'package_facts', 'getent', 'reboot', 'known_hosts', 'apt_key', 'pip', 'validate_argument_spec',
      // moved to ansible.posix; ansible-core's builtin runtime still redirects these names there
      'sysctl', 'mount']);
    expect(getModule('ansible.builtin.ufw')).toBeUndefined();
    for (const m of allModules()) {
      for (const n of [m.name, ...(m.aliases ?? [])].filter((x) => !x.includes('.'))) {
        const want = builtin.has(n) ? m.name : undefined;
        expect(getModule(`ansible.builtin.${n}`)?.name, `ansible.builtin.${n}`).toBe(want);
        expect(getModule(`ansible.legacy.${n}`)?.name, `ansible.legacy.${n}`).toBe(want);
      }
    }
  });

  it('service aliases, community.general modules and ansible.legacy.shell resolve', () => {
    expect(getModule('ansible.builtin.systemd')?.name).toBe('systemd_service');
    expect(getModule('ansible.builtin.systemd_service')?.name).toBe('systemd_service');
    expect(getModule('ansible.builtin.sysvinit')?.name).toBe('service');
    expect(getModule('community.general.snap')?.name).toBe('snap');
    expect(getModule('community.general.ufw')?.name).toBe('ufw');
    expect(getModule('community.general.apache2_module')?.name).toBe('apache');
    expect(getModule('ansible.legacy.shell')?.name).toBe('shell');
    expect(getModule('ansible.builtin.meta')?.name).toBe('meta');
    expect(getModule('ansible.builtin.ping')?.name).toBe('ping');
    expect(getModule('ansible.legacy.package')?.name).toBe('package');
    // only what Ansible has in community.general
    expect(getModule('community.general.copy')).toBeUndefined();
    expect(moduleNamesOf(getModule('snap')!)).toContain('community.general.snap');
  });

  it('a playbook with FQCN modules and include keywords loads', async () => {
    const r = await load(
      `- hosts: all
  tasks:
    - ansible.builtin.systemd_service: name=x state=started
    - ansible.builtin.sysvinit: name=x state=started
    - community.general.snap: name=x classic=yes
    - ansible.legacy.command: ls
    - ansible.legacy.shell: echo hi
    - ansible.builtin.import_tasks: t.yml
    - ansible.legacy.include_tasks: t.yml
    - ansible.builtin.include_tasks: { file: t.yml }
`,
      { 't.yml': '- debug: msg=hi\n' },
    );
    expect(errs(r)).toEqual([]);
    if (!r.ok) return;
    const tasks = r.playbook.plays[0]?.tasks ?? [];
    // import_tasks is inserted when loaded; include_tasks stays a task, resolved per host (its literal file is loaded and checked now)
    expect(tasks.map((t) => (t.kind === 'task' ? t.module : 'block'))).toEqual(['systemd_service', 'service', 'snap', 'command', 'shell', 'block', 'include_tasks', 'include_tasks']);
    expect((tasks[5] as BlockNode).block[0]).toMatchObject({ module: 'debug' });
    expect(tasks[6]?.kind === 'task' && tasks[6].include?.steps?.[0]).toMatchObject({ module: 'debug' });
  });

  it('ansible.builtin.import_playbook and ansible.legacy.import_playbook import plays', async () => {
    const r = await load('- ansible.builtin.import_playbook: other.yml\n- ansible.legacy.import_playbook: other.yml\n  name: again\n', { 'other.yml': '- hosts: web\n  tasks: []\n' });
    expect(errs(r)).toEqual([]);
    if (r.ok) expect(r.playbook.plays.map((p) => p.hosts)).toEqual(['web', 'web']);
    const bad = await load('- ansible.builtin.import_playbook: other.yml\n  hosts: all\n', { 'other.yml': '- hosts: web\n' });
    expect(errs(bad)).toEqual(['2:3 bad-import `hosts` cannot be used with import_playbook']);
  });

  it('an unknown FQCN suggests the closest name, preferring the same short name', () => {
    const names = allModuleNames();
    expect(didYouMean('community.general.snapp', names)).toBe('community.general.snap');
    expect(didYouMean('community.general.apt', names)).toBe('ansible.builtin.apt');
    expect(didYouMean('ansible.builtin.systemd_servic', names)).toBe('ansible.builtin.systemd_service');
    expect(didYouMean('ansible.legacy.comand', names)).toBe('ansible.legacy.command');
  });

  it('include_vars (and its FQCN) loads; a literal file is checked when loaded', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - include_vars: v.yml\n    - ansible.builtin.include_vars:\n        file: v.yml\n', { 'v.yml': 'port: 80\n' });
    expect(errs(r)).toEqual([]);
    const bad = await load('- hosts: all\n  tasks:\n    - include_vars: v.yml\n', { 'v.yml': '- not a mapping\n' });
    expect(errs(bad)).toEqual(['1:1 vars-not-mapping a vars file must be a mapping of variable names to values']);
  });
});


describe('Ansible keywords accepted for compatibility', () => {
  it('become_method: sudo is accepted on plays and tasks; any other method is an error', async () => {
    const ok = await load('- hosts: all\n  become: true\n  become_method: sudo\n  tasks:\n    - command: id\n      become_method: sudo\n');
    expect(errs(ok)).toEqual([]);
    const bad = await load('- hosts: all\n  become_method: su\n  tasks:\n    - command: id\n      become_method: doas\n');
    expect(errs(bad).sort()).toEqual([
      '2:18 bad-value become_method `su` is not supported: runbook becomes with sudo only',
      '5:22 bad-value become_method `doas` is not supported: runbook becomes with sudo only',
    ]);
  });

  it('remote_user is normalised into the play and the task', async () => {
    const r = await load('- hosts: all\n  remote_user: deploy\n  tasks:\n    - command: id\n      remote_user: admin\n    - command: id\n');
    expect(errs(r)).toEqual([]);
    if (!r.ok) return;
    const play = r.playbook.plays[0];
    expect(play?.remoteUser).toBe('deploy');
    expect((play?.tasks[0] as TaskNode).remoteUser).toBe('admin');
    expect((play?.tasks[1] as TaskNode).remoteUser).toBeUndefined();
  });

  it('ping and package are modules (also as ansible.builtin.*)', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - ansible.builtin.ping:\n    - ping: data=hello\n    - ansible.builtin.package: name=curl state=latest\n    - package: { name: [a, b] }\n');
    expect(errs(r)).toEqual([]);
    if (!r.ok) return;
    expect(r.playbook.plays[0]?.tasks).toMatchObject([
      { module: 'ping', args: {} },
      { module: 'ping', args: { data: 'hello' } },
      { module: 'package', args: { name: 'curl', state: 'latest' } },
      { module: 'package', args: { name: ['a', 'b'] } },
    ]);
  });
});

describe('older loop forms', () => {
  const loopOf = async (task: string): Promise<unknown> => {
    const r = await load(`- hosts: all\n  tasks:\n    - debug: msg="{{ item }}"\n${task}`);
    expect(errs(r)).toEqual([]);
    return r.ok ? (r.playbook.plays[0]?.tasks[0] as TaskNode).loop : undefined;
  };

  it('with_dict: a mapping becomes key/value items, a template goes through dict2items', async () => {
    expect(await loopOf('      with_dict: {a: 1, b: two}\n')).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 'two' }]);
    expect(await loopOf('      with_dict: "{{ users }}"\n')).toBe('{{ (users) | dict2items }}');
  });

  it('with_sequence: start/end/stride/format, count, the shortcut form, counting down', async () => {
    expect(await loopOf('      with_sequence: start=1 end=5\n')).toEqual(['1', '2', '3', '4', '5']);
    expect(await loopOf('      with_sequence: start=0 end=10 stride=5 format=web%02d\n')).toEqual(['web00', 'web05', 'web10']);
    expect(await loopOf('      with_sequence: count=3\n')).toEqual(['1', '2', '3']);
    expect(await loopOf('      with_sequence: 4-8/2:host%d\n')).toEqual(['host4', 'host6', 'host8']);
    expect(await loopOf('      with_sequence: start=3 end=1\n')).toEqual(['3', '2', '1']);
    expect(await loopOf('      with_sequence: start=0x0a end=0x0c format=%x\n')).toEqual(['a', 'b', 'c']);
  });

  it('with_sequence: bad options are errors at the value', async () => {
    const bad = async (v: string): Promise<string[]> => errs(await load(`- hosts: all\n  tasks:\n    - debug: msg=x\n      with_sequence: ${v}\n`));
    expect(await bad('start=1')).toEqual(['4:22 bad-value `with_sequence` needs `end` or `count`']);
    expect(await bad('start=1 end=x')).toEqual(['4:22 bad-value `with_sequence`: end=x is not a whole number']);
    expect(await bad('start=1 end=5 stride=-1')).toEqual(['4:22 bad-value `with_sequence`: the sequence from 1 to 5 with stride -1 never reaches the end']);
    expect(await bad('start=1 end=9999999')).toEqual(['4:22 bad-value `with_sequence` would make 9999999 items (at most 100000)']);
    expect(await bad('start=1 end={{ n }}')).toHaveLength(1);
    expect(await bad('end=3 step=1')).toEqual(['4:22 bad-value `with_sequence` has no option `step` (options: start, end, count, stride, format)']);
  });

  it('with_together zips lists (missing values are null); templates go through zip_longest', async () => {
    expect(await loopOf('      with_together:\n        - [a, b, c]\n        - [1, 2]\n')).toEqual([['a', 1], ['b', 2], ['c', null]]);
    expect(await loopOf('      with_together:\n        - "{{ names }}"\n        - "{{ ports }}"\n')).toBe('{{ (names) | zip_longest((ports)) | list }}');
  });

  it('two loop forms on one task are an error', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - debug: msg=x\n      with_dict: {a: 1}\n      loop: [1]\n');
    expect(errs(r)).toEqual(['4:7 two-loops the task has both `loop` and `with_dict`']);
  });
});
