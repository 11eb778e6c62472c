import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaybook, splitKeyValue, toBool, type LoadOptions } from './load.js';
import { testModules } from '../modules/testing/playbook-modules.js';
import type { BlockNode, Playbook } from './types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const valid = join(root, 'test/fixtures/playbooks/valid');

async function load(file: string, options: Partial<LoadOptions> = {}): Promise<Playbook> {
  const r = await loadPlaybook(file, { modules: testModules, ...options });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.message}`).join('\n'));
  return r.playbook;
}

/** a playbook from text in a fresh directory (plus optional side files) */
function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-load-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, 'site.yml'), text);
  return join(dir, 'site.yml');
}

describe('loadPlaybook: Ansible-style playbooks normalise', () => {
  it('normalises the play keywords (yes/no, serial, vars_files)', async () => {
    const pb = await load(join(valid, 'ansible-way.yml'));
    const play = pb.plays[0];
    expect(play).toMatchObject({
      name: 'Web servers',
      hosts: 'webservers:!staging',
      become: true,
      gatherFacts: false,
      serial: [1, '30%'],
      maxFailPercentage: 25,
      anyErrorsFatal: false,
      strategy: 'linear',
      tags: ['web'],
      vars: { app_dir: '/opt/app' },
      varsFiles: [{ file: join(valid, 'vars/common.yml'), vars: { app_user: 'app', ports: [80, 443] } }],
      location: { file: join(valid, 'ansible-way.yml'), line: 4, col: 3 },
      path: '0',
    });
  });

  it('normalises key=value, free-form, args:, with_items, notify and tags', async () => {
    const [play] = (await load(join(valid, 'ansible-way.yml'))).plays;
    const tasks = play?.tasks ?? [];
    expect(play?.preTasks[0]).toMatchObject({ kind: 'task', module: 'debug', args: { msg: 'deploying to {{ inventory_hostname }}' } });
    expect(tasks[0]).toMatchObject({ module: 'file', args: { path: '{{ app_dir }}', state: 'directory', mode: '0755' }, notify: ['restart app'] });
    expect(tasks[1]).toMatchObject({
      module: 'command',
      args: { cmd: 'ls -l {{ app_dir }}', chdir: '/opt', creates: '/opt/app/.done' },
      register: 'listing',
      changedWhen: [false],
      when: ['ansible_os_family == "Debian"'],
    });
    expect(tasks[2]).toMatchObject({ module: 'shell', args: { cmd: 'echo hi | tr a-z A-Z', chdir: '/tmp' } });
    expect(tasks[3]).toMatchObject({
      module: 'file',
      loop: ['/opt/a', '/opt/b', '/opt/c'],
      loopControl: { loopVar: 'item', label: '{{ item }}' },
      tags: ['dirs', 'setup'],
      notify: ['restart app', 'reload all'],
      location: { line: 34, col: 7 },
      path: '0.tasks.3',
    });
  });

  it('turns import_tasks into a block whose tasks point into the included file', async () => {
    const [play] = (await load(join(valid, 'ansible-way.yml'))).plays;
    const imp = play?.tasks[4] as BlockNode;
    expect(imp).toMatchObject({ kind: 'block', when: ['extra | default(true)'], tags: ['extra'], fromImport: join(valid, 'tasks/extra.yml') });
    expect(imp.block[0]).toMatchObject({ module: 'debug', location: { file: join(valid, 'tasks/extra.yml'), line: 1, col: 3 }, path: '0' });
    expect(imp.block[1]).toMatchObject({ module: 'command', args: { cmd: 'true' }, until: ['r.rc == 0'], retries: 5, delay: 2 });
  });

  it('normalises block/rescue/always and handlers with listen', async () => {
    const [play] = (await load(join(valid, 'ansible-way.yml'))).plays;
    const b = play?.tasks[5] as BlockNode;
    expect(b).toMatchObject({ kind: 'block', become: false, ignoreErrors: true });
    expect(b.block[0]).toMatchObject({ module: 'debug', args: { var: 'listing' } });
    expect(b.rescue[0]).toMatchObject({ module: 'debug', args: { msg: 'it failed' } });
    expect(b.always[0]).toMatchObject({ module: 'debug', args: { msg: 'done' } });
    expect(play?.handlers.map((h) => [h.name, h.listen])).toEqual([
      ['restart app', ['reload all']],
      ['reload web', ['reload all']],
    ]);
  });

  it('supports import_playbook, strategy, on/off, {{ }} conditions (with a warning), loop_control', async () => {
    const r = await loadPlaybook(join(valid, 'site.yml'), { modules: testModules });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.playbook.plays.map((p) => p.name)).toEqual(['Web servers', 'Second play']);
    const second = r.playbook.plays[1];
    expect(second).toMatchObject({ strategy: 'free', anyErrorsFatal: true, serial: [2], hosts: 'db' });
    expect(second?.tasks[0]).toMatchObject({ when: ['run_it', true] });
    expect(r.warnings.map((w) => [w.code, w.location.line])).toContainEqual(['when-template', 13]);
    expect(second?.tasks[1]).toMatchObject({ loop: '{{ packages }}', loopControl: { loopVar: 'pkg', indexVar: 'idx', label: '{{ pkg }}' } });
    expect(second?.handlers).toHaveLength(1);
    expect(second?.handlers[0]).toMatchObject({ name: 'restart db', module: 'command', location: { file: join(valid, 'tasks/handlers.yml') } });
  });

  it('resolves ansible.builtin names and keeps inline args over args:', async () => {
    const file = write('- hosts: all\n  tasks:\n    - ansible.builtin.copy: content=inline dest=/tmp/x\n      args:\n        content: from-args\n        force: no\n');
    const [play] = (await load(file)).plays;
    expect(play?.tasks[0]).toMatchObject({ kind: 'task', module: 'copy', args: { content: 'inline', dest: '/tmp/x', force: false } });
  });

  it('checks host patterns against the inventory only when asked', async () => {
    const file = write('- hosts: web\n  tasks:\n    - debug: msg=x\n- hosts: "{{ target }}"\n  tasks:\n    - debug: msg=y\n');
    await expect(load(file)).resolves.toBeDefined();
    const r = await loadPlaybook(file, { modules: testModules, matchHosts: (p) => (p === 'web' ? [] : ['x']) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => [e.code, e.location.line, e.location.col])).toEqual([['hosts-no-match', 1, 3]]);
  });

  it('warns when a register name is also an extra var', async () => {
    const file = write('- hosts: all\n  tasks:\n    - command: ls\n      register: out\n');
    const r = await loadPlaybook(file, { modules: testModules, extraVarNames: ['out'] });
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(['register-shadowed']);
  });

  it('reports every problem at once, across included files', async () => {
    const file = write('- hosts: all\n  become: maybe\n  tasks:\n    - import_tasks: more.yml\n    - debug: msg=x\n      notfy: h\n', {
      'more.yml': '- file: {path: /x, mode: 644}\n- copi: {}\n',
    });
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const more = join(dirname(file), 'more.yml');
    expect(r.errors.map((e) => [e.code, e.location.file === more ? 'more.yml' : 'site.yml', e.location.line])).toEqual([
      ['bad-value', 'site.yml', 2],
      ['octal-mode', 'more.yml', 1],
      ['unknown-module', 'more.yml', 2],
      ['unknown-key', 'site.yml', 6],
    ]);
    expect(r.errors[3]?.message).toContain('did you mean `notify`?');
  });

  it('accepts empty lists and null sections', async () => {
    const file = write('- hosts: all\n  tasks:\n  handlers: []\n  vars:\n');
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/`vars` must be a mapping/);
    const ok = await loadPlaybook(write('- hosts: all\n  tasks:\n  handlers: []\n'), { modules: testModules });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.warnings.map((w) => w.code)).toEqual(['empty-play']);
  });
});

describe('helpers', () => {
  it('splitKeyValue keeps quotes and Jinja expressions together', () => {
    expect(splitKeyValue(`path={{ a | default('x y') }} msg="two words" c='q' bare`).map((t) => [t.key, t.value])).toEqual([
      ['path', "{{ a | default('x y') }}"],
      ['msg', 'two words'],
      ['c', 'q'],
      [undefined, 'bare'],
    ]);
  });

  it('toBool reads the booleans Ansible users write', () => {
    expect(['yes', 'Yes', 'on', 'true', 'TRUE', 'y', true].map(toBool)).toEqual(Array(7).fill(true));
    expect(['no', 'No', 'off', 'false', 'n', false].map(toBool)).toEqual(Array(6).fill(false));
    expect(['1', 't', 'F', 1, 0].map(toBool)).toEqual([true, true, false, true, false]);
    expect(['maybe', 2, null].map(toBool)).toEqual([undefined, undefined, undefined]);
  });
});


describe('positions of module argument problems', () => {
  it('point into args: when the argument was written there', async () => {
    const file = write('- hosts: all\n  tasks:\n    - file:\n        path: /x\n      args:\n        state: dir\n        mode: 644\n');
    const r = await loadPlaybook(file, { modules: testModules });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.code, e.location.line, e.location.col])).toEqual([
        ['octal-mode', 7, 15],
        ['bad-argument', 6, 16],
      ]);
    }
  });
});
