// file state=directory lists the directories it has to make on the host, with no process (see
// missingDirs): what it lists, run in real dash and bash, must be exactly the missing components,
// outermost first, so that mkdir makes them all and mode/owner reach each (Ansible's behaviour).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingDirs } from './file.js';

function listed(shell: string, cwd: string, path: string): string[] {
  const script = missingDirs(path)?.toShell();
  if (script === undefined) throw new Error(`no listing for ${path}`);
  const out = execFileSync(shell, ['-c', `${script}; for d in "$@"; do printf '%s\\0' "$d"; done`], { cwd }).toString();
  return out.split('\0').slice(0, -1);
}

describe('file: the directories a state=directory task makes', () => {
  const root = mkdtempSync(join(tmpdir(), 'rb-dirs-'));
  mkdirSync(join(root, 'have', 'sub'), { recursive: true });
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));

  it.each(['/bin/dash', '/bin/bash'])('in %s: the missing components, outermost first, and nothing that exists', (shell) => {
    expect(listed(shell, root, `${root}/have/sub/a/b c/d`)).toEqual([`${root}/have/sub/a`, `${root}/have/sub/a/b c`, `${root}/have/sub/a/b c/d`]);
    // doubled and trailing slashes are one separator
    expect(listed(shell, root, `${root}//have///x/y/`)).toEqual([`${root}/have/x`, `${root}/have/x/y`]);
    // relative paths, from the directory the command runs in
    expect(listed(shell, root, 'rel/a')).toEqual(['rel', 'rel/a']);
    expect(listed(shell, root, 'have/new')).toEqual(['have/new']);
    // a dangling symlink is there (mkdir then fails on it, as Ansible's does)
    expect(listed(shell, root, `${root}/dangling/z`)).toEqual([`${root}/dangling/z`]);
    // names with a newline, a quote, a glob and a dollar stay whole
    expect(listed(shell, root, `${root}/n\nl/'q'/*/$HOME`)).toEqual([`${root}/n\nl`, `${root}/n\nl/'q'`, `${root}/n\nl/'q'/*`, `${root}/n\nl/'q'/*/$HOME`]);
    expect(listed(shell, root, '/')).toEqual([]);
  });

  it('gives no listing for a path with . or .. (its components are not what mkdir makes)', () => {
    expect(missingDirs('/srv/a/../b')).toBeUndefined();
    expect(missingDirs('./x')).toBeUndefined();
    expect(missingDirs('/srv/.hidden/x')).toBeDefined();
  });
});
