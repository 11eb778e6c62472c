// What the file modules register, checked as data (the fixtures check commands and messages):
// find's selection and its stat-like entries, fetch's layout and return values, the Python
// regex/template translation of replace, authorized_key's key parsing, cron's job lines.
import { describe, expect, it } from 'vitest';
import { planFind } from './find.js';
import type { FindState, FoundEntry } from '../facts/find.js';
import { fetchTarget, planFetch } from './fetch.js';
import { pythonPattern, subn } from './replace.js';
import { parseKey, parseKeyOptions, editAuthorizedKeys } from './authorized-key.js';
import { cronJobLine, editCrontab } from './cron.js';
import { editBlock } from './blockinfile.js';
import { planSlurp } from './slurp.js';
import type { Plan } from './contract.js';
import { runLocal } from './testing/local-context.js';
import { uriModule } from './uri.js';
import { waitForModule } from './wait-for.js';
import { pingModule } from './ping.js';

function entry(path: string, type: string, mode: number, size: number, mtime: number, extra: Partial<FoundEntry> = {}): FoundEntry {
  return { path, type, targetType: type, mode, size, uid: 0, gid: 0, owner: 'root', group: 'adm', mtime, atime: mtime, ctime: mtime, dev: 1, inode: 2, nlink: 1, linkTarget: '', ...extra };
}

const state: FindState = {
  now: 1_700_100_000,
  paths: [
    {
      path: '/var/log',
      entries: [
        entry('/var/log/a.log', 'f', 0o644, 100, 1_700_000_000),
        entry('/var/log/b.gz', 'f', 0o600, 5_000_000, 1_690_000_000),
        entry('/var/log/.h.log', 'f', 0o644, 1, 1_700_000_000),
        entry('/var/log/apt', 'd', 0o755, 4096, 1_700_000_000),
        entry('/var/log/apt/h.log', 'f', 0o4750, 20, 1_600_000_000),
        entry('/var/log/l.log', 'l', 0o777, 5, 1_700_000_000, { targetType: 'f', linkTarget: 'apt/h.log' }),
      ],
    },
  ],
};

const paths = (p: Plan) => ((p.data?.files as Array<{ path: string }>) ?? []).map((f) => f.path);

describe('find', () => {
  it('patterns on the base name, hidden and non-files left out, counts', () => {
    const p = planFind({ paths: '/var/log', patterns: ['*.log', '*.gz'] }, state);
    expect(paths(p)).toEqual(['/var/log/a.log', '/var/log/b.gz', '/var/log/apt/h.log']);
    expect(p.data).toMatchObject({ matched: 3, examined: 6, skipped_paths: {} });
    expect(p.msg).toBe('All paths examined');
  });
  it('stat-like entries with Ansible\'s keys', () => {
    const f = (planFind({ paths: '/var/log', patterns: 'h.log' }, state).data?.files as Array<Record<string, unknown>>)[0];
    expect(f).toMatchObject({ path: '/var/log/apt/h.log', mode: '4750', isreg: true, isdir: false, islnk: false, isuid: true, isgid: false, rusr: true, wusr: true, xusr: true, rgrp: true, xgrp: true, wgrp: false, roth: false, size: 20, pw_name: 'root', gr_name: 'adm', mtime: 1_600_000_000 });
  });
  it('age and size with units, negative for "at most"', () => {
    expect(paths(planFind({ paths: '/var/log', age: '1d', size: '1m' }, state))).toEqual(['/var/log/b.gz']);
    expect(paths(planFind({ paths: '/var/log', age: '-2d' }, state))).toEqual(['/var/log/a.log']);
    expect(paths(planFind({ paths: '/var/log', size: '-100' }, state))).toEqual(['/var/log/a.log', '/var/log/apt/h.log']);
  });
  it('links: lnk_target as stored, lnk_source resolved; follow reports the target type', () => {
    const l = (planFind({ paths: '/var/log', file_type: 'link' }, state).data?.files as Array<Record<string, unknown>>)[0];
    expect(l).toMatchObject({ islnk: true, lnk_target: 'apt/h.log', lnk_source: '/var/log/apt/h.log' });
    expect(paths(planFind({ paths: '/var/log', patterns: 'l.log', follow: true }, state))).toEqual(['/var/log/l.log']);
  });
  it('regex at the start of the name, excludes, directories, mode', () => {
    expect(paths(planFind({ paths: '/var/log', patterns: ['a'], use_regex: true, file_type: 'any' }, state))).toEqual(['/var/log/a.log', '/var/log/apt']);
    expect(paths(planFind({ paths: '/var/log', excludes: '*.gz' }, state))).toEqual(['/var/log/a.log', '/var/log/apt/h.log']);
    expect(paths(planFind({ paths: '/var/log', mode: '0600' }, state))).toEqual(['/var/log/b.gz']);
    expect(paths(planFind({ paths: '/var/log', mode: '0600', exact_mode: false }, state))).toEqual(['/var/log/a.log', '/var/log/b.gz', '/var/log/apt/h.log']);
  });
  it('contains and checksums come from a second host step over the candidates only', () => {
    const p = planFind({ paths: '/var/log', patterns: '*.log', contains: 'ERROR', get_checksum: true }, state);
    expect(p.next).toBeDefined();
    const cmd = (p.next!.probe as { command: { toShell(): string } }).command.toShell();
    expect(cmd).toContain('grep -lsZP -e ERROR -- /var/log/a.log /var/log/apt/h.log');
    const done = p.next!.plan({ containing: new Set(['/var/log/apt/h.log']), checksums: new Map([['/var/log/apt/h.log', 'abc']]) });
    expect(done.data?.files).toMatchObject([{ path: '/var/log/apt/h.log', checksum: 'abc' }]);
  });
});

describe('fetch', () => {
  it("lays files out as Ansible: DEST/HOST/SRC, flat, flat with a trailing slash", () => {
    expect(fetchTarget({ src: '/etc/hosts', dest: 'out' }, 'h1', '/pb')).toBe('/pb/out/h1/etc/hosts');
    expect(fetchTarget({ src: '/etc/hosts', dest: '/tmp/x', flat: true }, 'h1', '/pb')).toBe('/tmp/x');
    expect(fetchTarget({ src: '/etc/hosts', dest: '/tmp/x/', flat: true }, 'h1', '/pb')).toBe('/tmp/x/hosts');
  });
  it("registers Ansible's values on a transfer", () => {
    const p = planFetch({ src: '/etc/hostname', dest: 'f', target: '/pb/f/h1/etc/hostname' }, { kind: 'file', sha1: 'd31b7c48a0acee92e0199216a4724ee03a33ef6e', base64: 'aG9zdDEK' });
    expect(p).toMatchObject({ changed: true, data: { dest: '/pb/f/h1/etc/hostname', checksum: 'd31b7c48a0acee92e0199216a4724ee03a33ef6e', remote_checksum: 'd31b7c48a0acee92e0199216a4724ee03a33ef6e', remote_md5sum: null } });
  });
});

describe('replace: Python regular expressions and templates', () => {
  it('inline flags, \\A and \\Z, named groups', () => {
    expect(pythonPattern('(?i)abc', '').flags).toContain('i');
    expect(subn('\\Afoo', 'bar', 'foo\nfoo\n').text).toBe('bar\nfoo\n');
    expect(subn('o\\Z', '0', 'foo\nfoo').text).toBe('foo\nfo0');
    expect(subn('(?P<w>\\w+)=1', '\\g<w>=2', 'a=1 b=1')).toEqual({ text: 'a=2 b=2', count: 2 });
    expect(subn('^x$', 'y\\ty', 'x\nx\n').text).toBe('y\ty\ny\ty\n');
    expect(() => subn('a', '\\9', 'a')).toThrow(/invalid group reference/);
  });
});

describe('authorized_key parsing', () => {
  it('options with quoted commas, comments kept, an options prefix before the type', () => {
    expect(parseKeyOptions('no-pty,from="a,b",command="x y"')).toEqual([['no-pty', null], ['from', '"a,b"'], ['command', '"x y"']]);
    expect(parseKey('no-pty ssh-rsa AAAA user@host extra', 0)).toMatchObject({ id: 'AAAA', type: 'ssh-rsa', options: [['no-pty', null]], comment: 'user@host extra' });
    expect(parseKey('not a key', 0)).toBeUndefined();
  });
  it('a key already present with other options is replaced, not duplicated', () => {
    const r = editAuthorizedKeys('no-pty ssh-ed25519 AAAA c\n', { user: 'u', key: 'ssh-ed25519 AAAA c' });
    expect(r).toMatchObject({ content: 'ssh-ed25519 AAAA c\n', write: true, updated: 1 });
  });
});

describe('cron lines', () => {
  it("Ansible's job line in a crontab and in a cron.d file", () => {
    expect(cronJobLine({ name: 'x', job: 'run\n', minute: '5' }, false)).toBe('5 * * * * run');
    expect(cronJobLine({ name: 'x', job: 'run', special_time: 'reboot', user: 'root' }, true)).toBe('@reboot root run');
    expect(cronJobLine({ name: 'x', job: 'run', disabled: true }, false)).toBe('#* * * * * run');
  });
  it('a second job with the same name replaces the first only', () => {
    const e = editCrontab('#Ansible: a\n* * * * * x\n#Ansible: b\n* * * * * y\n', { name: 'a', job: 'z' }, false);
    expect(e).toMatchObject({ lines: ['#Ansible: a', '* * * * * z', '#Ansible: b', '* * * * * y'], changed: true });
  });
});

describe('blockinfile and slurp', () => {
  it('a file without a final newline gets one before the block', () => {
    expect(editBlock('a', { path: 'p', block: 'b' })).toBe('a\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n# END ANSIBLE MANAGED BLOCK\n');
  });
  it('slurp registers content, encoding and source', () => {
    expect(planSlurp({ src: '/etc/hostname' }, { kind: 'content', base64: 'aG9zdDEK' }).data).toEqual({ content: 'aG9zdDEK', encoding: 'base64', source: '/etc/hostname' });
  });
});

describe('issue 11: uri, wait_for, ping on the one contract', () => {
  it('uri under --check sends nothing and is skipped with Ansible\'s message', async () => {
    const r = await runLocal(uriModule, { url: 'http://127.0.0.1:9/never' }, { check: true });
    expect(r.commands).toEqual([]);
    expect(r.result).toMatchObject({ changed: false, skipped: true, msg: 'remote module (uri) does not support check mode' });
  });
  it('wait_for and ping still run in --check (they change nothing), one command each', async () => {
    const w = await runLocal(waitForModule, { path: '/', timeout: 2 }, { check: true });
    expect(w.commands).toHaveLength(1);
    expect(w.result).toMatchObject({ changed: false, data: { path: '/', state: 'started', elapsed: 0 } });
    const p = await runLocal(pingModule, {}, { check: true });
    expect(p.commands).toHaveLength(1);
    expect(p.result.data).toEqual({ ping: 'pong' });
  });
});
