// Core modules over the real SSH transport against lab hosts: the benchmark's ten everyday
// tasks on a fleet host as the passwordless-sudo user (first run changes, second run changes
// nothing with exactly ONE remote command per task), host facts in one round trip, and on a
// full Debian host (Apache layer, no systemd) apt, service via init scripts, wait_for, uri
// from the host (with Basic auth), and snap's clear failure.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHostInfo, LabInfo } from '../support/lab.js';
import { labConnectionSpec, labExec, labSkipReason, startLab, stopLab } from '../support/lab.js';
import { createTransport } from '../../src/transport/factory.js';
import type { Transport } from '../../src/transport/types.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { transportContext, runWith, type LocalContextOptions } from '../../src/modules/testing/local-context.js';
import type { ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { fileModule } from '../../src/modules/file.js';
import { copyModule } from '../../src/modules/copy.js';
import { templateModule } from '../../src/modules/template.js';
import { lineinfileModule } from '../../src/modules/lineinfile.js';
import { commandModule, shellModule } from '../../src/modules/command.js';
import { statModule } from '../../src/modules/stat.js';
import { aptModule } from '../../src/modules/apt.js';
import { serviceModule } from '../../src/modules/service.js';
import { waitForModule } from '../../src/modules/wait-for.js';
import { uriModule } from '../../src/modules/uri.js';
import { snapModule } from '../../src/modules/snap.js';

const NAME = 'mods';
let lab: LabInfo;
let dir: string;
const open: Transport[] = [];

function transportFor(h: LabHostInfo): Transport {
  const t = createTransport(labConnectionSpec(lab, h, {}, { connectTimeoutMs: 10_000 }));
  open.push(t);
  return t;
}

function host(kind: 'fleet' | 'full'): LabHostInfo {
  const h = lab.hosts.find((x) => x.kind === kind);
  if (!h) throw new Error(`lab has no ${kind} host`);
  return h;
}

async function run<A>(t: Transport, m: ModuleDefinition<A>, args: A, o: LocalContextOptions = {}): Promise<{ result: ModuleResult; commands: string[] }> {
  const ctx = transportContext(t, { baseDir: dir, become: { user: 'root' }, ...o });
  return runWith(ctx, m, args);
}

describe.skipIf(labSkipReason())('core modules over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: 'modfull', layer: 'apache' }] });
    dir = mkdtempSync(join(tmpdir(), 'runbook-mods-'));
    writeFileSync(join(dir, 'motd.j2'), 'Welcome to {{ inventory_hostname }} ({{ role }})\n');
  });

  afterAll(async () => {
    await Promise.all(open.map((t) => t.close().catch(() => undefined)));
    await stopLab(NAME);
  });

  it('gathers host facts in one command (no systemd in the lab)', async () => {
    const t = transportFor(host('full'));
    const f = await gatherFacts(t);
    expect(f.system).toBe('Linux');
    expect(f.distribution).toBe('Debian');
    expect(f.distributionMajorVersion).toBe('12');
    expect(f.distributionRelease).toBe('bookworm');
    expect(f.serviceMgr).toBe('sysvinit');
    expect(f.pkgMgr).toBe('apt');
    expect(f.user).toBe(lab.users.nopasswd.name);
    expect(f.ipv4).toContain(host('full').address);
    expect(f.defaultIpv4).toBe(host('full').address);
  });

  it('the ten benchmark tasks: second run changes nothing with one command per task', async () => {
    const h = host('fleet');
    const t = transportFor(h);
    const base = `/tmp/runbook-mods-${h.name}`;
    await labExec(lab, h.name, ['rm', '-rf', base]);
    const vars = { inventory_hostname: h.name, role: 'repeater' };
    const tasks: Array<[string, ModuleDefinition<any>, Record<string, unknown>, LocalContextOptions?]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ['directory', fileModule, { path: base, state: 'directory', mode: '0755' }],
      ['file content', copyModule, { dest: `${base}/content.txt`, content: 'hello fleet\n' }],
      ['template', templateModule, { src: 'motd.j2', dest: `${base}/motd` }, { vars }],
      ['registered command', commandModule, { cmd: 'uname -n' }],
      ['shell with creates', shellModule, { cmd: `printf 'alpha\\nbeta\\n' > ${base}/seed`, creates: `${base}/seed` }],
      ['line in file', lineinfileModule, { path: `${base}/seed`, line: 'managed=yes' }],
      ['stat', statModule, { path: `${base}/content.txt` }],
      ['file mode', fileModule, { path: `${base}/content.txt`, state: 'file', mode: '0600' }],
      ['command with become', commandModule, { cmd: 'id -u' }],
      ['absent', fileModule, { path: `${base}/gone`, state: 'absent' }],
    ];
    await labExec(lab, h.name, ['sh', '-c', `mkdir -p ${base} && touch ${base}/gone`]);
    const second: Record<string, { changed: boolean; commands: number }> = {};
    let first = 0;
    for (const pass of [1, 2]) {
      for (const [label, m, args, o] of tasks) {
        const r = await run(t, m, args, o);
        expect(r.result.failed ?? false, `${label} (run ${pass}): ${r.result.msg}`).toBe(false);
        if (pass === 2) second[label] = { changed: r.result.changed, commands: r.commands.length };
        else first += r.commands.length;
        if (label === 'registered command') expect(r.result.data?.stdout).toBe(h.name);
        if (label === 'command with become') expect(r.result.data?.stdout).toBe('0');
      }
    }
    // first run: one command per task, as the floor's plain shell script
    expect(first).toBe(10);
    // command/shell/stat always "run" (command reports changed like Ansible; stat never changes)
    for (const [label, s] of Object.entries(second)) {
      expect(s.commands, label).toBe(1);
      if (label !== 'registered command' && label !== 'command with become') expect(s.changed, label).toBe(false);
    }
    const cat = await labExec(lab, h.name, ['sh', '-c', `cat ${base}/seed ${base}/content.txt ${base}/motd; stat -c %a ${base}/content.txt; test -e ${base}/gone || echo gone`]);
    expect(cat.stdout).toBe(`alpha\nbeta\nmanaged=yes\nhello fleet\nWelcome to ${h.name} (repeater)\n600\ngone\n`);
  });

  it('file state=directory: every directory it creates gets mode and owner, as Ansible does; an existing parent is left alone', async () => {
    const h = host('fleet');
    const t = transportFor(h);
    const user = lab.users.nopasswd.name;
    const base = `/tmp/runbook-mods-dirs-${h.name}`;
    const mine = `/tmp/runbook-mods-dirs-own-${h.name}`;
    await labExec(lab, h.name, ['sh', '-c', `rm -rf ${base} ${mine} && mkdir -m 0711 ${base} && mkdir ${mine} && chown ${user} ${mine}`]);
    const modes = async (paths: string[]): Promise<string> => (await labExec(lab, h.name, ['stat', '-c', '%a %U', ...paths])).stdout;
    // with become (sudo's /bin/sh: dash); doubled and trailing slashes, a space in a name
    const made = await run(t, fileModule, { path: `${base}//a b/c/d/`, state: 'directory', mode: '0750', owner: user });
    expect(made.result, made.result.msg).toMatchObject({ changed: true });
    expect(await modes([base, `${base}/a b`, `${base}/a b/c`, `${base}/a b/c/d`])).toBe(`711 root\n750 ${user}\n750 ${user}\n750 ${user}\n`);
    const again = await run(t, fileModule, { path: `${base}//a b/c/d/`, state: 'directory', mode: '0750', owner: user });
    expect(again.result.changed).toBe(false);
    expect(again.commands).toHaveLength(1);
    // without become (the login bash's loop), a symbolic mode (resolved from 0755, the new-path default)
    const sym = await run(t, fileModule, { path: `${mine}/x/y`, state: 'directory', mode: 'u=rwx,g=rx,o=' }, { become: undefined });
    expect(sym.result, sym.result.msg).toMatchObject({ changed: true });
    expect(await modes([`${mine}/x`, `${mine}/x/y`])).toBe(`750 ${user}\n750 ${user}\n`);
    // with `..` in it the components are not what mkdir makes: the path alone gets the mode
    const dots = await run(t, fileModule, { path: `${mine}/p/../q`, state: 'directory', mode: '0700' }, { become: undefined });
    expect(dots.result, dots.result.msg).toMatchObject({ changed: true });
    const [p, q] = (await modes([`${mine}/p`, `${mine}/q`])).split('\n');
    expect(q).toBe(`700 ${user}`);
    expect(p).not.toBe(`700 ${user}`);
  });

  it('copy with become writes a root-owned file with mode, validated, atomically', async () => {
    const h = host('fleet');
    const t = transportFor(h);
    const dest = `/tmp/runbook-mods-${h.name}-sudoers`;
    const r = await run(t, copyModule, { dest, content: 'deploy ALL=(ALL) NOPASSWD: ALL\n', owner: 'root', group: 'root', mode: '0440', validate: 'visudo -cf %s' });
    expect(r.result.failed ?? false, r.result.msg).toBe(false);
    const bad = await run(t, copyModule, { dest, content: 'this is not sudoers\n', validate: 'visudo -cf %s' });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/validation failed/);
    const st = await labExec(lab, h.name, ['stat', '-c', '%U:%G %a', dest]);
    expect(st.stdout.trim()).toBe('root:root 440');
    const content = await labExec(lab, h.name, ['cat', dest]);
    expect(content.stdout).toBe('deploy ALL=(ALL) NOPASSWD: ALL\n');
  });

  it('apt on a full host: installed packages need one probe and no apt run', async () => {
    const t = transportFor(host('full'));
    const r = await run(t, aptModule, { name: ['apache2', 'certbot'], state: 'present' });
    expect(r.result).toMatchObject({ changed: false });
    expect(r.result.msg).toMatch(/already installed/);
    expect(r.commands).toHaveLength(1);
    const check = await run(t, aptModule, { name: 'apache2', state: 'absent' }, { check: true });
    expect(check.result).toMatchObject({ changed: true });
    const still = await labExec(lab, host('full').name, ['dpkg-query', '-W', '-f=${db:Status-Abbrev}', 'apache2']);
    expect(still.stdout.trim()).toBe('ii');
  });

  it('apt installs and removes a package for real (through the lab apt proxy), idempotently', async () => {
    const h = host('full');
    const t = transportFor(h);
    const args = { name: 'tree', update_cache: true, cache_valid_time: 3600 };
    const first = await run(t, aptModule, args);
    expect(first.result.failed ?? false, first.result.msg).toBe(false);
    expect(first.result).toMatchObject({ changed: true, data: { cache_updated: true, installed: ['tree'] } });
    const second = await run(t, aptModule, args);
    expect(second.result).toMatchObject({ changed: false });
    expect(second.commands).toHaveLength(1);
    const gone = await run(t, aptModule, { name: 'tree', state: 'absent' });
    expect(gone.result).toMatchObject({ changed: true, data: { removed: ['tree'] } });
    const again = await run(t, aptModule, { name: 'tree', state: 'absent' });
    expect(again.result.changed).toBe(false);
    // upgrade alone needs no probe; --check asks apt for a simulation only
    const sim = await run(t, aptModule, { upgrade: 'safe' }, { check: true });
    expect(sim.result.failed ?? false, sim.result.msg).toBe(false);
    expect(sim.commands).toEqual([expect.stringMatching(/^LC_ALL=C apt-get -s -q upgrade/)]);
    const q = await labExec(lab, h.name, ['sh', '-c', 'dpkg-query -W -f="${db:Status-Abbrev}" tree 2>/dev/null; true']);
    expect(q.stdout.trim()).not.toBe('ii');
  });

  it('service through init scripts (no systemd), wait_for the port, uri from the host', async () => {
    const h = host('full');
    const t = transportFor(h);
    // /private/ needs Basic auth (mod_auth_basic, a {SHA} htpasswd entry), loaded by the start below
    const password = 's3cr3t "pw\\';
    const htpasswd = `alice:{SHA}${createHash('sha1').update(password).digest('base64')}\n`;
    const conf = ['<Location /private>', 'AuthType Basic', 'AuthName private', 'AuthUserFile /etc/apache2/rb-uri.htpasswd', 'Require valid-user', '</Location>'].map((l) => `"${l}"`).join(' ');
    await labExec(lab, h.name, ['sh', '-c', `service apache2 stop >/dev/null 2>&1; cat >/etc/apache2/rb-uri.htpasswd && printf '%s\\n' ${conf} >/etc/apache2/conf-enabled/rb-uri.conf && mkdir -p /var/www/html/private && echo private-page >/var/www/html/private/index.html`], { input: htpasswd });
    const start = await run(t, serviceModule, { name: 'apache2', state: 'started' });
    expect(start.result.failed ?? false, start.result.msg).toBe(false);
    expect(start.result).toMatchObject({ changed: true, data: { manager: 'sysvinit' } });
    const again = await run(t, serviceModule, { name: 'apache2', state: 'started' });
    expect(again.result.changed).toBe(false);
    expect(again.commands).toHaveLength(1);
    const up = await run(t, waitForModule, { port: 80, timeout: 20 });
    expect(up.result.failed ?? false, up.result.msg).toBe(false);
    const page = await run(t, uriModule, { url: 'http://127.0.0.1/', return_content: true });
    expect(page.result.failed ?? false, page.result.msg).toBe(false);
    expect(page.result.data).toMatchObject({ status: 200 });
    expect(String(page.result.data?.content)).toMatch(/Apache/);
    // credentials reach curl in a config on stdin (through ssh and sudo), the body right after it
    const url = 'http://127.0.0.1/private/';
    const denied = await run(t, uriModule, { url, url_username: 'alice', url_password: 'wrong' });
    expect(denied.result.data).toMatchObject({ status: 401 });
    const authed = await run(t, uriModule, { url, url_username: 'alice', url_password: password, return_content: true });
    expect(authed.result.failed ?? false, authed.result.msg).toBe(false);
    expect(authed.result.data?.content).toBe('private-page\n');
    expect(authed.commands.join('\n')).not.toContain('alice');
    // past auth, a POST to a static page is served or refused (405), never 401
    const post = await run(t, uriModule, { url, method: 'POST', body: { a: 1 }, body_format: 'json', url_username: 'alice', url_password: password, force_basic_auth: true, status_code: [200, 405] });
    expect(post.result.failed ?? false, post.result.msg).toBe(false);
    await labExec(lab, h.name, ['rm', '-rf', '/etc/apache2/conf-enabled/rb-uri.conf', '/etc/apache2/rb-uri.htpasswd', '/var/www/html/private']);
    const stop = await run(t, serviceModule, { name: 'apache2', state: 'stopped' });
    expect(stop.result.changed).toBe(true);
    const down = await run(t, waitForModule, { port: 80, state: 'stopped', timeout: 20 });
    expect(down.result.failed ?? false, down.result.msg).toBe(false);
    const enable = await run(t, serviceModule, { name: 'apache2', enabled: true });
    expect(enable.result.failed ?? false, enable.result.msg).toBe(false);
    const enabled = await run(t, serviceModule, { name: 'apache2', enabled: true });
    expect(enabled.result.changed).toBe(false);
  });

  it('snap on a host without snapd fails with the apt hint', async () => {
    const t = transportFor(host('full'));
    const r = await run(t, snapModule, { name: 'certbot', classic: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/certbot_install_method: apt/);
  });
});
