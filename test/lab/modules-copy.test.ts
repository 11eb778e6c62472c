// copy's recursive, remote_src, follow, local_follow and decrypt, and unarchive (issue 15), as
// a playbook run by the CLI over real SSH + sudo (become) on a lab host: --check changes
// nothing, the first run makes the host look as Ansible would leave it (read back with
// labExec as root, outside runbook), the second run changes nothing. Fleet hosts share this
// machine's filesystem except /tmp, so everything on the host lives under /tmp/cm.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labSkipReason, startLab, stopLab, type LabInfo } from '../support/lab.js';
import { runCli, type CliRun } from '../support/cli.js';
import { encryptVault } from '../../src/vault/format.js';
import type { TaskResultEvent } from '../../src/engine/events.js';

const NAME = 'cm-copy';
const D = '/tmp/cm';
const SECRET = 'db_password = Cm-Vaulted-Secret-9931';
const VAULT_PW = 'cm vault password';
const BINARY = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0, 128]);
let lab: LabInfo;
let dir: string;
let host: string;
let vaultText: string;

async function sh(script: string): Promise<string> {
  const r = await labExec(lab, host, ['sh', '-c', script]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function results(run: CliRun): Map<string, TaskResultEvent> {
  const out = new Map<string, TaskResultEvent>();
  for (const e of run.events) if (e.type === 'task_result') out.set(e.task.name, e);
  return out;
}

/** The host's tree under D: type, mode, owner:group, path, link target, sha1 of files. */
const tree = (): Promise<string> => sh(`cd ${D} 2>/dev/null && find . -printf '%y %m %u:%g %p %l\\n' | sort && find . -type f -exec sha1sum {} + | sort -k2 || true`);

const COPY_TASKS = [
  { name: 'contents of site/ into www', copy: { src: 'site/', dest: `${D}/www`, directory_mode: '0750', group: 'GROUP' } },
  { name: 'site itself into both', copy: { src: 'site', dest: `${D}/both/` } },
  { name: 'links kept as links', copy: { src: 'site/', dest: `${D}/links`, local_follow: false } },
  { name: 'vaulted file decrypted', copy: { src: 'secret.conf', dest: `${D}/secret.conf`, mode: '0600' } },
  { name: 'vaulted file as it is', copy: { src: 'secret.conf', dest: `${D}/secret.vault`, decrypt: false } },
  { name: 'remote file', copy: { src: `${D}/orig/app.conf`, dest: `${D}/app.copy`, remote_src: true, mode: 'preserve' } },
  { name: 'remote tree', copy: { src: `${D}/orig/`, dest: `${D}/mirror`, remote_src: true } },
  { name: 'through the link', copy: { content: 'followed\n', dest: `${D}/link.conf`, follow: true } },
  { name: 'replace the link', copy: { content: 'replaced\n', dest: `${D}/link2.conf` } },
];

describe.skipIf(labSkipReason())('copy and unarchive over real SSH + sudo (issue 15)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1 });
    const h = lab.hosts[0]!;
    host = h.name;
    dir = mkdtempSync(join(tmpdir(), 'runbook-cm-'));
    mkdirSync(join(dir, 'files/site/sub/deeper'), { recursive: true });
    writeFileSync(join(dir, 'files/site/index.html'), '<h1>cm</h1>\n');
    writeFileSync(join(dir, 'files/site/sub/logo.bin'), BINARY);
    writeFileSync(join(dir, 'files/site/sub/deeper/empty'), '');
    symlinkSync('index.html', join(dir, 'files/site/home.html'));
    vaultText = encryptVault(Buffer.from(`${SECRET}\n`), Buffer.from(VAULT_PW));
    writeFileSync(join(dir, 'files/secret.conf'), vaultText);
    writeFileSync(join(dir, 'vault-pw'), `${VAULT_PW}\n`);
    writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile }, hosts: { [host]: { ansible_host: h.address, ansible_port: h.port } } } }));
    const tasks = JSON.parse(JSON.stringify(COPY_TASKS).replaceAll('GROUP', lab.users.nopasswd.name)) as unknown[];
    writeFileSync(join(dir, 'copy.yml'), stringify([{ hosts: 'all', gather_facts: false, become: true, tasks }]));
    await sh(`rm -rf ${D} && mkdir -p ${D} && printf 'old\\n' > ${D}/real.conf && ln -s real.conf ${D}/link.conf && ln -s real.conf ${D}/link2.conf && mkdir -p ${D}/orig/bin && printf 'a=1\\n' > ${D}/orig/app.conf && chmod 0640 ${D}/orig/app.conf && printf '#!/bin/sh\\n' > ${D}/orig/bin/run && chmod 0755 ${D}/orig/bin/run && ln -s bin/run ${D}/orig/current`);
  }, 120_000);

  afterAll(async () => {
    // an immutable file left behind would block the next boot's fresh /tmp
    if (lab) await labExec(lab, host, ['sh', '-c', `chattr -i -a ${D}/attr.conf ${D}/li.conf 2>/dev/null; :`]).catch(() => undefined);
    await stopLab(NAME);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copy: --check changes nothing; the first run lays the trees out as Ansible does; the second changes nothing', async () => {
    const cli = (extra: string[]) => runCli(['apply', 'copy.yml', '-i', 'hosts.yml', '--vault-password-file', 'vault-pw', '--json', ...extra], { cwd: dir });
    const before = await tree();
    const check = await cli(['--check']);
    expect(check.code, check.out + check.err).toBe(0);
    expect(await tree(), '--check changed nothing').toBe(before);
    const checked = results(check);
    for (const t of COPY_TASKS) expect(checked.get(t.name)?.status, `--check: ${t.name}: ${checked.get(t.name)?.msg}`).toBe('changed');

    const first = await cli(['--diff']);
    expect(first.code, first.out + first.err).toBe(0);
    const r1 = results(first);
    for (const t of COPY_TASKS) expect(r1.get(t.name)?.status, `${t.name}: ${r1.get(t.name)?.msg}`).toBe('changed');
    // the vaulted plaintext never reaches the output, not even the --diff of the decrypted file
    expect(first.out + first.err).not.toContain('Cm-Vaulted-Secret-9931');

    const group = lab.users.nopasswd.name;
    const st = await sh(
      [
        `cd ${D}`,
        // trailing slash: the contents; directory_mode on what was made, group on dirs and files
        `stat -c '%n %F %a %U:%G' www www/sub www/sub/deeper www/index.html www/home.html www/sub/logo.bin www/sub/deeper/empty`,
        // no slash: the directory itself; local_follow (default) copied the link as a file
        `stat -c '%n %F' both/site both/site/index.html both/site/home.html`,
        // local_follow: false keeps the link
        `readlink links/home.html`,
        `cat secret.conf; stat -c '%a' secret.conf`,
        `sha1sum < secret.vault | cut -c1-40`,
        `stat -c '%n %a' app.copy; cat app.copy`,
        // remote_src tree: the source's modes come along, links stay links
        `stat -c '%n %F %a' mirror/app.conf mirror/bin mirror/bin/run; readlink mirror/current`,
        `stat -c '%n %F' link.conf link2.conf; cat real.conf link2.conf`,
      ].join(' && '),
    ).catch((e: Error) => e.message);
    expect(st).toBe(
      [
        `www directory 750 root:${group}`,
        `www/sub directory 750 root:${group}`,
        `www/sub/deeper directory 750 root:${group}`,
        `www/index.html regular file 644 root:${group}`,
        `www/home.html regular file 644 root:${group}`,
        `www/sub/logo.bin regular file 644 root:${group}`,
        `www/sub/deeper/empty regular empty file 644 root:${group}`,
        'both/site directory',
        'both/site/index.html regular file',
        'both/site/home.html regular file',
        'index.html',
        SECRET,
        '600',
        // decrypt: false: the encrypted bytes as they are on the controller
        execFileSync('sha1sum', { input: vaultText }).toString().slice(0, 40),
        'app.copy 640',
        'a=1',
        'mirror/app.conf regular file 640',
        'mirror/bin directory 755',
        'mirror/bin/run regular file 755',
        'bin/run',
        'link.conf symbolic link',
        'link2.conf regular file',
        'followed',
        'replaced',
        '',
      ].join('\n'),
    );
    // bytes survive: the binary file is the controller's, byte for byte
    expect(Buffer.from(await sh(`od -An -tx1 ${D}/www/sub/logo.bin | tr -d ' \\n'`)).toString()).toBe(BINARY.toString('hex'));
    expect(r1.get('vaulted file decrypted')?.result).toMatchObject({ dest: `${D}/secret.conf`, state: 'file', mode: '0600', owner: 'root' });
    expect(r1.get('remote file')?.result).toMatchObject({ dest: `${D}/app.copy`, checksum: execFileSync('sha1sum', { input: 'a=1\n' }).toString().slice(0, 40) });

    const settled = await tree();
    const second = await cli([]);
    expect(second.code, second.out + second.err).toBe(0);
    const r2 = results(second);
    for (const t of COPY_TASKS) expect(r2.get(t.name)?.status, `second run: ${t.name}: ${r2.get(t.name)?.msg}`).toBe('ok');
    expect(await tree(), 'the second run changed nothing').toBe(settled);
  }, 180_000);

  it('copy/template/lineinfile attributes: chattr over sudo, --check changes nothing, the second run changes nothing', async () => {
    writeFileSync(join(dir, 'templates.j2'), 'host={{ inventory_hostname }}\n');
    const tasks = [
      { name: 'copy immutable', copy: { content: 'frozen\n', dest: `${D}/attr.conf`, attributes: '+i', unsafe_writes: true } },
      { name: 'template noatime', template: { src: 'templates.j2', dest: `${D}/tpl.conf`, attributes: '+A', unsafe_writes: true } },
      { name: 'lineinfile append-only', lineinfile: { path: `${D}/li.conf`, line: 'x=1', create: true, attr: '+a', unsafe_writes: false } },
    ];
    writeFileSync(join(dir, 'attrs.yml'), stringify([{ hosts: 'all', gather_facts: false, become: true, tasks }]));
    const cli = (extra: string[]) => runCli(['apply', 'attrs.yml', '-i', 'hosts.yml', '--json', ...extra], { cwd: dir });
    const flags = () => sh(`cd ${D} && for f in attr.conf tpl.conf li.conf; do [ -e $f ] && lsattr $f | cut -d' ' -f1 | tr -d '-' || echo missing; done`);
    expect(await flags()).toBe('missing\nmissing\nmissing\n');
    const check = await cli(['--check']);
    expect(check.code, check.out + check.err).toBe(0);
    expect(await flags(), '--check changed nothing').toBe('missing\nmissing\nmissing\n');
    const first = await cli([]);
    expect(first.code, first.out + first.err).toBe(0);
    for (const t of tasks) expect(results(first).get(t.name)?.status, t.name).toBe('changed');
    // ext4 under the lab's /tmp: new files carry `e` (extents) besides the flag asked for
    expect(await flags()).toBe('ie\nAe\nae\n');
    expect(await sh(`cat ${D}/attr.conf ${D}/tpl.conf ${D}/li.conf`)).toBe(`frozen\nhost=${host}\nx=1\n`);
    const second = await cli([]);
    expect(second.code, second.out + second.err).toBe(0);
    for (const t of tasks) expect(results(second).get(t.name)?.status, `second run: ${t.name}`).toBe('ok');
    await sh(`chattr -i -a ${D}/attr.conf ${D}/li.conf`);
  }, 120_000);

  it('copy checksum: a mismatch fails with Ansible\'s message and leaves dest as it was; a match writes', async () => {
    await sh(`printf 'keep\\n' > ${D}/ck.conf`);
    const sha1 = (t: string) => execFileSync('sha1sum', { input: t }).toString().slice(0, 40);
    const play = (checksum: string) => stringify([{ hosts: 'all', gather_facts: false, become: true, tasks: [{ name: 'checked copy', copy: { content: 'new\n', dest: `${D}/ck.conf`, checksum } }] }]);
    writeFileSync(join(dir, 'ck-bad.yml'), play(sha1('something else\n')));
    writeFileSync(join(dir, 'ck-good.yml'), play(sha1('new\n')));
    const bad = await runCli(['apply', 'ck-bad.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    expect(bad.code, bad.out + bad.err).not.toBe(0);
    const r = results(bad).get('checked copy');
    expect(r?.status).toBe('failed');
    expect(r?.msg).toContain('Copied file does not match the expected checksum. Transfer failed.');
    // dest untouched, no temp file left next to it
    expect(await sh(`cat ${D}/ck.conf; ls -A ${D} | grep -c runbook || :`)).toBe('keep\n0\n');
    const good = await runCli(['apply', 'ck-good.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    expect(good.code, good.out + good.err).toBe(0);
    expect(results(good).get('checked copy')?.status).toBe('changed');
    expect(await sh(`cat ${D}/ck.conf`)).toBe('new\n');
  }, 120_000);
  it('small contents through the shell (bash login shell) and through cat (become: /bin/sh): same bytes, same-size changes caught, modes kept, second run ok', async () => {
    const user = lab.users.nopasswd.name;
    // the user's own directory (its login shell is bash) and root's (become: dash runs the script)
    await sh(`mkdir -p ${D}/u ${D}/r && chown ${user}: ${D}/u && for d in u r; do printf 'AAAA\\n' > ${D}/$d/same.conf; printf 'BBBB\\n' > ${D}/$d/size.conf; printf 'a' > ${D}/$d/nonl.conf; chmod 0640 ${D}/$d/size.conf; done && chown ${user}: ${D}/u/*`);
    const tasks = (d: string) => [
      { name: 'same content', copy: { content: 'AAAA\n', dest: `${D}/${d}/same.conf` } },
      { name: 'same size, other bytes', copy: { content: 'CCCC\n', dest: `${D}/${d}/size.conf` } },
      { name: 'new file', copy: { content: 'h\u00e9llo \\ $HOME `x`\r\n  \n\n', dest: `${D}/${d}/new.conf` } },
      { name: 'line after a last line without newline', lineinfile: { path: `${D}/${d}/nonl.conf`, line: 'b' } },
    ];
    writeFileSync(join(dir, 'small.yml'), stringify([
      { hosts: 'all', gather_facts: false, tasks: tasks('u') },
      { hosts: 'all', gather_facts: false, become: true, tasks: tasks('r') },
    ]));
    const cli = () => runCli(['apply', 'small.yml', '-i', 'hosts.yml', '--json'], { cwd: dir });
    const first = await cli();
    expect(first.code, first.out + first.err).toBe(0);
    const statuses = (run: CliRun) => run.events.flatMap((e) => (e.type === 'task_result' ? [`${e.task.name}: ${e.status}`] : []));
    const want = ['same content: ok', 'same size, other bytes: changed', 'new file: changed', 'line after a last line without newline: changed'];
    expect(statuses(first)).toEqual([...want, ...want]);
    for (const d of ['u', 'r']) {
      const owner = d === 'u' ? user : 'root';
      expect(await sh(`cd ${D}/${d} && cat same.conf size.conf new.conf nonl.conf && stat -c '%n %a %U' size.conf new.conf`)).toBe(
        `AAAA\nCCCC\nh\u00e9llo \\ $HOME \`x\`\r\n  \n\na\nb\nsize.conf 640 ${owner}\nnew.conf 644 ${owner}\n`,
      );
    }
    const second = await cli();
    expect(second.code, second.out + second.err).toBe(0);
    expect(statuses(second).every((s) => s.endsWith(': ok')), statuses(second).join('\n')).toBe(true);
  }, 120_000);
});
