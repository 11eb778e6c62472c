// The system modules over real SSH with real sudo, on a Debian 12 host booted with systemd (its
// own filesystem: accounts, units, apt sources and debconf change for real) and a fleet host:
// for each, --check reports the change and changes nothing, the first run changes, the second
// changes nothing, and the registered values are Ansible's.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { moduleLab } from '../support/module-lab.js';
import { userModule } from '../../src/modules/user.js';
import { groupModule } from '../../src/modules/group.js';
import { hostnameModule } from '../../src/modules/hostname.js';
import { systemdServiceModule } from '../../src/modules/systemd-service.js';
import { fileModule } from '../../src/modules/file.js';
import { copyModule } from '../../src/modules/copy.js';

const NAME = 'sm-sys';
let lab: LabInfo;
const { host, run, sh, converge, close } = moduleLab(() => lab);

describe.skipIf(labSkipReason())('system modules over real SSH and sudo (systemd host + fleet host)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: 'sm12', release: '12', init: 'systemd' }] });
    await sh('sm12', 'systemctl is-system-running --wait >/dev/null 2>&1; :');
  }, 120_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
  });

  it('group and user: created with Ansible\'s registered values, the password hash never on a command line', async () => {
    const g = await converge('sm12', groupModule, { name: 'smgrp', gid: 1990 }, () => sh('sm12', 'getent group smgrp; :'));
    expect(g.data).toMatchObject({ name: 'smgrp', state: 'present', gid: 1990 });
    const sys = await run('sm12', groupModule, { name: 'smsys', system: true });
    expect(sys.result.data?.gid).toBeLessThan(1000);

    // crypt(3) of "s3cret" (sha512): a hash, as Ansible's password argument takes
    const hash = '$6$rbsalt$' + 'x'.repeat(86);
    const args = { name: 'smuser', comment: 'Lab User', groups: ['smgrp', 'audio'], shell: '/bin/bash', password: hash };
    const seen: string[] = [];
    const u = await converge('sm12', userModule, args, () => sh('sm12', 'getent passwd smuser; id -Gn smuser 2>/dev/null; :'));
    expect(u.data).toMatchObject({ name: 'smuser', state: 'present', comment: 'Lab User', home: '/home/smuser', shell: '/bin/bash', password: 'NOT_LOGGING_PASSWORD', create_home: true });
    expect(typeof u.data?.uid).toBe('number');
    expect(await sh('sm12', 'getent shadow smuser | cut -d: -f2; test -d /home/smuser && echo home')).toBe(`${hash}\nhome\n`);
    expect((await sh('sm12', 'id -Gn smuser')).trim().split(' ').sort()).toEqual(['audio', 'smgrp', 'smuser']);
    const again = await run('sm12', userModule, args);
    seen.push(...again.commands);
    expect(again.result.changed).toBe(false);
    expect(String(again.result.data?.groups).split(',').sort()).toEqual(['audio', 'smgrp']);
    // changed password: one chpasswd with the hash on stdin, never in the command shown
    const changed = await run('sm12', userModule, { ...args, password: '$6$rbsalt$' + 'y'.repeat(86) });
    expect(changed.result.changed).toBe(true);
    for (const c of [...seen, ...changed.commands]) expect(c).not.toContain('xxxx');
    for (const c of changed.commands) expect(c).not.toContain('yyyy');
    // append: only adds; groups without append: exactly these
    expect((await run('sm12', userModule, { name: 'smuser', groups: 'smsys', append: true })).result.changed).toBe(true);
    expect((await sh('sm12', 'id -Gn smuser')).trim().split(' ').sort()).toEqual(['audio', 'smgrp', 'smsys', 'smuser']);
    expect((await run('sm12', userModule, { name: 'smuser', groups: 'nosuch' })).result).toMatchObject({ failed: true, msg: 'Group nosuch does not exist' });

    const del = await converge('sm12', userModule, { name: 'smuser', state: 'absent', remove: true }, () => sh('sm12', 'getent passwd smuser; ls /home; :'));
    expect(del.data).toMatchObject({ name: 'smuser', state: 'absent', remove: true });
    await converge('sm12', groupModule, { name: 'smgrp', state: 'absent' }, () => sh('sm12', 'getent group smgrp; :'));
  });

  it('systemd_service: enabled, started, masked, daemon_reload; status is systemctl show', async () => {
    await sh('sm12', 'systemctl disable --now cron >/dev/null 2>&1; :');
    const look = (): Promise<string> => sh('sm12', 'systemctl is-active cron; systemctl is-enabled cron; :');
    const r = await converge('sm12', systemdServiceModule, { name: 'cron', state: 'started', enabled: true, daemon_reload: true }, look);
    expect(await look()).toBe('active\nenabled\n');
    expect(r.data).toMatchObject({ name: 'cron', state: 'started', enabled: true, status: { Id: 'cron.service', ActiveState: 'inactive', LoadState: 'loaded' } });
    await converge('sm12', systemdServiceModule, { name: 'cron', state: 'stopped', masked: true }, look);
    expect(await look()).toBe('inactive\nmasked\n');
    const refused = await run('sm12', systemdServiceModule, { name: 'cron', state: 'started' });
    expect(refused.result).toMatchObject({ failed: true, msg: 'Unable to start service cron: it is masked' });
    await converge('sm12', systemdServiceModule, { name: 'cron', masked: false, state: 'started' }, look);
    expect((await run('sm12', systemdServiceModule, { name: 'nosuch', state: 'started' })).result).toMatchObject({ failed: true, msg: 'Could not find the requested service nosuch: host' });
    // on the fleet host (no systemd) the module says so instead of running systemctl
    expect((await run('fleet', systemdServiceModule, { name: 'ssh', state: 'started' })).result.msg).toMatch(/systemd is not running/);
  });

  it('hostname: hostnamectl on the systemd host, /etc/hostname + hostname on the fleet host; facts set', async () => {
    const r = await converge('sm12', hostnameModule, { name: 'smnode.lab.test' }, () => sh('sm12', 'hostname; cat /etc/hostname'));
    expect(r.data).toMatchObject({ name: 'smnode.lab.test', strategy: 'systemd' });
    expect(r.facts).toMatchObject({ ansible_hostname: 'smnode', ansible_fqdn: 'smnode.lab.test', ansible_domain: 'lab.test' });
    expect(await sh('sm12', 'hostname; cat /etc/hostname')).toBe('smnode.lab.test\nsmnode.lab.test\n');
    const f = host('fleet').name;
    const back = await sh(f, 'hostname');
    const fr = await converge(f, hostnameModule, { name: 'smfleet' }, () => sh(f, 'hostname; cat /etc/hostname'));
    expect(fr.data).toMatchObject({ strategy: 'debian' });
    expect(await sh(f, 'hostname; cat /etc/hostname')).toBe('smfleet\nsmfleet\n');
    await run(f, hostnameModule, { name: back.trim() });
  });

  it('file and copy: `~` is the become user\'s home (its own filesystem: a full host), registered results', async () => {
    const f = 'sm12';
    // become root: ~ is root's home on the host, as Ansible expands it for the become user
    const d = await converge(f, fileModule, { path: '~/smdir', state: 'directory', mode: '0700' }, () => sh(f, 'ls -ld /root/smdir 2>&1 | cut -c1-10'));
    expect(d.data).toMatchObject({ path: '/root/smdir', state: 'directory', mode: '0700', uid: 0, owner: 'root', diff: { before: { state: 'absent' }, after: { state: 'directory' } } });
    const c = await converge(f, copyModule, { dest: '~/smdir/x.conf', content: 'x=1\n', mode: '0640' }, () => sh(f, 'cat /root/smdir/x.conf 2>&1; :'));
    expect(c.data).toMatchObject({ dest: '/root/smdir/x.conf', state: 'file', mode: '0640', owner: 'root', group: 'root', uid: 0, gid: 0, size: 4, md5sum: createHash('md5').update('x=1\n').digest('hex') });
    // without become: the connecting user's home
    const mine = await run(f, fileModule, { path: '~/smmine', state: 'touch' }, { become: undefined });
    const home = (await sh(f, `getent passwd ${lab.users.nopasswd.name} | cut -d: -f6`)).trim();
    expect(mine.result.data?.path).toBe(`${home}/smmine`);
  });
});
