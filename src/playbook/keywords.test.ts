// Keyword values the loader accepts as Ansible does (issue 14), and where it stays strict.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPlaybook } from './load.js';
import { testModules } from '../modules/testing/playbook-modules.js';
import type { TaskNode } from './types.js';

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-kw-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, 'site.yml'), text);
  return join(dir, 'site.yml');
}

async function load(text: string, files?: Record<string, string>) {
  return loadPlaybook(write(text, files), { modules: testModules });
}
const errorsOf = (r: Awaited<ReturnType<typeof load>>): string[] => (r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.code} ${e.message}`));

describe('modes: YAML 1.1 octal as Ansible reads it', () => {
  it('mode: 0644 (unquoted) is 0o644 and reaches the module as the octal string; 0o755 and a bits number too', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - file: {path: /a, mode: 0644}\n    - file: {path: /b, mode: 0o755}\n    - file: {path: /c, mode: 493}\n    - file: path=/d mode=0600\n');
    if (!r.ok) throw new Error(errorsOf(r).join('\n'));
    expect(r.playbook.plays[0]?.tasks.map((t) => (t as TaskNode).args.mode)).toEqual(['0644', '0o755', '0755', '0600']);
  });

  it('mode: 644 (decimal, = 0o1204) stays an error with the fix, where Ansible silently sets 01204', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - file: {path: /a, mode: 644}\n');
    expect(errorsOf(r)).toEqual(['3:30 octal-mode `file.mode` is the decimal number 644 (= 0o1204), not the mode 0644']);
  });
});

describe('keyword values', () => {
  it('templated keywords are kept for the run; literal ones stay typed', async () => {
    const r = await load(`
- hosts: all
  serial: "{{ batch }}"
  strategy: "{{ how }}"
  become_user: "{{ owner }}"
  environment: "{{ proxy_env }}"
  check_mode: "{{ dry }}"
  tasks:
    - command: x
      become: "{{ b }}"
      retries: "{{ n }}"
      delay: 0.5
      until: out is success
      register: out
      timeout: "{{ t }}"
`);
    if (!r.ok) throw new Error(errorsOf(r).join('\n'));
    const play = r.playbook.plays[0];
    expect(play?.dynamic).toEqual({ serial: '{{ batch }}', strategy: '{{ how }}' });
    expect(play?.taskDynamic).toEqual({ become_user: '{{ owner }}', environment: '{{ proxy_env }}', check_mode: '{{ dry }}' });
    const t = play?.tasks[0] as TaskNode;
    expect(t.dynamic).toEqual({ become: '{{ b }}', timeout: '{{ t }}', retries: '{{ n }}' });
    expect(t.delay).toBe(0.5);
    expect(t.retries).toBeUndefined();
  });

  it('a syntax error inside a templated keyword is reported at the value', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - command: x\n      become_user: "{{ owner | }}"\n');
    expect(errorsOf(r)[0]).toMatch(/^4:20 template-syntax /);
  });

  it('a plain non-boolean is still an error (Ansible only converts what renders)', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - command: x\n      check_mode: perhaps\n');
    expect(errorsOf(r)[0]).toMatch(/^4:19 bad-value `check_mode` must be true\/false/);
  });

  it('action: with an unknown module says which, with did-you-mean', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - action: comand echo\n');
    expect(errorsOf(r)).toEqual(['3:15 unknown-module unknown module `comand` in `action:`; did you mean `command`?']);
  });

  it('notify and any_errors_fatal are accepted on a block; loop keywords still are not', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - block:\n        - command: x\n      notify: h\n      any_errors_fatal: true\n      retries: 2\n  handlers:\n    - name: h\n      command: y\n');
    expect(errorsOf(r)).toEqual(['7:7 bad-block-key `retries` cannot be used on a block']);
  });

  it('set_fact accepts a templated name; a literal bad name is still an error', async () => {
    const ok = await load('- hosts: all\n  tasks:\n    - set_fact:\n        "{{ svc }}_port": 1\n');
    expect(errorsOf(ok)).toEqual([]);
    const bad = await load('- hosts: all\n  tasks:\n    - set_fact:\n        "2port": 1\n', {});
    expect(errorsOf(bad).length).toBeGreaterThan(0);
  });
});

describe('vars_files with a list entry: the first file that exists is read', () => {
  it('reads the first existing candidate, in order', async () => {
    const r = await load('- hosts: all\n  vars_files:\n    - common.yml\n    - [missing.yml, site-default.yml, other.yml]\n  tasks:\n    - command: x\n', { 'common.yml': 'a: 1\n', 'site-default.yml': 'b: 2\n', 'other.yml': 'b: 3\n' });
    if (!r.ok) throw new Error(errorsOf(r).join('\n'));
    expect(r.playbook.plays[0]?.varsFiles.map((v) => v.vars)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('none existing is an error at the entry listing what was tried', async () => {
    const r = await load('- hosts: all\n  vars_files:\n    - [nope.yml, neither.yml]\n  tasks:\n    - command: x\n');
    expect(errorsOf(r)[0]).toMatch(/^3:7 include-not-found vars_files: none of these files exists: .*nope\.yml, .*neither\.yml$/);
  });
});

describe('validate knows the lookups', () => {
  it('an unknown lookup name is an error at the value with did-you-mean; known ones pass', async () => {
    const r = await load('- hosts: all\n  tasks:\n    - debug:\n        msg: "{{ lookup(\'fiel\', \'motd\') }}"\n    - debug:\n        msg: "{{ query(\'ansible.builtin.fileglob\', \'*.conf\') }}"\n');
    expect(errorsOf(r)).toEqual(['4:14 unknown-lookup unknown lookup `fiel`; did you mean `file`?']);
  });
});

describe('async', () => {
  it('command/shell/raw may run as async jobs; any other module with async above 0 is refused at its file:line:col, never run in the foreground silently', async () => {
    const ok = await load('- hosts: all\n  tasks:\n    - command: sleep 60\n      async: 120\n      poll: 0\n    - shell: sleep 1\n      async: 5\n');
    expect(errorsOf(ok)).toEqual([]);
    const r = await load('- hosts: all\n  tasks:\n    - copy: { content: x, dest: /tmp/x }\n      async: 120\n      poll: 0\n');
    expect(errorsOf(r)).toEqual(['4:7 async-unsupported `async` (run the task as a background job on the host) is supported for command, shell, raw only, not for `copy`: runbook\'s other modules decide on the controller between host commands, so there is no one host process to detach']);
    const zero = await load('- hosts: all\n  tasks:\n    - copy: { content: x, dest: /tmp/x }\n      async: 0\n');
    expect(errorsOf(zero)).toEqual([]);
  });
});
