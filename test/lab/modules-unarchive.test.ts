// unarchive (issue 15) over real SSH + sudo: archives made on the controller with its own tar
// and zip (tar, tar.gz, tar.bz2, tar.xz, zip) are sent to a lab host and unpacked by the host's
// GNU tar / unzip; an archive already on the host with remote_src. For each: --check changes
// nothing, the first run unpacks exactly the archive's tree, the second changes nothing, and a
// file changed in dest makes it change again. What dest holds is read back as root outside
// runbook. A fleet host shares this machine's filesystem except /tmp, so everything there lives
// under /tmp/ua; the full Debian host (own filesystem, minbase: no unzip) shows the error that
// names the missing program.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { moduleLab } from '../support/module-lab.js';
import { unarchiveModule, type UnarchiveArgs } from '../../src/modules/unarchive.js';

const NAME = 'ua-unarc';
const FULL = 'ua12';
const D = '/tmp/ua';
let lab: LabInfo;
let dir: string;
let fleet: string;
const { run, sh, converge, close } = moduleLab(() => lab);

/** dest's tree as root sees it: type, mode, owner:group, path, link target; then sha1 of files. */
const treeOf = (on: string, dest: string) => (): Promise<string> =>
  sh(on, `cd ${dest} 2>/dev/null && find . -printf '%y %m %u:%g %p %l\\n' | sort && find . -type f -exec sha1sum {} + | sort -k2 || true`);

/** the same listing of the controller's source tree (types, paths, links, contents), to compare with */
function sourceTree(): string {
  return execFileSync('sh', ['-c', `cd ${join(dir, 'src')} && find app -printf '%y %p %l\\n' | sort && find app -type f -exec sha1sum {} + | sort -k2`], { encoding: 'utf8' });
}
/** a tree listing without modes, owners and dest's own line, sorted: types, paths, link targets, contents */
const typesAndContents = (t: string): string =>
  t
    .split('\n')
    .filter((l) => l !== '' && !/^d \d+ \S+ \. $/.test(l))
    .map((l) => (/^[a-f0-9]{40} /.test(l) ? l.replace(' ./', ' ') : l.replace(/^(\S) \d+ \S+ \.\//, '$1 ')))
    .sort()
    .join('\n');

const ua = (on: string, args: UnarchiveArgs, o: { check?: boolean } = {}) => run(on, unarchiveModule, args, { baseDir: dir, ...o });

describe.skipIf(labSkipReason())('unarchive over real SSH and sudo (issue 15)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: FULL, release: '12' }] });
    fleet = lab.hosts.find((h) => h.kind === 'fleet')!.name;
    dir = mkdtempSync(join(tmpdir(), 'runbook-ua-'));
    const app = join(dir, 'src/app');
    mkdirSync(join(app, 'sub'), { recursive: true });
    writeFileSync(join(app, 'run.sh'), '#!/bin/sh\necho ua\n', { mode: 0o755 });
    writeFileSync(join(app, 'conf.ini'), '[main]\nnode = 2001\n', { mode: 0o644 });
    writeFileSync(join(app, 'sub/README.md'), '# notes\n');
    writeFileSync(join(app, 'sub/data.bin'), Buffer.from([0, 1, 2, 255, 254, 10, 0]));
    symlinkSync('conf.ini', join(app, 'current.ini'));
    // a name with a space, a non-ASCII letter and unzip's pattern characters: compared as a name, not a pattern
    writeFileSync(join(app, 'sub/café [1]*.txt'), 'odd name\n');
    const files = join(dir, 'files');
    mkdirSync(files);
    const tar = (flag: string, out: string) => execFileSync('tar', [...(flag ? [flag] : []), '-C', join(dir, 'src'), '-cf', join(files, out), 'app']);
    tar('-z', 'app.tar.gz');
    tar('', 'app.tar');
    tar('-j', 'app.tar.bz2');
    tar('-J', 'app.tar.xz');
    execFileSync('zip', ['-qry', join(files, 'app.zip'), 'app'], { cwd: join(dir, 'src') });
    writeFileSync(join(files, 'notes.txt'), 'not an archive\n');
    await sh(fleet, `rm -rf ${D} && mkdir -p ${D}`);
    await sh(FULL, `rm -rf ${D} && mkdir -p ${D}`);
  }, 180_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tar.gz from the controller: --check changes nothing, the first run unpacks the archive\'s tree, the second changes nothing; a file changed in dest makes it change again', async () => {
    const dest = `${D}/tgz`;
    await sh(fleet, `mkdir -p ${dest}`);
    const look = treeOf(fleet, dest);
    const args = { src: 'app.tar.gz', dest, list_files: true };
    const first = await converge(fleet, unarchiveModule, args, look, { baseDir: dir });
    expect(typesAndContents(await look())).toBe(typesAndContents(sourceTree()));
    // Ansible's return values: dest's own stat, the handler, the members
    expect(first.data).toMatchObject({ dest, src: 'app.tar.gz', handler: 'TgzArchive', state: 'directory', mode: '0755', owner: 'root', group: 'root', uid: 0, gid: 0 });
    expect(typeof first.data?.size).toBe('number');
    expect([...((first.data?.files as string[]) ?? [])].sort()).toEqual(['app/', 'app/conf.ini', 'app/current.ini', 'app/run.sh', 'app/sub/', 'app/sub/README.md', 'app/sub/café [1]*.txt', 'app/sub/data.bin']);
    expect(await sh(fleet, `stat -c '%a' ${dest}/app/run.sh; readlink ${dest}/app/current.ini`)).toBe('755\nconf.ini\n');

    // same size, other bytes: tar --diff says "Contents differ"
    await sh(fleet, `printf '[main]\\nnode = 9999\\n' > ${dest}/app/conf.ini`);
    const check = await ua(fleet, args, { check: true });
    expect(check.result).toMatchObject({ changed: true });
    expect(await sh(fleet, `cat ${dest}/app/conf.ini`), '--check changed nothing').toBe('[main]\nnode = 9999\n');
    const again = await ua(fleet, args);
    expect(again.result, again.result.msg).toMatchObject({ changed: true });
    expect(await sh(fleet, `cat ${dest}/app/conf.ini`)).toBe('[main]\nnode = 2001\n');
    // a removed member too
    await sh(fleet, `rm ${dest}/app/sub/data.bin`);
    expect((await ua(fleet, args)).result.changed).toBe(true);
    expect((await ua(fleet, args)).result.changed).toBe(false);
    // a file in dest that is not in the archive is neither touched nor a reason to unpack
    await sh(fleet, `echo mine > ${dest}/app/local.txt`);
    expect((await ua(fleet, args)).result.changed).toBe(false);
    expect(await sh(fleet, `cat ${dest}/app/local.txt`)).toBe('mine\n');
    // the probe's and the unpack's temp copies of the archive are gone
    expect(await sh(fleet, 'ls -a /tmp | grep -c runbook-unarchive || true')).toBe('0\n');
  });

  it('tar, tar.bz2, tar.xz and zip: each by its handler, the same tree, idempotent; a changed file in a zip dest is noticed', async () => {
    const want = typesAndContents(sourceTree());
    for (const [file, handler] of [['app.tar', 'TarArchive'], ['app.tar.bz2', 'TarBzipArchive'], ['app.tar.xz', 'TarXzArchive'], ['app.zip', 'ZipArchive']] as const) {
      const dest = `${D}/fmt-${file.replace(/\./g, '-')}`;
      await sh(fleet, `mkdir -p ${dest}`);
      const first = await converge(fleet, unarchiveModule, { src: file, dest }, treeOf(fleet, dest), { baseDir: dir });
      expect(first.data?.handler, file).toBe(handler);
      expect(typesAndContents(await treeOf(fleet, dest)()), file).toBe(want);
    }
    const zdest = `${D}/fmt-app-zip`;
    await sh(fleet, `printf 'x' >> ${zdest}/app/run.sh; printf 'y' >> '${zdest}/app/sub/café [1]*.txt'`);
    const changed = await ua(fleet, { src: 'app.zip', dest: zdest });
    expect(changed.result, changed.result.msg).toMatchObject({ changed: true });
    expect(changed.result.msg).toBe(`${zdest}: unpacked app.zip (2 differences)`);
    expect(await sh(fleet, `cat ${zdest}/app/run.sh '${zdest}/app/sub/café [1]*.txt'`)).toBe('#!/bin/sh\necho ua\nodd name\n');
    expect((await ua(fleet, { src: 'app.zip', dest: zdest })).result.changed).toBe(false);
  });

  it('exclude (tar and zip) leaves members out and list_files returns the rest; include unpacks only what it names', async () => {
    for (const src of ['app.tar.gz', 'app.zip']) {
      const dest = `${D}/ex-${src.replace(/\./g, '-')}`;
      await sh(fleet, `mkdir -p ${dest}`);
      const args = { src, dest, exclude: ['*.md', 'app/sub/data.bin'], list_files: true };
      const first = await converge(fleet, unarchiveModule, args, treeOf(fleet, dest), { baseDir: dir });
      expect([...((first.data?.files as string[]) ?? [])].sort(), src).toEqual(['app/', 'app/conf.ini', 'app/current.ini', 'app/run.sh', 'app/sub/', 'app/sub/café [1]*.txt']);
      expect(await sh(fleet, `cd ${dest} && find . | sort`), src).toBe('.\n./app\n./app/conf.ini\n./app/current.ini\n./app/run.sh\n./app/sub\n./app/sub/café [1]*.txt\n');
    }
    const dest = `${D}/inc`;
    await sh(fleet, `mkdir -p ${dest}`);
    const r = await converge(fleet, unarchiveModule, { src: 'app.tar.gz', dest, include: ['app/conf.ini'], list_files: true }, treeOf(fleet, dest), { baseDir: dir });
    expect(r.data?.files).toEqual(['app/conf.ini']);
    expect(await sh(fleet, `cd ${dest} && find . -type f`)).toBe('./app/conf.ini\n');
    const both = await ua(fleet, { src: 'app.tar.gz', dest, include: ['a'], exclude: ['b'] });
    expect(both.result).toMatchObject({ failed: true, msg: 'parameters are mutually exclusive: include|exclude' });
  });

  it('remote_src with owner, group, mode and extra_opts: set on every member; a mode changed on the host is set back without unpacking', async () => {
    await sh(fleet, `mkdir -p ${D}/build/pkg-1.0/bin ${D}/remote && printf 'v1\\n' > ${D}/build/pkg-1.0/VERSION && printf '#!/bin/sh\\n' > ${D}/build/pkg-1.0/bin/tool && tar -C ${D}/build -czf ${D}/pkg-1.0.tgz pkg-1.0`);
    const dest = `${D}/remote`;
    const args = { src: `${D}/pkg-1.0.tgz`, dest, remote_src: true, owner: 'nobody', group: 'nogroup', mode: 'u=rwX,g=rX,o=', extra_opts: ['--strip-components=1'], list_files: true };
    const look = treeOf(fleet, dest);
    const first = await converge(fleet, unarchiveModule, args, look, { baseDir: dir });
    expect(first.data).toMatchObject({ src: `${D}/pkg-1.0.tgz`, handler: 'TgzArchive' });
    expect([...((first.data?.files as string[]) ?? [])].sort()).toEqual(['VERSION', 'bin/', 'bin/tool']);
    expect(await sh(fleet, `cd ${dest} && stat -c '%n %F %a %U:%G' VERSION bin bin/tool`)).toBe('VERSION regular file 640 nobody:nogroup\nbin directory 750 nobody:nogroup\nbin/tool regular file 640 nobody:nogroup\n');
    // the archive's members keep their content; only the mode differs now
    await sh(fleet, `chmod 0666 ${dest}/VERSION`);
    const check = await ua(fleet, args, { check: true });
    expect(check.result).toMatchObject({ changed: true });
    expect(await sh(fleet, `stat -c '%a' ${dest}/VERSION`)).toBe('666\n');
    const fixed = await ua(fleet, args);
    expect(fixed.result, fixed.result.msg).toMatchObject({ changed: true, msg: `${dest}: owner/group/mode set on 1 path from ${D}/pkg-1.0.tgz` });
    expect(fixed.commands.join('\n'), 'nothing was unpacked').not.toContain('--extract');
    expect(await sh(fleet, `stat -c '%a %U' ${dest}/VERSION`)).toBe('640 nobody\n');
    expect((await ua(fleet, args)).result.changed).toBe(false);
    // the archive stays where it was (remote_src: it is not a temp copy)
    expect(await sh(fleet, `test -s ${D}/pkg-1.0.tgz && echo kept`)).toBe('kept\n');
  });

  it('creates skips; Ansible\'s errors: dest missing, remote src missing, not an archive', async () => {
    const dest = `${D}/tgz`;
    const skipped = await ua(fleet, { src: 'app.tar.gz', dest, creates: `${dest}/app/run.sh` });
    expect(skipped.result).toMatchObject({ changed: false, skipped: true, msg: `skipped, since ${dest}/app/run.sh exists` });
    expect(skipped.commands).toHaveLength(1);
    expect((await ua(fleet, { src: 'app.tar.gz', dest: `${D}/nowhere` })).result).toMatchObject({ failed: true, msg: `Destination '${D}/nowhere' is not a directory` });
    expect((await ua(fleet, { src: `${D}/none.tgz`, dest, remote_src: true })).result).toMatchObject({ failed: true, msg: `Source '${D}/none.tgz' does not exist` });
    const bad = await ua(fleet, { src: 'notes.txt', dest });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/^Failed to find handler for "notes.txt"\. Make sure the required command to extract the file is installed\.\nCommand "tar" could not handle archive: .*does not look like a tar archive/);
  });

  it('a host without unzip (full Debian host): a zip fails naming unzip, a tar.gz sent over unpacks there', async () => {
    expect(await sh(FULL, 'command -v unzip || echo none'), 'the minbase image has no unzip (this case needs a host without it)').toBe('none\n');
    await sh(FULL, `mkdir -p ${D}/z ${D}/t`);
    const zip = await ua(FULL, { src: 'app.zip', dest: `${D}/z`, list_files: true });
    expect(zip.result.failed).toBe(true);
    expect(zip.result.msg).toContain("Unable to find required 'unzip'");
    expect(await sh(FULL, `ls -A ${D}/z; ls -a /tmp | grep -c runbook-unarchive || true`)).toBe('0\n');
    const tgz = await converge(FULL, unarchiveModule, { src: 'app.tar.gz', dest: `${D}/t` }, treeOf(FULL, `${D}/t`), { baseDir: dir });
    expect(tgz.data?.handler).toBe('TgzArchive');
    expect(typesAndContents(await treeOf(FULL, `${D}/t`)())).toBe(typesAndContents(sourceTree()));
  });
});
