// lineinfile's one-command path under bash: the probe reads a small file with `read` (no cat)
// and the classify looks for the line with `case` (no grep). Both must say exactly what
// `grep -qxF` and `cat` say, in real bash, in the C and a UTF-8 locale.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineinfileFast, lineinfileProbe } from './lineinfile.js';
import { SHELL_READ_MAX } from '../facts/file.js';

describe('lineinfile in the shell', () => {
  it('has-the-line and the content printed agree with grep -qxF and cat; a NUL leaves it to them', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'rb-li-')), 'f');
    const files: Array<string | Buffer> = ['', 'x', 'x\n', 'a\nx\n', 'a\nx', 'xa\n', 'ax\n', 'x\r\n', 'a\r\nx\r\n', 'x \n', ' x\n', '\n\n', 'x\0\n', 'é\nx\n', Buffer.from([0xff, 0x0a, 0x78, 0x0a]), 'a*b\n', '[x]\n', 'x\\\n'];
    const lines = ['x', 'a*b', '[x]', 'x\\', 'é', ' x', 'x ', ''];
    let inShell = 0;
    let probes = 0;
    for (const locale of ['C', 'C.UTF-8']) {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: locale };
      for (const f of files) {
        writeFileSync(p, f);
        for (const line of lines) {
          // the planned path's probe and the one-command path's own (no stat for a small file) alike
          const fast = lineinfileFast({ path: p, line })!;
          const probeFact = probes++ % 2 === 0 ? lineinfileProbe({ path: p, line }) : fast.probe!;
          const script = `${probeFact.command.toShell()}; k=; ${fast.classify.toShell()}; printf '\\n|%s|%s|%s' "$k" "\${rb_st_txt_ok-}" "\${LC_ALL-unset}"`;
          const out = execFileSync('/bin/bash', ['--norc', '-c', script], { env }).toString('latin1');
          const cut = out.lastIndexOf('\n|');
          const probe = out.slice(0, cut);
          const [k, ok, lc] = out.slice(cut + 2).split('|');
          const grep = execFileSync('/bin/bash', ['--norc', '-c', 'grep -qxF -e "$1" -e "$1"$\'\\r\' -- "$2" && echo has: || echo add', 'x', line, p], { env }).toString().trim();
          expect(k, `${JSON.stringify(f.toString())} ${JSON.stringify(line)} ${locale}`).toBe(grep);
          // the content the controller reads is the file's, byte for byte
          expect(probe.slice(probe.indexOf('content:\n') + 9)).toBe(Buffer.from(f).toString('latin1'));
          // the locale is given back as it was
          expect(lc).toBe(locale);
          if (ok === '1') inShell++;
        }
      }
    }
    // every file but the one with a NUL went through the shell (an empty line is grep's, but the read is the same)
    expect(inShell).toBe(2 * (files.length - 1) * lines.length);
  }, 60_000);

  it('the one-command probe reads a small regular file by `read` alone (no stat, no cat); anything else as the planned probe does', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-li-'));
    const noPrograms = join(d, 'empty-bin');
    mkdirSync(noPrograms);
    const big = 'y'.repeat(SHELL_READ_MAX);
    const files: Record<string, string | Buffer> = { small: 'a\nb\n', empty: '', max: big, utf8: 'é'.repeat(SHELL_READ_MAX / 2), over: `${big}z`, nul: 'a\0b\n' };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
    symlinkSync(join(d, 'small'), join(d, 'link'));
    mkdirSync(join(d, 'dir'));
    const run = (fact: { command: { toShell(): string } }, path: string) => {
      const r = spawnSync('/bin/bash', ['--norc', '-c', `${fact.command.toShell()}; printf '\\n|%s' "\${rb_st_txt_ok-}"`], { env: { PATH: path, LC_ALL: 'C.UTF-8' } });
      const out = r.stdout.toString('latin1');
      return { out: out.slice(0, out.lastIndexOf('\n|')), ok: out.slice(out.lastIndexOf('\n|') + 2), code: r.status };
    };
    // read by the shell, with no program on PATH: the same content and type as the planned probe's
    for (const name of ['small', 'empty', 'max', 'utf8', 'link']) {
      const p = join(d, name);
      const fast = lineinfileFast({ path: p, line: 'x' })!.probe!;
      const planned = lineinfileProbe({ path: p, line: 'x' });
      const alone = run(fast, noPrograms);
      expect([alone.code, alone.ok], name).toEqual([0, '1']);
      const want = planned.parse(run(planned, process.env.PATH ?? '/usr/bin:/bin').out, '', 0);
      expect(fast.parse(alone.out, '', 0), name).toEqual({ path: p, exists: true, type: 'file', content: want.content });
      expect(want).toMatchObject({ type: 'file' });
    }
    // a bigger file, a NUL, a directory, nothing there: the planned probe's own state (it runs stat)
    for (const name of ['over', 'nul', 'dir', 'missing']) {
      const p = join(d, name);
      const fast = lineinfileFast({ path: p, line: 'x' })!.probe!;
      const planned = lineinfileProbe({ path: p, line: 'x' });
      const path = process.env.PATH ?? '/usr/bin:/bin';
      const a = run(fast, path);
      const b = run(planned, path);
      expect(fast.parse(a.out, '', a.code), name).toEqual(planned.parse(b.out, '', b.code));
      expect(a.ok, name).toBe('');
    }
  });
});
