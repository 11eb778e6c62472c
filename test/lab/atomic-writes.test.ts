// File writes stay atomic and keep owner and mode (issue 19: speed may never cost a
// half-written file). Over real SSH and sudo, copy and lineinfile replace root-owned files of
// 1 MiB again and again (the one-command paths: temp file in the same directory, then rename)
// while a reader on the host checksums the file in a loop: it must only ever see the old or the
// new content in full, never a missing file; afterwards owner, group and mode are the file's own
// and no temp file is left.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labSkipReason, startLab, stopLab, type LabInfo } from '../support/lab.js';
import { runCli } from '../support/cli.js';

const NAME = 'sp-atom';
const D = '/tmp/sp-atom';
let lab: LabInfo;
let dir: string;

const A = `${'a'.repeat(1024 * 1024 - 1)}\n`;
const B = `${'b'.repeat(1024 * 1024 - 1)}\n`;
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function playbook(rounds: number, dir = D, become = true): string {
  const tasks: unknown[] = [];
  for (let i = 0; i < rounds; i++) {
    tasks.push({ name: `big A ${i}`, copy: { src: 'a.txt', dest: `${dir}/big` }, become });
    tasks.push({ name: `big B ${i}`, copy: { src: 'b.txt', dest: `${dir}/big` }, become });
    tasks.push({ name: `line ${i}`, lineinfile: { path: `${dir}/conf`, line: `round = ${i}`, regexp: '^round = ' }, become });
  }
  return stringify([{ hosts: 'all', gather_facts: false, tasks }]);
}

// the same as the login user without become: the write runs in the login shell itself (no
// sudo, no /bin/sh), creates the temp file without a subshell and skips the chown that would
// change nothing (the file is the user's own): the file must still only ever be whole
const U = '/tmp/pr-atom-user';

describe.skipIf(labSkipReason())('file writes: atomic, owner and mode kept', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    dir = mkdtempSync(join(tmpdir(), 'runbook-atom-'));
    const h = lab.hosts[0]!;
    writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile }, hosts: { [h.name]: { ansible_host: h.address, ansible_port: h.port } } } }));
    writeFileSync(join(dir, 'a.txt'), A);
    writeFileSync(join(dir, 'b.txt'), B);
    writeFileSync(join(dir, 'site.yml'), playbook(4));
    writeFileSync(join(dir, 'user.yml'), playbook(3, U, false));
    // root-owned files with a group and modes of their own, that the play must keep
    const group = lab.users.nopasswd.name;
    const setup = await labExec(lab, h.name, ['sh', '-c', `rm -rf ${D} && install -d -m 0755 ${D} && printf %s '${'b'.repeat(16)}' > ${D}/big && chown root:${group} ${D}/big && chmod 0640 ${D}/big && printf 'x = 1\\n' > ${D}/conf && chown root:${group} ${D}/conf && chmod 0604 ${D}/conf`]);
    expect(setup.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('a reader never sees a half-written or missing file while copy and lineinfile replace it; owner, group and mode are kept', async () => {
    const h = lab.hosts[0]!.name;
    // a second name for the original inode: it stays allocated (its number cannot be reused by a
    // later temp file) and keeps the original bytes unless someone writes in place
    const before = await labExec(lab, h, ['sh', '-c', `ln ${D}/big ${D}.orig && stat -c %i ${D}/big`]);
    expect(before.code, before.stderr).toBe(0);
    // the reader checksums the file until the play is over (a marker file ends it)
    const reader = labExec(lab, h, ['sh', '-c', `n=0; while [ ! -e ${D}.done ] && [ $n -lt 20000 ]; do md5sum < ${D}/big 2>/dev/null | cut -c1-32 || echo MISSING; n=$((n+1)); done`], { timeoutMs: 180_000 });
    const run = await runCli(['apply', 'site.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    await labExec(lab, h, ['touch', `${D}.done`]);
    const seen = (await reader).stdout.split('\n').filter(Boolean);
    expect(run.code, JSON.stringify(run.recap?.failures)).toBe(0);
    expect(run.recap?.hosts[h]?.changed).toBe(12);
    const counts = new Map<string, number>();
    for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
    const allowed = new Set([md5(A), md5(B), md5('b'.repeat(16))]);
    // every read saw one whole version; several versions were seen (the reader really overlapped the writes)
    expect([...counts.keys()].filter((k) => !allowed.has(k))).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(2);
    const after = await labExec(lab, h, ['sh', '-c', `cat ${D}.orig; echo; stat -c '%U:%G %a %i' ${D}/big; stat -c '%U:%G %a' ${D}/conf; cat ${D}/conf; ls -A ${D}`]);
    const [orig, big, conf, ...rest] = after.stdout.trim().split('\n');
    // the original inode was never written to
    expect(orig).toBe('b'.repeat(16));
    const group = lab.users.nopasswd.name;
    expect(big?.split(' ').slice(0, 2).join(' ')).toBe(`root:${group} 640`);
    // replaced by rename, not rewritten in place
    expect(big?.split(' ')[2]).not.toBe(before.stdout.trim());
    expect(conf).toBe(`root:${group} 604`);
    expect(rest).toEqual(['x = 1', 'round = 3', 'big', 'conf']);
  }, 240_000);

  it('the same without become: the user\'s own files keep their mode and owner, and are only ever seen whole', async () => {
    const h = lab.hosts[0]!.name;
    const user = lab.users.nopasswd.name;
    // ${U}.orig: a second name keeps the original inode allocated (its number cannot be reused
    // by a later temp file) and its bytes show whether anything wrote in place
    const setup = await labExec(lab, h, ['sh', '-c', `rm -rf ${U} ${U}.done && install -d -o ${user} -m 0755 ${U} && printf %s '${'b'.repeat(16)}' > ${U}/big && printf 'x = 1\\n' > ${U}/conf && chown ${user}:${user} ${U}/big ${U}/conf && chmod 0604 ${U}/big && chmod 0640 ${U}/conf && rm -f ${U}.orig && ln ${U}/big ${U}.orig && stat -c %i ${U}/big`]);
    expect(setup.code, setup.stderr).toBe(0);
    const reader = labExec(lab, h, ['sh', '-c', `n=0; while [ ! -e ${U}.done ] && [ $n -lt 20000 ]; do md5sum < ${U}/big 2>/dev/null | cut -c1-32 || echo MISSING; n=$((n+1)); done`], { timeoutMs: 180_000 });
    const run = await runCli(['apply', 'user.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    await labExec(lab, h, ['touch', `${U}.done`]);
    const seen = new Set((await reader).stdout.split('\n').filter(Boolean));
    expect(run.code, JSON.stringify(run.recap?.failures)).toBe(0);
    expect(run.recap?.hosts[h]?.changed).toBe(9);
    const allowed = new Set([md5(A), md5(B), md5('b'.repeat(16))]);
    expect([...seen].filter((k) => !allowed.has(k))).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(2);
    const after = await labExec(lab, h, ['sh', '-c', `cat ${U}.orig; echo; stat -c '%U:%G %a %i' ${U}/big; stat -c '%U:%G %a' ${U}/conf; cat ${U}/conf; ls -A ${U}`]);
    const [orig, big, conf, ...rest] = after.stdout.trim().split('\n');
    expect(orig).toBe('b'.repeat(16));
    expect(big?.split(' ').slice(0, 2).join(' ')).toBe(`${user}:${user} 604`);
    // replaced by rename, not rewritten in place
    expect(big?.split(' ')[2]).not.toBe(setup.stdout.trim());
    expect(conf).toBe(`${user}:${user} 640`);
    expect(rest).toEqual(['x = 1', 'round = 2', 'big', 'conf']);
  }, 240_000);
});
