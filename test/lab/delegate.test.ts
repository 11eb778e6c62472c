// Delegation and run-time inventory over real SSH, through the CLI: a task delegated to another
// inventory host runs there (a file appears on that host only), one delegated to localhost runs
// on the controller over the local connection, add_host makes a host a later play reaches over
// SSH, and group_by groups a later play selects.
import { hostname as controllerHostname, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { runCli } from '../support/cli.js';

const NAME = 'dg';
let lab: LabInfo;
let dir: string;

describe.skipIf(labSkipReason())('delegation and run-time inventory over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 2 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-dg-'));
  });
  afterAll(async () => {
    await stopLab(NAME);
  });

  it('delegate_to another host and localhost; add_host then a play on the new group; group_by', async () => {
    const [h0, h1] = lab.hosts as [LabInfo['hosts'][number], LabInfo['hosts'][number]];
    const user = lab.users.nopasswd.name;
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile, ansible_user: user }, hosts: { [h0.name]: { ansible_host: h0.address, ansible_port: h0.port }, [h1.name]: { ansible_host: h1.address, ansible_port: h1.port } } } }),
    );
    const marker = join(dir, 'made-on-controller');
    writeFileSync(
      join(dir, 'site.yml'),
      `
- hosts: ${h0.name}
  gather_facts: false
  tasks:
    - name: on the other host
      command: touch /tmp/dg-delegated-from-{{ inventory_hostname }}
      delegate_to: ${h1.name}
    - name: on the controller
      command: "touch ${marker}"
      delegate_to: localhost
    - name: controller hostname
      command: hostname
      delegate_to: localhost
      register: here
    - name: add a host by address
      add_host:
        name: fresh
        groups: [made]
        ansible_host: ${h1.address}
        ansible_port: ${h1.port}
        ansible_user: ${user}
        ansible_ssh_private_key_file: ${lab.keyFile}
    - name: group
      group_by: { key: "grouped_{{ inventory_hostname | regex_replace('[^a-z0-9]', '_') }}" }
    - name: show
      debug: { msg: "{{ here.stdout }}" }
- hosts: made
  gather_facts: false
  tasks:
    - name: on fresh
      command: touch /tmp/dg-fresh
- hosts: grouped_*
  gather_facts: false
  tasks:
    - name: grouped
      command: "true"
`,
    );
    const r = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    // the later plays' patterns are warned about at load (they match once add_host/group_by ran), as Ansible warns
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // the delegated command ran on h1, not on h0
    expect((await labExec(lab, h1.name, ['test', '-e', `/tmp/dg-delegated-from-${h0.name}`])).code).toBe(0);
    expect((await labExec(lab, h0.name, ['test', '-e', `/tmp/dg-delegated-from-${h0.name}`])).code).not.toBe(0);
    // delegate_to: localhost: on the controller (the file is here), its hostname registered on h0
    expect(existsSync(marker)).toBe(true);
    const events = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; host?: string; msg?: string; task?: { name: string }; status?: string });
    expect(events.find((e) => e.type === 'task_result' && e.task?.name === 'show')?.msg).toBe(controllerHostname());
    // the host add_host made was reached over SSH (it is h1's address)
    expect((await labExec(lab, h1.name, ['test', '-e', '/tmp/dg-fresh'])).code).toBe(0);
    expect(events.find((e) => e.type === 'task_result' && e.task?.name === 'on fresh')?.host).toBe('fresh');
    expect(events.filter((e) => e.type === 'task_result' && e.task?.name === 'grouped').map((e) => e.host)).toEqual([h0.name]);
    rmSync(marker, { force: true });
  });
});
