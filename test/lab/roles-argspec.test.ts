// Role argument specs and a templated become_user over real SSH and sudo, through the CLI. A
// role with meta/argument_specs.yml runs its implicit validation task first ("web : Validating
// arguments against arg spec 'main' - ..."); with valid arguments the role runs, its commands as
// the user a role argument names (`become_user: "{{ web_user }}"` rendered per host, through
// sudo: whoami and the file's owner say so); with invalid ones the host fails at the validation
// task with Ansible's messages and nothing of the role reaches the host. A bad spec file stops
// `validate` and `apply` with file:line:col before anything runs.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';

const NAME = 'as-argspec';
const OUT = '/tmp/as-argspec';
let lab: LabInfo;
let dir: string;

const SPEC = [
  'argument_specs:',
  '  main:',
  '    short_description: Site files',
  '    options:',
  '      web_port: { type: int, required: true }',
  '      web_user: { type: str, required: true, description: "the account the files belong to ({{ not templated }})" }',
  '      web_mode: { type: str, choices: [fast, safe] }',
  '      web_sites:',
  '        type: list',
  '        elements: dict',
  '        options:',
  '          name: { type: str, required: true }',
  '',
].join('\n');

const FILES: Record<string, string> = {
  'roles/web/meta/argument_specs.yml': SPEC,
  'roles/web/defaults/main.yml': 'web_mode: safe\nweb_sites: []\n',
  'roles/web/tasks/main.yml': [
    '- name: site directory',
    `  file: { path: ${OUT}, state: directory, mode: "0777" }`,
    '  become: true',
    '- name: port file, written as the user the role is given',
    `  shell: "whoami > ${OUT}/whoami && echo {{ web_port }} {{ web_mode }} > ${OUT}/port"`,
    '  args: { creates: ' + OUT + '/port }',
    '  become: true',
    '  become_user: "{{ web_user }}"',
    '- name: who runs this task',
    '  command: whoami',
    '  become: true',
    '  become_user: "{{ web_user }}"',
    '  register: who',
    '  changed_when: false',
    '- assert: { that: [ "who.stdout == web_user" ] }',
    '',
  ].join('\n'),
  'roles/bad/meta/argument_specs.yml': 'argument_specs:\n  main:\n    options:\n      port: { type: integer }\n',
  'roles/bad/tasks/main.yml': `- file: { path: ${OUT}/bad, state: touch }\n`,
  'bad-spec.yml': '- hosts: all\n  roles: [bad]\n',
};

describe.skipIf(labSkipReason())('role argument specs and a templated become_user over real SSH + sudo', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-as-argspec-'));
    const h = lab.hosts[0];
    if (!h) throw new Error('the lab has no host');
    const site = (params: string): string => ['- hosts: all', '  gather_facts: false', `  vars: { site_user: ${lab.users.passwd.name} }`, '  roles:', `    - { role: web, ${params} }`, ''].join('\n');
    const files = { ...FILES, 'site.yml': site('web_port: "8080", web_user: "{{ site_user }}", web_sites: [{ name: a }]'), 'wrong.yml': site('web_port: eighty, web_mode: slow, web_sites: [{ nam: a }]') };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile, ansible_user: lab.users.nopasswd.name }, hosts: { [h.name]: { ansible_host: h.address, ansible_port: h.port } } } }));
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  const host = (): string => lab.hosts[0]?.name ?? '';
  const sh = async (cmd: string): Promise<string> => (await labExec(lab, host(), ['sh', '-c', cmd])).stdout.trim();
  const apply = (file: string) => runCli(['apply', file, '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
  type Result = { type: string; status?: string; msg?: string; task?: { name?: string; module?: string } };

  it('valid arguments: the validation task passes first, then the role runs its commands as the templated become_user', async () => {
    await sh(`rm -rf ${OUT}`);
    const r = await apply('site.yml');
    expect(r.code, r.err + r.out.slice(-3000)).toBe(0);
    const results = r.events.filter((e) => e.type === 'task_result') as Result[];
    expect(results[0]?.task?.name).toBe("web : Validating arguments against arg spec 'main' - Site files");
    expect(results[0]?.status).toBe('ok');
    expect(results[0]?.msg).toBe('The arg spec validation passed');
    const user = lab.users.passwd.name;
    expect(user).not.toBe(lab.users.nopasswd.name);
    // run through sudo as the user the template named: whoami and the file's owner say so
    expect(await sh(`cat ${OUT}/whoami`)).toBe(user);
    expect(await sh(`stat -c %U ${OUT}/port`)).toBe(user);
    // the role parameter reached the role as given ("8080"), its spec checked it as an int
    expect(await sh(`cat ${OUT}/port`)).toBe('8080 safe');
  });

  it('invalid arguments: the host fails at the validation task with Ansible\'s messages; nothing of the role runs', async () => {
    await sh(`rm -rf ${OUT}`);
    const r = await apply('wrong.yml');
    expect(r.code).toBe(2);
    const failed = (r.events.filter((e) => e.type === 'task_result') as Result[]).filter((e) => e.status === 'failed');
    expect(failed.map((e) => e.task?.name)).toEqual(["web : Validating arguments against arg spec 'main' - Site files"]);
    expect(failed[0]?.msg?.split('\n')).toEqual([
      'Validation of arguments failed:',
      'missing required arguments: web_user',
      "argument 'web_port' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int",
      'value of web_mode must be one of: fast, safe, got: slow',
      'missing required arguments: name found in web_sites',
      'web_sites.nam. Supported parameters include: web_mode, web_port, web_sites, web_user.',
    ]);
    expect(await sh(`test -e ${OUT} && echo present || echo absent`)).toBe('absent');
    // the terminal view names the host, the role's validation task and the option
    const plain = await runCli(['apply', 'wrong.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    const text = plain.out + plain.err;
    expect(text).toContain(host());
    expect(text).toContain("Validating arguments against arg spec 'main'");
    expect(text).toContain('missing required arguments: web_user');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('a bad spec file: validate and apply stop with its file:line:col before anything runs', async () => {
    await sh(`rm -rf ${OUT}`);
    for (const cmd of [['validate', join(dir, 'bad-spec.yml')], ['apply', 'bad-spec.yml', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsFile]]) {
      const r = await runCli(cmd, { cwd: dir });
      expect(r.code, cmd[0]).toBe(1);
      expect(r.out + r.err).toMatch(/roles\/bad\/meta\/argument_specs\.yml:4:\d+.*unknown type "integer"; did you mean `int`\?/);
    }
    expect(await sh(`test -e ${OUT} && echo present || echo absent`)).toBe('absent');
  });
});
