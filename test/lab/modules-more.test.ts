// The modules public roles use (service_facts, package_facts, setup, ...) over real SSH with real
// sudo on a Debian 12 host booted with systemd (its own filesystem: /etc and the kernel settings
// of its namespaces change for real, never this machine's). For the modules that change the
// host: --check reports the change and changes nothing, the first run changes, the second run
// changes nothing; the registered values are Ansible's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startHost, startLab, stopHost, stopLab } from '../support/lab.js';
import { labStatus } from '../../src/lab/index.js';
import { moduleLab } from '../support/module-lab.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { serviceFactsModule } from '../../src/modules/service-facts.js';
import { packageFactsModule } from '../../src/modules/package-facts.js';
import { setupModule } from '../../src/modules/setup.js';
import { sysctlModule } from '../../src/modules/sysctl.js';
import { rebootModule } from '../../src/modules/reboot.js';
import { mountModule } from '../../src/modules/mount.js';
import { getentModule } from '../../src/modules/getent.js';
import { statModule } from '../../src/modules/stat.js';

const NAME = 'bt-more';
const HOST = 'bt12';
let lab: LabInfo;
const { host, run, sh, converge, close } = moduleLab(() => lab);

const factsOf = (r: ModuleResult): Record<string, unknown> => (r.facts?.ansible_facts ?? {}) as Record<string, unknown>;

describe.skipIf(labSkipReason())('more modules over real SSH and sudo (systemd host)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: HOST, release: '12', init: 'systemd' }] });
    await sh(HOST, 'systemctl is-system-running --wait >/dev/null 2>&1; :');
  }, 180_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
  });

  it('service_facts: systemd units as Ansible names them; a stopped, disabled unit reads so; sysv scripts too', async () => {
    await sh(HOST, 'systemctl disable --now cron >/dev/null 2>&1; :');
    const r = await run(HOST, serviceFactsModule, {}, { check: true });
    expect(r.result.changed).toBe(false);
    const services = factsOf(r.result).services as Record<string, Record<string, unknown>>;
    expect(services['ssh.service']).toEqual({ name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' });
    // stopped and disabled, systemd unloads it: not in list-units, so (as in Ansible) its state is
    // `systemctl show`'s ActiveState
    expect(services['cron.service']).toEqual({ name: 'cron.service', state: 'inactive', status: 'disabled', source: 'systemd' });
    // the host's own systemctl says the same for every unit it lists as running
    const running = (await sh(HOST, "systemctl list-units --type service --state running --plain --no-legend | awk '{print $1}'")).trim().split('\n');
    expect(running.length).toBeGreaterThan(2);
    for (const u of running) expect(services[u]?.state, u).toBe('running');
    expect(services.cron).toMatchObject({ source: 'sysv', state: 'stopped' });
    await sh(HOST, 'systemctl enable --now cron >/dev/null 2>&1; :');
    const again = factsOf((await run(HOST, serviceFactsModule, {})).result).services as Record<string, Record<string, unknown>>;
    expect(again['cron.service']).toMatchObject({ state: 'running', status: 'enabled' });
  });

  it('package_facts: every installed package with dpkg\'s version and architecture', async () => {
    const r = await run(HOST, packageFactsModule, { manager: 'auto' });
    const pk = factsOf(r.result).packages as Record<string, Array<Record<string, unknown>>>;
    const want = (await sh(HOST, "dpkg-query -W -f='${Version} ${Architecture}' openssh-server")).split(' ');
    expect(pk['openssh-server']).toEqual([{ name: 'openssh-server', version: want[0], arch: want[1], category: 'net', source: 'apt' }]);
    const count = Number((await sh(HOST, "dpkg-query -W -f='${db:Status-Abbrev}\\n' | grep -c '^ii'")).trim());
    expect(Object.keys(pk).length).toBe(count);
  });

  it('setup: gather_subset, filter and local facts from fact_path (JSON, INI, executable)', async () => {
    await sh(HOST, `mkdir -p /etc/ansible/facts.d && printf '{"role": "repeater"}\\n' > /etc/ansible/facts.d/site.fact && printf '[main]\\nZone = north\\n' > /etc/ansible/facts.d/legacy.fact && printf '#!/bin/sh\\necho "{\\\\"n\\\\": 3}"\\n' > /etc/ansible/facts.d/dyn.fact && chmod +x /etc/ansible/facts.d/dyn.fact`);
    const all = factsOf((await run(HOST, setupModule, {})).result);
    expect(all).toMatchObject({ ansible_distribution: 'Debian', ansible_distribution_major_version: '12', ansible_os_family: 'Debian', ansible_service_mgr: 'systemd', module_setup: true, gather_subset: ['all'] });
    expect(all.ansible_local).toEqual({ site: { role: 'repeater' }, legacy: { main: { zone: 'north' } }, dyn: { n: 3 } });
    expect(all.ansible_all_ipv4_addresses).toContain(host(HOST).address);
    const min = factsOf((await run(HOST, setupModule, { gather_subset: ['!all'] })).result);
    expect(min.ansible_distribution).toBe('Debian');
    expect(min).not.toHaveProperty('ansible_all_ipv4_addresses');
    const filtered = factsOf((await run(HOST, setupModule, { filter: ['ansible_distribution*'] })).result);
    const names = Object.keys(filtered).filter((k) => k.startsWith('ansible_'));
    expect(names).toEqual(expect.arrayContaining(['ansible_distribution', 'ansible_distribution_major_version', 'ansible_distribution_release', 'ansible_distribution_version']));
    for (const n of names) expect(n).toMatch(/^ansible_distribution/);
    const bad = await run(HOST, setupModule, { gather_subset: ['nosuch'] });
    expect(bad.result).toMatchObject({ failed: true });
    expect(bad.result.msg).toMatch(/^Bad subset 'nosuch' given to Ansible/);
  });

  it('sysctl: the file written and reloaded in the host\'s own network namespace; sysctl_set; absent; a bad key fails with sysctl\'s words', async () => {
    // net.* keys belong to the host's network namespace: this machine's own settings are not touched
    const file = '/etc/sysctl.d/60-mm.conf';
    await sh(HOST, `rm -f ${file}; sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.icmp_ratelimit=1000`);
    const look = (): Promise<string> => sh(HOST, `cat ${file} 2>&1; sysctl -n net.ipv4.ip_forward`);
    const r = await converge(HOST, sysctlModule, { name: 'net.ipv4.ip_forward', value: 'yes', sysctl_file: file }, look);
    expect(r.data).toMatchObject({ name: 'net.ipv4.ip_forward', value: '1', state: 'present', sysctl_file: file });
    expect(await look()).toBe('net.ipv4.ip_forward=1\n1\n');
    // the file right but the running value changed behind its back: reload makes it a change (Ansible)
    await sh(HOST, 'sysctl -q -w net.ipv4.ip_forward=0');
    expect((await run(HOST, sysctlModule, { name: 'net.ipv4.ip_forward', value: 1, sysctl_file: file })).result.changed).toBe(true);
    expect(await sh(HOST, 'sysctl -n net.ipv4.ip_forward')).toBe('1\n');
    // sysctl_set without reload: sysctl -w
    await converge(HOST, sysctlModule, { name: 'net.ipv4.icmp_ratelimit', value: 500, sysctl_set: true, reload: false, sysctl_file: file }, () => sh(HOST, 'sysctl -n net.ipv4.icmp_ratelimit'));
    expect(await sh(HOST, `cat ${file}`)).toBe('net.ipv4.ip_forward=1\nnet.ipv4.icmp_ratelimit=500\n');
    await converge(HOST, sysctlModule, { name: 'net.ipv4.icmp_ratelimit', state: 'absent', sysctl_file: file }, () => sh(HOST, `cat ${file}`));
    expect(await sh(HOST, `cat ${file}`)).toBe('net.ipv4.ip_forward=1\n');
    const bad = await run(HOST, sysctlModule, { name: 'net.ipv4.nosuch_key', value: 1, sysctl_file: '/etc/sysctl.d/61-mm-bad.conf' });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/^Failed to reload sysctl: .*nosuch_key/);
  });

  // Mounts happen in the full host's own mount namespace (sshd and sudo run inside it; its
  // propagation is private), only tmpfs and bind mounts (no kernel module is ever asked for), and
  // fstab is a test file (`fstab:`), so neither this machine's mounts nor the host's /etc/fstab change.
  it('mount: mounted (dirs made, fstab written), options changed (remounted), bind, unmounted, remounted, ephemeral, absent; a failed mount puts fstab back', async () => {
    const fstab = '/etc/bt-fstab';
    await sh(HOST, `for m in /srv/bt/bind /srv/bt/eph /srv/bt/m/x; do umount $m 2>/dev/null; done; rm -rf /srv/bt; printf '# bt test fstab\\n' > ${fstab}`);
    const mnt = (p: string): Promise<string> => sh(HOST, `findmnt -rn -o SOURCE,FSTYPE,OPTIONS ${p} 2>&1 | sed 's/,inode64//'; :`);
    const look = (): Promise<string> => sh(HOST, `cat ${fstab}; findmnt -rn -o SOURCE,FSTYPE,OPTIONS /srv/bt/m/x; ls -d /srv/bt/m/x 2>&1; :`);
    const base = { path: '/srv/bt/m/x', src: 'tmpfs', fstype: 'tmpfs', fstab, state: 'mounted' as const };
    const r = await converge(HOST, mountModule, { ...base, opts: 'size=1m,mode=0750' }, look);
    expect(r.data).toMatchObject({ name: '/srv/bt/m/x', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m,mode=0750', dump: '0', passno: '0', fstab, boot: 'yes' });
    expect(await sh(HOST, `cat ${fstab}`)).toBe('# bt test fstab\ntmpfs /srv/bt/m/x tmpfs size=1m,mode=0750 0 0\n');
    expect(await mnt('/srv/bt/m/x')).toMatch(/^tmpfs tmpfs rw,.*size=1024k,mode=750/);
    // new options: fstab updated and the mount remounted with them
    await converge(HOST, mountModule, { ...base, opts: 'size=2m,mode=0750' }, look);
    expect(await mnt('/srv/bt/m/x')).toMatch(/size=2048k/);
    // a bind mount of a directory of the host; boot: false writes noauto
    await sh(HOST, 'mkdir -p /srv/bt/src && echo hi > /srv/bt/src/f');
    const bind = { path: '/srv/bt/bind', src: '/srv/bt/src', fstype: 'none', opts: 'bind', boot: false, fstab, state: 'mounted' as const };
    const b = await converge(HOST, mountModule, bind, () => sh(HOST, `cat ${fstab}; cat /srv/bt/bind/f 2>&1; :`));
    expect(b.data).toMatchObject({ opts: 'bind,noauto', boot: 'no' });
    expect(await sh(HOST, 'cat /srv/bt/bind/f')).toBe('hi\n');
    // unmounted: fstab stays
    const before = await sh(HOST, `cat ${fstab}`);
    await converge(HOST, mountModule, { path: '/srv/bt/bind', fstab, state: 'unmounted' }, () => mnt('/srv/bt/bind'));
    expect(await sh(HOST, `cat ${fstab}`)).toBe(before);
    // remounted: always a change, the mount stays
    const re = await run(HOST, mountModule, { path: '/srv/bt/m/x', fstab, state: 'remounted' });
    expect(re.result).toMatchObject({ changed: true });
    expect(re.result.failed ?? false, re.result.msg).toBe(false);
    expect(await mnt('/srv/bt/m/x')).toMatch(/size=2048k/);
    // ephemeral: mounted without fstab; again is a remount (changed); another source is refused
    const eph = { path: '/srv/bt/eph', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'ephemeral' as const };
    const e1 = await run(HOST, mountModule, eph);
    expect(e1.result).toMatchObject({ changed: true });
    expect(await mnt('/srv/bt/eph')).toMatch(/^tmpfs tmpfs/);
    expect((await run(HOST, mountModule, { ...eph, opts: 'size=2m' })).result).toMatchObject({ changed: true });
    expect(await mnt('/srv/bt/eph')).toMatch(/size=2048k/);
    const other = await run(HOST, mountModule, { ...eph, src: '/srv/bt/src', fstype: 'none', opts: 'bind' });
    expect(other.result).toMatchObject({ failed: true, msg: expect.stringMatching(/^Ephemeral mount point is already mounted with a different source/) as unknown });
    expect(await sh(HOST, `cat ${fstab}`)).toBe(before);
    await sh(HOST, 'umount /srv/bt/eph');
    // a mount that fails (bind of a missing directory): fstab as it was, the directories made removed
    const bad = await run(HOST, mountModule, { path: '/srv/bt/n/y', src: '/srv/bt/nosuch', fstype: 'none', opts: 'bind', fstab, state: 'mounted' });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/^Error mounting \/srv\/bt\/n\/y: mount: /);
    expect(await sh(HOST, `cat ${fstab}; ls -a /srv/bt /etc | grep -c 'runbook\\|^n$'; :`)).toBe(`${before}0\n`);
    // absent: unmounted, out of fstab, the mount point removed
    await converge(HOST, mountModule, { path: '/srv/bt/m/x', fstab, state: 'absent' }, look);
    expect(await sh(HOST, `cat ${fstab}; ls -d /srv/bt/m/x 2>&1 | grep -c 'No such'; findmnt -n /srv/bt/m/x; :`)).toBe('# bt test fstab\n/srv/bt/src /srv/bt/bind none bind,noauto 0 0\n1\n');
    // present / absent_from_fstab: the file only
    const pres = { path: '/srv/bt/data dir', src: 'LABEL=bt', fstype: 'ext4', opts: 'noatime', fstab };
    await converge(HOST, mountModule, { ...pres, state: 'present' }, () => sh(HOST, `cat ${fstab}`));
    expect(await sh(HOST, `tail -n1 ${fstab}`)).toBe('LABEL=bt /srv/bt/data\\040dir ext4 noatime 0 0\n');
    await converge(HOST, mountModule, { ...pres, state: 'absent_from_fstab' }, () => sh(HOST, `cat ${fstab}`));
    expect(await sh(HOST, `cat ${fstab}`)).toBe('# bt test fstab\n/srv/bt/src /srv/bt/bind none bind,noauto 0 0\n');
    // the host's own /etc/fstab was never touched
    expect(await sh(HOST, 'grep -c bt /etc/fstab; :')).toBe('0\n');
  });

  it('getent: getent_<database> facts as the host\'s getent prints them; a missing key fails unless fail_key is false; never a change', async () => {
    await sh(HOST, 'id bt-user >/dev/null 2>&1 || useradd -M -s /bin/sh -c "bt test" bt-user');
    const uid = (await sh(HOST, 'id -u bt-user')).trim();
    const gid = (await sh(HOST, 'id -g bt-user')).trim();
    const one = await run(HOST, getentModule, { database: 'passwd', key: 'bt-user' }, { check: true });
    expect(one.result).toMatchObject({ changed: false });
    expect(factsOf(one.result)).toEqual({ getent_passwd: { 'bt-user': ['x', uid, gid, 'bt test', '/home/bt-user', '/bin/sh'] } });
    // a whole database, split at whitespace (hosts): every address of /etc/hosts, keyed by it
    const hosts = factsOf((await run(HOST, getentModule, { database: 'hosts' })).result).getent_hosts as Record<string, unknown>;
    expect(hosts[host(HOST).address]).toEqual([`${HOST}.lab.test`, HOST]);
    expect(Object.keys(hosts).sort()).toEqual((await sh(HOST, "getent hosts | awk '{print $1}' | sort -u")).trim().split('\n').sort());
    const missing = await run(HOST, getentModule, { database: 'passwd', key: 'bt-nosuch' });
    expect(missing.result).toMatchObject({ failed: true, msg: 'One or more supplied key could not be found in the database.' });
    const allowed = await run(HOST, getentModule, { database: 'passwd', key: 'bt-nosuch', fail_key: false });
    expect(allowed.result.failed ?? false).toBe(false);
    expect(factsOf(allowed.result)).toEqual({ getent_passwd: { 'bt-nosuch': null } });
    expect((await run(HOST, getentModule, { database: 'nosuchdb' })).result).toMatchObject({ failed: true, msg: 'Missing arguments, or database unknown.' });
  });

  // Last in the file: the host restarts. Its systemd is PID 1 of the host's own pid namespace (a
  // reboot(2) there ends only that namespace, the kernel does not restart) and is told it runs in
  // a container (`container=`), so its shutdown skips what a machine does (unmounting the
  // machine's file systems, detaching loop devices, the hardware clock). A container has no
  // firmware to start it again: the lab does, once PID 1 has gone (the host's files stay).
  it('reboot: the reboot command runs on the host, the connection is opened again on the new boot, test_command passes', async () => {
    const pid1 = (): Promise<string> => sh(HOST, "cut -d' ' -f22 /proc/1/stat").then((x) => x.trim());
    const bootTime = "cut -d' ' -f22 /proc/1/stat";
    const first = await pid1();
    await sh(HOST, 'echo before > /run/bt-boot-marker');
    // --check: nothing is run on the host
    const check = await run(HOST, rebootModule, {}, { check: true });
    expect(check.result).toMatchObject({ changed: true, data: { rebooted: true, elapsed: 0 } });
    expect(check.commands).toEqual([]);
    // a reboot command that is not in search_paths: Ansible's message, nothing rebooted
    const missing = await run(HOST, rebootModule, { reboot_command: 'nosuch-reboot now', search_paths: ['/sbin', '/usr/sbin'] });
    expect(missing.result).toMatchObject({ changed: false, failed: true, msg: 'Unable to find command "nosuch-reboot" in search paths: [\'/sbin\', \'/usr/sbin\']', data: { rebooted: false } });
    expect(await pid1()).toBe(first);

    // the lab's power supply: starts the host once its PID 1 has gone
    let done = false;
    let powerCycles = 0;
    const power = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 200));
        const h = labStatus({ name: NAME }).hosts.find((x) => x.name === HOST);
        if (!done && h && !h.running) {
          await stopHost(lab, HOST);
          await startHost(lab, HOST);
          powerCycles++;
        }
      }
    })();
    try {
      // Ansible's default command (`shutdown -r 0 "Reboot initiated by Ansible"`, shutdown found in
      // search_paths), then a reboot_command; each a new boot, each reconnected. The image has no
      // systemd-sysv: its /sbin/shutdown is this link (systemctl acts as shutdown by its name)
      await sh(HOST, 'ln -sfn /bin/systemctl /usr/local/sbin/shutdown');
      const cases = [
        { boot_time_command: bootTime, reboot_timeout: 120 },
        { reboot_command: 'systemctl reboot', boot_time_command: bootTime, test_command: 'systemctl is-active --quiet ssh.service', reboot_timeout: 120, connect_timeout: 5 },
      ];
      let prev = first;
      for (const [i, args] of cases.entries()) {
        const t0 = Date.now();
        const r = await run(HOST, rebootModule, args);
        const took = (Date.now() - t0) / 1000;
        expect(r.result.failed ?? false, r.result.msg).toBe(false);
        expect(r.result).toMatchObject({ changed: true, data: { rebooted: true } });
        expect(powerCycles, 'the host went down once and the lab started it').toBe(i + 1);
        const elapsed = r.result.data?.elapsed as number;
        expect(elapsed).toBeGreaterThanOrEqual(0);
        expect(elapsed).toBeLessThanOrEqual(Math.ceil(took));
        process.stderr.write(`[bt reboot] ${args.reboot_command ?? 'shutdown -r 0'}: ${took.toFixed(1)} s (elapsed ${elapsed})\n`);
        // a new boot: another PID 1, an empty /run
        const now = await pid1();
        expect(now).not.toBe(prev);
        prev = now;
        expect(await sh(HOST, 'cat /run/bt-boot-marker 2>&1 || :')).toMatch(/No such file/);
        await sh(HOST, 'echo before > /run/bt-boot-marker');
        // the module's own connection works on the new boot (the next task uses it)
        const after = await run(HOST, statModule, { path: '/run/bt-boot-marker' });
        expect(after.result.data?.stat).toMatchObject({ exists: true });
      }
    } finally {
      done = true;
      await power;
    }
    // a host that does not come back within reboot_timeout: Ansible's message, rebooted, failed
    const t0 = Date.now();
    const gone = await run(HOST, rebootModule, { reboot_command: 'systemctl reboot', boot_time_command: bootTime, reboot_timeout: 3, connect_timeout: 2 });
    expect(gone.result).toMatchObject({ changed: false, failed: true, data: { rebooted: true } });
    expect(gone.result.msg).toMatch(/^Timed out waiting for last boot time check \(timeout=3\): /);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await stopHost(lab, HOST);
    await startHost(lab, HOST);
  }, 240_000);
});
