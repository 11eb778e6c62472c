import { describe, expect, it } from 'vitest';
import { findInSearchPath, findInSearchPathAsync, notFoundMessage, searchCandidates, taskSearchPath } from './search-path.js';
import { readControllerFile } from '../modules/util/local-file.js';

const enoent = (p: string): NodeJS.ErrnoException => Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });

describe('findInSearchPath', () => {
  const sp = ['/r/roles/web', '/r'];

  it('looks in each directory\'s kind folder, then the directory itself, most specific first', () => {
    const r = findInSearchPath(sp, 'templates', 'site.conf.j2', () => false);
    expect(r.found).toBeUndefined();
    expect(r.tried).toEqual(['/r/roles/web/templates/site.conf.j2', '/r/roles/web/site.conf.j2', '/r/templates/site.conf.j2', '/r/site.conf.j2']);
  });

  it('stops at the first that exists; tried lists the places up to it', () => {
    const have = new Set(['/r/templates/site.conf.j2', '/r/site.conf.j2']);
    const r = findInSearchPath(sp, 'templates', 'site.conf.j2', (p) => have.has(p));
    expect(r).toEqual({ found: '/r/templates/site.conf.j2', tried: ['/r/roles/web/templates/site.conf.j2', '/r/roles/web/site.conf.j2', '/r/templates/site.conf.j2'] });
  });

  it('the role wins over the playbook', () => {
    const r = findInSearchPath(sp, 'files', 'motd', () => true);
    expect(r.found).toBe('/r/roles/web/files/motd');
  });

  it('an absolute name is itself only', () => {
    expect(findInSearchPath(sp, 'vars', '/etc/x.yml', () => false).tried).toEqual(['/etc/x.yml']);
  });

  it('a name already starting with the kind folder is not doubled', () => {
    expect(searchCandidates(['/r'], 'tasks', 'tasks/setup.yml')).toEqual(['/r/tasks/setup.yml']);
    expect(searchCandidates(['/r'], 'files', 'sub/x')).toEqual(['/r/files/sub/x', '/r/sub/x']);
  });

  it('async variant agrees', async () => {
    const r = await findInSearchPathAsync(sp, 'vars', 'main.yml', (p) => Promise.resolve(p === '/r/main.yml'));
    expect(r.found).toBe('/r/main.yml');
    expect(r.tried).toHaveLength(4);
  });

  it('taskSearchPath: roles innermost first, then the playbook directory, no duplicates', () => {
    expect(taskSearchPath('/pb')).toEqual(['/pb']);
    expect(taskSearchPath('/pb', [{ path: '/pb/roles/b' }, { path: '/pb/roles/a' }])).toEqual(['/pb/roles/b', '/pb/roles/a', '/pb']);
    expect(notFoundMessage('file', 'x', ['/a/x', '/b/x'])).toBe("file 'x' not found; looked in: /a/x, /b/x");
  });
});

describe('readControllerFile (copy/template src)', () => {
  it('reads the first candidate that exists along ctx.searchPath', async () => {
    const files: Record<string, string> = { '/pb/roles/web/templates/a.j2': 'role', '/pb/templates/a.j2': 'playbook' };
    const read: string[] = [];
    const ctx = {
      searchPath: ['/pb/roles/web', '/pb'],
      readLocalFile: (p: string) => {
        read.push(p);
        const v = files[p];
        return v === undefined ? Promise.reject(enoent(p)) : Promise.resolve(v);
      },
    };
    expect(await readControllerFile(ctx, 'a.j2', 'templates')).toBe('role');
    delete files['/pb/roles/web/templates/a.j2'];
    expect(await readControllerFile(ctx, 'a.j2', 'templates')).toBe('playbook');
  });

  it('not found: the error lists every path tried', async () => {
    const ctx = { searchPath: ['/pb/roles/web', '/pb'], readLocalFile: (p: string) => Promise.reject(enoent(p)) };
    await expect(readControllerFile(ctx, 'motd', 'files')).rejects.toThrow(
      "copy src 'motd' not found; looked in: /pb/roles/web/files/motd, /pb/roles/web/motd, /pb/files/motd, /pb/motd",
    );
  });

  it('a read error other than "not there" is not hidden by looking on', async () => {
    const ctx = { searchPath: ['/pb'], readLocalFile: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) };
    await expect(readControllerFile(ctx, 'motd', 'files')).rejects.toThrow('EACCES');
  });

  it('without a search path: relative to the directory the context reads from (files/ first, as Ansible)', async () => {
    const read: string[] = [];
    const ctx = { readLocalFile: (p: string) => (read.push(p), p === 'motd' ? Promise.resolve('x') : Promise.reject(enoent(p))) };
    expect(await readControllerFile(ctx, 'motd', 'files')).toBe('x');
    expect(read).toEqual(['files/motd', 'motd']);
  });
});
