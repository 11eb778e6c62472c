// The operator's command line against real sshd hosts (issue 16): the terminal view of
// `runbook apply` under a real pseudo-terminal (`script`), asserting what a person sees, at 5
// and at 200 hosts; --list-*, ad-hoc `runbook run`, --ask/--step answered at the terminal, and
// the --junit file validated with xmllint against the JUnit schema Jenkins uses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { framesOf, runAtTerminal } from '../support/terminal.js';
import { runCli } from '../support/cli.js';
import { ensurePackages } from '../../src/lab/packages.js';

const XSD = fileURLToPath(new URL('../fixtures/junit/junit-10.xsd', import.meta.url));

/** xmllint's verdict on `file` against the Jenkins junit-10.xsd ('' when valid). */
function xsdErrors(file: string): string {
  try {
    execFileSync('xmllint', ['--noout', '--schema', XSD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

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

const STEPS = `
- name: step by step
  hosts: all
  gather_facts: false
  tasks:
    - name: Step one
      shell: "touch /tmp/cl-step-1-{{ inventory_hostname }}"
    - name: Step two
      shell: "touch /tmp/cl-step-2-{{ inventory_hostname }}"
    - name: Step three
      shell: "touch /tmp/cl-step-3-{{ inventory_hostname }}"
    - name: Step four
      shell: "touch /tmp/cl-step-4-{{ inventory_hostname }}"
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
    writeFileSync(join(dir, 'steps.yml'), STEPS);
    // xmllint validates the JUnit file (Debian's libxml2-utils, installed like the lab's own packages)
    await ensurePackages(['libxml2-utils']);
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

  it('--list-hosts/--list-tasks/--list-tags with --limit and --tags, as ansible-playbook prints them; nothing connects', async () => {
    const r = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--list-hosts', '--list-tasks', '--limit', `${names[1]}:${names[2]}`], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      [
        '',
        'playbook: site.yml',
        '',
        '  play #1 (all): roll out\tTAGS: []',
        "    pattern: ['all']",
        '    hosts (2):',
        `      ${names[1]}`,
        `      ${names[2]}`,
        '    tasks:',
        '      Download and unpack\tTAGS: []',
        '      Write marker\tTAGS: []',
        '      Check disk\tTAGS: []',
        '      Greet\tTAGS: []',
        '',
      ].join('\n'),
    );
  });

  it('runbook run: ad-hoc shell and become on the lab hosts, the output per host, the recap, exit 2 when a host fails', async () => {
    const r = await runCli(['run', 'all', '-m', 'shell', '-a', 'echo "$(hostname) says $((6*7))"; [ "$(hostname)" != ' + names[3]! + ' ]', '-i', 'hosts.yml', '-f', '5'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(2);
    for (const h of names) expect(r.out).toContain(`${h} says 42`);
    expect(r.out).toMatch(new RegExp(`${names[3]} {2}FAILED: shell: echo`));
    expect(r.out).toMatch(new RegExp(`${names[0]} +: ok=1 +changed=1 +unreachable=0 +failed=0`));
    expect(r.out).toContain(`--limit ${names[3]}\n`);
    const root = await runCli(['run', names[0]!, '-a', 'id -un', '-b', '-i', 'hosts.yml', '--json'], { cwd: dir });
    expect(root.code, root.err).toBe(0);
    const result = root.events.find((e) => e.type === 'task_result');
    expect(result).toMatchObject({ host: names[0], status: 'changed', result: { stdout: 'root' } });
    // a misspelt pattern and module: nothing connects, the message names the fix
    const typo = await runCli(['run', 'al', '-m', 'comand', '-a', 'uptime', '-i', 'hosts.yml'], { cwd: dir });
    expect(typo).toMatchObject({ code: 1, err: "runbook run: unknown module 'comand'; did you mean 'command'? (runbook doc lists the modules)\n" });
  });

  it('--junit: one test case per host x task, valid against the JUnit XSD Jenkins uses (xmllint --schema)', async () => {
    const file = join(dir, 'results.xml');
    const r = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--junit', 'results.xml', '-f', '5'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(xsdErrors(file)).toBe('');
    const xml = readFileSync(file, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(4 * 5 - 1); // Greet does not run on the host that failed
    expect(xml).toMatch(/<testsuites name="[^"]*site\.yml" tests="19" failures="1" errors="0" time="\d+\.\d{3}">/);
    expect(xml).toContain(`<testcase name="[${names[3]}] Check disk" classname="roll out"`);
    expect(xml).toMatch(/<failure type="failed" message="[^"]*">site\.yml:\d+ \(shell\)\nexit code 7\n/);
    expect(xml).toContain('disk full');
    // the validator is not a rubber stamp: a case without its name fails it
    writeFileSync(join(dir, 'broken.xml'), xml.replace(/<testcase name="[^"]*"/, '<testcase'));
    expect(xsdErrors(join(dir, 'broken.xml'))).toMatch(/The attribute 'name' is required but missing/);
    // ad-hoc too
    const adhoc = await runCli(['run', 'all', '-a', 'true', '-i', 'hosts.yml', '--junit', 'adhoc.xml'], { cwd: dir });
    expect(adhoc.code).toBe(0);
    expect(xsdErrors(join(dir, 'adhoc.xml'))).toBe('');
    expect(readFileSync(join(dir, 'adhoc.xml'), 'utf8').match(/<testcase /g)).toHaveLength(5);
  });

  it('--ask at a terminal: the plan and the question; no runs nothing, y runs', async () => {
    const no = await runAtTerminal(['apply', 'site.yml', '-i', 'hosts.yml', '--ask', '--limit', names[0]!], { cwd: dir, answers: [{ after: 'Run it? [y/N] ', input: 'n\r' }] });
    expect(no.code).toBe(1);
    expect(no.screen).toContain('runbook apply: 1 play on 1 host, 4 tasks, 4 task runs in all');
    expect(no.screen).toContain(`  play #1 roll out: 1 host (${names[0]}) × 4 tasks`);
    expect(no.screen).toContain('Run it? [y/N] n');
    expect(no.screen).toContain('runbook apply: not confirmed; nothing was run.');
    expect(no.raw).not.toContain('PLAY RECAP');
    const yes = await runAtTerminal(['run', 'all', '-a', 'hostname', '-i', 'hosts.yml', '--ask'], { cwd: dir, answers: [{ after: 'Run it? [y/N] ', input: 'y\r' }] });
    expect(yes.code, yes.screen.join('\n')).toBe(0);
    expect(yes.screen).toContain('runbook run: 1 play on 5 hosts, 1 task, 5 task runs in all');
    // the ad-hoc command's output, per host, without -v
    for (const h of names) expect(yes.screen).toContain(`    │ ${h}`);
    expect(yes.screen.join('\n')).toContain('PLAY RECAP');
  });

  it('--step at a terminal: y runs a task, n skips it on every host, c runs the rest without asking', async () => {
    await runCli(['run', 'all', '-a', 'rm -f /tmp/cl-step-1-{{ inventory_hostname }} /tmp/cl-step-2-{{ inventory_hostname }} /tmp/cl-step-4-{{ inventory_hostname }}', '-i', 'hosts.yml'], { cwd: dir });
    const r = await runAtTerminal(['apply', 'steps.yml', '-i', 'hosts.yml', '--step'], {
      cwd: dir,
      answers: [
        { after: 'Perform task: TASK: Step one (N)o/(y)es/(c)ontinue: ', input: 'y\r' },
        { after: 'Perform task: TASK: Step two (N)o/(y)es/(c)ontinue: ', input: 'n\r' },
        { after: 'Perform task: TASK: Step three (N)o/(y)es/(c)ontinue: ', input: 'c\r' },
      ],
    });
    expect(r.code, r.screen.join('\n')).toBe(0);
    // one question per task (not per host), none after `c`
    expect(r.raw.match(/Perform task:/g)).toHaveLength(3);
    const screen = r.screen.join('\n');
    for (const h of names) {
      for (const t of ['one', 'three', 'four']) expect(screen).toMatch(new RegExp(`^${h} {2}changed: Step ${t} \\(`, 'm'));
      expect(screen).toMatch(new RegExp(`${h} +: ok=3 +changed=3 +unreachable=0 +failed=0`));
    }
    expect(screen).not.toMatch(/: Step two \(\d/);
    // the skipped task really did not run: its file is on no host
    const check = await runCli(['run', 'all', '-a', 'ls /tmp', '-i', 'hosts.yml', '--json'], { cwd: dir });
    for (const e of check.events) {
      if (e.type !== 'task_result') continue;
      const stdout = e.result?.stdout;
      const listing = typeof stdout === 'string' ? stdout : '';
      expect(listing).toContain(`cl-step-1-${e.host}`);
      expect(listing).not.toContain(`cl-step-2-${e.host}`);
      expect(listing).toContain(`cl-step-4-${e.host}`);
    }
  });
});
