// Registered results as Ansible's, on real files with a real /bin/sh (LocalTransport): copy's
// and file's path information (state, mode, owner, uid, gid, size, md5sum), file's before/after
// diff, stat's extra keys, `~` expanded on the host, and a touch whose chown fails leaving
// nothing behind. Each asserts the value Ansible's documentation gives for the same case.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLocal } from './testing/local-context.js';
import { copyModule } from './copy.js';
import { fileModule } from './file.js';
import { statModule } from './stat.js';
import { lineinfileModule } from './lineinfile.js';
import { commandModule, shellModule } from './command.js';

const me = userInfo();
const dir = mkdtempSync(join(tmpdir(), 'rb-returns-'));

describe('registered results as Ansible\'s', () => {
  it('copy: state, mode, owner, group, uid, gid, md5sum, checksum, size; the same when nothing changes', async () => {
    const dest = join(dir, 'c.txt');
    const text = 'hello\n';
    const first = await runLocal(copyModule, { dest, content: text, mode: '0640' });
    expect(first.commands).toHaveLength(1);
    const want = {
      dest,
      state: 'file',
      mode: '0640',
      uid: me.uid,
      gid: me.gid,
      owner: me.username,
      size: 6,
      checksum: createHash('sha1').update(text).digest('hex'),
      md5sum: createHash('md5').update(text).digest('hex'),
    };
    expect(first.result).toMatchObject({ changed: true, data: want });
    expect(typeof first.result.data?.group).toBe('string');
    const again = await runLocal(copyModule, { dest, content: text, mode: '0640' });
    expect(again.result).toMatchObject({ changed: false, data: want });
  });

  it('file: the path\'s state and attributes after the task, and the before/after diff', async () => {
    const path = join(dir, 'd');
    const made = await runLocal(fileModule, { path, state: 'directory', mode: '0750' });
    expect(made.result.data).toMatchObject({ path, state: 'directory', mode: '0750', uid: me.uid, gid: me.gid, diff: { before: { path, state: 'absent' }, after: { path, state: 'directory' } } });
    expect(typeof made.result.data?.size).toBe('number');
    const again = await runLocal(fileModule, { path, state: 'directory', mode: '0700' });
    expect(again.result.data).toMatchObject({ state: 'directory', mode: '0700', diff: { before: { state: 'directory', mode: '0750' }, after: { state: 'directory', mode: '0700' } } });
    const gone = await runLocal(fileModule, { path, state: 'absent' });
    expect(gone.result.data).toMatchObject({ path, state: 'absent', diff: { before: { state: 'directory' }, after: { state: 'absent' } } });
  });

  it('file state=touch whose chown fails removes the file it created (Ansible)', async () => {
    const path = join(dir, 'touched');
    const r = await runLocal(fileModule, { path, state: 'touch', owner: 'no-such-user-rb' });
    expect(r.result.failed).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('file state=hard links to the same inode; a second run changes nothing', async () => {
    const src = join(dir, 'hard-src');
    writeFileSync(src, 'x');
    const path = join(dir, 'hard-dst');
    const r = await runLocal(fileModule, { path, src, state: 'hard' });
    expect(r.result).toMatchObject({ changed: true, data: { dest: path, src, state: 'hard' } });
    expect(statSync(path).ino).toBe(statSync(src).ino);
    expect((await runLocal(fileModule, { path, src, state: 'hard' })).result.changed).toBe(false);
  });

  it('file modification_time/access_time with a timestamp: set once, then no change', async () => {
    const path = join(dir, 'timed');
    writeFileSync(path, '');
    const args = { path, state: 'file' as const, modification_time: '202001021304.05', access_time: '2020-01-02', access_time_format: '%Y-%m-%d' };
    const r = await runLocal(fileModule, args);
    expect(r.result.changed).toBe(true);
    const st = statSync(path);
    expect(new Date(st.mtimeMs).getFullYear()).toBe(2020);
    expect(new Date(st.atimeMs).getDate()).toBe(2);
    expect((await runLocal(fileModule, args)).result.changed).toBe(false);
  });

  it('stat: atime, ctime, inode, lnk_target, lnk_source, mimetype, access for the user', async () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'plain text\n');
    const link = join(dir, 'link');
    symlinkSync('target.txt', link);
    const before = lstatSync(link);
    const r = await runLocal(statModule, { path: link });
    const s = r.result.data?.stat as Record<string, unknown>;
    const l = lstatSync(link);
    expect(s).toMatchObject({ exists: true, islnk: true, lnk_target: 'target.txt', lnk_source: target, inode: l.ino, ctime: Math.floor(l.ctimeMs / 1000), readable: true });
    // the module's own readlink touches the link's atime (relatime) after its stat: a second may pass between
    expect(s.atime).toBeGreaterThanOrEqual(Math.floor(before.atimeMs / 1000));
    expect(s.atime).toBeLessThanOrEqual(Math.floor(l.atimeMs / 1000));
    const f = (await runLocal(statModule, { path: target })).result.data?.stat as Record<string, unknown>;
    expect(f).toMatchObject({ isreg: true, islnk: false, nlink: 1, writeable: true, executable: false, isuid: false });
    // `file` is installed on this machine: its answer; without it Ansible says 'unknown'
    expect(f.mimetype).toBe(existsSync('/usr/bin/file') ? 'text/plain' : 'unknown');
  });

  it('lineinfile: Ansible\'s messages', async () => {
    const path = join(dir, 'lines');
    writeFileSync(path, 'a=1\n');
    expect((await runLocal(lineinfileModule, { path, line: 'b=2' })).result.msg).toBe('line added');
    expect((await runLocal(lineinfileModule, { path, regexp: '^a=', line: 'a=3' })).result.msg).toBe('line replaced');
    expect((await runLocal(lineinfileModule, { path, regexp: '^a=', line: 'a=3' })).result).toMatchObject({ changed: false, msg: '' });
    expect((await runLocal(lineinfileModule, { path, regexp: '^[ab]=', state: 'absent' })).result).toMatchObject({ msg: '2 line(s) removed', data: { found: 2 } });
    expect((await runLocal(lineinfileModule, { path: join(dir, 'nope'), line: 'x' })).result).toMatchObject({ failed: true, msg: `Destination ${join(dir, 'nope')} does not exist !` });
  });

  it('`~` in a path argument is the home of the user the module runs as, read on the host', async () => {
    const r = await runLocal(statModule, { path: '~' });
    expect((r.result.data?.stat as Record<string, unknown>).path).toBe(me.homedir);
    const named = await runLocal(statModule, { path: `~${me.username}/.` });
    expect((named.result.data?.stat as Record<string, unknown>).path).toBe(`${me.homedir}/.`);
  });

  it('command/shell: creates/removes globs as Python\'s glob.glob, argv with a command string refused, executable ignored with a warning', async () => {
    const d = join(dir, 'glob dir');
    await runLocal(fileModule, { path: d, state: 'directory' });
    const creates = join(d, '*.pem');
    const ran = await runLocal(shellModule, { cmd: `touch '${d}/a.pem'`, creates });
    expect(ran.result.changed).toBe(true);
    const skipped = await runLocal(shellModule, { cmd: 'false', creates });
    expect(skipped.result).toMatchObject({ changed: false, skipped: true });
    expect((await runLocal(commandModule, { cmd: 'true', removes: join(d, '*.key') })).result.skipped).toBe(true);
    expect((await runLocal(commandModule, { cmd: 'echo a', argv: ['echo', 'b'] })).result).toMatchObject({ failed: true, msg: 'only command or argv can be given, not both' });
    const ex = await runLocal(commandModule, { cmd: 'echo $0', executable: '/bin/bash' });
    expect(ex.result.data?.stdout).toBe('$0');
    expect(ex.result.warnings?.[0]).toMatch(/executable' is no longer supported with the 'command' module/);
  });
});
