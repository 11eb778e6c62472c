// async / poll / async_status over real SSH and sudo, through the CLI: a fire-and-forget job
// (poll: 0) returns at once and is still running while async_status polls it until it has
// finished, in the become user's ~/.ansible_async; a polled task waits for its job's result;
// a job past its limit fails the task with Ansible's message and is killed on the host.
import { tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';

const NAME = 'as-async';
let lab: LabInfo;
let dir: string;

describe.skipIf(labSkipReason())('async jobs over real SSH + sudo', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-as-'));
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  it('poll: 0 then async_status until finished; a polled job; a job past its limit fails and is killed', async () => {
    const h = lab.hosts[0]!;
    const ops = lab.users.passwd.name;
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile, ansible_user: lab.users.nopasswd.name }, hosts: { [h.name]: { ansible_host: h.address, ansible_port: h.port } } } }),
    );
    writeFileSync(
      join(dir, 'site.yml'),
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: fire and forget, as ${ops} through sudo
      shell: "sleep 3; echo \\"done as $(id -un)\\"; echo to-stderr >&2; exit 3"
      async: 30
      poll: 0
      become: true
      become_user: ${ops}
      register: job
    - name: started, not finished, the result file in ${ops}'s home
      assert:
        that:
          - job is changed
          - job.started == 1
          - job.finished == 0
          - job.ansible_job_id is match('^[0-9]+[.][0-9]+$')
          - job.results_file.endswith('/${ops}/.ansible_async/' ~ job.ansible_job_id)
    - name: the job is still running
      command: cat "{{ job.results_file }}"
      become: true
      register: running
    - name: wait for it
      async_status:
        jid: "{{ job.ansible_job_id }}"
      become: true
      become_user: ${ops}
      register: st
      until: st.finished
      retries: 20
      delay: 1
      failed_when: false
    - name: its result
      assert:
        that:
          - running.stdout is search('finished\\W+0')
          - st.attempts > 1
          - st.finished == 1
          - st.rc == 3
          - st.stdout == 'done as ${ops}'
          - st.stderr == 'to-stderr'
          - st.msg == 'non-zero return code'
          - st.erased == job.results_file
    - name: the finished job's file was removed when read
      stat:
        path: "{{ job.results_file }}"
      become: true
      register: gone
    - name: polled, as root, results under ANSIBLE_ASYNC_DIR
      shell: |
        sleep 2; printf 'polled "q" \\\\ \\t.\\n\\n'; id -u
      async: 20
      poll: 1
      become: true
      environment:
        ANSIBLE_ASYNC_DIR: /tmp/as-async-jobs
      register: polled
    - name: past its limit
      command: sleep 40
      async: 3
      poll: 1
      register: late
      ignore_errors: true
    - name: the killed job's file
      async_status:
        jid: "{{ late.async_result.ansible_job_id }}"
      register: killed
      until: killed.finished
      retries: 5
      delay: 1
      ignore_errors: true
    - name: cleanup of a job id
      async_status:
        jid: "{{ late.async_result.ansible_job_id }}"
        mode: cleanup
      register: cleaned
    - name: show
      debug:
        msg:
          gone: "{{ gone.stat.exists }}"
          polled: "{{ polled.stdout_lines }}"
          polled_file: "{{ polled.results_file }}"
          late: "{{ late.msg }}"
          killed: "{{ killed.msg }}"
          erased: "{{ cleaned.erased }}"
`,
    );
    const t0 = Date.now();
    const r = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    const elapsed = Date.now() - t0;
    const results = r.events.filter((e) => e.type === 'task_result');
    const byName = (n: string) => results.filter((e) => 'task' in e && e.task.name === n);
    const failed = results.filter((e) => 'status' in e && e.status === 'failed');
    // only the task past its limit failed (ignored), with Ansible's words; its job's file says it was killed
    expect(failed.map((e) => ('msg' in e ? e.msg : '')), r.out + r.err).toEqual(['async task did not complete within the requested time - 3s', 'Timeout exceeded']);
    expect(r.code, r.err).toBe(0);
    expect(byName('started, not finished, the result file in ' + ops + "'s home")[0]).toMatchObject({ status: 'ok' });
    expect(byName('its result')[0]).toMatchObject({ status: 'ok' });
    const shown = byName('show')[0] as unknown as { msg?: unknown };
    const msg = JSON.parse(String(shown.msg)) as Record<string, unknown>;
    expect(msg).toMatchObject({
      gone: false,
      // inner blank lines kept, trailing ones stripped; quotes, backslashes and tabs survive the JSON file
      polled: ['polled "q" \\ \t.', '', '0'],
      late: 'async task did not complete within the requested time - 3s',
      killed: 'Timeout exceeded',
    });
    expect(String(msg.polled_file)).toMatch(/^\/tmp\/as-async-jobs\/\d+\.\d+$/);
    expect(String(msg.erased)).toMatch(/\/deploy\/\.ansible_async\/\d+\.\d+$/);
    // the polled job took ~2 s and was read once a second; the late one was given up after its 3 s
    expect(elapsed).toBeLessThan(40_000);
    // the job past its limit was killed on the host: no `sleep 40` is left
    const ps = await labExec(lab, h.name, ['sh', '-c', 'ps -eo args | grep -c "^sleep 40$" || true']);
    expect(ps.stdout.trim()).toBe('0');
  }, 120_000);
});
