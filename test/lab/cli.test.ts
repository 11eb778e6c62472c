// The operator's command line against real sshd hosts (issue 16): the terminal view of
// `runbook apply` under a real pseudo-terminal (`script`), asserting what a person sees.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { framesOf, runAtTerminal } from '../support/terminal.js';
import { runCli } from '../support/cli.js';

const NAME = 'cl';
let lab: LabInfo;
let dir: string;
let names: string[];

const SITE = `
- name: roll out
  hosts: all
  gather_facts: false
  tasks:
    - name: Download and unpack
      shell: "for i in 1 2 3 4 5 6; do echo unpacking part $i of 6; sleep 0.5; done"
      changed_when: false
    - name: Write marker
      shell: "echo v2 > /tmp/cl-marker"
    - name: Check disk
      shell: "echo checking; {{ 'echo disk full >&2; exit 7' if inventory_hostname == broken else 'true' }}"
    - name: Greet
      debug:
        msg: "hello from {{ inventory_hostname }}"
`;

describe.skipIf(labSkipReason())('operator command line over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 5 });
    names = lab.hosts.map((h) => h.name);
    dir = mkdtempSync(join(tmpdir(), 'runbook-cl-'));
    const hosts: Record<string, unknown> = {};
    for (const h of lab.hosts) hosts[h.name] = { ansible_host: h.address, ansible_port: h.port };
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({
        all: {
          vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile, broken: names[3] },
          hosts,
        },
      }),
    );
    writeFileSync(join(dir, 'site.yml'), SITE);
  });

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('at a terminal, without CI=true: the running task with a live tail, then what changed and failed, then the recap', async () => {
    const r = await runAtTerminal(['apply', 'site.yml', '-i', 'hosts.yml'], { cwd: dir, rows: 40, cols: 120 });
    const screen = r.screen.join('\n');
    expect(r.code, screen).toBe(2);
    const broken = names[3]!;
    // while the long task ran: every host on it, its latest output line, and after 2 s its elapsed time and a tail
    const frames = framesOf(r.raw);
    const live = frames.find((f) => f.some((l) => new RegExp(`^ {2}${names[0]} {2}0/4 {2}Download and unpack [23]\\.0s {2}│ unpacking part \\d of 6$`).test(l)));
    expect(live, r.raw.slice(0, 3000)).toBeDefined();
    expect(live!.filter((l) => / {2}h\d+ {2}0\/4 {2}Download and unpack/.test(l))).toHaveLength(5);
    expect(live!.some((l) => /^ {6}│ unpacking part \d of 6$/.test(l))).toBe(true);
    // at the end: what changed and what failed, with its stderr, per host; the debug messages; the recap
    for (const h of names) expect(r.screen.some((l) => new RegExp(`^${h} {2}changed: Write marker \\(\\d`).test(l)), `${h}\n${screen}`).toBe(true);
    expect(screen).toMatch(new RegExp(`${broken} {2}FAILED: Check disk \\(\\d+ms\\) site\\.yml:\\d+ \\[exit code 7\\]: .*disk full`));
    expect(r.screen).toContain('    │ disk full');
    expect(r.screen).toContain(`${names[0]}  Greet: hello from ${names[0]}`);
    expect(screen).not.toContain('Greet: hello from ' + broken);
    // ok tasks are not listed without -v
    expect(screen).not.toMatch(/ok: Download and unpack/);
    expect(screen).toContain('PLAY RECAP');
    expect(screen).toMatch(new RegExp(`${broken} +: ok=2 +changed=1 +unreachable=0 +failed=1`));
    // the live area is gone at the end
    expect(r.screen.some((l) => /^ {2}h\d+ {2}\d\/4/.test(l))).toBe(false);
    expect(r.raw).toContain('\u001b[33m');
  });

  it('-v adds ok tasks and command output, -vv the commands; NO_COLOR leaves no colour codes', async () => {
    const v = await runAtTerminal(['apply', 'site.yml', '-i', 'hosts.yml', '-v', '--limit', names[0]!], { cwd: dir, rows: 40, cols: 120 });
    expect(v.code).toBe(0);
    const text = v.screen.join('\n');
    expect(text).toMatch(new RegExp(`${names[0]} {2}ok: Download and unpack \\(\\d\\.\\ds\\)\\n {4}│ unpacking part 1 of 6\\n`));
    expect(text).toContain('    │ unpacking part 6 of 6');
    expect(text).not.toContain('$ for i in');
    const vv = await runAtTerminal(['apply', 'site.yml', '-i', 'hosts.yml', '-vv', '--limit', names[0]!], { cwd: dir, rows: 40, cols: 120, env: { NO_COLOR: '1' } });
    expect(vv.code).toBe(0);
    expect(vv.screen.join('\n')).toContain(`${names[0]}  ok: Download and unpack`);
    expect(vv.screen).toContain('    $ for i in 1 2 3 4 5 6; do echo unpacking part $i of 6; sleep 0.5; done');
    // eslint-disable-next-line no-control-regex
    expect(vv.raw.replace(/\u001b\[\d+A|\u001b\[J/g, '')).not.toMatch(/\u001b\[[0-9;]*m/);
  });

  it('runbook inventory --list / --host over the lab inventory, as ansible-inventory prints them', async () => {
    const list = await runCli(['inventory', '-i', 'hosts.yml', '--list'], { cwd: dir });
    expect(list.code, list.err).toBe(0);
    const parsed = JSON.parse(list.out) as { _meta: { hostvars: Record<string, Record<string, unknown>> }; ungrouped: { hosts: string[] } };
    expect(Object.keys(parsed._meta.hostvars).sort()).toEqual([...names].sort());
    expect(parsed.ungrouped.hosts.sort()).toEqual([...names].sort());
    const host = await runCli(['inventory', '-i', 'hosts.yml', '--host', names[0]!], { cwd: dir });
    expect(JSON.parse(host.out)).toMatchObject({ ansible_host: lab.hosts[0]!.address, ansible_port: lab.hosts[0]!.port, ansible_user: lab.users.nopasswd.name });
  });
});
