import { describe, expect, it } from 'vitest';
import { parseJumpList, parseJumpTarget, parseProxyCommand, parseSshArgs, shellSplit, SshArgsError } from './ssh-args.js';

describe('ansible_ssh_common_args', () => {
  it('splits like a shell', () => {
    expect(shellSplit(`-o 'ProxyCommand=ssh -W %h:%p b' -o"A=b c" x\\ y ""`)).toEqual(['-o', 'ProxyCommand=ssh -W %h:%p b', '-oA=b c', 'x y', '']);
    expect(() => shellSplit(`-o 'open`)).toThrow(SshArgsError);
  });

  it('splits as Ansible does (Python shlex): backslashes other than \\" and \\\\ stay inside double quotes', () => {
    expect(shellSplit(`-o "ProxyCommand=ssh -W %h:%p \\$bastion" -o "A=\\"b\\""`)).toEqual(['-o', 'ProxyCommand=ssh -W %h:%p \\$bastion', '-o', 'A="b"']);
    expect(() => shellSplit('-i key\\')).toThrow(SshArgsError);
  });

  it('reads -o Key=Value, -o "Key Value", -oKey=Value (keys case-insensitive, first wins)', () => {
    const a = parseSshArgs('-o UserKnownHostsFile=/tmp/kh -o "StrictHostKeyChecking accept-new" -oConnectTimeout=5 -o stricthostkeychecking=no');
    expect(a.options.get('userknownhostsfile')).toBe('/tmp/kh');
    expect(a.options.get('stricthostkeychecking')).toBe('accept-new');
    expect(a.options.get('connecttimeout')).toBe('5');
  });

  it('reads -J, -p, -i, -l, -F and skips flags it does not use', () => {
    const a = parseSshArgs('-q -C -J ops@bastion:2222,10.0.0.9 -p 2200 -i ~/.ssh/k1 -i/k2 -l deploy -F /etc/cfg -L 8080:x:80 -tt');
    expect(a.jump).toEqual([{ host: 'bastion', port: 2222, user: 'ops' }, { host: '10.0.0.9' }]);
    expect(a.port).toBe(2200);
    expect(a.identityFiles).toEqual(['~/.ssh/k1', '/k2']);
    expect(a.user).toBe('deploy');
    expect(a.configFile).toBe('/etc/cfg');
  });

  it('reads the -o forms of Port, User, IdentityFile and ProxyJump', () => {
    const a = parseSshArgs('-o Port=2201 -o User=u1 -o IdentityFile=/k -o ProxyJump=j1,u@j2:23');
    expect(a).toMatchObject({ port: 2201, user: 'u1', identityFiles: ['/k'], jump: [{ host: 'j1' }, { host: 'j2', port: 23, user: 'u' }] });
    expect(parseSshArgs('-o ProxyJump=none').jump).toEqual([]);
  });

  it('turns ProxyCommand "ssh -W %h:%p bastion" into a jump host and refuses other proxies', () => {
    expect(parseSshArgs(`-o ProxyCommand="ssh -W %h:%p -q ops@bastion"`).jump).toEqual([{ host: 'bastion', user: 'ops' }]);
    expect(parseProxyCommand('/usr/bin/ssh -p 2222 -l admin -W %h:%p jump.example.com')).toEqual([{ host: 'jump.example.com', port: 2222, user: 'admin' }]);
    expect(() => parseProxyCommand('nc -X connect -x proxy:3128 %h %p')).toThrow(/not supported.*jump host/);
  });

  it('parses jump targets in every ssh spelling', () => {
    expect(parseJumpTarget('ssh://u@h:2022')).toEqual({ host: 'h', port: 2022, user: 'u' });
    expect(parseJumpTarget('[fe80::1]:2022')).toEqual({ host: 'fe80::1', port: 2022 });
    expect(parseJumpTarget('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(parseJumpList(' a , b ')).toEqual([{ host: 'a' }, { host: 'b' }]);
    expect(() => parseJumpTarget('h:99999')).toThrow(/invalid port/);
    expect(() => parseSshArgs('-p')).toThrow(/needs a value/);
  });
});
