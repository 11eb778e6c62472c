import { describe, expect, it } from 'vitest';
import { toBool, toList } from './args.js';
import { applySymbolicMode, parseModeArg, wantedMode } from './mode.js';
import { shlexSplit, extractFreeFormOptions } from './shlex.js';
import { unifiedDiff } from '../../util/diff.js';
import { moduleSchema, normalizeArgs, requiredNames } from './schema.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempPathFor, backupPathFor, createTemp, ownerSpec, appendLineCommand } from './file-ops.js';
import { readableInShell, SHELL_READ_MAX } from '../../facts/file.js';

describe('args', () => {
  it('reads Ansible booleans and lists', () => {
    expect([toBool('yes'), toBool('No'), toBool('on'), toBool(true), toBool(undefined, true), toBool(0)]).toEqual([true, false, true, true, true, false]);
    expect(() => toBool('maybe')).toThrow(/expected a boolean/);
    expect(toList('curl, git')).toEqual(['curl', 'git']);
    expect(toList(['a', ' b '])).toEqual(['a', 'b']);
    expect(toList(undefined)).toEqual([]);
  });
});

describe('modes', () => {
  it('normalises octal forms and rejects nonsense', () => {
    expect(parseModeArg('644')).toEqual({ octal: '0644' });
    // a number is the bits (Ansible): 0o644 = 420
    expect(parseModeArg(420)).toEqual({ octal: '0644' });
    expect(parseModeArg('02755')).toEqual({ octal: '2755' });
    expect(parseModeArg('0o600')).toEqual({ octal: '0600' });
    expect(parseModeArg('u=rw,g=r,o=')).toEqual({ symbolic: 'u=rw,g=r,o=' });
    expect(() => parseModeArg('rwxr-xr-x')).toThrow(/invalid mode/);
  });

  it('applies symbolic modes like chmod', () => {
    expect(applySymbolicMode(0o644, 'u+x', false).toString(8)).toBe('744');
    expect(applySymbolicMode(0o777, 'go-w', false).toString(8)).toBe('755');
    expect(applySymbolicMode(0o600, 'a+X', false).toString(8)).toBe('600');
    expect(applySymbolicMode(0o700, 'a+X', true).toString(8)).toBe('711');
    expect(applySymbolicMode(0o4755, 'u=rw', false).toString(8)).toBe('655');
    expect(applySymbolicMode(0o640, 'o=g', false).toString(8)).toBe('644');
    expect(wantedMode('u=rwx,g=rx,o=', undefined, true)).toBe('0750');
    expect(wantedMode('+x', '0644', false)).toBe('0755');
  });
});

describe('shlex', () => {
  it('splits like a shell, without expansion', () => {
    expect(shlexSplit(`echo "a b" 'c d' e\\ f "x\\"y" $HOME`)).toEqual(['echo', 'a b', 'c d', 'e f', 'x"y', '$HOME']);
    expect(shlexSplit('  ')).toEqual([]);
    expect(shlexSplit('""')).toEqual(['']);
    expect(() => shlexSplit('"open')).toThrow(/unterminated/);
  });

  it('reads a backslash-newline as a continued line, and otherwise splits as Ansible does (Python shlex)', () => {
    expect(shlexSplit('foo --a \\\n    --b \\\n"c\\\nd"\n')).toEqual(['foo', '--a', '--b', 'cd']);
    expect(shlexSplit('echo "\\$HOME" a\u00a0b')).toEqual(['echo', '\\$HOME', 'a\u00a0b']);
    expect(() => shlexSplit('echo a\\')).toThrow(/unterminated escape/);
  });

  it('takes key=value options out of a free-form command', () => {
    expect(extractFreeFormOptions('make install creates=/usr/bin/x chdir="/src dir"', ['creates', 'chdir'])).toEqual({
      cmd: 'make install',
      options: { creates: '/usr/bin/x', chdir: '/src dir' },
    });
    expect(extractFreeFormOptions('echo a=b', ['creates']).cmd).toBe('echo a=b');
  });
});

describe('unifiedDiff', () => {
  it('shows changed lines with context', () => {
    const d = unifiedDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\ne\n', 'f');
    expect(d).toBe('--- before: f\n+++ after: f\n@@ -1,4 +1,5 @@\n a\n-b\n+B\n c\n d\n+e\n');
    expect(unifiedDiff('x\n', 'x\n')).toBe('');
    expect(unifiedDiff('', 'new\n')).toContain('+new');
  });
});

describe('schemas with aliases', () => {
  const schema = moduleSchema({
    properties: {
      path: { type: 'string', aliases: ['dest', 'name'] },
      state: { type: 'string', default: 'present' },
    },
    required: ['path'],
  });

  it('publishes aliases as properties and accepts any spelling of a required argument', () => {
    expect(Object.keys(schema.properties as object)).toEqual(['path', 'dest', 'name', 'state']);
    expect(schema.allOf).toEqual([{ anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] }]);
    expect(requiredNames(schema)).toEqual(['path']);
  });

  it('maps aliases to the canonical name and fills defaults', () => {
    expect(normalizeArgs(schema, { dest: '/x' })).toEqual({ path: '/x', state: 'present' });
    expect(normalizeArgs(schema, { path: '/x', state: 'absent' })).toEqual({ path: '/x', state: 'absent' });
    expect(() => normalizeArgs(schema, { path: '/x', dest: '/y' })).toThrow(/given twice/);
  });
});

describe('file paths', () => {
  it('temp files sit next to the destination; backups carry a UTC stamp', () => {
    expect(tempPathFor('/etc/app.conf', 'abc')).toBe('/etc/.app.conf.runbook-abc.tmp');
    expect(tempPathFor('rel', 'x')).toBe('.rel.runbook-x.tmp');
    expect(backupPathFor('/etc/app.conf', new Date('2026-03-04T05:06:07Z'))).toBe('/etc/app.conf.2026-03-04@05:06:07~');
  });
});

describe('file-ops shell pieces', () => {
  it('createTemp writes stdin or a file, refuses an existing temp path, and always switches noclobber off again', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-ops-'));
    const t = join(d, '.t.tmp');
    const src = join(d, 'src');
    writeFileSync(src, 'from a file\n');
    const run = (script: string, input = ''): string => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', input });
    const state = `; echo "rc=$?"; case $- in *C*) echo noclobber-on;; *) echo noclobber-off;; esac`;
    expect(run(`${createTemp(t).toShell()}${state}`, 'from stdin\n')).toBe('rc=0\nnoclobber-off\n');
    expect(readFileSync(t, 'utf8')).toBe('from stdin\n');
    // the temp path exists now: refused, content untouched, noclobber off all the same
    expect(run(`${createTemp(t, src).toShell()} 2>/dev/null${state}`)).toBe('rc=1\nnoclobber-off\n');
    expect(readFileSync(t, 'utf8')).toBe('from stdin\n');
    const t2 = join(d, '.t2.tmp');
    expect(run(`${createTemp(t2, src).toShell()}${state}`)).toBe('rc=0\nnoclobber-off\n');
    expect(readFileSync(t2, 'utf8')).toBe('from a file\n');
  });

  it('createTemp with a small stdin: bash reads it with its builtin, dash with cat; every byte arrives, an existing temp path is refused', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-ops-'));
    const contents: Buffer[] = [
      Buffer.from(''),
      Buffer.from('a'),
      Buffer.from('no final newline'),
      Buffer.from('\n\n\n'),
      Buffer.from('  leading and trailing blanks\t\\ backslash \\n $HOME `x` \'q\' "d"  \n\n'),
      Buffer.from('crlf\r\nlines\r\n\r'),
      Buffer.from([...Array.from({ length: 255 }, (_, i) => i + 1)]),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]),
      Buffer.from('héllo wörld ✓\n'),
    ];
    let n = 0;
    for (const shell of ['bash', 'dash']) {
      for (const locale of ['C', 'C.UTF-8']) {
        for (const content of contents) {
          expect(readableInShell(content)).toBe(true);
          const t = join(d, `.t${n++}.tmp`);
          const script = `${createTemp(t, undefined, undefined, content).toShell()}; echo "rc=$?"; case $- in *C*) echo noclobber-on;; *) echo noclobber-off;; esac`;
          const out = execFileSync(shell, ['-c', script], { input: content, env: { ...process.env, LC_ALL: locale } }).toString();
          expect(out).toBe('rc=0\nnoclobber-off\n');
          expect(readFileSync(t).equals(content)).toBe(true);
          // a second write to the same temp path is refused and leaves it as it was
          expect(execFileSync(shell, ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toBe('rc=1\nnoclobber-off\n');
          expect(readFileSync(t).equals(content)).toBe(true);
        }
      }
    }
    // what the builtin cannot carry goes through cat, as before
    expect(readableInShell('a\0b')).toBe(false);
    expect(readableInShell(Buffer.from([1, 0, 2]))).toBe(false);
    expect(readableInShell('x'.repeat(SHELL_READ_MAX + 1))).toBe(false);
    expect(readableInShell('é'.repeat(SHELL_READ_MAX / 2 + 1))).toBe(false);
    expect(createTemp('/t', undefined, undefined, 'a\0b').toShell()).toBe(createTemp('/t').toShell());
    // many real shells: slow under a loaded machine's full suite
  }, 30_000);

  it('appendLineCommand copies the file with a final newline added only where it lacks one, then the line', () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-ops-'));
    const cases: Array<[string, string]> = [
      ['', 'L\n'],
      ['a\n', 'a\nL\n'],
      ['a', 'a\nL\n'],
      ['a\r\n', 'a\r\nL\n'],
      ['a\n\n', 'a\n\nL\n'],
      ['x\0', 'x\0\nL\n'],
    ];
    const noSed = join(d, 'bin');
    mkdirSync(noSed);
    for (const tool of ['chmod', 'chown', 'mv', 'rm']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`]).toString().trim(), join(noSed, tool));
    cases.forEach(([before, after], i) => {
      const f = join(d, `f${i}`);
      writeFileSync(f, before, { mode: 0o640 });
      for (const shell of ['bash', 'dash']) {
        writeFileSync(f, before);
        execFileSync(shell, ['-c', appendLineCommand(f, 'L', { tmpSuffix: `s${i}` }).toShell()]);
        expect(readFileSync(f, 'latin1')).toBe(after);
      }
      // from the text a probe left in the shell (bash, no NUL: lineinfile's probe), or sed without it
      writeFileSync(f, before);
      const probe = `rb_t_ok=; IFS= read -r -d '' rb_t < ${f}; [ $? = 1 ] && rb_t_ok=1; `;
      // without sed on the PATH: a file without NUL must not need it
      const path = before.includes('\0') ? (process.env.PATH ?? '') : noSed;
      execFileSync('/bin/bash', ['-c', probe + appendLineCommand(f, 'L', { tmpSuffix: `t${i}`, shellText: 'rb_t' }).toShell()], { env: { PATH: path } });
      expect(readFileSync(f, 'latin1')).toBe(after);
      expect(statSync(f).mode & 0o777).toBe(0o640);
    });
    // many real shells: slow under a loaded machine's full suite
  }, 30_000);

  it('ownerSpec: chown\'s owner, owner:group or :group', () => {
    expect([ownerSpec('root', 'adm'), ownerSpec('root', undefined), ownerSpec(undefined, 'adm'), ownerSpec(undefined, undefined)]).toEqual(['root:adm', 'root', ':adm', undefined]);
  });
});
