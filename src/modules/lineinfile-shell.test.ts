// lineinfile's one-command path under bash: the probe reads a small file with `read` (no cat)
// and the classify looks for the line with `case` (no grep). Both must say exactly what
// `grep -qxF` and `cat` say, in real bash, in the C and a UTF-8 locale.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineinfileFast, lineinfileProbe } from './lineinfile.js';

describe('lineinfile in the shell', () => {
  it('has-the-line and the content printed agree with grep -qxF and cat; a NUL leaves it to them', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'rb-li-')), 'f');
    const files: Array<string | Buffer> = ['', 'x', 'x\n', 'a\nx\n', 'a\nx', 'xa\n', 'ax\n', 'x\r\n', 'a\r\nx\r\n', 'x \n', ' x\n', '\n\n', 'x\0\n', 'é\nx\n', Buffer.from([0xff, 0x0a, 0x78, 0x0a]), 'a*b\n', '[x]\n', 'x\\\n'];
    const lines = ['x', 'a*b', '[x]', 'x\\', 'é', ' x', 'x ', ''];
    let inShell = 0;
    for (const locale of ['C', 'C.UTF-8']) {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: locale };
      for (const f of files) {
        writeFileSync(p, f);
        for (const line of lines) {
          const script = `${lineinfileProbe({ path: p, line }).command.toShell()}; k=; ${lineinfileFast({ path: p, line })!.classify.toShell()}; printf '\\n|%s|%s|%s' "$k" "\${rb_st_txt_ok-}" "\${LC_ALL-unset}"`;
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
});
