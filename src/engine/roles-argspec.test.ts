// Role argument specs through the loader and the engine (in-memory hosts): the implicit
// validation task before a role's tasks, per entry point, its failure (Ansible's messages and
// return values, rescued in a block), rolespec_validate, tags, and bad spec files at load time.
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../playbook/load.js';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

const ROLE_A: Record<string, string> = {
  'roles/a/meta/argument_specs.yml': [
    'argument_specs:',
    '  main:',
    '    short_description: Main entry point for role A.',
    '    options:',
    '      a_str: { type: str, required: true, description: "text with {{ braces }} in it" }',
    '      a_port: { type: int, default: 80 }',
    '      a_mode: { type: str, choices: [fast, safe] }',
    '  alternate:',
    '    options:',
    '      a_int: { type: int, required: true }',
    '',
  ].join('\n'),
  'roles/a/defaults/main.yml': 'a_mode: safe\n',
  'roles/a/tasks/main.yml': '- name: main ran\n  debug: { msg: "main {{ a_str }} {{ a_port | default(\'no default var\') }} {{ a_mode }}" }\n',
  'roles/a/tasks/alternate.yml': '- name: alternate ran\n  debug: { msg: "alternate {{ a_int }}" }\n',
  'roles/a/tasks/nospec.yml': '- name: nospec ran\n  debug: { msg: "nospec" }\n',
};

async function run(yaml: string, files: Record<string, string>, opts: Partial<RunOptions> = {}) {
  const { dir } = await playbookFrom('- hosts: all\n  tasks: []\n', { ...files, 'real.yml': yaml });
  const loaded = await loadPlaybook(`${dir}/real.yml`, { modules: testModules, rolesPath: [] });
  if (!loaded.ok) throw new Error(`invalid: ${loaded.errors.map((e) => `${e.location.line}:${e.location.col} ${e.message}`).join('\n')}`);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(loaded.playbook, memoryInventory({ web: ['a'] }), { transportFactory: memoryFleet().factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => testModules.get(n), forks: 5, rolesPath: [], ...opts }, mem);
  return { recap, events: mem.events };
}

const results = (events: RunEvent[]): TaskResultEvent[] => events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined);
const said = (events: RunEvent[]): string[] => results(events).filter((e) => e.task.module === 'debug' && e.status === 'ok').map((e) => e.msg ?? '');
const validations = (events: RunEvent[]): TaskResultEvent[] => results(events).filter((e) => e.task.module === 'validate_argument_spec');

describe('role argument specs', () => {
  it('valid arguments: the validation task runs first, named as Ansible names it, and changes no variable', async () => {
    const { events, recap } = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: a, a_str: roles, a_port: "8080" }\n', ROLE_A);
    expect(recap.hosts.a?.failed ?? 0).toBe(0);
    const v = validations(events);
    expect(v.map((e) => [e.task.name, e.status, e.msg])).toEqual([["a : Validating arguments against arg spec 'main' - Main entry point for role A.", 'ok', 'The arg spec validation passed']]);
    // the role parameter stays the text "8080" (validated as an int, not converted); the spec default is not a variable
    expect(said(events)).toEqual(['main roles 8080 safe']);
    const withoutPort = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: a, a_str: x }\n', ROLE_A);
    expect(said(withoutPort.events)).toEqual(['main x no default var safe']);
  });

  it('invalid arguments fail the host at the validation task; the role\'s tasks do not run', async () => {
    const { events, recap } = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: a, a_port: eighty }\n', { ...ROLE_A, 'roles/a/defaults/main.yml': 'a_mode: slow\n' });
    expect(recap.hosts.a?.failed).toBe(1);
    const [v] = validations(events);
    expect(v?.status).toBe('failed');
    expect(v?.msg).toBe(
      [
        'Validation of arguments failed:',
        'missing required arguments: a_str',
        "argument 'a_port' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int",
        'value of a_mode must be one of: fast, safe, got: slow',
      ].join('\n'),
    );
    expect(said(events)).toEqual([]);
  });

  it('rescued: ansible_failed_result has argument_errors, argument_spec_data and validate_args_context; the entry point is tasks_from', async () => {
    const yaml = [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - block:',
      '        - include_role: { name: a, tasks_from: alternate }',
      '          vars: { a_str: given }',
      '      rescue:',
      '        - debug: { msg: "{{ ansible_failed_result.argument_errors }} {{ ansible_failed_result.validate_args_context.name }} {{ ansible_failed_result.validate_args_context.argument_spec_name }} {{ ansible_failed_result.argument_spec_data.a_int.type }} {{ ansible_failed_task.name }}" }',
      '    - import_role: { name: a, tasks_from: alternate }',
      '      vars: { a_int: "{{ 40 + 2 }}" }',
      '    - import_role: { name: a, tasks_from: nospec }',
      '',
    ].join('\n');
    const { events } = await run(yaml, ROLE_A);
    expect(said(events)).toEqual(["['missing required arguments: a_int'] a alternate int Validating arguments against arg spec 'alternate'", 'alternate 42', 'nospec']);
    expect(validations(events).map((e) => e.status)).toEqual(['failed', 'ok']);
  });

  it('rolespec_validate: false runs the role unchecked; the validation task is tagged always', async () => {
    const off = await run('- hosts: all\n  gather_facts: false\n  tasks:\n    - import_role: { name: a, rolespec_validate: false }\n      vars: { a_str: s }\n', ROLE_A);
    expect(validations(off.events)).toEqual([]);
    expect(said(off.events)).toEqual(['main s no default var safe']);
    const tagged = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: a, tags: [web] }\n', ROLE_A, { tags: ['db'] });
    expect(validations(tagged.events).map((e) => e.status)).toEqual(['failed']);
  });

  it('argument_specs in meta/main.yml when there is no meta/argument_specs.yml', async () => {
    const files = {
      'roles/m/meta/main.yml': 'dependencies: []\nargument_specs:\n  main:\n    options:\n      m_list: { type: list, elements: int, required: true }\n',
      'roles/m/tasks/main.yml': '- debug: { msg: "m {{ m_list }}" }\n',
    };
    const { events } = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: m, m_list: [1, "x"] }\n', files);
    expect(validations(events)[0]?.msg).toBe("Validation of arguments failed:\nElements value for option 'm_list' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int");
  });

  it('a role parameter the spec does not list fails, as in Ansible', async () => {
    const { events } = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - { role: a, a_str: s, message: hi }\n', ROLE_A);
    expect(validations(events)[0]?.msg).toBe('Validation of arguments failed:\nmessage. Supported parameters include: a_mode, a_port, a_str.');
  });

  it('a bad spec file is a load error at its line and column; fields Ansible ignores are warnings', async () => {
    const files = {
      ...ROLE_A,
      'roles/a/meta/argument_specs.yml': 'argument_specs:\n  main:\n    options:\n      a_str: { type: string }\n      a_pw: { no_log: true }\n',
    };
    const { dir } = await playbookFrom('- hosts: all\n  tasks: []\n', { ...files, 'real.yml': '- hosts: all\n  roles: [a]\n' });
    const r = await loadPlaybook(`${dir}/real.yml`, { modules: testModules, rolesPath: [] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.location.file.endsWith('roles/a/meta/argument_specs.yml'), e.location.line, e.location.col, e.message])).toEqual([[true, 4, 16, 'option `a_str`: unknown type "string"; did you mean `str`?']]);
    expect(r.warnings.some((w) => w.location.line === 5 && w.message.includes('`no_log` is not supported'))).toBe(true);
  });

  it('validate_argument_spec called from a playbook: variables checked, provided_arguments win; a bad spec is refused', async () => {
    const yaml = [
      '- hosts: all',
      '  gather_facts: false',
      '  vars: { port: "80", spec: { port: { type: int }, name: { required: true } } }',
      '  tasks:',
      '    - validate_argument_spec: { argument_spec: "{{ spec }}", provided_arguments: { name: x } }',
      '    - validate_argument_spec: { argument_spec: "{{ spec }}", provided_arguments: { port: nope } }',
      '      ignore_errors: true',
      '    - validate_argument_spec: { argument_spec: { port: { type: integer } } }',
      '      ignore_errors: true',
      '',
    ].join('\n');
    const { events } = await run(yaml, {});
    expect(validations(events).map((e) => [e.status, e.msg])).toEqual([
      ['ok', 'The arg spec validation passed'],
      ['failed', "Validation of arguments failed:\nmissing required arguments: name\nargument 'port' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int"],
      ['failed', 'Invalid argument_spec cannot be used to validate variables.'],
    ]);
  });
});
