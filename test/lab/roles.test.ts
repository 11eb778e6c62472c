// Roles and dynamic includes over real SSH, through the CLI, with a role laid out as public
// Galaxy roles are (defaults, vars, meta dependencies, tasks/main.yml including
// setup-{{ ansible_os_family }}.yml, handlers, templates, files): what each part did is read back
// from the host, a second run changes nothing and notifies no handler, and a templated include
// that names no file fails with the host, the rendered name and the paths tried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';
import { labProject, readOnFirstHost } from '../support/lab-project.js';

const NAME = 'ro';
let lab: LabInfo;
let dir: string;

const FILES: Record<string, string> = {
  'roles/common/tasks/main.yml': '- name: base directory\n  file: { path: /tmp/ro, state: directory, mode: "0755" }\n',
  'roles/web/meta/main.yml': 'dependencies:\n  - role: common\n',
  'roles/web/defaults/main.yml': 'web_port: 80\nweb_name: default\n',
  'roles/web/vars/main.yml': 'web_conf: /tmp/ro/web.conf\n',
  'roles/web/tasks/main.yml': [
    '- name: OS-specific setup',
    '  include_tasks: "setup-{{ ansible_os_family }}.yml"',
    '- name: configuration',
    '  template: { src: web.conf.j2, dest: "{{ web_conf }}", mode: "0644" }',
    '  notify: restart web',
    '- name: message of the day',
    '  copy: { src: motd.txt, dest: /tmp/ro/motd, mode: "0644" }',
    '',
  ].join('\n'),
  'roles/web/tasks/setup-Debian.yml': '- name: debian setup\n  copy: { content: "debian {{ web_name }}\\n", dest: /tmp/ro/os }\n',
  'roles/web/tasks/setup-RedHat.yml': '- name: wrong family\n  fail: { msg: "the RedHat file was included on Debian" }\n',
  'roles/web/handlers/main.yml': '- name: restart web\n  shell: "echo restarted >> /tmp/ro/restarts"\n',
  'roles/web/templates/web.conf.j2': '# {{ ansible_managed }}\nport={{ web_port }}\nname={{ web_name }}\nrole={{ role_name }}\n',
  'roles/web/files/motd.txt': 'hello from the role\n',
  'roles/item_role/tasks/main.yml': '- name: per item\n  copy: { content: "{{ which }}\\n", dest: "/tmp/ro/item-{{ which }}" }\n',
  'vars/extra.yml': 'greeting: hi from include_vars\n',
  'site.yml': [
    '- hosts: all',
    '  roles:',
    '    - role: web',
    '      vars: { web_port: 8080 }',
    '  tasks:',
    '    - name: a role per item',
    '      include_role: { name: item_role }',
    '      loop: [a, b]',
    '      loop_control: { loop_var: which }',
    '    - name: variables from a file',
    '      include_vars: { file: extra.yml, name: extra }',
    '    - name: use them',
    '      copy: { content: "{{ extra.greeting }}\\n", dest: /tmp/ro/extra }',
    '',
  ].join('\n'),
  'missing.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - include_tasks: "nope-{{ inventory_hostname }}.yml"\n',
};

describe.skipIf(labSkipReason())('roles and dynamic includes over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = labProject(lab, 'runbook-ro-', FILES);
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  const read = (path: string): Promise<string> => readOnFirstHost(lab, path);

  it('a Galaxy-style role: dependency first, templated OS include, template/files from the role, handler once; then no change', async () => {
    const args = ['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile];
    const first = await runCli(args, { cwd: dir });
    expect(first.code, first.err + first.out.slice(-2000)).toBe(0);
    expect(await read('/tmp/ro/web.conf')).toBe('# Ansible managed\nport=8080\nname=default\nrole=web\n');
    expect(await read('/tmp/ro/os')).toBe('debian default\n');
    expect(await read('/tmp/ro/motd')).toBe('hello from the role\n');
    expect(await read('/tmp/ro/restarts')).toBe('restarted\n');
    expect(await read('/tmp/ro/item-a')).toBe('a\n');
    expect(await read('/tmp/ro/item-b')).toBe('b\n');
    expect(await read('/tmp/ro/extra')).toBe('hi from include_vars\n');

    const second = await runCli(args, { cwd: dir });
    expect(second.code, second.err).toBe(0);
    // task_result events say `status` (ok, changed, failed, skipped, ...)
    const results = second.events.filter((e) => e.type === 'task_result') as Array<{ status?: string }>;
    expect(results.length).toBeGreaterThan(5);
    const changed = results.filter((e) => e.status === 'changed');
    expect(changed.map((e) => JSON.stringify(e).slice(0, 200))).toEqual([]);
    // not notified again: still one restart
    expect(await read('/tmp/ro/restarts')).toBe('restarted\n');
  });

  it('a templated include that names no file fails that host with the rendered name and the paths tried', async () => {
    const r = await runCli(['apply', 'missing.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    const host = lab.hosts[0]?.name ?? '';
    expect(r.code).toBe(2);
    const text = r.out + r.err;
    expect(text).toContain(`nope-${host}.yml`);
    expect(text).toMatch(/tried|looked in/);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
  });
});
