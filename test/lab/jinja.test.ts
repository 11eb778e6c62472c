// Jinja's import/from/macros/call/filter in a role's template, rendered by the template module
// and written over real SSH: the imported files are found in the role's templates/ directory
// (one in a subfolder), the file on the host is read back, a second run changes nothing, and a
// template importing a file that does not exist fails the task with the paths tried.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';
import { labProject, readOnFirstHost } from '../support/lab-project.js';

const NAME = 'jj';
let lab: LabInfo;
let dir: string;

const FILES: Record<string, string> = {
  'roles/app/defaults/main.yml': 'app_ports: [80, 443]\napp_users: [ann, bob]\napp_name: demo\napp_bind: 0.0.0.0\n',
  'roles/app/tasks/main.yml': '- name: app configuration\n  template: { src: app.conf.j2, dest: /tmp/jj/app.conf, mode: "0644" }\n',
  'roles/app/templates/app.conf.j2': [
    "{% import 'macros.j2' as m %}",
    "{% from 'lib/net.j2' import listen with context %}",
    '# {{ ansible_managed }}',
    "{{ m.section('server') -}}",
    '{% for p in app_ports %}',
    '{{ listen(p) }}',
    '{% endfor %}',
    "{% call m.block('users') %}",
    '{% for u in app_users %}',
    '{{ u | upper }}',
    '{% endfor %}',
    '{% endcall %}',
    '{% filter upper %}',
    'end of {{ app_name }}',
    '{% endfilter %}',
    '',
  ].join('\n'),
  'roles/app/templates/macros.j2': '{% macro section(name) %}\n[{{ name }}]\n{% endmacro %}\n{% macro block(title) %}\n<{{ title }}>\n{{ caller() }}</{{ title }}>\n{% endmacro %}\n',
  'roles/app/templates/lib/net.j2': '{% macro listen(port) %}listen {{ app_bind }}:{{ port }}{% endmacro %}\n',
  'roles/broken/tasks/main.yml': '- name: broken import\n  template: { src: broken.j2, dest: /tmp/jj/broken }\n',
  'roles/broken/templates/broken.j2': "{% from 'nope.j2' import x %}{{ x() }}\n",
  'site.yml': '- hosts: all\n  gather_facts: false\n  pre_tasks:\n    - file: { path: /tmp/jj, state: directory }\n  roles: [app]\n',
  'broken.yml': '- hosts: all\n  gather_facts: false\n  roles: [broken]\n',
};

describe.skipIf(labSkipReason())('Jinja imports and macros in a role template over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = labProject(lab, 'runbook-jj-', FILES);
    // a fresh file, so the first run must write it
    await labExec(lab, lab.hosts[0]?.name ?? '', ['rm', '-rf', '/tmp/jj']);
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  const read = (path: string): Promise<string> => readOnFirstHost(lab, path);

  it('import/from (with context) of the role templates, call and filter blocks: written once, then unchanged', async () => {
    const args = ['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile];
    const first = await runCli(args, { cwd: dir });
    expect(first.code, first.err + first.out.slice(-2000)).toBe(0);
    // what Jinja2 renders with Ansible's trim_blocks: each tag line leaves no newline behind
    expect(await read('/tmp/jj/app.conf')).toBe('# Ansible managed\n[server]\nlisten 0.0.0.0:80\nlisten 0.0.0.0:443\n<users>\nANN\nBOB\n</users>\nEND OF DEMO\n');
    const status = (run: typeof first, task: string): string[] =>
      run.events.filter((e) => e.type === 'task_result' && JSON.stringify((e as { task?: unknown }).task).includes(task)).map((e) => String((e as { status?: unknown }).status));
    expect(status(first, 'app configuration')).toEqual(['changed']);

    const second = await runCli(args, { cwd: dir });
    expect(second.code, second.err).toBe(0);
    expect(status(second, 'app configuration')).toEqual(['ok']);
    const changed = second.events.filter((e) => e.type === 'task_result' && (e as { status?: unknown }).status !== 'ok');
    expect(changed.map((e) => JSON.stringify(e).slice(0, 200))).toEqual([]);
  });

  it('an import of a missing file fails the task naming the file and every path tried, without a stack trace', async () => {
    const r = await runCli(['apply', 'broken.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    expect(r.code).toBe(2);
    const text = r.out + r.err;
    expect(text).toContain("{% from %} in 'broken.j2': template 'nope.j2' not found; looked in:");
    expect(text).toContain(join(dir, 'roles/broken/templates/nope.j2'));
    expect(text).toContain(join(dir, 'templates/nope.j2'));
    expect(text).not.toMatch(/\n\s+at /);
    expect(await read('/tmp/jj/broken')).toBe('<missing /tmp/jj/broken>');
  });
});
