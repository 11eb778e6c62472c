import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileFact, parseFileState, STDIN_READ } from './file.js';
import { combineFacts, splitSections } from './combine.js';
import type { Fact } from './types.js';

function runFact<T>(fact: Fact<T>): T {
  let stdout = '';
  let code = 0;
  try {
    stdout = execFileSync('sh', ['-c', fact.command.toShell()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout: string; status: number };
    stdout = err.stdout;
    code = err.status;
  }
  return fact.parse(stdout, '', code);
}

describe('file fact', () => {
  it('stdinSame: bash compares a same-size file with stdin itself (no sha256sum), anything else gets the tool; stdin is read once, for the write too', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-same-'));
    const p = join(d, 'f');
    // a PATH with stat only: a checksum line that needed sha256sum comes out empty
    const bin = join(d, 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/stat', join(bin, 'stat'));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const cases: Array<[file: Buffer, content: Buffer, inShell: boolean]> = [
      [Buffer.from('x\n'), Buffer.from('x\n'), true],
      [Buffer.from(''), Buffer.from(''), true],
      [Buffer.from('h\u00e9llo \\ \r\n'), Buffer.from('h\u00e9llo \\ \r\n'), true],
      [Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from([0xff, 0xfe, 0x0a]), true],
      // same size, other bytes; a NUL where the content has none; another size
      [Buffer.from('y\n'), Buffer.from('x\n'), false],
      [Buffer.from('\0\n'), Buffer.from('x\n'), false],
      [Buffer.from('x\n'), Buffer.from('x\nmore'), false],
    ];
    for (const shell of ['/bin/bash', '/bin/dash']) {
      for (const [file, content, inShell] of cases) {
        writeFileSync(p, file);
        const fact = fileFact(p, { checksum: 'sha256', follow: true, keep: 'rb_to', stdinSame: { sum: `${sha(content)}  -`, bytes: content.length } });
        const script = `${fact.command.toShell()}; if [ -n "\${BASH_VERSION-}" ]; then ${STDIN_READ}; printf 'left:%s|' "$_rb_c"; fi; /bin/cat >/dev/null`; // all of stdin taken (else EPIPE)
        const run = (path: string) => execFileSync(shell, ['-c', script], { input: content, env: { PATH: path }, stdio: ['pipe', 'pipe', 'ignore'] }).toString('latin1');
        const full = run(`${process.env.PATH ?? ''}`);
        expect(fact.parse(full.replace(/left:[\s\S]*$/, ''), '', 0).checksum).toBe(sha(file));
        // the content read for the comparison is still there for the write
        if (shell === '/bin/bash') expect(full.slice(full.indexOf('left:') + 5, -1)).toBe(content.toString('latin1'));
        const sum = /sum:(\S*)/.exec(run(bin))?.[1];
        expect(sum).toBe(shell === '/bin/bash' && inShell ? sha(file) : '');
      }
    }
    // many real shells: slow under a loaded machine's full suite
  }, 30_000);

  it('parses stat output', () => {
    const st = parseFileState('/x', 'stat:regular file|640|0|33|root|www-data|12|1700000000\nsum:abc\ncontent:\nhello\n', '', 0, { content: true });
    expect(st).toEqual({ path: '/x', exists: true, type: 'file', kind: 'regular file', mode: '0640', uid: 0, gid: 33, owner: 'root', group: 'www-data', size: 12, mtime: 1700000000, checksum: 'abc', content: 'hello\n' });
    // the whole format: times, inode, device, links, blocks and a device file's major/minor (hex) as st_rdev
    const dev = parseFileState('/dev/null', 'stat:character special file|666|0|0|root|root|0|1|2|3|4|5|1|0|4096|1|3\n', '', 0);
    expect(dev).toMatchObject({ type: 'other', kind: 'character special file', atime: 2, ctime: 3, inode: 4, dev: 5, nlink: 1, blocks: 0, blockSize: 4096, rdev: 259 });
    // sha1sum's own line, and the empty line left when the file could not be read
    expect(parseFileState('/x', 'stat:regular file|640|0|33|root|www-data|12|1700000000\nsum:a9993e364706816aba3e25717850c26c9cd0d89d  -\n', '', 0).checksum).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    const unreadable = parseFileState('/x', 'stat:regular file|600|0|0|root|root|3|1700000000\nsum:\ncontent:\nabc', '', 0, { content: true });
    expect(unreadable.checksum).toBeUndefined();
    expect(unreadable.content).toBe('abc');
    expect(parseFileState('/x', 'absent\n', '', 0)).toEqual({ path: '/x', exists: false });
    expect(parseFileState('/x', '', 'stat: cannot stat: Permission denied', 1).error).toMatch(/Permission denied/);
  });

  it('probes real files, links, directories and missing paths in one combined command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-fact-'));
    const file = join(dir, "it's a file");
    writeFileSync(file, 'line 1\nline 2\n');
    chmodSync(file, 0o640);
    symlinkSync(file, join(dir, 'link'));
    mkdirSync(join(dir, 'sub'));
    const [f, l, d, missing] = runFact(
      combineFacts([fileFact(file, { checksum: 'sha256', content: true }), fileFact(join(dir, 'link')), fileFact(join(dir, 'sub')), fileFact(join(dir, 'nope'))] as const),
    );
    expect(f).toMatchObject({ exists: true, type: 'file', mode: '0640', size: 14, content: 'line 1\nline 2\n' });
    expect(f.checksum).toBe(createHash('sha256').update('line 1\nline 2\n').digest('hex'));
    expect(l).toMatchObject({ exists: true, type: 'link', linkTarget: file });
    expect(d).toMatchObject({ exists: true, type: 'directory' });
    expect(missing).toEqual({ path: join(dir, 'nope'), exists: false });
  });

  it('splits sections with exit codes and content without a trailing newline', () => {
    const out = '@@fact 0\nabc\n@@fact-end 0 0\n@@fact 1\n\n@@fact-end 1 3\n';
    expect(splitSections(out, 3)).toEqual([{ stdout: 'abc', exitCode: 0 }, { stdout: '', exitCode: 3 }, undefined]);
  });

  it('truncates content at maxContentBytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-fact-'));
    writeFileSync(join(dir, 'big'), 'x'.repeat(100));
    const st = runFact(fileFact(join(dir, 'big'), { content: true, maxContentBytes: 10 }));
    expect(st.content).toBe('x'.repeat(10));
    expect(st.contentTruncated).toBe(true);
  });
});
