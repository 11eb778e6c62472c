// The file modules of issue 15 over real SSH + sudo on a full lab host (Debian, own
// filesystem, cron installed, Apache layer): for each, --check changes nothing on the host
// but says it would change, the first run changes, the second run changes nothing with ONE
// remote command, and the registered values are Ansible's. Host state is read back with
// labExec (as root, outside runbook), so the assertions do not trust the module's own word.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labConnectionSpec, labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { createTransport } from '../../src/transport/factory.js';
import type { Transport } from '../../src/transport/types.js';
import { transportContext, runWith, type LocalContextOptions } from '../../src/modules/testing/local-context.js';
import type { ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { blockinfileModule } from '../../src/modules/blockinfile.js';
import { replaceModule } from '../../src/modules/replace.js';
import { cronModule } from '../../src/modules/cron.js';
import { authorizedKeyModule } from '../../src/modules/authorized-key.js';
import { tempfileModule } from '../../src/modules/tempfile.js';
import { slurpModule } from '../../src/modules/slurp.js';
import { findModule } from '../../src/modules/find.js';
import { fetchModule } from '../../src/modules/fetch.js';
import { getUrlModule } from '../../src/modules/get-url.js';
import { uriModule } from '../../src/modules/uri.js';
import { scriptModule } from '../../src/modules/script.js';

const NAME = 'fm-files';
let lab: LabInfo;
let h: LabHostInfo;
let t: Transport;
let baseDir: string;

async function run<A>(m: ModuleDefinition<A>, args: A, o: LocalContextOptions = {}): Promise<{ result: ModuleResult; commands: string[] }> {
  return runWith(transportContext(t, { baseDir, become: { user: 'root' }, ...o }), m, args);
}

async function sh(script: string): Promise<string> {
  const r = await labExec(lab, h.name, ['sh', '-c', script]);
  return r.stdout;
}

/**
 * --check (changes nothing, says changed), first run (changed), second run (ok, one command).
 * `state` reads the host state the module manages; returns the first run's result.
 */
async function converge<A>(m: ModuleDefinition<A>, args: A, state: () => Promise<string>): Promise<ModuleResult> {
  const before = await state();
  const check = await run(m, args, { check: true });
  expect(check.result.failed ?? false, `check: ${check.result.msg}`).toBe(false);
  expect(check.result.changed, 'check says it would change').toBe(true);
  expect(await state(), 'check changed nothing').toBe(before);
  const first = await run(m, args);
  expect(first.result.failed ?? false, `first: ${first.result.msg}`).toBe(false);
  expect(first.result.changed, 'first run changes').toBe(true);
  expect(await state(), 'the first run changed the host').not.toBe(before);
  const second = await run(m, args);
  expect(second.result.failed ?? false, `second: ${second.result.msg}`).toBe(false);
  expect(second.result.changed, `second run: ${second.result.msg}`).toBe(false);
  expect(second.commands, 'an unchanged run is one remote command').toHaveLength(1);
  return first.result;
}

describe.skipIf(labSkipReason())('file modules over real SSH (issue 15)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, full: [{ name: 'fmhost', layer: 'apache' }] });
    h = lab.hosts.find((x) => x.kind === 'full')!;
    t = createTransport(labConnectionSpec(lab, h, {}, { connectTimeoutMs: 10_000 }));
    baseDir = mkdtempSync(join(tmpdir(), 'rb-fm-'));
  });

  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await stopLab(NAME);
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  });

  it('blockinfile: inserts, keeps, replaces in place and removes a marked block; follows a symlink', async () => {
    await sh("mkdir -p /srv/fm && printf 'a=1\\nb=2\\n' > /srv/fm/real.conf && ln -sfn /srv/fm/real.conf /srv/fm/app.conf");
    const read = () => sh('cat /srv/fm/real.conf; stat -c %a /srv/fm/real.conf; test -L /srv/fm/app.conf && echo link');
    const r = await converge(blockinfileModule, { path: '/srv/fm/app.conf', block: 'x=1\ny=2', insertafter: '^a=', mode: '0640' }, read);
    expect(r.msg).toBe('Block inserted and ownership, perms or SE linux context changed');
    expect(await read()).toBe('a=1\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\nb=2\n640\nlink\n');
    const again = await run(blockinfileModule, { path: '/srv/fm/app.conf', block: 'x=9', backup: true });
    expect(again.result.msg).toBe('Block inserted');
    expect(await sh('cat /srv/fm/real.conf')).toBe('a=1\n# BEGIN ANSIBLE MANAGED BLOCK\nx=9\n# END ANSIBLE MANAGED BLOCK\nb=2\n');
    expect(await sh(`cat '${String(again.result.data?.backup_file)}'`)).toContain('y=2');
    const gone = await run(blockinfileModule, { path: '/srv/fm/app.conf', state: 'absent' });
    expect(gone.result).toMatchObject({ changed: true, msg: 'Block removed' });
    expect(await sh('cat /srv/fm/real.conf')).toBe('a=1\nb=2\n');
    const missing = await run(blockinfileModule, { path: '/srv/fm/none.conf', block: 'x' });
    expect(missing.result).toMatchObject({ failed: true, msg: 'Path /srv/fm/none.conf does not exist !' });
  });

  it('replace: Python regex with backrefs over MULTILINE, between after/before', async () => {
    await sh("printf '[a]\\nport=80\\n[b]\\nport=80\\n' > /srv/fm/ports.ini");
    const read = () => sh('cat /srv/fm/ports.ini');
    const r = await converge(replaceModule, { path: '/srv/fm/ports.ini', regexp: '^(port)=80$', replace: '\\1=8080', after: '\\[b\\]' }, read);
    expect(r.msg).toBe('1 replacements made');
    expect(await read()).toBe('[a]\nport=80\n[b]\nport=8080\n');
  });

  it("cron: a user's crontab and a cron.d file with Ansible's markers, read back by crontab -l", async () => {
    const user = lab.users.nopasswd.name;
    await sh(`crontab -u ${user} -r 2>/dev/null; rm -f /etc/cron.d/fm-renew; true`);
    const readUser = () => sh(`crontab -u ${user} -l 2>/dev/null; true`);
    const r = await converge(cronModule, { name: 'fm backup', minute: '5', hour: '2', job: '/usr/local/bin/backup', user }, readUser);
    expect(r.data).toMatchObject({ jobs: ['fm backup'], envs: [] });
    expect(await readUser()).toBe('#Ansible: fm backup\n5 2 * * * /usr/local/bin/backup\n');
    // a variable goes first, as Ansible puts it
    await run(cronModule, { name: 'MAILTO', env: true, job: 'ops@lab.test', user });
    expect(await readUser()).toBe('MAILTO="ops@lab.test"\n#Ansible: fm backup\n5 2 * * * /usr/local/bin/backup\n');
    const readFile = () => sh('cat /etc/cron.d/fm-renew 2>/dev/null; stat -c %a /etc/cron.d/fm-renew 2>/dev/null; true');
    const f = await converge(cronModule, { name: 'renew', cron_file: 'fm-renew', user: 'root', special_time: 'daily', job: 'certbot renew -q' }, readFile);
    expect(f.data).toMatchObject({ cron_file: 'fm-renew', jobs: ['renew'] });
    expect(await readFile()).toBe('#Ansible: renew\n@daily root certbot renew -q\n644\n');
    const rm = await run(cronModule, { name: 'renew', cron_file: 'fm-renew', state: 'absent' });
    expect(rm.result.changed).toBe(true);
    expect(await sh('test -e /etc/cron.d/fm-renew && echo still || echo removed')).toBe('removed\n');
    const del = await run(cronModule, { name: 'fm backup', state: 'absent', user });
    expect(del.result.data).toMatchObject({ jobs: [], envs: ['MAILTO'] });
  });

  it('authorized_key: ~/.ssh made 0700 and the file 0600, owned by the user; sshd accepts the key', async () => {
    const user = 'fmkey';
    await sh(`id ${user} >/dev/null 2>&1 || useradd -m -s /bin/sh ${user}; usermod -p '*' ${user}; rm -rf /home/${user}/.ssh; rm -f /tmp/fmkey /tmp/fmkey.pub; ssh-keygen -q -t ed25519 -N '' -C fm@lab -f /tmp/fmkey`);
    const pub = (await sh('cat /tmp/fmkey.pub')).trim();
    const read = () => sh(`stat -c '%a %U' /home/${user}/.ssh /home/${user}/.ssh/authorized_keys 2>/dev/null; cat /home/${user}/.ssh/authorized_keys 2>/dev/null; true`);
    const r = await converge(authorizedKeyModule, { user, key: pub, key_options: 'no-agent-forwarding' }, read);
    expect(r.data).toMatchObject({ user, keyfile: `/home/${user}/.ssh/authorized_keys`, state: 'present', exclusive: false });
    expect(await read()).toBe(`700 ${user}\n600 ${user}\nno-agent-forwarding ${pub}\n`);
    // sshd on the host lets the key in (StrictModes is on by default)
    const login = await sh(`ssh -i /tmp/fmkey -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${user}@${h.address} echo in 2>/dev/null; true`);
    expect(login).toBe('in\n');
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOt other';
    await run(authorizedKeyModule, { user, key: other });
    const excl = await run(authorizedKeyModule, { user, key: other, exclusive: true });
    expect(excl.result.changed).toBe(true);
    expect(await sh(`cat /home/${user}/.ssh/authorized_keys`)).toBe(`${other}\n`);
  });

  it('tempfile, slurp: a private temp file, read back base64 (binary-safe); tempfile is skipped in --check', async () => {
    const tf = await run(tempfileModule, { suffix: '.fm' });
    const path = String(tf.result.data?.path);
    expect(path).toMatch(/^\/tmp\/ansible\.[A-Za-z0-9]{8}\.fm$/);
    expect(await sh(`stat -c '%a %U' ${path}`)).toBe('600 root\n');
    const check = await run(tempfileModule, {}, { check: true });
    expect(check.result).toMatchObject({ skipped: true, changed: false, msg: 'remote module (tempfile) does not support check mode' });
    await sh(`printf 'bin\\000\\377ary' > ${path}`);
    const s = await run(slurpModule, { src: path });
    expect(s.commands).toHaveLength(1);
    expect(s.result).toMatchObject({ changed: false, data: { encoding: 'base64', source: path } });
    expect(Buffer.from(String(s.result.data?.content), 'base64')).toEqual(Buffer.from('bin\0\xffary', 'latin1'));
    const missing = await run(slurpModule, { src: '/srv/fm/none' });
    expect(missing.result).toMatchObject({ failed: true, msg: 'file not found: /srv/fm/none' });
  });

  it('find: patterns, age, size, contains, recurse/depth over a real tree', async () => {
    await sh(`rm -rf /srv/fm/tree && mkdir -p /srv/fm/tree/sub/deep && cd /srv/fm/tree && printf 'ERROR 42\\n' > a.log && head -c 20000 /dev/zero > big.log && echo ok > sub/b.log && echo x > sub/deep/c.log && echo h > .hidden.log && ln -s a.log link.log && touch -d '10 days ago' big.log`);
    const names = (r: ModuleResult) => ((r.data?.files as Array<{ path: string }>) ?? []).map((f) => f.path.replace('/srv/fm/tree/', '')).sort();
    const top = await run(findModule, { paths: '/srv/fm/tree', patterns: '*.log' });
    expect(top.commands).toHaveLength(1);
    expect(names(top.result)).toEqual(['a.log', 'big.log']);
    expect(names((await run(findModule, { paths: '/srv/fm/tree', patterns: '*.log', recurse: true, depth: 2 })).result)).toEqual(['a.log', 'big.log', 'sub/b.log']);
    expect(names((await run(findModule, { paths: '/srv/fm/tree', recurse: true, hidden: true, age: '5d' })).result)).toEqual(['big.log']);
    expect(names((await run(findModule, { paths: '/srv/fm/tree', size: '10k' })).result)).toEqual(['big.log']);
    const grep = await run(findModule, { paths: ['/srv/fm/tree'], recurse: true, contains: 'ERROR\\s+\\d+', get_checksum: true });
    expect(names(grep.result)).toEqual(['a.log']);
    const hit = (grep.result.data?.files as Array<Record<string, unknown>>)[0];
    expect(hit).toMatchObject({ isreg: true, mode: '0644', pw_name: 'root' });
    expect(hit?.checksum).toBe((await sh('sha1sum /srv/fm/tree/a.log')).split(' ')[0]);
    const links = await run(findModule, { paths: '/srv/fm/tree,/srv/fm/none', file_type: 'link' });
    expect(links.result.data).toMatchObject({ matched: 1, files: [{ lnk_target: 'a.log', lnk_source: '/srv/fm/tree/a.log' }] });
    expect(Object.keys(links.result.data?.skipped_paths as object)).toEqual(['/srv/fm/none']);
    expect(links.result.msg).toBe('Not all paths examined, check warnings for details');
  });

  it('fetch: DEST/HOST/SRC on the controller, checksummed; a second run moves no content', async () => {
    await sh("printf 'fetched\\n' > /srv/fm/fetch.txt");
    const args = { src: '/srv/fm/fetch.txt', dest: 'out' };
    const target = join(baseDir, 'out', h.name, 'srv/fm/fetch.txt');
    const vars = { inventory_hostname: h.name, playbook_dir: baseDir };
    const check = await run(fetchModule, args, { check: true, vars });
    expect(check.result.changed).toBe(true);
    expect(existsSync(target)).toBe(false);
    const first = await run(fetchModule, args, { vars });
    expect(first.result).toMatchObject({ changed: true, data: { dest: target, remote_md5sum: null } });
    expect(first.result.data?.checksum).toBe((await sh('sha1sum /srv/fm/fetch.txt')).split(' ')[0]);
    expect(first.result.data?.checksum).toBe(first.result.data?.remote_checksum);
    expect(readFileSync(target, 'utf8')).toBe('fetched\n');
    const second = await run(fetchModule, args, { vars });
    expect(second.result).toMatchObject({ changed: false, data: { dest: target, file: '/srv/fm/fetch.txt' } });
    expect(second.commands).toHaveLength(1);
    const flat = await run(fetchModule, { src: '/srv/fm/fetch.txt', dest: 'flat/', flat: true }, { vars });
    expect(flat.result.data?.dest).toBe(join(baseDir, 'flat', 'fetch.txt'));
    const missing = await run(fetchModule, { src: '/srv/fm/none', dest: 'out', fail_on_missing: false }, { vars });
    expect(missing.result).toMatchObject({ changed: false, msg: 'the remote file does not exist, not transferring, ignored' });
  });

  it('get_url: the host downloads from Apache, checksum verified, kept without force; uri is skipped in --check', async () => {
    await sh("mkdir -p /var/www/html/fm && printf 'payload-1\\n' > /var/www/html/fm/tool.txt && (service apache2 start >/dev/null 2>&1 || true)");
    const sha256 = (await sh('sha256sum /var/www/html/fm/tool.txt')).split(' ')[0]!;
    const url = 'http://127.0.0.1/fm/tool.txt';
    await sh('rm -rf /srv/fm/dl && mkdir -p /srv/fm/dl');
    const read = () => sh('cat /srv/fm/dl/tool.txt 2>/dev/null; stat -c %a /srv/fm/dl/tool.txt 2>/dev/null; ls -A /srv/fm/dl');
    const r = await converge(getUrlModule, { url, dest: '/srv/fm/dl/tool.txt', checksum: `sha256:${sha256}`, mode: '0640' }, read);
    expect(r.data).toMatchObject({ dest: '/srv/fm/dl/tool.txt', url, status_code: 200, size: 10 });
    expect(r.msg).toBe('OK (10 bytes)');
    expect(await read()).toBe('payload-1\n640\ntool.txt\n');
    // the server's file changes: without force it is kept (no request), with force replaced
    await sh("printf 'payload-2\\n' > /var/www/html/fm/tool.txt");
    const kept = await run(getUrlModule, { url, dest: '/srv/fm/dl/tool.txt' });
    expect(kept.result).toMatchObject({ changed: false, msg: 'file already exists' });
    const forced = await run(getUrlModule, { url, dest: '/srv/fm/dl/', force: true });
    expect(forced.result).toMatchObject({ changed: true, data: { dest: '/srv/fm/dl/tool.txt' } });
    expect(await sh('cat /srv/fm/dl/tool.txt; stat -c %a /srv/fm/dl/tool.txt')).toBe('payload-2\n640\n');
    const same = await run(getUrlModule, { url, dest: '/srv/fm/dl', force: true });
    expect(same.result.changed, 'same content downloaded again: not a change').toBe(false);
    const bad = await run(getUrlModule, { url, dest: '/srv/fm/dl/other.txt', checksum: 'sha1:0000000000000000000000000000000000000000' });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/did not match/);
    const missing = await run(getUrlModule, { url: 'http://127.0.0.1/fm/none', dest: '/srv/fm/dl/none' });
    expect(missing.result).toMatchObject({ failed: true, msg: 'Request failed: HTTP Error 404' });
    expect(await sh('ls -A /srv/fm/dl')).toBe('tool.txt\n');
    const check = await run(uriModule, { url, method: 'POST' }, { check: true });
    expect(check.commands).toEqual([]);
    expect(check.result).toMatchObject({ skipped: true, msg: 'remote module (uri) does not support check mode' });
  });

  it('script: a controller script (files/) runs on the host with arguments and chdir; creates skips it without sending it', async () => {
    await sh('mkdir -p /srv/fm && rm -f /srv/fm/setup.done');
    mkdirSync(join(baseDir, 'files'), { recursive: true });
    writeFileSync(join(baseDir, 'files', 'fm-setup.sh'), '#!/bin/sh\necho "args:$1:$2 in $(pwd) as $(id -un)"\necho warn >&2\ntouch /srv/fm/setup.done\n');
    const first = await run(scriptModule, { cmd: "fm-setup.sh 'a b' c creates=/srv/fm/setup.done", chdir: '/srv' });
    expect(first.result).toMatchObject({ changed: true, data: { rc: 0, stdout: 'args:a b:c in /srv as root\n', stderr_lines: ['warn'] } });
    expect(first.commands).toHaveLength(2);
    const second = await run(scriptModule, { cmd: "fm-setup.sh 'a b' c creates=/srv/fm/setup.done", chdir: '/srv' });
    expect(second.result).toMatchObject({ changed: false, skipped: true, msg: 'skipped, since /srv/fm/setup.done exists' });
    expect(second.commands).toHaveLength(1);
    expect(await sh('ls /tmp | grep -c "^tmp\\." || true')).toBe('0\n');
    writeFileSync(join(baseDir, 'fail.sh'), 'exit 3\n');
    const failed = await run(scriptModule, { cmd: 'fail.sh', executable: '/bin/sh' });
    expect(failed.result).toMatchObject({ failed: true, msg: 'non-zero return code', data: { rc: 3 } });
  });
});
