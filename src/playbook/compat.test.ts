// Ansible names and keywords people paste from existing playbooks: collection-qualified module
// and keyword names, and the keywords runbook accepts for compatibility.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook, type LoadResult } from './load.js';
import { closest } from './rules.js';
import { allModules, allModuleNames, getModule, moduleNamesOf } from '../modules/registry.js';
import type { BlockNode } from './types.js';

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-compat-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'site.yml'), text);
  return join(dir, 'site.yml');
}

async function load(text: string, files: Record<string, string> = {}): Promise<LoadResult> {
  return loadPlaybook(write(text, files));
}

const errs = (r: LoadResult): string[] => (r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`));

describe('collection-qualified names', () => {
  it('every module name and alias resolves under ansible.builtin. and ansible.legacy.', () => {
    for (const m of allModules()) {
      for (const n of [m.name, ...(m.aliases ?? [])].filter((x) => !x.includes('.'))) {
        expect(getModule(`ansible.builtin.${n}`)?.name, `ansible.builtin.${n}`).toBe(m.name);
        expect(getModule(`ansible.legacy.${n}`)?.name, `ansible.legacy.${n}`).toBe(m.name);
      }
    }
  });

  it('service aliases, community.general modules and ansible.legacy.shell resolve', () => {
    expect(getModule('ansible.builtin.systemd')?.name).toBe('service');
    expect(getModule('ansible.builtin.systemd_service')?.name).toBe('service');
    expect(getModule('ansible.builtin.sysvinit')?.name).toBe('service');
    expect(getModule('community.general.snap')?.name).toBe('snap');
    expect(getModule('community.general.ufw')?.name).toBe('ufw');
    expect(getModule('community.general.apache2_module')?.name).toBe('apache');
    expect(getModule('ansible.legacy.shell')?.name).toBe('shell');
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
    expect(tasks.map((t) => (t.kind === 'task' ? t.module : 'block'))).toEqual(['service', 'service', 'snap', 'command', 'shell', 'block', 'block', 'block']);
    expect((tasks[5] as BlockNode).block[0]).toMatchObject({ module: 'debug' });
    expect(tasks[6]?.name).toBe('include_tasks: t.yml');
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
    expect(closest('community.general.snapp', names)).toBe('community.general.snap');
    expect(closest('community.general.apt', names)).toBe('ansible.builtin.apt');
    expect(closest('ansible.builtin.systemd_servic', names)).toBe('ansible.builtin.systemd_service');
    expect(closest('ansible.legacy.comand', names)).toBe('ansible.legacy.command');
  });

  it('include_vars gets a vars_files message, not "did you mean include_tasks"', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - include_vars: v.yml\n    - ansible.builtin.include_vars:\n        file: v.yml\n');
    expect(errs(r)).toEqual([
      '3:7 unsupported-keyword `include_vars` is not supported by runbook',
      '4:7 unsupported-keyword `ansible.builtin.include_vars` is not supported by runbook',
    ]);
    if (!r.ok) expect(r.errors[0]?.fix).toMatch(/vars_files/);
  });
});

