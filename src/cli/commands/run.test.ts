// `runbook run` (ad-hoc), `--list-hosts/--list-tasks/--list-tags` and the questions (`--ask`,
// `--step`) where nobody can answer, through the command code with in-memory hosts. The same
// against real sshd hosts and at a real terminal: test/lab/cli.test.ts.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FAKE_FACTS, memoryFleet } from '../../engine/testing/memory.js';
import type { FleetOptions } from '../../engine/testing/memory.js';
import type { RunEvent } from '../../report/events.js';
import { UsageError } from '../../util/errors.js';
import type { CommandIo, ParsedArgs } from '../command.js';
import { TextSink as Sink } from '../../../test/support/cli.js';
import { applyCommand, runApply } from './apply.js';
import { adhocTask, runAdhoc, runCommand } from './run.js';

const INVENTORY = `
all:
  children:
    webservers:
      hosts:
        w1: {}
        w2: {}
        w3: {}
    db:
      hosts:
        d1: {}
`;

const SITE = `
- name: web things
  hosts: webservers
  serial: 2
  tags: [web]
  gather_facts: false
  tasks:
    - name: install
      command: echo install
      tags: [pkg]
    - block:
        - name: configure
          command: echo conf
      tags: [conf]
    - debug: msg=never
      tags: [dbg, never]
    - meta: flush_handlers
- name: db things
  hosts: db
  gather_facts: false
  tasks:
    - name: db task
      shell: echo db
`;

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-run-'));
  await writeFile(join(dir, 'site.yml'), SITE);
  await writeFile(join(dir, 'hosts.yml'), INVENTORY);
  return dir;
}

function io(dir: string, env: Record<string, string> = {}): CommandIo & { out: Sink; err: Sink } {
  const out = new Sink();
  const err = new Sink();
  return { stdout: out, stderr: err, stdin: new PassThrough(), env, cwd: dir, out, err };
}

const parse = (options: typeof applyCommand.options, argv: string[]): ParsedArgs => parseArgs({ args: argv, options, allowPositionals: true, strict: true });

async function apply(dir: string, argv: string[], env: Record<string, string> = {}) {
  const fleet = memoryFleet();
  const cio = io(dir, env);
  const code = await runApply(parse(applyCommand.options, argv), cio, { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve(FAKE_FACTS) });
  return { code, out: cio.out.text, err: cio.err.text, fleet };
}

async function adhoc(dir: string, argv: string[], fleetOptions: FleetOptions = {}, env: Record<string, string> = {}) {
  const fleet = memoryFleet(fleetOptions);
  const cio = io(dir, env);
  const code = await runAdhoc(parse(runCommand.options, argv), cio, { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve(FAKE_FACTS) });
  const events = argv.includes('--json') ? cio.out.text.trimEnd().split('\n').map((l) => JSON.parse(l) as RunEvent) : [];
  return { code, out: cio.out.text, err: cio.err.text, fleet, events };
}

describe('--list-hosts, --list-tasks, --list-tags', () => {
  it('prints the plan as ansible-playbook does, with serial batches; nothing connects', async () => {
    const dir = await project();
    const r = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--list-hosts', '--list-tasks', '--list-tags']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '',
        'playbook: site.yml',
        '',
        '  play #1 (webservers): web things\tTAGS: [web]',
        "    pattern: ['webservers']",
        '    hosts (3):',
        '      w1',
        '      w2',
        '      w3',
        '    serial batches (2): [w1, w2] [w3]',
        '    tasks:',
        '      install\tTAGS: [pkg, web]',
        '      configure\tTAGS: [conf, web]',
        '      TASK TAGS: [conf, pkg, web]',
        '',
        '  play #2 (db): db things\tTAGS: []',
        "    pattern: ['db']",
        '    hosts (1):',
        '      d1',
        '    tasks:',
        '      db task\tTAGS: []',
        '      TASK TAGS: []',
        '',
      ].join('\n'),
    );
    expect(r.fleet.connects).toEqual([]);
    expect(r.fleet.calls).toEqual([]);
  });

  it('respects --limit, --tags and --skip-tags (a `never` task only when asked for)', async () => {
    const dir = await project();
    const r = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--list-hosts', '--list-tasks', '--limit', 'w2:d1', '--tags', 'dbg,conf']);
    expect(r.out).toContain('    hosts (1):\n      w2\n    tasks:\n      configure\tTAGS: [conf, web]\n      debug\tTAGS: [dbg, never, web]\n');
    expect(r.out).toContain('    hosts (1):\n      d1\n    tasks:\n');
    expect(r.out).not.toContain('db task');
    const skip = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--list-tags', '--skip-tags', 'pkg']);
    expect(skip.out).toContain('  play #1 (webservers): web things\tTAGS: [web]\n      TASK TAGS: [conf, web]\n');
  });

  it('a --limit that matches nothing is an error before anything', async () => {
    const dir = await project();
    await expect(apply(dir, ['site.yml', '-i', 'hosts.yml', '--list-hosts', '--limit', 'nothere'])).rejects.toThrow(/--limit nothere: matches no host of the inventory/);
  });
});

describe('runbook run (ad-hoc)', () => {
  it('-a alone runs the command module (Ansible\'s default) on the pattern\'s hosts; its output is shown; the recap and exit code as apply', async () => {
    const dir = await project();
    const r = await adhoc(dir, ['webservers', '-a', 'systemctl status apache2', '-i', 'hosts.yml'], {
      reply: (host, cmd) => (cmd.includes('systemctl') ? { stdout: `active (running) on ${host}\n`, exitCode: host === 'w2' ? 3 : 0 } : undefined),
    });
    expect(r.code).toBe(2);
    const commands = r.fleet.calls.filter((c) => c.command.includes('systemctl'));
    expect(commands.map((c) => c.host).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(r.out).toContain('active (running) on w1');
    expect(r.out).toMatch(/w2 {2}FAILED: command: systemctl status apache2/);
    expect(r.out).toMatch(/w1 +: ok=1 +changed=1 +unreachable=0 +failed=0/);
    expect(r.out).toMatch(/w2 +: ok=0 +changed=0 +unreachable=0 +failed=1/);
    // no retry file for an ad-hoc command; the re-run hint is the command itself
    expect(existsSync(join(dir, 'site.retry'))).toBe(false);
    expect(r.out).toContain("re-run only the failed and unreachable hosts: runbook run webservers -m command -a 'systemctl status apache2' -i hosts.yml --limit w2\n");
  });

  it('-m MODULE with key=value and YAML/JSON arguments; --check; --json events; -b becomes root', async () => {
    const dir = await project();
    const kv = await adhoc(dir, ['d1', '-m', 'file', '-a', 'path=/tmp/x state=directory mode=0755', '-i', 'hosts.yml', '--json', '-b'], {
      reply: (_h, cmd) => (cmd.includes('stat') || cmd.includes('test') ? { stdout: '' } : undefined),
    });
    const result = kv.events.find((e) => e.type === 'task_result');
    expect(result).toMatchObject({ host: 'd1', task: { module: 'file', name: 'file' } });
    expect(kv.fleet.calls.some((c) => c.become === 'root')).toBe(true);
    const yaml = await adhoc(dir, ['d1', '-m', 'debug', '-a', '{msg: "hi {{ inventory_hostname }}"}', '-i', 'hosts.yml', '--json']);
    expect(yaml.code).toBe(0);
    expect(yaml.events.find((e) => e.type === 'task_result')).toMatchObject({ status: 'ok', msg: 'hi d1' });
    const json = await adhoc(dir, ['d1', '-m', 'debug', '-a', '{"msg": "json"}', '-i', 'hosts.yml', '--json', '--check']);
    expect(json.events[0]).toMatchObject({ type: 'run_start', check: true });
    expect(json.events.find((e) => e.type === 'task_result')).toMatchObject({ msg: 'json' });
  });

  it('a shell group `{ ...; }` stays a command line; a mapping of the command module\'s own arguments is arguments', () => {
    expect(adhocTask('shell', '{ echo a; echo b; }')).toEqual({ shell: '{ echo a; echo b; }' });
    expect(adhocTask('command', '{cmd: uptime, chdir: /tmp}')).toEqual({ command: { cmd: 'uptime', chdir: '/tmp' } });
    expect(adhocTask('copy', 'src=a dest=/b')).toEqual({ copy: 'src=a dest=/b' });
  });

  it('errors name the fix: unknown module, bad arguments (the schema\'s message), a pattern typo, no command, stray words', async () => {
    const dir = await project();
    await expect(adhoc(dir, ['all', '-m', 'shel', '-a', 'uptime', '-i', 'hosts.yml'])).rejects.toThrow(
      new UsageError("runbook run: unknown module 'shel'; did you mean 'shell'? (runbook doc lists the modules)"),
    );
    await expect(adhoc(dir, ['all', '-m', 'copy', '-a', 'src=motd dst=/etc/motd', '-i', 'hosts.yml'])).rejects.toThrow(
      "runbook run: -m copy -a 'src=motd dst=/etc/motd': unknown argument `dst` for module `copy`; did you mean `dest`?",
    );
    await expect(adhoc(dir, ['webservrs', '-a', 'uptime', '-i', 'hosts.yml'])).rejects.toThrow(
      new UsageError("runbook run: PATTERN 'webservrs': hosts pattern `webservrs` matches no host in the inventory\n  fix: 'webservrs': did you mean 'webservers'?"),
    );
    await expect(adhoc(dir, ['all', '-m', 'shell', '-i', 'hosts.yml'])).rejects.toThrow("runbook run: -m shell needs the command to run: -a 'COMMAND' (e.g. -a 'uptime')");
    await expect(adhoc(dir, ['all', 'uptime', '-i', 'hosts.yml'])).rejects.toThrow("runbook run: one PATTERN only, got also 'uptime'; quote the module's arguments as one -a: -a 'uptime'");
    await expect(adhoc(dir, ['all', '-m', 'copy', '-a', '{src: [a', '-i', 'hosts.yml'])).rejects.toThrow(/^runbook run: -a '\{src: \[a': not a valid YAML\/JSON mapping: /);
  });

  it('--list-hosts lists the pattern\'s hosts as `ansible` does, after --limit', async () => {
    const dir = await project();
    const r = await adhoc(dir, ['all:!db', '--list-hosts', '-i', 'hosts.yml', '--limit', 'w*']);
    expect(r.out).toBe('  hosts (3):\n    w1\n    w2\n    w3\n');
    expect(r.fleet.connects).toEqual([]);
  });
});

describe('asking before running, where nobody can answer', () => {
  it('--ask and --step stop before anything runs without a terminal, and in CI', async () => {
    const dir = await project();
    await expect(apply(dir, ['site.yml', '-i', 'hosts.yml', '--ask'])).rejects.toThrow(
      new UsageError('runbook apply: --ask needs a person at a terminal to answer (stdin is not a terminal); nothing was run. Leave out --ask to run without asking.'),
    );
    await expect(apply(dir, ['site.yml', '-i', 'hosts.yml', '--step'], { CI: 'true' })).rejects.toThrow(
      new UsageError('runbook apply: --step asks before each task and needs a person at a terminal (CI is set); nothing was run.'),
    );
    await expect(adhoc(dir, ['all', '-a', 'uptime', '-i', 'hosts.yml', '--ask'])).rejects.toThrow(/^runbook run: --ask needs a person at a terminal/);
  });
});
