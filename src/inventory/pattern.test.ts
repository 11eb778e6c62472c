import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../util/errors.js';
import { loadInventory } from './load.js';
import { applyLimit, selectHosts, splitPattern, unmatchedPatterns } from './pattern.js';
import { testdir } from './testdir.js';
import type { Inventory } from './types.js';

// web: web1..web4 (web3, web4 also in eu), db: db1 db2 (db2 in eu), staging: web2 db2,
// lone host ungrouped, group "app" whose child group is "web"
const INI = `
lone
[web]
web1
web2
web3
web4
[db]
db1
db2
[eu]
web3
web4
db2
[staging]
web2
db2
[app:children]
web
`;

async function inventory(): Promise<Inventory> {
  const dir = await testdir({ 'hosts.ini': INI });
  return loadInventory(join(dir, 'hosts.ini'));
}

describe('splitPattern', () => {
  it('splits on , and : but not inside brackets or IPv6 addresses', () => {
    expect(splitPattern('web:db')).toEqual(['web', 'db']);
    expect(splitPattern('web,db')).toEqual(['web', 'db']);
    expect(splitPattern('web:!staging:&eu')).toEqual(['web', '!staging', '&eu']);
    expect(splitPattern('web[1:3]:db')).toEqual(['web[1:3]', 'db']);
    expect(splitPattern(' web , db ')).toEqual(['web', 'db']);
    expect(splitPattern('fe80::1')).toEqual(['fe80::1']);
    expect(splitPattern(['web:db', 'eu'])).toEqual(['web', 'db', 'eu']);
  });
});

describe('selectHosts', () => {
  it('all and * select every host in inventory order', async () => {
    const inv = await inventory();
    const all = ['lone', 'web1', 'web2', 'web3', 'web4', 'db1', 'db2'];
    expect(selectHosts(inv, 'all')).toEqual(all);
    expect(selectHosts(inv, '*')).toEqual(all);
  });
  it('a group (with its child groups), a host, ungrouped', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'db')).toEqual(['db1', 'db2']);
    expect(selectHosts(inv, 'app')).toEqual(['web1', 'web2', 'web3', 'web4']);
    expect(selectHosts(inv, 'web3')).toEqual(['web3']);
    expect(selectHosts(inv, 'ungrouped')).toEqual(['lone']);
  });
  it('union with : and , in inventory order, de-duplicated', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'db:web1')).toEqual(['web1', 'db1', 'db2']);
    expect(selectHosts(inv, 'eu,staging')).toEqual(['web2', 'web3', 'web4', 'db2']);
    expect(selectHosts(inv, ['db', 'db1'])).toEqual(['db1', 'db2']);
  });
  it('exclusion and intersection', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'web:!staging')).toEqual(['web1', 'web3', 'web4']);
    expect(selectHosts(inv, 'web:&eu')).toEqual(['web3', 'web4']);
    expect(selectHosts(inv, 'all:!eu:!staging')).toEqual(['lone', 'web1', 'db1']);
    expect(selectHosts(inv, '!eu')).toEqual(['lone', 'web1', 'web2', 'db1']);
    expect(selectHosts(inv, '&eu')).toEqual(['web3', 'web4', 'db2']);
  });
  it("applies unions, then intersections, then exclusions, whatever the written order", async () => {
    const inv = await inventory();
    expect(selectHosts(inv, '!staging:web')).toEqual(['web1', 'web3', 'web4']);
    expect(selectHosts(inv, '&eu:web:db')).toEqual(['web3', 'web4', 'db2']);
    expect(selectHosts(inv, 'web:!eu:&staging:db')).toEqual(['web2']);
  });
  it('wildcards and regular expressions on group and host names', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'web*')).toEqual(['web1', 'web2', 'web3', 'web4']);
    expect(selectHosts(inv, 'web[12]')).toEqual([]); // a subscript (index 12), not a character class, as in Ansible
    expect(selectHosts(inv, 'db?')).toEqual(['db1', 'db2']);
    expect(selectHosts(inv, '~web[13]')).toEqual(['web1', 'web3']);
    expect(selectHosts(inv, '~(db|lo)')).toEqual(['lone', 'db1', 'db2']);
    expect(selectHosts(inv, 'st*')).toEqual(['web2', 'db2']);
    expect(() => selectHosts(inv, '~(')).toThrow(UsageError);
  });
  it('subscripts of a group: [n], [-1], [a:b] inclusive, [a:]', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'web[0]')).toEqual(['web1']);
    expect(selectHosts(inv, 'web[-1]')).toEqual(['web4']);
    expect(selectHosts(inv, 'web[1:2]')).toEqual(['web2', 'web3']);
    expect(selectHosts(inv, 'web[2:]')).toEqual(['web3', 'web4']);
    expect(selectHosts(inv, 'web[9]')).toEqual([]);
    expect(selectHosts(inv, 'web[0]:db[0]')).toEqual(['web1', 'db1']);
  });
  it('an unknown name matches nothing and is reported by unmatchedPatterns', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'nosuch')).toEqual([]);
    expect(selectHosts(inv, 'web:nosuch')).toEqual(['web1', 'web2', 'web3', 'web4']);
    expect(unmatchedPatterns(inv, 'web:nosuch:!gone:db*')).toEqual(['nosuch', '!gone']);
    expect(selectHosts(inv, '')).toEqual([]);
    expect(selectHosts(inv, ' , ')).toEqual([]);
  });
  it('implicit localhost when referenced but not defined', async () => {
    const inv = await inventory();
    expect(selectHosts(inv, 'localhost')).toEqual(['localhost']);
    const lh = inv.hosts.get('localhost')!;
    expect(lh.implicit).toBe(true);
    expect(lh.vars.ansible_connection).toBe('local');
    expect(lh.groups).toEqual([]);
    // not part of all
    expect(selectHosts(inv, 'all')).not.toContain('localhost');
    expect(selectHosts(inv, 'db:localhost')).toEqual(['db1', 'db2', 'localhost']);
  });
  it('a defined localhost is used as is', async () => {
    const dir = await testdir({ 'hosts.ini': '[local]\nlocalhost ansible_connection=ssh\n' });
    const inv = await loadInventory(join(dir, 'hosts.ini'));
    expect(selectHosts(inv, 'localhost')).toEqual(['localhost']);
    expect(inv.hosts.get('localhost')!.implicit).toBeUndefined();
    expect(inv.hosts.get('localhost')!.vars.ansible_connection).toBe('ssh');
  });
});

describe('applyLimit', () => {
  it('narrows with patterns', async () => {
    const inv = await inventory();
    const play = selectHosts(inv, 'web:db');
    const noFile = (): string => {
      throw new Error('not called');
    };
    expect(applyLimit(inv, play, ['eu'], noFile)).toEqual(['web3', 'web4', 'db2']);
    expect(applyLimit(inv, play, ['web:!staging'], noFile)).toEqual(['web1', 'web3', 'web4']);
    expect(applyLimit(inv, play, ['lone'], noFile)).toEqual([]);
    expect(applyLimit(inv, play, [], noFile)).toEqual(play);
    expect(applyLimit(inv, play, ['web1', 'db1'], noFile)).toEqual(['web1', 'db1']);
  });
  it('@file reads a retry file (one host per line), sync or async', async () => {
    const inv = await inventory();
    const play = selectHosts(inv, 'all');
    const files: Record<string, string> = { 'site.retry': 'web2\n\ndb1\n# comment\nunknown\n' };
    const read = (p: string): string => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return t;
    };
    expect(applyLimit(inv, play, ['@site.retry'], read)).toEqual(['web2', 'db1']);
    expect(applyLimit(inv, play, ['@site.retry', 'lone'], read)).toEqual(['lone', 'web2', 'db1']);
    await expect(applyLimit(inv, play, ['@site.retry'], (p) => Promise.resolve(read(p)))).resolves.toEqual(['web2', 'db1']);
    expect(() => applyLimit(inv, play, ['@missing.retry'], read)).toThrow(/cannot read limit file 'missing.retry': ENOENT/);
    await expect(applyLimit(inv, play, ['@missing.retry'], (p) => Promise.resolve().then(() => read(p)))).rejects.toThrow(UsageError);
  });
});
