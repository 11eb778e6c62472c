// Lookups over real SSH, through the CLI: they run on the CONTROLLER while the task's arguments
// are rendered, and only their results reach the host. Each result is read back from the host:
// pipe gives the controller's hostname (not the host's own), env the controller process's
// environment, file/template/first_found/fileglob read the controller's files beside the
// playbook (a template that imports macros and includes another), password is generated and
// stored on the controller as Ansible does and is the same on the next run, vars reads a
// variable by a computed name, and with_fileglob/with_lines/with_file loop over lookups.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';
import { labProject } from '../support/lab-project.js';

const NAME = 'as-lookup';
const OUT = '/tmp/as-lookup';
let lab: LabInfo;
let dir: string;

const FILES: Record<string, string> = {
  'files/data.txt': 'controller data\n',
  'files/globbed/a.conf': 'conf a\n',
  'files/globbed/b.conf': 'conf b\n',
  'files/globbed/c.txt': 'not a conf\n',
  'list.txt': 'one\ntwo\n',
  'templates/page.j2': "{% import 'macros.j2' as m %}{{ m.heading(title) }}\n{% include 'footer.j2' %}\n",
  'templates/macros.j2': '{% macro heading(t) %}== {{ t | upper }} =={% endmacro %}',
  'templates/footer.j2': "rendered on {{ lookup('pipe', 'hostname') }}\n",
  'site.yml': [
    '- hosts: all',
    '  gather_facts: false',
    '  vars: { title: lookups, var_web: from the vars lookup, which: web }',
    '  tasks:',
    `    - file: { path: ${OUT}, state: directory }`,
    `    - copy: { content: "{{ lookup('pipe', 'hostname') }}\\n", dest: ${OUT}/pipe }`,
    `    - copy: { content: "{{ lookup('env', 'RB_AS_LOOKUP') }}\\n", dest: ${OUT}/env }`,
    `    - copy: { content: "{{ lookup('file', 'data.txt') }}\\n", dest: ${OUT}/file }`,
    `    - copy: { content: "{{ lookup('template', 'page.j2') }}", dest: ${OUT}/template }`,
    `    - copy: { content: "{{ lookup('password', 'creds/db length=24 chars=ascii_letters,digits') }}\\n", dest: ${OUT}/password, mode: "0600" }`,
    `    - copy: { content: "{{ lookup('first_found', ['missing.txt', 'data.txt']) }}\\n", dest: ${OUT}/first_found }`,
    `    - copy: { content: "{{ lookup('vars', 'var_' + which) }}\\n", dest: ${OUT}/vars }`,
    `    - copy: { src: "{{ item }}", dest: "${OUT}/glob-{{ item | basename }}" }`,
    "      with_fileglob: 'globbed/*.conf'",
    `    - copy: { content: "{{ item }}\\n", dest: "${OUT}/line-{{ item }}" }`,
    '      with_lines: cat list.txt',
    `    - copy: { content: "{{ item }}\\n", dest: ${OUT}/with_file }`,
    '      with_file: data.txt',
    '',
  ].join('\n'),
};

describe.skipIf(labSkipReason())('lookups run on the controller, over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = labProject(lab, 'runbook-as-lookup-', FILES);
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  const host = (): string => lab.hosts[0]?.name ?? '';
  const sh = async (cmd: string): Promise<string> => (await labExec(lab, host(), ['sh', '-c', cmd])).stdout;
  // the CLI runs in this process: the controller's environment is this process's
  const apply = async () => {
    process.env.RB_AS_LOOKUP = 'from the controller environment';
    try {
      return await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    } finally {
      delete process.env.RB_AS_LOOKUP;
    }
  };

  it('each lookup\'s result reaches the host; pipe and env are the controller\'s; a second run changes nothing', async () => {
    await sh(`rm -rf ${OUT}`);
    const first = await apply();
    expect(first.code, first.err + first.out.slice(-3000)).toBe(0);

    // pipe ran on the controller: its hostname, which is not the lab host's own
    const controller = hostname();
    const own = (await sh('hostname')).trim();
    expect(own).not.toBe(controller);
    expect(await sh(`cat ${OUT}/pipe`)).toBe(`${controller}\n`);
    // env: the controller process's variable (the remote shell has no such variable)
    expect(await sh(`cat ${OUT}/env`)).toBe('from the controller environment\n');
    expect(await sh('echo "[$RB_AS_LOOKUP]"')).toBe('[]\n');
    expect(await sh(`cat ${OUT}/file`)).toBe('controller data\n');
    // template: its import and include found in templates/, the include's own lookup on the controller too
    expect(await sh(`cat ${OUT}/template`)).toBe(`== LOOKUPS ==\nrendered on ${controller}\n`);
    // password: generated and stored beside the playbook on the controller; the host got the same text
    const stored = readFileSync(join(dir, 'creds/db'), 'utf8').trim();
    expect(stored).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(await sh(`cat ${OUT}/password`)).toBe(`${stored}\n`);
    // first_found: the controller path of the file that exists
    expect(await sh(`cat ${OUT}/first_found`)).toBe(`${join(dir, 'files/data.txt')}\n`);
    expect(await sh(`cat ${OUT}/vars`)).toBe('from the vars lookup\n');
    expect(await sh(`cd ${OUT} && ls glob-* line-* && cat glob-a.conf glob-b.conf line-one line-two with_file`)).toBe(
      'glob-a.conf\nglob-b.conf\nline-one\nline-two\nconf a\nconf b\none\ntwo\ncontroller data\n',
    );

    const second = await apply();
    expect(second.code, second.err).toBe(0);
    const changed = (second.events.filter((e) => e.type === 'task_result') as Array<{ status?: string }>).filter((e) => e.status === 'changed');
    expect(changed.map((e) => JSON.stringify(e).slice(0, 300))).toEqual([]);
    // the stored password was reused, not generated again
    expect(readFileSync(join(dir, 'creds/db'), 'utf8').trim()).toBe(stored);
  });
});
