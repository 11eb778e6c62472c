import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../util/errors.js';
import { loadInventory } from './load.js';
import { testdir } from './testdir.js';
import type { Inventory } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/inventories/', import.meta.url));
const fixture = (p: string): string => join(FIXTURES, p);

const vars = (inv: Inventory, host: string): Record<string, unknown> => {
  const h = inv.hosts.get(host);
  if (!h) throw new Error(`no host ${host}`);
  return h.vars;
};

async function failure(p: Promise<unknown>): Promise<ValidationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('YAML inventory', () => {
  it('loads hosts, ranges, ports, nested groups, null hosts and host vars', async () => {
    const inv = await loadInventory(fixture('yaml/inventory.yml'));
    expect([...inv.hosts.keys()]).toEqual([
      'bastion.example.org',
      'web01.example.org',
      'web02.example.org',
      'web03.example.org',
      'eua.example.org',
      'eub.example.org',
      'db1.example.org',
    ]);
    expect(vars(inv, 'eua.example.org').ansible_port).toBe(2222);
    expect(vars(inv, 'web03.example.org').ansible_host).toBe('10.0.0.3');
    expect(vars(inv, 'db1.example.org').ansible_user).toBe('postgres');
    expect(inv.hosts.get('web03.example.org')!.groups).toEqual(['all', 'web', 'web_eu']);
    expect(inv.hosts.get('bastion.example.org')!.groups).toEqual(['all', 'ungrouped']);
    expect(inv.groups.get('web')!.children).toEqual(['web_eu']);
    expect(inv.groups.get('all')!.children).toEqual(expect.arrayContaining(['web', 'db', 'ungrouped']));
    expect(inv.warnings).toEqual([]);
  });
  it('merges group_vars (file, .yaml, directory of files) and host_vars by precedence', async () => {
    const inv = await loadInventory(fixture('yaml/inventory.yml'));
    const w1 = vars(inv, 'web01.example.org');
    expect(w1.ntp).toBe('ntp.example.org');
    expect(w1.from_all_file).toBe(true);
    expect(w1.http_port).toBe(8080); // group_vars/web.yaml over inventory web vars
    expect(w1.level).toBe('web01-host_vars');
    const w3 = vars(inv, 'web03.example.org');
    expect(w3.level).toBe('web_eu-inventory'); // child group over parent
    expect(w3.region).toBe('eu-west'); // files of group_vars/web_eu/ merged in name order
    expect(vars(inv, 'web02.example.org').level).toBe('web-inventory');
    expect(vars(inv, 'bastion.example.org').level).toBe('all-inventory');
    expect(vars(inv, 'bastion.example.org').http_port).toBeUndefined();
  });
});

describe('INI inventory', () => {
  it('parses sections, children, vars, ranges, ports and Ansible value types', async () => {
    const inv = await loadInventory(fixture('ini/hosts'));
    expect([...inv.hosts.keys()]).toEqual(['loose.example.org', 'web1.example.org', 'web2.example.org', 'web3.example.org', 'db1.example.org']);
    expect(inv.hosts.get('loose.example.org')!.groups).toEqual(['all', 'ungrouped']);
    expect(inv.hosts.get('web1.example.org')!.groups).toEqual(['all', 'servers', 'web']);
    const w3 = vars(inv, 'web3.example.org');
    expect(w3).toMatchObject({ ansible_port: 2222, enabled: true, ratio: 1.5, mode: '0644', list: [1, 'a'], pass: 'ab', ntp: 'ntp.example.org' });
    expect(vars(inv, 'web1.example.org')).toMatchObject({ http_port: 8080, motd: 'hello world', from_servers_file: true });
    expect(vars(inv, 'db1.example.org')).toMatchObject({ quoted: 'a b', number: 5432, flag: 'yes', engine: 'postgres-16' });
    expect(vars(inv, 'loose.example.org')).toEqual({ ansible_port: 2200 });
  });
  it('reports undefined groups in :vars and :children with positions', async () => {
    const err = await failure(loadInventory(fixture('bad/undefined-group.ini')));
    expect(err.message).toContain('undefined-group.ini:4:2: error: section [webservers:vars] is for a group that is never declared');
    expect(err.message).toContain("undefined-group.ini:9:1: error: [all_servers:children] names group 'dbservers'");
    expect(err.message).toContain('fix:');
    expect(err.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(2);
  });
  it('a host listed before any section and later in a group is not ungrouped', async () => {
    const dir = await testdir({ hosts: 'h1\nh2\n[web]\nh1\n' });
    const inv = await loadInventory(join(dir, 'hosts'));
    expect(inv.hosts.get('h1')!.groups).toEqual(['all', 'web']);
    expect(inv.hosts.get('h2')!.groups).toEqual(['all', 'ungrouped']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['h2']);
  });
  it('rejects bad lines', async () => {
    const dir = await testdir({
      hosts: '[web]\nweb1 novalue\nweb2 a="open\n[web:vars]\njust-a-word\n[web:nonsense]\n[web:children]\ntwo words\n',
    });
    const err = await failure(loadInventory(join(dir, 'hosts')));
    expect(err.message).toMatch(/hosts:2:6: error: expected key=value after the host, got 'novalue'/);
    expect(err.message).toMatch(/hosts:3:1: error: unclosed quote/);
    expect(err.message).toMatch(/hosts:5:1: error: expected key=value in \[web:vars\]/);
    expect(err.message).toMatch(/invalid section '\[web:nonsense\]'/);
    expect(err.message).toMatch(/expected one group name per line/);
  });
  it('host line values split as Python shlex does: "x\\$y" keeps its backslash', async () => {
    const dir = await testdir({ hosts: '[web]\nweb1 a="x\\$y" b=\'p\\q\' c=r\\$s d="u v" # e=1\n' });
    const inv = await loadInventory(join(dir, 'hosts'));
    expect(vars(inv, 'web1')).toMatchObject({ a: 'x\\$y', b: 'p\\q', c: 'r$s', d: 'u v' });
    expect(vars(inv, 'web1')).not.toHaveProperty('e');
  });
  it('points at the column of a bad word after quoted values, and at a trailing backslash', async () => {
    const dir = await testdir({ hosts: '[web]\nweb1 a="x\\$y z" oops\nweb2 a=1 \\\n' });
    const err = await failure(loadInventory(join(dir, 'hosts')));
    expect(err.message).toMatch(/hosts:2:17: error: expected key=value after the host, got 'oops'/);
    expect(err.message).toMatch(/hosts:3:10: error: a backslash ends the host line/);
  });
});

describe('other sources', () => {
  it('a directory: every inventory file in it, README skipped, group_vars beside', async () => {
    const inv = await loadInventory(fixture('dir/inv'));
    expect([...inv.hosts.keys()]).toEqual(['web1', 'web2', 'db1']);
    expect(vars(inv, 'web2').role).toBe('web');
    expect(inv.groups.get('web')!.hosts).toEqual(['web1', 'web2']);
  });
  it("a comma-separated host list like -i 'a,b:2222,'", async () => {
    const inv = await loadInventory('a.example.org,b.example.org:2222,');
    expect([...inv.hosts.keys()]).toEqual(['a.example.org', 'b.example.org']);
    expect(vars(inv, 'b.example.org').ansible_port).toBe(2222);
    expect(inv.hosts.get('a.example.org')!.groups).toEqual(['all', 'ungrouped']);
    const single = await loadInventory('solo,');
    expect([...single.hosts.keys()]).toEqual(['solo']);
    // a host list someone resolved as a path against the working directory
    const resolved = await loadInventory(`${process.cwd()}/x1,x2`);
    expect([...resolved.hosts.keys()]).toEqual(['x1', 'x2']);
  });
  it('several sources at once', async () => {
    const inv = await loadInventory([fixture('dir/inv'), 'extra1,']);
    expect([...inv.hosts.keys()]).toEqual(['web1', 'web2', 'db1', 'extra1']);
  });
  it('a file without extension holding YAML is read as YAML', async () => {
    const dir = await testdir({ hosts: 'all:\n  hosts:\n    h1:\n      x: 1\n' });
    const inv = await loadInventory(join(dir, 'hosts'));
    expect(vars(inv, 'h1')).toEqual({ x: 1 });
  });
  it('a missing inventory is an error', async () => {
    const err = await failure(loadInventory('/nonexistent/inventory.yml'));
    expect(err.message).toMatch(/inventory not found: \/nonexistent\/inventory.yml/);
  });
  it('an empty inventory loads with a warning', async () => {
    const dir = await testdir({ 'empty.yml': '' });
    const inv = await loadInventory(join(dir, 'empty.yml'));
    expect(inv.hosts.size).toBe(0);
    expect(inv.warnings?.map((w) => w.code)).toContain('inventory-empty');
  });
  it('unsafe YAML goes through the safe loader', async () => {
    const dir = await testdir({ 'inv.yml': 'all:\n  vars:\n    __proto__: {polluted: 1}\n' });
    await failure(loadInventory(join(dir, 'inv.yml')));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('errors with positions', () => {
  it('a group that is its own ancestor (INI and YAML)', async () => {
    const ini = await failure(loadInventory(fixture('bad/cycle.ini')));
    expect(ini.message).toContain("cycle.ini:5:1: error: group 'a' is its own ancestor (a cycle): a → b → a");
    const yml = await failure(loadInventory(fixture('bad/cycle.yml')));
    expect(yml.message).toContain("cycle.yml:7:13: error: group 'a' is its own ancestor (a cycle): a → b → a");
  });
  it('malformed ranges', async () => {
    const err = await failure(loadInventory(fixture('bad/range.yml')));
    expect(err.message).toContain("range.yml:3:8: error: host range '[01:]' needs both a start and an end");
    expect(err.message).toContain("range.yml:4:7: error: host range '[3:1]' must not end before it starts");
    expect(err.message).toContain('range.yml:5:8: error:');
  });
  it('invalid host and group names', async () => {
    const err = await failure(loadInventory(fixture('bad/names.ini')));
    expect(err.message).toContain("names.ini:3:1: error: host name 'bad!host' contains '!'");
    expect(err.message).toContain("names.ini:5:2: error: group name 'bad,group' contains ','");
  });
  it('vars and hosts that are not mappings', async () => {
    const err = await failure(loadInventory(fixture('bad/not-mapping.yml')));
    expect(err.message).toContain("not-mapping.yml:3:5: error: vars of group 'all' must be a mapping, found a list");
    expect(err.message).toContain("not-mapping.yml:6:5: error: hosts of group 'all' must be a mapping of host names, found a list");
  });
  it('unknown keys with a suggestion', async () => {
    const err = await failure(loadInventory(fixture('bad/unknown-key.yml')));
    expect(err.message).toContain("unknown-key.yml:2:3: error: unknown key 'host' in group 'all'");
    expect(err.message).toContain("did you mean 'hosts'?");
    expect(err.message).toContain("unknown-key.yml:6:7: error: unknown key 'hots' in group 'web'");
  });
  it('host vars that are not a mapping, group_vars files that are not mappings', async () => {
    const dir = await testdir({
      'inv.yml': 'all:\n  hosts:\n    h1: just-text\n    h2:\n',
      'group_vars/all.yml': '- a\n- b\n',
    });
    const err = await failure(loadInventory(join(dir, 'inv.yml')));
    expect(err.message).toMatch(/inv.yml:3:9: error: vars of host 'h1' must be a mapping/);
    expect(err.message).toMatch(/group_vars\/all.yml:1:1: error: group_vars\/all vars file must be a mapping of variables, found a list/);
  });
  it('bad connection variables', async () => {
    const dir = await testdir({ hosts: '[web]\nw1 ansible_port=abc\nw2 ansible_connection=winrm\nw3 ansible_port="{{ p }}"\n' });
    const err = await failure(loadInventory(join(dir, 'hosts')));
    expect(err.message).toMatch(/hosts:2:1: error: host 'w1': ansible_port "abc" is not a port number/);
    expect(err.message).toMatch(/hosts:3:1: error: host 'w2': ansible_connection "winrm" is not supported/);
    expect(err.diagnostics.filter((d) => d.message.includes("'w3'"))).toEqual([]);
  });
  it('code frames never show the values of secret variables', async () => {
    const dir = await testdir({
      hosts: '[web]\nw1 ansible_become_pass=hunter2 oops\nw2 ansible_password="top secret" x\n',
      'group_vars/web.yml': 'api_token: s3cr3tvalue\nbroken: [\n',
    });
    const err = await failure(loadInventory(join(dir, 'hosts')));
    expect(err.message).toContain("got 'oops'");
    expect(err.message).toContain('ansible_become_pass=*******');
    expect(err.message).not.toMatch(/hunter2|top secret|s3cr3tvalue/);
  });
  it('warns about group_vars for groups that do not exist', async () => {
    const dir = await testdir({ 'inv.ini': '[web]\nw1\n', 'group_vars/webservers.yml': 'x: 1\n' });
    const inv = await loadInventory(join(dir, 'inv.ini'));
    expect(inv.warnings?.map((w) => w.message)).toContain("group_vars/webservers: there is no group named 'webservers' in the inventory");
  });
});

describe('variable precedence (Ansible order)', () => {
  // all < parent < child < host; group_vars file > inventory-file vars; host_vars > host;
  // equal depth: alphabetical, ansible_group_priority wins over it.
  it('inventory-file levels: all < parent < child < host', async () => {
    const dir = await testdir({
      'inv.ini': [
        '[all:vars]', 'v=all', 'a_only=1',
        '[parent:children]', 'child',
        '[parent:vars]', 'v=parent', 'p_only=1',
        '[child]', 'h1', 'h2 v=host',
        '[child:vars]', 'v=child',
        '[parent]', 'h3',
      ].join('\n'),
    });
    const inv = await loadInventory(join(dir, 'inv.ini'));
    expect(vars(inv, 'h1')).toMatchObject({ v: 'child', a_only: 1, p_only: 1 });
    expect(vars(inv, 'h2').v).toBe('host');
    expect(vars(inv, 'h3').v).toBe('parent');
    expect(inv.hosts.get('h1')!.groups).toEqual(['all', 'parent', 'child']);
  });
  it('group_vars and host_vars files beat inventory-file vars at the same level', async () => {
    const dir = await testdir({
      'inv.yml': 'all:\n  vars: {v: all-inv, w: all-inv}\n  children:\n    web:\n      vars: {v: web-inv, w: web-inv}\n      hosts:\n        h1: {v: host-inv, w: host-inv}\n        h2:\n',
      'group_vars/all.yml': 'v: all-file\nu: all-file\n',
      'group_vars/web.yml': 'w: web-file\n',
      'host_vars/h1.yml': 'v: host-file\n',
    });
    const inv = await loadInventory(join(dir, 'inv.yml'));
    expect(vars(inv, 'h1')).toMatchObject({ v: 'host-file', w: 'host-inv', u: 'all-file' });
    expect(vars(inv, 'h2')).toMatchObject({ v: 'web-inv', w: 'web-file', u: 'all-file' });
  });
  it("Ansible's rule: any group_vars file beats inventory-file vars of a deeper group", async () => {
    const dir = await testdir({
      'inv.ini': '[parent:children]\nchild\n[child]\nh1\n[child:vars]\nv=child-inventory\n',
      'group_vars/parent.yml': 'v: parent-file\n',
    });
    expect(vars(await loadInventory(join(dir, 'inv.ini')), 'h1').v).toBe('parent-file');
  });
  it('groups of equal depth merge alphabetically; ansible_group_priority overrides', async () => {
    const dir = await testdir({
      'a.ini': '[beta]\nh1\n[alpha]\nh1\n[beta:vars]\nv=beta\n[alpha:vars]\nv=alpha\n',
      'b.ini': '[beta]\nh1\n[alpha]\nh1\n[beta:vars]\nv=beta\n[alpha:vars]\nv=alpha\nansible_group_priority=10\n',
    });
    expect(vars(await loadInventory(join(dir, 'a.ini')), 'h1').v).toBe('beta');
    expect(vars(await loadInventory(join(dir, 'b.ini')), 'h1').v).toBe('alpha');
  });
  it('depth counts the longest path from all', async () => {
    // z is a child of both top and mid (mid under top): z is deeper than mid, so z wins
    const dir = await testdir({
      'inv.ini': '[top:children]\nmid\nz\n[mid:children]\nz\n[z]\nh1\n[mid]\nh1\n[mid:vars]\nv=mid\n[z:vars]\nv=z\n[top]\n',
    });
    expect(vars(await loadInventory(join(dir, 'inv.ini')), 'h1').v).toBe('z');
  });
  it('playbook-side group_vars/host_vars win over the inventory ones', async () => {
    const dir = await testdir({
      'inv/hosts.ini': '[web]\nh1\n',
      'inv/group_vars/web.yml': 'v: inv-group\nonly_inv: 1\n',
      'inv/host_vars/h1.yml': 'h: inv-host\n',
      'play/group_vars/web.yml': 'v: play-group\n',
      'play/host_vars/h1/main.yml': 'h: play-host\n',
    });
    const inv = await loadInventory(join(dir, 'inv/hosts.ini'), { playbookDir: join(dir, 'play') });
    expect(vars(inv, 'h1')).toMatchObject({ v: 'play-group', h: 'play-host', only_inv: 1 });
  });
  it('group_vars forms: NAME/ (recursive, sorted), NAME.yml, NAME.json, in that order', async () => {
    const dir = await testdir({
      'inv.ini': '[web]\nh1\n',
      'group_vars/web.yml': 'b: yml\nc: yml\n',
      'group_vars/web.json': '{"c": "json", "d": "json"}',
      'group_vars/web/01.yml': 'a: dir1\nb: dir1\ne: dir1\n',
      'group_vars/web/sub/02.yaml': 'e: dir2\n',
      'group_vars/web/notes.txt': 'not: read\n',
      'group_vars/web/.hidden.yml': 'e: hidden\n',
    });
    const v = vars(await loadInventory(join(dir, 'inv.ini')), 'h1');
    // the directory "web" (extension '') comes first, then web.yml, then web.json
    expect(v).toEqual({ a: 'dir1', b: 'yml', c: 'json', d: 'json', e: 'dir2' });
  });
  it('group_vars/NAME without extension', async () => {
    const dir = await testdir({ 'inv.ini': '[web]\nh1\n', 'group_vars/web': 'a: plain\n', 'host_vars/h1': 'b: plain\n' });
    expect(vars(await loadInventory(join(dir, 'inv.ini')), 'h1')).toEqual({ a: 'plain', b: 'plain' });
  });
});
