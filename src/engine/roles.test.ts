// Roles, includes and the search path, run through the engine against in-memory hosts.
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../playbook/load.js';
import { moduleLookup } from '../playbook/module-spec.js';
import { readControllerFile } from '../modules/util/local-file.js';
import type { ModuleDefinition } from '../modules/types.js';
import { createMemoryReporter } from '../report/combine.js';
import type { RunEvent, TaskResultEvent } from './events.js';
import { runPlaybook } from './run.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from './testing/memory.js';
import { testModules } from './testing/modules.js';
import type { RunOptions } from './types.js';

/** `readsrc: {src}`: reads a template source as copy/template do (along ctx.searchPath) and returns it. */
const readSrcModule: ModuleDefinition<{ src: string }> = {
  name: 'readsrc',
  controllerOnly: true,
  schema: { type: 'object', properties: { src: { type: 'string' } }, required: ['src'], additionalProperties: false },
  doc: { short: 'test: read a controller file', returns: {}, example: '' },
  async run(ctx, args) {
    return { changed: false, msg: (await readControllerFile(ctx, args.src, 'templates')).trim() };
  },
};
const local = moduleLookup([readSrcModule]);
const modules: typeof testModules = { get: (n) => local.get(n) ?? testModules.get(n), names: () => [...local.names(), ...testModules.names()] };

interface Setup {
  groups?: Record<string, string[]>;
  hostVars?: Record<string, Record<string, unknown>>;
  run?: Partial<RunOptions>;
  files?: Record<string, string>;
}

async function run(yaml: string, setup: Setup = {}) {
  // written with playbookFrom's helper (folders made), loaded with the extra test module
  const { dir, file } = await playbookFrom('- hosts: all\n  tasks: []\n', { ...setup.files, 'real.yml': yaml });
  void file;
  const loaded = await loadPlaybook(`${dir}/real.yml`, { modules, rolesPath: [] });
  if (!loaded.ok) throw new Error(`invalid: ${loaded.errors.map((e) => `${e.location.file}:${e.location.line}:${e.location.col} ${e.code} ${e.message}`).join('\n')}`);
  const fleet = memoryFleet();
  const inv = memoryInventory(setup.groups ?? { web: ['a'] }, setup.hostVars);
  const mem = createMemoryReporter();
  const recap = await runPlaybook(
    loaded.playbook,
    inv,
    { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve({ ...FAKE_FACTS }), getModule: (n) => modules.get(n), forks: 10, rolesPath: [], ...setup.run },
    mem,
  );
  return { recap, events: mem.events, dir };
}

async function load(yaml: string, files: Record<string, string> = {}) {
  const { dir } = await playbookFrom('- hosts: all\n  tasks: []\n', { ...files, 'real.yml': yaml });
  return { r: await loadPlaybook(`${dir}/real.yml`, { modules, rolesPath: [] }), dir };
}

const results = (events: RunEvent[], host?: string): TaskResultEvent[] =>
  events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.item === undefined && (host === undefined || e.host === host));
/** every debug message on a host, in order */
const said = (events: RunEvent[], host = 'a'): string[] => results(events, host).filter((e) => e.task.module === 'debug' && e.status !== 'skipped').map((e) => e.msg ?? '');
const names = (events: RunEvent[], host = 'a'): string[] => results(events, host).map((e) => `${e.task.name}:${e.status}`);

describe('search path', () => {
  it('ansible_search_path is [playbook_dir] outside roles, [role_path, playbook_dir] inside one', async () => {
    const { events, dir } = await run(
      `
- hosts: web
  gather_facts: false
  roles: [web]
  tasks:
    - debug: { msg: "{{ ansible_search_path | join(',') }} {{ role_name | default('-') }}" }
`,
      { files: { 'roles/web/tasks/main.yml': '- debug: { msg: "{{ ansible_search_path | join(\',\') }} {{ role_name }} {{ role_path }}" }\n' } },
    );
    expect(said(events)).toEqual([`${dir}/roles/web,${dir} web ${dir}/roles/web`, `${dir} -`]);
  });

  it('template src not found: the task fails on the host naming every path tried', async () => {
    const { events, dir } = await run(`
- hosts: web
  gather_facts: false
  tasks:
    - template: { src: nope.j2, dest: /tmp/x }
`);
    const r = results(events)[0];
    expect(r?.status).toBe('failed');
    expect(r?.msg).toContain(`template src 'nope.j2' not found; looked in: ${dir}/templates/nope.j2, ${dir}/nope.j2`);
  });

  it("inside a role, the role's templates/ wins over the playbook's; outside, the playbook's is used", async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  roles: [web]
  tasks:
    - readsrc: { src: site.j2 }
`,
      { files: { 'roles/web/tasks/main.yml': '- readsrc: { src: site.j2 }\n', 'roles/web/templates/site.j2': 'from role\n', 'templates/site.j2': 'from playbook\n' } },
    );
    expect(results(events).map((e) => e.msg)).toEqual(['from role', 'from playbook']);
  });
});

const WEB_ROLE = {
  'roles/common/tasks/main.yml': '- name: common\n  debug: { msg: "common {{ greeting }} {{ role_name }}" }\n',
  'roles/common/defaults/main.yml': 'greeting: hello\n',
  'roles/web/meta/main.yml': 'galaxy_info: { author: someone }\ndependencies:\n  - common\n',
  'roles/web/defaults/main.yml': 'port: 80\nlevel: role-default\nlisten: "0.0.0.0:{{ port }}"\n',
  'roles/web/vars/main.yml': 'web_user: www-data\n',
  'roles/web/tasks/main.yml': '- name: port\n  debug: { msg: "{{ listen }} {{ level }} {{ web_user }} {{ role_name }}" }\n  changed_when: true\n  notify: restart web\n',
  'roles/web/handlers/main.yml': '- name: restart web\n  debug: { msg: "restarting {{ role_name }}" }\n',
};

describe('roles: on a play', () => {
  it('dependencies first (once), then the role; defaults < inventory; params win; handlers join the play', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  roles:
    - common
    - role: web
      port: 8080
  tasks:
    - name: after
      debug: { msg: "play sees {{ greeting }} {{ level }}" }
`,
      { files: WEB_ROLE, hostVars: { a: { level: 'inventory' } } },
    );
    // common ran once (the dependency of web was deduplicated), web's handler ran at the end
    expect(said(events)).toEqual(['common hello common', '0.0.0.0:8080 inventory www-data web', 'play sees hello inventory', 'restarting web']);
    expect(names(events)).toContain('web : port:changed');
  });

  it('a role listed twice with the same parameters runs once; with other parameters again; allow_duplicates runs it again', async () => {
    const files = { 'roles/r/tasks/main.yml': '- debug: { msg: "r {{ n | default(0) }}" }\n' };
    const twice = await run('- hosts: web\n  gather_facts: false\n  roles: [r, r, { role: r, n: 2 }]\n', { files });
    expect(said(twice.events)).toEqual(['r 0', 'r 2']);
    const dup = await run('- hosts: web\n  gather_facts: false\n  roles: [r, r]\n', { files: { ...files, 'roles/r/meta/main.yml': 'allow_duplicates: true\n' } });
    expect(said(dup.events)).toEqual(['r 0', 'r 0']);
  });

  it('when and tags on a role entry apply to its tasks and its dependencies', async () => {
    const yaml = `
- hosts: web
  gather_facts: false
  roles:
    - role: web
      when: enable_web | default(false)
      tags: [webtag]
  tasks:
    - debug: { msg: plain }
`;
    const off = await run(yaml, { files: WEB_ROLE });
    expect(said(off.events)).toEqual(['plain']);
    const on = await run(yaml, { files: WEB_ROLE, hostVars: { a: { enable_web: true } }, run: { tags: ['webtag'] } });
    expect(said(on.events)).toEqual(['common hello common', '0.0.0.0:80 role-default www-data web', 'restarting web']);
  });

  it('roles run after pre_tasks and the handlers pre_tasks notified', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  pre_tasks:
    - debug: { msg: pre }
      changed_when: true
      notify: h
  roles: [r]
  tasks:
    - debug: { msg: task }
  handlers:
    - name: h
      debug: { msg: handler }
`,
      { files: { 'roles/r/tasks/main.yml': '- debug: { msg: role }\n' } },
    );
    expect(said(events)).toEqual(['pre', 'handler', 'role', 'task']);
  });

  it('precedence: role defaults < play vars < role vars < task vars < set_fact < role params', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  vars: { a: play, b: play, c: play }
  roles:
    - role: p
      d: param
  tasks:
    - debug: { msg: "{{ a }} {{ b }} {{ c }}" }
`,
      {
        files: {
          'roles/p/defaults/main.yml': 'a: default\nb: default\nc: default\nd: default\n',
          'roles/p/vars/main.yml': 'b: rolevar\nc: rolevar\nd: rolevar\n',
          'roles/p/tasks/main.yml': '- debug: { msg: "{{ a }} {{ b }} {{ c }} {{ d }}" }\n  vars: { c: taskvar }\n- set_fact: { d: fact }\n- debug: { msg: "{{ d }}" }\n',
        },
      },
    );
    // the play's tasks see the role's vars too (Ansible exposes roles: vars to the play)
    expect(said(events)).toEqual(['play rolevar taskvar param', 'param', 'play rolevar rolevar']);
  });

  it('a role not found is a load error at the entry naming every place looked', async () => {
    const { r, dir } = await load('- hosts: all\n  roles:\n    - nosuch\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const e = r.errors[0];
    expect(e?.code).toBe('role-not-found');
    expect([e?.location.line, e?.location.col]).toEqual([3, 7]);
    expect(e?.message).toContain(`${dir}/roles/nosuch`);
  });

  it("errors in a role's files point into the role file (file:line:col)", async () => {
    const { r } = await load('- hosts: all\n  roles: [bad]\n', { 'roles/bad/tasks/main.yml': '- debug: { msg: ok }\n- name: typo\n  debugg: { msg: x }\n' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => `${e.location.file.split('/').slice(-3).join('/')}:${e.location.line}:${e.location.col} ${e.code}`)).toEqual(['bad/tasks/main.yml:3:3 unknown-module']);
  });

  it('a dependency cycle is an error, not a hang', async () => {
    const { r } = await load('- hosts: all\n  roles: [a]\n', { 'roles/a/meta/main.yml': 'dependencies: [b]\n', 'roles/b/meta/main.yml': 'dependencies: [a]\n' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.code)).toContain('role-cycle');
  });

  it('roles_path and ns.coll.role collection roles are found', async () => {
    const { dir: other } = await playbookFrom('- hosts: all\n  tasks: []\n', {
      'shared/site-role/tasks/main.yml': '- debug: { msg: "shared {{ role_name }}" }\n',
      'colls/ansible_collections/acme/tools/roles/probe/tasks/main.yml': '- debug: { msg: "collection {{ role_name }}" }\n',
    });
    const { dir } = await playbookFrom('- hosts: all\n  tasks: []\n', { 'real.yml': '- hosts: web\n  gather_facts: false\n  roles: [site-role, acme.tools.probe]\n' });
    const loaded = await loadPlaybook(`${dir}/real.yml`, { modules, rolesPath: [`${other}/shared`], collectionsPath: [`${other}/colls`] });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const mem = createMemoryReporter();
    await runPlaybook(loaded.playbook, memoryInventory({ web: ['a'] }), { transportFactory: memoryFleet().factory, getModule: (n) => modules.get(n) }, mem);
    expect(said(mem.events)).toEqual(['shared site-role', 'collection probe']);
  });
});

describe('import_role', () => {
  it('tasks_from / vars_from / defaults_from, keywords on the import apply to every task', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - import_role:
        name: r
        tasks_from: other
        vars_from: extra.yml
        defaults_from: alt
      when: go | default(true)
`,
      { files: { 'roles/r/tasks/other.yml': '- debug: { msg: "{{ x }} {{ y }}" }\n- debug: { msg: two }\n', 'roles/r/vars/extra.yml': 'x: fromvars\n', 'roles/r/defaults/alt.yml': 'y: fromdefaults\n' } },
    );
    expect(said(events)).toEqual(['fromvars fromdefaults', 'two']);
    const skipped = await run('- hosts: web\n  gather_facts: false\n  tasks:\n    - import_role: { name: r }\n      when: false\n', { files: { 'roles/r/tasks/main.yml': '- debug: { msg: one }\n' } });
    expect(names(skipped.events)).toEqual(['r : debug:skipped']);
  });

  it('tasks_from a file that is not there is a load error', async () => {
    const { r } = await load('- hosts: all\n  tasks:\n    - import_role: { name: r, tasks_from: nope }\n', { 'roles/r/tasks/main.yml': '- debug: { msg: one }\n' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/tasks_from: 'nope' not found in role/);
  });
});

describe('include_tasks (dynamic, per host)', () => {
  it('a templated file name is rendered per host; when/tags on the include are the include\'s own', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - include_tasks: "setup-{{ family }}.yml"
      when: family != 'Skip'
`,
      {
        groups: { web: ['a', 'b', 'c'] },
        hostVars: { a: { family: 'Debian' }, b: { family: 'RedHat' }, c: { family: 'Skip' } },
        files: { 'setup-Debian.yml': '- debug: { msg: debian }\n', 'setup-RedHat.yml': '- debug: { msg: redhat }\n  when: family == "RedHat"\n' },
      },
    );
    expect(said(events, 'a')).toEqual(['debian']);
    expect(said(events, 'b')).toEqual(['redhat']);
    expect(names(events, 'c')).toEqual(['include_tasks:skipped']);
  });

  it('a missing file fails that host naming the host, the rendered name and every path tried', async () => {
    const { events, dir } = await run('- hosts: web\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ f }}.yml"\n    - debug: { msg: after }\n', { hostVars: { a: { f: 'gone' } } });
    const r = results(events)[0];
    expect(r?.status).toBe('failed');
    expect(r?.msg).toContain(`include_tasks on a: file 'gone.yml' not found; looked in: ${dir}/gone.yml, ${dir}/tasks/gone.yml`);
    expect(said(events)).toEqual([]);
  });

  it('a literal include_tasks of a missing file is a load warning, not an error: it fails only where it runs (Ansible resolves it then)', async () => {
    const yaml = "- hosts: web\n  gather_facts: false\n  tasks:\n    - include_tasks: clock-rhel-6.yml\n      when: family == 'RedHat'\n    - debug: { msg: after }\n";
    const { r } = await load(yaml);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => `${w.location.line}:${w.location.col} ${w.code}`)).toEqual(['4:22 include-not-found']);
    expect(r.warnings[0]?.message).toMatch(/clock-rhel-6\.yml' not found; looked in: .*; the task fails on any host where it runs$/);
    const { events, dir } = await run(yaml, { groups: { web: ['a', 'b'] }, hostVars: { a: { family: 'Debian' }, b: { family: 'RedHat' } } });
    expect(said(events, 'a')).toEqual(['after']);
    expect(results(events, 'b')[0]?.msg).toContain(`include_tasks on b: file 'clock-rhel-6.yml' not found; looked in: ${dir}/clock-rhel-6.yml, ${dir}/tasks/clock-rhel-6.yml`);
    expect(said(events, 'b')).toEqual([]);
  });

  it('an included file with errors fails the include with file:line:col inside it; nothing of it runs', async () => {
    const { events, dir } = await run('- hosts: web\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ f }}"\n', { hostVars: { a: { f: 'bad.yml' } }, files: { 'bad.yml': '- debug: { msg: one }\n- debug: { msg: x }\n  when: [\n' } });
    const r = results(events)[0];
    expect(r?.status).toBe('failed');
    expect(r?.msg).toMatch(new RegExp(`${dir}/bad\\.yml:\\d+:\\d+: yaml-syntax`));
    expect(said(events)).toEqual([]);
  });

  it('loop over an include: each item runs the file with its loop variable; vars are include params', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - include_tasks: step.yml
      loop: [one, two]
      loop_control: { loop_var: step }
      vars: { prefix: "p-" }
`,
      { files: { 'step.yml': '- set_fact: { prefix: overridden }\n- debug: { msg: "{{ prefix }}{{ step }}" }\n' } },
    );
    // include params win over set_fact inside the included file, as in Ansible
    expect(said(events)).toEqual(['p-one', 'p-two']);
  });

  it('apply gives keywords to the included tasks; without it tags stay on the include', async () => {
    const yaml = `
- hosts: web
  gather_facts: false
  tasks:
    - include_tasks:
        file: t.yml
        apply: { tags: [deploy] }
      tags: [deploy]
    - include_tasks: t.yml
      tags: [deploy]
`;
    const files = { 't.yml': '- debug: { msg: inside }\n' };
    const all = await run(yaml, { files });
    expect(said(all.events)).toEqual(['inside', 'inside']);
    // --tags deploy: the second include runs, but its task has no tag of its own (Ansible's behaviour)
    const tagged = await run(yaml, { files, run: { tags: ['deploy'] } });
    expect(said(tagged.events)).toEqual(['inside']);
  });

  it('an include inside a role finds its file in the role\'s tasks/ and its tasks belong to the role', async () => {
    const { events } = await run('- hosts: web\n  gather_facts: false\n  roles: [multi]\n', {
      hostVars: { a: { ansible_os_family: 'Debian' } },
      files: {
        'roles/multi/tasks/main.yml': '- include_tasks: "setup-{{ ansible_os_family }}.yml"\n',
        'roles/multi/tasks/setup-Debian.yml': '- name: setup\n  debug: { msg: "debian in {{ role_name }} {{ pkg }}" }\n',
        'roles/multi/defaults/main.yml': 'pkg: apache2\n',
      },
    });
    expect(said(events)).toEqual(['debian in multi apache2']);
    expect(names(events)).toEqual(['multi : include_tasks:ok', 'multi : setup:ok']);
  });

  it('validate loads a literal include_tasks file and reports its errors at load time', async () => {
    const { r } = await load('- hosts: all\n  tasks:\n    - include_tasks: inc.yml\n', { 'inc.yml': '- debugg: { msg: x }\n' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.location.file.split('/').pop() ?? ''}:${e.location.line}:${e.location.col} ${e.code}`)).toEqual(['inc.yml:1:3 unknown-module']);
    const { r: loop } = await load('- hosts: all\n  tasks:\n    - import_tasks: inc.yml\n      loop: [1]\n', { 'inc.yml': '- debug: { msg: x }\n' });
    expect(loop.ok).toBe(false);
    if (!loop.ok) expect(loop.errors[0]?.fix).toMatch(/include_tasks/);
  });
});

describe('include_role', () => {
  const files = {
    'roles/greet/tasks/main.yml': '- name: hi\n  debug: { msg: "hi {{ who }} from {{ role_name }}" }\n  changed_when: true\n  notify: greeted\n',
    'roles/greet/defaults/main.yml': 'who: nobody\ngreet_default: d\n',
    'roles/greet/handlers/main.yml': '- name: greeted\n  debug: { msg: handler ran }\n',
    'roles/greet/tasks/bye.yml': '- debug: { msg: "bye {{ who }}" }\n',
  };

  it('with a loop, a templated tasks_from, its handlers; its defaults stay private unless public', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - include_role: { name: greet }
      loop: [ann, bob]
      vars: { who: "{{ item }}" }
    - include_role:
        name: "{{ 'gr' + 'eet' }}"
        tasks_from: "{{ which }}"
      vars: { who: carl }
    - debug: { msg: "{{ greet_default | default('private') }}" }
    - include_role: { name: greet, tasks_from: bye, public: true }
    - debug: { msg: "{{ greet_default | default('private') }}" }
`,
      { files, hostVars: { a: { which: 'bye' } } },
    );
    expect(said(events)).toEqual(['hi ann from greet', 'hi bob from greet', 'bye carl', 'private', 'bye nobody', 'd', 'handler ran']);
  });

  it('a templated role name that matches nothing fails the host with the places looked', async () => {
    const { events } = await run('- hosts: web\n  gather_facts: false\n  tasks:\n    - include_role: { name: "{{ r }}" }\n', { hostVars: { a: { r: 'ghost' } } });
    const r = results(events)[0];
    expect(r?.status).toBe('failed');
    expect(r?.msg).toMatch(/include_role on a: role 'ghost' not found; looked in: .*\/roles\/ghost/);
  });
});

describe('include_vars', () => {
  it('file (along the search path), name, dir with files_matching/ignore_files; above play vars, below set_fact', async () => {
    const { events } = await run(
      `
- hosts: web
  gather_facts: false
  vars: { color: play, size: play }
  tasks:
    - include_vars: "{{ family }}.yml"
    - debug: { msg: "{{ color }} {{ size }} {{ derived }}" }
    - include_vars: { file: extra.yml, name: bundle }
    - debug: { msg: "{{ bundle.k }}" }
    - include_vars: { dir: confd, files_matching: '^.*\\.yml$', ignore_files: ['skip.yml'] }
    - debug: { msg: "{{ one }} {{ two }} {{ skipped | default('not loaded') }}" }
    - set_fact: { color: fact }
    - include_vars: Debian.yml
    - debug: { msg: "{{ color }}" }
      register: out
`,
      {
        hostVars: { a: { family: 'Debian' } },
        files: {
          'vars/Debian.yml': 'color: blue\nderived: "{{ color }}-ish"\n',
          'extra.yml': 'k: v\n',
          'vars/confd/1.yml': 'one: 1\ntwo: first\n',
          'vars/confd/2.yml': 'two: 2\n',
          'vars/confd/skip.yml': 'skipped: yes\n',
          'vars/confd/notes.txt': 'not vars\n',
        },
      },
    );
    expect(said(events)).toEqual(['blue play blue-ish', 'v', '1 2 not loaded', 'fact']);
  });

  it('a missing file names the host and the paths tried; a vars file that is not a mapping is refused with its position', async () => {
    const { events, dir } = await run('- hosts: web\n  gather_facts: false\n  tasks:\n    - include_vars: "{{ f }}"\n      ignore_errors: true\n    - include_vars: "{{ g }}"\n', {
      hostVars: { a: { f: 'nope.yml', g: 'list.yml' } },
      files: { 'vars/list.yml': '- not\n- a mapping\n' },
    });
    const [first, second] = results(events);
    expect(first?.msg).toContain(`include_vars on a: file 'nope.yml' not found; looked in: ${dir}/vars/nope.yml, ${dir}/nope.yml`);
    expect(first?.ignored).toBe(true);
    expect(second?.status).toBe('failed');
    expect(second?.msg).toContain(`${dir}/vars/list.yml:1:1: vars-not-mapping`);
  });
});

describe('with_<lookup> (any lookup, as Ansible runs it)', () => {
  it('with_first_found on include_vars looks in the role\'s vars/; with_fileglob, with_subelements, with_nested loop over the lookup', async () => {
    const { events, dir } = await run(
      `- hosts: web
  gather_facts: false
  vars:
    family: Debian
    groups_of: [{name: a, items: [1, 2]}, {name: b, items: [3]}]
  roles: [osvars]
  tasks:
    - debug: { msg: "{{ item | basename }}" }
      with_fileglob: "conf/*.conf"
    - debug: { msg: "{{ item.0.name }}-{{ item.1 }}" }
      with_subelements:
        - "{{ groups_of }}"
        - items
    - debug: { msg: "{{ item[0] }}{{ item[1] }}" }
      with_nested: [[x, y], [1]]
`,
      {
        files: {
          'roles/osvars/tasks/main.yml': '- include_vars: "{{ item }}"\n  with_first_found:\n    - files: ["{{ family }}-12.yml", "{{ family }}.yml"]\n      skip: true\n- debug: { msg: "x={{ x }}" }\n',
          'roles/osvars/vars/Debian.yml': 'x: from-role-vars\n',
          'conf/a.conf': 'a',
          'conf/b.conf': 'b',
        },
      },
    );
    const items = events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.host === 'a' && e.task.module === 'debug' && e.item !== undefined).map((e) => e.msg ?? '');
    expect(said(events, 'a')[0]).toBe('x=from-role-vars');
    expect(items).toEqual(['a.conf', 'b.conf', 'a-1', 'a-2', 'b-3', 'x1', 'y1']);
    void dir;
  });

  it('an unknown with_<name> is a load error with did-you-mean at file:line:col; import_tasks refuses a with_ loop', async () => {
    const { r } = await load('- hosts: web\n  tasks:\n    - debug: { msg: x }\n      with_fileglb: "*.conf"\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`)).toEqual(["4:7 unknown-lookup `with_fileglb`: no lookup named 'fileglb'; did you mean `with_fileglob`?"]);
    const imp = await load('- hosts: web\n  tasks:\n    - import_tasks: t.yml\n      with_fileglob: "*.yml"\n', { 't.yml': '- debug: { msg: x }\n' });
    expect(imp.r.ok).toBe(false);
    if (!imp.r.ok) expect(imp.r.errors[0]?.code).toBe('bad-include-key');
  });
});
