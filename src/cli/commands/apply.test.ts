import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { planRun } from '../../engine/plan.js';
import { FAKE_FACTS, memoryFleet, memoryInventory, playbookFrom } from '../../engine/testing/memory.js';
import { eventsSchema } from '../../report/schema.js';
import { UsageError, ValidationError } from '../../util/errors.js';
import type { CommandIo, ParsedArgs } from '../command.js';
import { applyCommand, hostConnectionVars, parseExtraVars, remoteUserMap, runApply, writeRetryFile } from './apply.js';
import type { ApplyHooks } from './apply.js';
import { parseArgs } from 'node:util';
import { TextSink as Sink } from '../../../test/support/cli.js';

const INVENTORY = `
all:
  children:
    web:
      hosts:
        a: {}
        b: {}
        c: {}
`;

const PLAYBOOK = `
- hosts: web
  gather_facts: true
  tasks:
    - name: check
      debug:
        msg: "hello {{ inventory_hostname }}"
      failed_when: inventory_hostname == 'b'
    - name: second
      debug:
        msg: "{{ greeting | default('hi') }} {{ n | default('') }}"
`;

/** A play on `hosts` with remote_user deploy, then one on all with remote_user other. */
const remoteUserPlays = (hosts: string): string => `
- hosts: ${hosts}
  remote_user: deploy
  gather_facts: false
  tasks: [{ debug: { msg: one } }]
- hosts: all
  remote_user: other
  gather_facts: false
  tasks: [{ debug: { msg: two } }]
`;

async function project(playbook = PLAYBOOK): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-apply-'));
  await writeFile(join(dir, 'site.yml'), playbook);
  await writeFile(join(dir, 'hosts.yml'), INVENTORY);
  return dir;
}

function parse(argv: string[]): ParsedArgs {
  return parseArgs({ args: argv, options: applyCommand.options, allowPositionals: true, strict: true });
}

function io(dir: string, env: Record<string, string> = {}, tty = false): CommandIo & { out: Sink; err: Sink } {
  const out = new Sink();
  out.isTTY = tty;
  const err = new Sink();
  return { stdout: out, stderr: err, stdin: new PassThrough(), env, cwd: dir, out, err };
}

async function apply(dir: string, argv: string[], opts: { env?: Record<string, string>; hooks?: Partial<ApplyHooks>; unreachable?: string[] } = {}) {
  const fleet = memoryFleet({ unreachable: opts.unreachable ?? [] });
  const cio = io(dir, opts.env);
  const code = await runApply(parse(argv), cio, {
    transportFactory: fleet.factory,
    gatherFacts: () => Promise.resolve(FAKE_FACTS),
    ...opts.hooks,
  });
  return { code, out: cio.out.text, err: cio.err.text, fleet };
}

describe('runbook apply', () => {
  it('--json: valid NDJSON, recap last; exit 2; retry file beside the playbook; --limit @retry re-runs exactly those hosts', async () => {
    const dir = await project();
    const first = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json'], { unreachable: ['c'] });
    expect(first.code).toBe(2);
    const validate = new Ajv({ strict: true }).compile(eventsSchema);
    const lines = first.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; exitCode?: number });
    for (const l of lines) expect(validate(l), JSON.stringify(validate.errors)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'recap', exitCode: 2, hosts: { b: { failed: 1 }, c: { unreachable: 1 } } });
    expect(await readFile(join(dir, 'site.retry'), 'utf8')).toBe('b\nc\n');

    const again = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '--limit', '@site.retry']);
    const start = JSON.parse(again.out.split('\n')[0]!) as { type: string; hosts: string[] };
    expect(start).toMatchObject({ type: 'run_start', hosts: ['b', 'c'] });
    expect(again.code).toBe(2); // b still fails its failed_when
  });

  it('exit 4 when some host is unreachable and none failed; 0 when all is well', async () => {
    const dir = await project(PLAYBOOK.replace("failed_when: inventory_hostname == 'b'", 'failed_when: false'));
    expect((await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json'], { unreachable: ['a'] })).code).toBe(4);
    expect((await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json'])).code).toBe(0);
  });

  it('validates the playbook before any connection', async () => {
    const dir = await project(`
- hosts: web
  tasks:
    - name: typo
      debugg:
        msg: hi
`);
    let connected = false;
    const run = apply(dir, ['site.yml', '-i', 'hosts.yml'], {
      hooks: {
        transportFactory: () => {
          connected = true;
          throw new Error('must not connect');
        },
      },
    });
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow(/site\.yml:5/);
    expect(connected).toBe(false);
  });

  it('plain lines when stdout is not a terminal, and with CI=true even on a terminal', async () => {
    const dir = await project();
    const plain = await apply(dir, ['site.yml', '-i', 'hosts.yml']);
    // eslint-disable-next-line no-control-regex
    expect(plain.out).not.toMatch(/\u001b/);
    expect(plain.out).toContain('b  FAILED: check');
    expect(plain.out).toContain('PLAY RECAP');
    expect(plain.out).toContain('runbook apply site.yml -i hosts.yml --limit @');

    const fleet = memoryFleet();
    const cio = io(dir, { CI: 'true' }, true);
    await runApply(parse(['site.yml', '-i', 'hosts.yml']), cio, { transportFactory: fleet.factory, gatherFacts: () => Promise.resolve(FAKE_FACTS) });
    // eslint-disable-next-line no-control-regex
    expect(cio.out.text).not.toMatch(/\u001b/);
  });

  it('-e: key=value, JSON and @file, later ones win; reach the templates', async () => {
    const dir = await project();
    await writeFile(join(dir, 'vars.yml'), 'greeting: from-file\nn: 1\n');
    expect(await parseExtraVars(['a=1 b="two words"', '{"c": [1, 2]}', '@vars.yml', 'n=2'], dir)).toEqual({
      a: '1',
      b: 'two words',
      c: [1, 2],
      greeting: 'from-file',
      n: '2',
    });
    await expect(parseExtraVars(['novalue'], dir)).rejects.toThrow(/expected key=value/);
    const r = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '-e', '@vars.yml', '-e', 'n=7']);
    expect(r.out).toContain('"msg":"from-file 7"');
  });

  it('remote_user: the login user where the inventory names none; ansible_user and -e win (as Ansible)', async () => {
    const inv = memoryInventory({ web: ['a', 'b'], db: ['c'] }, { b: { ansible_user: 'admin' } });
    const { playbook } = await playbookFrom(remoteUserPlays('web'));
    const users = remoteUserMap(await planRun(playbook, inv));
    expect([...users.entries()]).toEqual([['a', 'deploy'], ['b', 'deploy'], ['c', 'other']]);
    const host = (n: string) => inv.hosts.get(n) ?? { name: n, vars: {} };
    expect(hostConnectionVars(host('a'), users, {}).ansible_user).toBe('deploy');
    expect(hostConnectionVars(host('b'), users, {}).ansible_user).toBe('admin');
    expect(hostConnectionVars(host('c'), users, { ansible_user: 'root' }).ansible_user).toBe('root');
  });

  it('remote_user of a play with a templated hosts: goes to the hosts the run targets (it was ignored)', async () => {
    const inv = memoryInventory({ web: ['a', 'b'], db: ['c'] });
    const { playbook } = await playbookFrom(remoteUserPlays(`"{{ target | default('web') }}"`));
    expect([...remoteUserMap(await planRun(playbook, inv)).entries()]).toEqual([['a', 'deploy'], ['b', 'deploy'], ['c', 'other']]);
    const db = await planRun(playbook, inv, { extraVars: { target: 'db' } });
    expect(db.plays[0]?.hosts).toEqual(['c']);
    expect([...remoteUserMap(db).entries()]).toEqual([['c', 'deploy'], ['a', 'other'], ['b', 'other']]);
    // --limit narrows what the first play decides, as it narrows the run
    expect([...remoteUserMap(await planRun(playbook, inv, { limit: ['b:c'] })).entries()]).toEqual([['b', 'deploy'], ['c', 'other']]);
  });

  it("--start-at-task '[abc' is a usage error naming the option before any connection, not an internal error", async () => {
    const dir = await project();
    const err = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--start-at-task', '[abc']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^--start-at-task "\[abc": no task has this name in .*site\.yml$/);
    const ok = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '--start-at-task', 'sec[o]nd']);
    expect(ok.out).not.toContain('"name":"check"');
    expect(ok.out).toContain('"name":"second"');
    expect(ok.fleet.connects.length).toBeGreaterThan(0);
  });

  it('the retry file: one host per line ending in a newline; none removes a stale one; an unwritable one is a warning', async () => {
    const dir = await project();
    const path = join(dir, 'site.retry');
    const warnings: string[] = [];
    expect(await writeRetryFile(path, ['b', 'c'], (m) => warnings.push(m))).toBe(path);
    expect(await readFile(path, 'utf8')).toBe('b\nc\n');
    expect(await writeRetryFile(path, [], (m) => warnings.push(m))).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect(await writeRetryFile(join(dir, 'no-such-dir', 'site.retry'), ['b'], (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^could not write the retry file .*no-such-dir.*ENOENT/)]);
  });

  it('an all-ok run through the CLI removes a stale retry file; the recap names the one it writes', async () => {
    const dir = await project(PLAYBOOK.replace("failed_when: inventory_hostname == 'b'", 'failed_when: false'));
    await writeFile(join(dir, 'site.retry'), 'old\n');
    expect((await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json'])).code).toBe(0);
    expect(existsSync(join(dir, 'site.retry'))).toBe(false);
    const failed = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '--retry-file', 'out.retry'], { unreachable: ['a'] });
    expect(JSON.parse(failed.out.trimEnd().split('\n').at(-1)!)).toMatchObject({ type: 'recap', retryFile: join(dir, 'out.retry') });
    expect(await readFile(join(dir, 'out.retry'), 'utf8')).toBe('a\n');
  });

  it('-e: hostile input is refused cleanly (prototype keys, alias bombs in @file)', async () => {
    const dir = await project();
    await expect(parseExtraVars(['{"__proto__": {"polluted": 1}}'], dir)).rejects.toThrow(/__proto__. is not allowed/);
    await expect(parseExtraVars(['__proto__=1'], dir)).rejects.toThrow(/'__proto__' is not allowed/);
    await expect(parseExtraVars(['constructor=x'], dir)).rejects.toThrow(/'constructor' is not allowed/);
    await expect(parseExtraVars(['{"a": {"constructor": {"prototype": 1}}}'], dir)).rejects.toThrow(/not allowed/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`);
    await writeFile(join(dir, 'bomb.yml'), bomb.join('\n') + '\n');
    await expect(parseExtraVars(['@bomb.yml'], dir)).rejects.toThrow(/bomb\.yml:\d+:\d+/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('--log writes the run with secrets masked', async () => {
    const dir = await project(PLAYBOOK.replace("hello {{ inventory_hostname }}", 'password is pw-1234'));
    await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '--log', 'run.log'], { env: { RUNBOOK_BECOME_PASSWORD: 'pw-1234' } });
    const log = await readFile(join(dir, 'run.log'), 'utf8');
    expect(log).toContain('password is ********');
    expect(log).not.toContain('pw-1234');
    expect(log).toContain('PLAY RECAP');
  });

  it('no_log: the result is censored in NDJSON and in the log file', async () => {
    const dir = await project(`
- hosts: web
  gather_facts: false
  tasks:
    - name: secret step
      debug:
        msg: "token {{ api_token }}"
      no_log: true
`);
    const r = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json', '--log', 'run.log', '-e', 'api_token=TOK-98765']);
    expect(r.code).toBe(0);
    const log = await readFile(join(dir, 'run.log'), 'utf8');
    for (const text of [r.out, log]) {
      expect(text).toContain("the output has been hidden due to the 'no_log: true'");
      expect(text).not.toContain('TOK-98765');
    }
  });

  it('Ctrl-C: running steps end, no new task starts, recap written, exit 130', async () => {
    const dir = await project();
    const signals = new EventEmitter();
    // Ctrl-C 30 ms after runbook listens for it (the hosts are still gathering facts then),
    // however long loading and planning took on a busy machine
    const onListener = (event: string | symbol): void => {
      if (event !== 'SIGINT') return;
      signals.off('newListener', onListener);
      setTimeout(() => signals.emit('SIGINT'), 30);
    };
    signals.on('newListener', onListener);
    const r = await apply(dir, ['site.yml', '-i', 'hosts.yml', '--json'], {
      hooks: {
        signals,
        gatherFacts: () => new Promise((res) => setTimeout(() => res(FAKE_FACTS), 150)),
      },
    });
    expect(r.code).toBe(130);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; task?: { name: string } });
    expect(lines.some((l) => l.type === 'task_start' && l.task?.name === 'check')).toBe(false);
    expect(lines.at(-1)).toMatchObject({ type: 'recap', interrupted: true, exitCode: 130 });
    expect(r.err).toContain('Press Ctrl-C again');
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('usage errors: missing playbook, missing inventory, bad --forks', async () => {
    const dir = await project();
    await expect(apply(dir, ['-i', 'hosts.yml'])).rejects.toThrow(/missing PLAYBOOK/);
    await expect(apply(dir, ['site.yml'])).rejects.toThrow(/missing -i INVENTORY/);
    await expect(apply(dir, ['site.yml', '-i', 'hosts.yml', '--forks', '0'])).rejects.toThrow(/--forks/);
    expect(applyCommand.help).toMatch(/130 +interrupted/);
    expect(applyCommand.help).toMatch(/4 +some host unreachable/);
  });
});
