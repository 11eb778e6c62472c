import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TextSink, runCli } from '../../test/support/cli.js';
import type { CommandIo, ParsedArgs } from './command.js';
import { formatConfig, loadConfig } from './config.js';
import { ansibleVarWarnings, hostPatternHint } from './hints.js';
import { loadInventories, runSettings, withDefaults } from './run-flags.js';

function io(cwd: string, env: Record<string, string> = {}): CommandIo {
  return { stdout: new TextSink(), stderr: new TextSink(), stdin: new PassThrough(), env: { HOME: cwd, ...env }, cwd };
}
const args = (values: ParsedArgs['values']): ParsedArgs => ({ values, positionals: [] });

describe('configuration: flags > environment > runbook.cfg/ansible.cfg > defaults', () => {
  it("reads an existing ansible.cfg's keys, says where each setting came from, lists the keys it ignores", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-cfg-'));
    await writeFile(
      join(dir, 'ansible.cfg'),
      '# project settings\n[defaults]\ninventory = hosts.yml\nforks = 20\nremote_user = admin\nhost_key_checking = False\nretry_files_enabled = False ; Ansible only\n\n[privilege_escalation]\nbecome = True\n',
    );
    const c = loadConfig(dir, { HOME: dir, ANSIBLE_FORKS: '30' }, { remote_user: 'ops' });
    expect(c.file).toBe(join(dir, 'ansible.cfg'));
    expect(c.settings.get('inventory')).toEqual({ key: 'inventory', value: 'hosts.yml', source: `${join(dir, 'ansible.cfg')}:3` });
    expect(c.settings.get('forks')).toEqual({ key: 'forks', value: '30', source: 'env ANSIBLE_FORKS' });
    expect(c.settings.get('remote_user')).toEqual({ key: 'remote_user', value: 'ops', source: '-u/--user' });
    expect(c.settings.get('timeout')).toEqual({ key: 'timeout', value: '10', source: 'default' });
    const shown = formatConfig(c);
    expect(shown).toContain(`forks              30                        env ANSIBLE_FORKS`);
    expect(shown).toContain(`ignored (runbook has no use for these keys):\n  ${join(dir, 'ansible.cfg')}:7 [defaults] retry_files_enabled\n`);

    const s = runSettings(args({}), io(dir), 'apply');
    expect(s.inventories).toEqual(['hosts.yml']);
    expect(s.forks).toBe(20);
    expect(s.hostKeyChecking).toBe('off');
    expect(s.remoteUser).toBe('admin');
    expect(s.defaults).toEqual({ ansible_become: true });
  });

  it('ssh_preopen from runbook.cfg or RUNBOOK_SSH_PREOPEN becomes runbook_ssh_preopen under the inventory; unset, nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-cfg-'));
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir), 'apply').defaults).not.toHaveProperty('runbook_ssh_preopen');
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir, { RUNBOOK_SSH_PREOPEN: 'auto' }), 'apply').defaults.runbook_ssh_preopen).toBe('auto');
    await writeFile(join(dir, 'runbook.cfg'), '[ssh_connection]\nssh_preopen = always\n');
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir), 'apply').defaults.runbook_ssh_preopen).toBe('always');
  });

  it('ssh_mux from runbook.cfg or RUNBOOK_SSH_MUX becomes runbook_ssh_mux under the inventory; unset, nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-cfg-'));
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir), 'apply').defaults).not.toHaveProperty('runbook_ssh_mux');
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir, { RUNBOOK_SSH_MUX: 'off' }), 'apply').defaults.runbook_ssh_mux).toBe('off');
    await writeFile(join(dir, 'runbook.cfg'), '[ssh_connection]\nssh_mux = no\n');
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir), 'apply').defaults.runbook_ssh_mux).toBe('no');
  });

  it('runbook.cfg wins over ansible.cfg in the same directory; RUNBOOK_ over ANSIBLE_; bad values name their source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-cfg-'));
    await writeFile(join(dir, 'ansible.cfg'), '[defaults]\nforks = 3\n');
    await writeFile(join(dir, 'runbook.cfg'), '[defaults]\nforks = many\n');
    expect(() => runSettings(args({ inventory: ['h.yml'] }), io(dir), 'apply')).toThrow(`forks must be a whole number >= 1, got 'many' (from ${join(dir, 'runbook.cfg')}:2)`);
    expect(runSettings(args({ inventory: ['h.yml'] }), io(dir, { RUNBOOK_FORKS: '7', ANSIBLE_FORKS: '9' }), 'apply').forks).toBe(7);
    expect(runSettings(args({ inventory: ['h.yml'], forks: '2' }), io(dir, { RUNBOOK_FORKS: '7' }), 'apply').forks).toBe(2);
    expect(() => runSettings(args({}), io(dir), 'apply')).toThrow("runbook apply: missing -i INVENTORY (the hosts to run on); or set inventory in runbook.cfg or RUNBOOK_INVENTORY (see 'runbook config')");
    await writeFile(join(dir, 'runbook.cfg'), 'forks = 2\n');
    expect(() => loadConfig(dir, { HOME: dir })).toThrow(`${join(dir, 'runbook.cfg')}:1:1: \`forks\` is outside any section; put it under [defaults]`);
  });

  it('-u, --private-key, -T, -c, -b, --become-user, --ssh-common-args become variables under the inventory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-cfg-'));
    const s = runSettings(
      args({ inventory: ['h.yml'], user: 'deploy', 'private-key': 'k/id', timeout: '4', connection: 'local', become: true, 'become-user': 'www-data', 'ssh-common-args': '-o Compression=yes' }),
      io(dir),
      'apply',
    );
    expect(s.remoteUser).toBe('deploy');
    expect(s.defaults).toEqual({
      ansible_ssh_private_key_file: join(dir, 'k/id'),
      ansible_timeout: 4,
      ansible_connection: 'local',
      ansible_become: true,
      ansible_become_user: 'www-data',
      ansible_ssh_common_args: '-o Compression=yes',
    });
    await writeFile(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    a: {ansible_connection: ssh}\n    b: {}\n');
    const inv = withDefaults(await loadInventories(['hosts.yml'], dir), s.defaults);
    expect(inv.hosts.get('a')?.vars.ansible_connection).toBe('ssh');
    expect(inv.hosts.get('b')?.vars.ansible_connection).toBe('local');
    expect(() => runSettings(args({ inventory: ['h.yml'], connection: 'winrm' }), io(dir), 'apply')).toThrow("runbook apply: -c/--connection must be ssh or local, got 'winrm'");
  });
});

describe('several -i and several playbooks', () => {
  it('inventories merge in order: union of hosts and groups, the later one wins a variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-inv-'));
    await writeFile(join(dir, 'a.yml'), 'web:\n  hosts:\n    w1: {port_x: 1, only_a: yes}\n');
    await writeFile(join(dir, 'b.ini'), '[db]\nd1\n[web]\nw1 port_x=2\n');
    const inv = await loadInventories(['a.yml', 'b.ini'], dir);
    expect([...inv.hosts.keys()].sort()).toEqual(['d1', 'w1']);
    expect(inv.hosts.get('w1')?.vars).toMatchObject({ port_x: 2, only_a: true });
    expect(inv.groups.get('web')?.hosts).toEqual(['w1']);
    expect(inv.source).toBe(`${join(dir, 'a.yml')}, ${join(dir, 'b.ini')}`);
  });

  it('apply a.yml b.yml validates both (every error of every file) before anything runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-pb-'));
    await writeFile(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    web1: {}\n');
    await writeFile(join(dir, 'a.yml'), '- hosts: all\n  tasks:\n    - copy: {dest: /x, content: y, bogus: 1}\n');
    await writeFile(join(dir, 'b.yml'), '- hosts: al\n  tasks:\n    - debug: {msg: hi}\n');
    const r = await runCli(['apply', 'a.yml', 'b.yml', '-i', 'hosts.yml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a\.yml:3:\d+: error: .*bogus/);
    expect(r.err).toContain("b.yml:1:3: error: hosts pattern `al` matches no host in the inventory [hosts-no-match]");
    expect(r.err).toContain("fix: 'al': did you mean 'all'?");
  });
});

describe('did you mean: host patterns and ansible_* variables', () => {
  it('names the part of a pattern that is a typo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-pat-'));
    await writeFile(join(dir, 'hosts.yml'), 'webservers:\n  hosts:\n    web1: {}\ndbservers:\n  hosts:\n    db1: {}\n');
    const inv = await loadInventories(['hosts.yml'], dir);
    expect(hostPatternHint('webserver:!dbservers', inv)).toBe("'webserver': did you mean 'webservers'?");
    expect(hostPatternHint('web*:zzz', inv)).toBe("'zzz' is no host or group of the inventory");
  });

  it('warns once per misspelt ansible_* variable, with the hosts and a suggestion; facts set by hand pass', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-var-'));
    await writeFile(join(dir, 'hosts.yml'), 'all:\n  vars:\n    ansible_usr: admin\n  hosts:\n    a: {ansible_distribution: Debian}\n    b: {ansible_prot: 2222}\n');
    const inv = await loadInventories(['hosts.yml'], dir);
    expect(ansibleVarWarnings(inv)).toEqual([
      `inventory ${join(dir, 'hosts.yml')}: \`ansible_usr\` (hosts: a, b) is not a variable runbook or Ansible reads; did you mean \`ansible_user\`? It is ignored as written.`,
      `inventory ${join(dir, 'hosts.yml')}: \`ansible_prot\` (hosts: b) is not a variable runbook or Ansible reads; did you mean \`ansible_port\`? It is ignored as written.`,
    ]);
  });

  it('apt: with its arguments not indented: said as such, even when the task has a name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-apt-'));
    await writeFile(join(dir, 'site.yml'), '- hosts: all\n  tasks:\n    - name: install\n      apt:\n      name: apache2\n      state: present\n');
    const r = await runCli(['validate', join(dir, 'site.yml')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'site.yml:5:7: error: `name` is given twice: `apt:` above it has no value, so the lines under `apt:` are probably its arguments, not indented [misindented-argument]',
    );
    expect(r.err).toContain('fix: indent the lines after `apt:` two spaces deeper than `apt` (arguments go under the module name)');
    expect(r.err).not.toContain('duplicate key');
  });
});
