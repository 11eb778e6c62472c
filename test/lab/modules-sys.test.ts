// git and wait_for_connection over real SSH with real sudo. git: a repository the test makes on
// a fleet host (under its private /tmp), cloned over file:// and over ssh:// to the host itself
// (key_file, accept_newhostkey); --check changes nothing, the first run changes, the second run
// changes nothing, before/after are the real commit ids. A full Debian host without git gives the
// missing-git error. wait_for_connection: the play's connection is killed by stopping the host
// (a fleet host's sshd; the whole full host, its init included) and the host started again a
// few seconds later; the task waits, reconnects and the next task runs on the fresh connection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { LabInfo } from '../support/lab.js';
import { labExec, labSkipReason, startHost, startLab, stopHost, stopLab } from '../support/lab.js';
import { moduleLab } from '../support/module-lab.js';
import { runCli, type CliRun } from '../support/cli.js';
import type { TaskResultEvent } from '../../src/report/events.js';
import { gitModule } from '../../src/modules/git.js';

const NAME = 'sm-sys';
const FULL = 'sm12';
let lab: LabInfo;
const { host, run, sh, converge, close } = moduleLab(() => lab);

describe.skipIf(labSkipReason())('git and wait_for_connection over real SSH and sudo', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: FULL, release: '12' }] });
  }, 180_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
  });

  const base = '/tmp/sm-git';
  const repo = `file://${base}/origin.git`;
  const rev = async (ref: string): Promise<string> => (await sh('fleet', `git -C ${base}/origin.git rev-parse '${ref}^{commit}'`)).trim();
  const look = (dir: string) => (): Promise<string> => sh('fleet', `git -C ${dir} rev-parse HEAD 2>/dev/null; git -C ${dir} status --short 2>/dev/null; ls -a ${dir} 2>/dev/null; :`);

  it('git: clone, unchanged second run in one command, a pushed commit pulled, branch/tag/commit pinning, local modifications, shallow and bare clones', async () => {
    // a repository with a branch, an annotated tag and a lightweight one, as a bare "server" copy
    await sh(
      'fleet',
      `set -e; rm -rf ${base}; mkdir -p ${base}/work; cd ${base}/work; git init -q -b main .; git config user.email t@lab; git config user.name lab; ` +
        `echo one > f.txt; git add f.txt; git commit -qm one; git tag -a v1 -m 'release 1'; git tag light; ` +
        `git checkout -q -b dev; echo dev > d.txt; git add d.txt; git commit -qm dev; git checkout -q main; ` +
        `git clone -q --bare ${base}/work ${base}/origin.git; chmod -R a+rX ${base}`,
    );
    const co = `${base}/co`;
    const main1 = await rev('main');

    // --check (ls-remote, nothing written), clone, then unchanged
    const r = await converge('fleet', gitModule, { repo: `${base}/origin.git`, dest: co }, look(co));
    expect(r.data).toMatchObject({ before: null, after: main1, warnings: [] });
    expect(await sh('fleet', `git -C ${co} symbolic-ref --short HEAD; cat ${co}/f.txt; git -C ${co} config remote.origin.url`)).toBe(`main\none\n${repo}\n`);
    const again = await run('fleet', gitModule, { repo, dest: co });
    expect(again.commands, 'an unchanged run is the probe alone').toHaveLength(1);
    expect(again.result).toMatchObject({ changed: false, data: { before: main1, after: main1, remote_url_changed: false } });

    // a commit pushed to the remote: --check says so from ls-remote, the run pulls it
    await sh('fleet', `set -e; cd ${base}/work; echo two >> f.txt; git commit -qam two; git push -q ${base}/origin.git main`);
    const main2 = await rev('main');
    const checkUp = await run('fleet', gitModule, { repo, dest: co }, { check: true });
    expect(checkUp.result).toMatchObject({ changed: true, data: { before: main1, after: main2 } });
    expect((await sh('fleet', `git -C ${co} rev-parse HEAD`)).trim(), '--check pulled nothing').toBe(main1);
    const up = await converge('fleet', gitModule, { repo, dest: co }, look(co));
    expect(up.data).toMatchObject({ before: main1, after: main2 });
    expect(await sh('fleet', `cat ${co}/f.txt`)).toBe('one\ntwo\n');

    // pinning: a branch (checked out as a branch), an annotated tag (its commit, detached), a lightweight tag, an abbreviated commit id
    const dev = await converge('fleet', gitModule, { repo, dest: co, version: 'dev' }, look(co));
    expect(dev.data).toMatchObject({ before: main2, after: await rev('dev') });
    expect(await sh('fleet', `git -C ${co} symbolic-ref --short HEAD`)).toBe('dev\n');
    const tag = await converge('fleet', gitModule, { repo, dest: co, version: 'v1' }, look(co));
    expect(tag.data).toMatchObject({ after: main1 });
    expect((await sh('fleet', `git -C ${co} symbolic-ref -q HEAD; echo rc=$?`)).trim(), 'a tag is a detached checkout').toBe('rc=1');
    await converge('fleet', gitModule, { repo, dest: co, version: main2.slice(0, 10) }, look(co));
    expect((await sh('fleet', `git -C ${co} rev-parse HEAD`)).trim()).toBe(main2);
    const light = await converge('fleet', gitModule, { repo, dest: co, version: 'light' }, look(co));
    expect(light.data).toMatchObject({ before: main2, after: main1 });

    // local modifications: Ansible's refusal (in --check too), nothing touched; force discards them
    await converge('fleet', gitModule, { repo, dest: co, version: 'main' }, look(co));
    await sh('fleet', `echo local >> ${co}/f.txt`);
    for (const check of [true, false]) {
      const refused = await run('fleet', gitModule, { repo, dest: co, version: 'main' }, { check });
      expect(refused.result).toMatchObject({ failed: true, msg: `Local modifications exist in the destination: ${co} (force=no).` });
    }
    expect(await sh('fleet', `git -C ${co} status --short`)).toBe(' M f.txt\n');
    const forced = await run('fleet', gitModule, { repo, dest: co, version: 'main', force: true });
    expect(forced.result).toMatchObject({ changed: true, data: { before: main2, after: main2 } });
    expect(await sh('fleet', `git -C ${co} status --short; cat ${co}/f.txt`)).toBe('one\ntwo\n');

    // the remote's URL changed: set, reported
    await sh('fleet', `git -C ${co} remote set-url origin /elsewhere.git`);
    const moved = await run('fleet', gitModule, { repo, dest: co, version: 'main' });
    expect(moved.result).toMatchObject({ changed: true, data: { remote_url_changed: true, before: main2, after: main2 } });
    expect(await sh('fleet', `git -C ${co} config remote.origin.url`)).toBe(`${repo}\n`);

    // update=no leaves an existing checkout; a version the remote lacks fails naming it
    const noUpdate = await run('fleet', gitModule, { repo, dest: co, version: 'dev', update: false });
    expect(noUpdate.result).toMatchObject({ changed: false, data: { before: main2, after: main2 } });
    const missing = await run('fleet', gitModule, { repo, dest: co, version: 'no-such-branch' });
    expect(missing.result.failed).toBe(true);
    expect(missing.result.msg).toContain('no-such-branch');

    // shallow clone of a branch; a commit id with depth: a full clone and Ansible's warning
    const shallow = await converge('fleet', gitModule, { repo, dest: `${base}/shallow`, version: 'dev', depth: 1 }, look(`${base}/shallow`));
    expect(shallow.data).toMatchObject({ after: await rev('dev') });
    expect(await sh('fleet', `git -C ${base}/shallow rev-list --count HEAD; git -C ${base}/shallow symbolic-ref --short HEAD`)).toBe('1\ndev\n');
    const bySha = await run('fleet', gitModule, { repo, dest: `${base}/bysha`, version: main1, depth: 1 });
    expect(bySha.result).toMatchObject({ changed: true, data: { after: main1, warnings: ['Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.'] } });
    expect(await sh('fleet', `git -C ${base}/bysha rev-list --count HEAD`)).toBe('1\n');

    // a bare mirror, then a non-empty directory that is no repository
    const bare = await converge('fleet', gitModule, { repo, dest: `${base}/mirror.git`, bare: true }, () => sh('fleet', `ls ${base}/mirror.git 2>/dev/null; :`));
    expect(bare.data).toMatchObject({ before: null, after: main2 });
    expect(await sh('fleet', `git --git-dir=${base}/mirror.git rev-parse --is-bare-repository`)).toBe('true\n');
    await sh('fleet', `mkdir -p ${base}/busy && echo x > ${base}/busy/x`);
    const busy = await run('fleet', gitModule, { repo, dest: `${base}/busy` });
    expect(busy.result).toMatchObject({ failed: true, msg: `Destination path '${base}/busy' already exists and is not an empty directory.` });
  }, 180_000);

  it('git: submodules are initialised on clone and re-initialised when one is missing (recursive)', async () => {
    const sup = `${base}/sup`;
    // git refuses file:// submodules by default (CVE-2022-39253): root on this host allows them, as Ansible's own tests do
    await sh(
      'fleet',
      `set -e; git config --global protocol.file.allow always; rm -rf ${sup} ${sup}.git; mkdir -p ${sup}; cd ${sup}; git init -q -b main .; git config user.email t@lab; git config user.name lab; ` +
        `git submodule add -q ${repo} lib; git commit -qm 'with lib'; git clone -q --bare ${sup} ${sup}.git; chmod -R a+rX ${base}`,
    );
    const dest = `${base}/supco`;
    const r = await converge('fleet', gitModule, { repo: `file://${sup}.git`, dest }, look(dest));
    expect(r.data).toMatchObject({ before: null, after: (await sh('fleet', `git -C ${sup} rev-parse HEAD`)).trim() });
    expect(await sh('fleet', `cat ${dest}/lib/f.txt`)).toBe('one\ntwo\n');
    // the submodule removed from the checkout: the next run puts it back, then nothing to do
    await sh('fleet', `git -C ${dest} submodule deinit -q -f lib`);
    const back = await run('fleet', gitModule, { repo: `file://${sup}.git`, dest });
    expect(back.result.failed ?? false, back.result.msg).toBe(false);
    expect(back.result).toMatchObject({ changed: true, data: { submodules_changed: true } });
    expect(await sh('fleet', `cat ${dest}/lib/f.txt`)).toBe('one\ntwo\n');
    const still = await run('fleet', gitModule, { repo: `file://${sup}.git`, dest });
    expect(still.result.changed, still.result.msg).toBe(false);
  }, 120_000);

  it('git over ssh:// with key_file: an unknown host key fails (BatchMode, nothing asked); accept_newhostkey records it and clones', async () => {
    const h = host('fleet');
    // a copy the ssh user owns (git refuses a repository owned by someone else: safe.directory)
    await sh('fleet', `set -e; rm -rf ${base}/ssh-origin.git; git clone -q --bare ${base}/origin.git ${base}/ssh-origin.git; chown -R ${lab.users.nopasswd.name} ${base}/ssh-origin.git`);
    const url = `ssh://${lab.users.nopasswd.name}@${h.address}:${h.port}${base}/ssh-origin.git`;
    const dest = `${base}/viassh`;
    await sh('fleet', 'rm -f /root/.ssh/known_hosts');
    const refused = await run('fleet', gitModule, { repo: url, dest, key_file: lab.keyFile });
    expect(refused.result.failed).toBe(true);
    expect(refused.result.msg).toMatch(/Host key verification failed/);
    expect(await sh('fleet', `ls -a ${dest} 2>/dev/null; :`), 'nothing cloned').toBe('');
    const r = await converge('fleet', gitModule, { repo: url, dest, key_file: lab.keyFile, accept_newhostkey: true }, look(dest));
    expect(r.data).toMatchObject({ before: null, after: await rev('main') });
    expect(await sh('fleet', `git -C ${dest} config remote.origin.url; grep -c . /root/.ssh/known_hosts`)).toMatch(new RegExp(`^${url.replace(/[.]/g, '\\.')}\\n[1-9]`));
  }, 120_000);

  it('git: a host without git fails with a clear error naming it, and changes nothing', async () => {
    expect((await labExec(lab, FULL, ['sh', '-c', 'command -v git || echo none'])).stdout).toBe('none\n');
    for (const check of [true, false]) {
      const r = await run(FULL, gitModule, { repo: 'https://example.org/app.git', dest: '/srv/app' }, { check });
      expect(r.result).toMatchObject({ failed: true, msg: 'Failed to find required executable "git" on the host (install the git package)' });
    }
    expect((await labExec(lab, FULL, ['sh', '-c', 'ls /srv/app 2>&1; :'])).stdout).toMatch(/No such file/);
  });

  // wait_for_connection inside a play: the first task opens the connection, the test stops the
  // host (the connection dies) and starts it again `downMs` later; wait_for_connection must not
  // trust the dead connection, and the task after it runs on the new one.
  const play = (timeout: number): string =>
    [
      '- hosts: all',
      '  gather_facts: true',
      '  tasks:',
      '    - name: up',
      '      command: touch /tmp/sm-up',
      '    - name: wait for the restart to begin',
      '      pause: { seconds: 3 }',
      '    - name: wait',
      `      wait_for_connection: { timeout: ${timeout}, connect_timeout: 2, sleep: 1 }`,
      '      register: w',
      '    - name: after',
      '      command: cat /proc/sys/kernel/random/boot_id',
      '      become: true',
      '      changed_when: false',
      '',
    ].join('\n');
  const inventory = (name: string): string => {
    const h = host(name);
    return stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile }, hosts: { [h.name]: { ansible_host: h.address, ansible_port: h.port, ansible_user: lab.users.nopasswd.name } } } });
  };
  const waited = (r: CliRun): TaskResultEvent | undefined => r.events.find((e): e is TaskResultEvent => e.type === 'task_result' && e.task.name === 'wait');

  /** the play, while the host is stopped once `/tmp/sm-up` exists on it and started again `downMs` later */
  async function playAcrossRestart(name: string, timeout: number, downMs: number | 'stay-down'): Promise<{ r: CliRun; downAt: number; upAt: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-sm-'));
    writeFileSync(join(dir, 'hosts.yml'), inventory(name));
    writeFileSync(join(dir, 'site.yml'), play(timeout));
    await labExec(lab, name, ['rm', '-f', '/tmp/sm-up']);
    let downAt = 0;
    let upAt = 0;
    const restart = (async () => {
      const deadline = Date.now() + 60_000;
      while ((await labExec(lab, name, ['test', '-e', '/tmp/sm-up'])).code !== 0) {
        if (Date.now() > deadline) throw new Error('the play never ran its first task');
        await sleep(100);
      }
      await stopHost(lab, name);
      downAt = Date.now();
      if (downMs === 'stay-down') return;
      await sleep(downMs);
      await startHost(lab, name);
      upAt = Date.now();
    })();
    const t0 = Date.now();
    const r = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json', '--known-hosts', lab.knownHostsFile], { cwd: dir });
    await restart;
    return { r, downAt: downAt - t0, upAt: upAt - t0 };
  }

  for (const [what, name] of [
    ['a fleet host whose sshd was stopped and started', 'fleet'],
    ['a full host restarted (all its processes, init included)', FULL],
  ] as const) {
    it(`wait_for_connection: ${what}: the dead connection is dropped, the task waits until the host answers, the next task runs`, async () => {
      const h = host(name).name;
      const bootBefore = (await labExec(lab, h, ['cat', '/proc/sys/kernel/random/boot_id'])).stdout;
      const { r, downAt, upAt } = await playAcrossRestart(h, 60, 7000);
      expect(r.code, r.out.slice(-3000) + r.err).toBe(0);
      expect(r.recap?.hosts[h]).toMatchObject({ failed: 0, unreachable: 0 });
      const w = waited(r);
      expect(w?.status).toBe('ok');
      // it waited for the host: stopped ~0.1 s after the first task, down 7 s, the wait began after
      // the 3 s pause: so at least ~4 s of waiting (elapsed counts whole seconds), and no more than the restart took
      expect(downAt).toBeGreaterThan(0);
      expect(Number(w?.result?.elapsed)).toBeGreaterThanOrEqual(3);
      expect(Number(w?.result?.elapsed) * 1000).toBeLessThanOrEqual(upAt - downAt + 5000);
      const after = r.events.find((e): e is TaskResultEvent => e.type === 'task_result' && e.task.name === 'after');
      expect(after?.status).toBe('ok');
      // the command ran on the host after it came back (lab hosts share the kernel: the same boot id)
      expect(String(after?.result?.stdout)).toBe(bootBefore.trim());
    }, 180_000);
  }

  it('wait_for_connection: a host that stays down fails the task with Ansible\'s message after the timeout (failed, not unreachable)', async () => {
    const h = host('fleet').name;
    try {
      const t0 = Date.now();
      const { r } = await playAcrossRestart(h, 4, 'stay-down');
      const took = Date.now() - t0;
      expect(r.code).toBe(2);
      expect(r.recap?.hosts[h]).toMatchObject({ failed: 1, unreachable: 0 });
      const w = waited(r);
      expect(w?.msg).toMatch(/^timed out waiting for ping module test success: .+/);
      expect(Number(w?.result?.elapsed)).toBeGreaterThanOrEqual(4);
      expect(Number(w?.result?.elapsed)).toBeLessThan(12);
      expect(took).toBeLessThan(40_000);
    } finally {
      await startHost(lab, h);
    }
  }, 120_000);
});
