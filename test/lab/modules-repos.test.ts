// apt_repository, deb822_repository and debconf over real SSH with real sudo: a Debian 12 full
// host (its own /etc/apt and debconf database; apt reads a local file: repository the test
// makes, so no outside network is needed); a fleet host is started too. git and
// wait_for_connection are in modules-sys.test.ts. For each: --check reports the change and
// changes nothing, the first run changes, the second run changes nothing, the registered values are Ansible's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { moduleLab } from '../support/module-lab.js';
import { aptRepositoryModule } from '../../src/modules/apt-repository.js';
import { deb822RepositoryModule } from '../../src/modules/deb822-repository.js';
import { debconfModule } from '../../src/modules/debconf.js';

const NAME = 'sr-repos';
let lab: LabInfo;
const { run, sh, converge, close } = moduleLab(() => lab);

// a flat repository apt accepts ([trusted=yes]: no signature; the Release file lists the empty Packages index)
const MAKE_REPO = `set -e; mkdir -p /srv/repo; cd /srv/repo; : > Packages; { echo 'Origin: lab'; echo 'Label: lab'; echo 'Suite: lab'; echo 'Codename: lab'; echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"; echo 'SHA256:'; echo " $(sha256sum Packages | cut -d' ' -f1) 0 Packages"; } > Release`;

describe.skipIf(labSkipReason())('repository, debconf, git and connection modules over real SSH and sudo', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 1, full: [{ name: 'sr12', release: '12' }] });
    // apt reads only the test's repositories: the image's mirror sources are moved aside
    await sh('sr12', 'mkdir -p /root/sources-aside && for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e "$f" ] && mv "$f" /root/sources-aside/; done; :');
    await sh('sr12', MAKE_REPO);
  }, 120_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
  });

  it('apt_repository: the file is named as Ansible names it, apt-get update reads it; a failing update puts the sources back', async () => {
    const repo = 'deb [trusted=yes] file:/srv/repo ./';
    const look = (): Promise<string> => sh('sr12', 'ls -l /etc/apt/sources.list.d; cat /etc/apt/sources.list.d/*.list 2>/dev/null; :');
    const r = await converge('sr12', aptRepositoryModule, { repo }, look);
    expect(r.data).toMatchObject({ repo, state: 'present', sources_added: ['/etc/apt/sources.list.d/file_srv_repo.list'], sources_removed: [] });
    expect(await sh('sr12', 'stat -c %a /etc/apt/sources.list.d/file_srv_repo.list; cat /etc/apt/sources.list.d/file_srv_repo.list')).toBe(`644\n${repo}\n`);
    // apt-get update ran and fetched the repository's index
    expect(await sh('sr12', 'ls /var/lib/apt/lists/ | grep -c srv_repo')).not.toBe('0\n');

    // a commented-out copy elsewhere is enabled where it is (no second file)
    await sh('sr12', `printf '# %s\\n' '${repo}' > /etc/apt/sources.list.d/mine.list; rm /etc/apt/sources.list.d/file_srv_repo.list`);
    const en = await run('sr12', aptRepositoryModule, { repo, update_cache: false });
    expect(en.result).toMatchObject({ changed: true, msg: `${repo}: enabled in /etc/apt/sources.list.d/mine.list` });
    expect(await sh('sr12', 'ls /etc/apt/sources.list.d; cat /etc/apt/sources.list.d/mine.list')).toBe(`mine.list\n${repo}\n`);

    // absent: removed, the emptied file with it
    const gone = await converge('sr12', aptRepositoryModule, { repo, state: 'absent', update_cache: false }, look);
    expect(gone.data).toMatchObject({ sources_removed: ['/etc/apt/sources.list.d/mine.list'] });
    expect(await sh('sr12', 'ls /etc/apt/sources.list.d')).toBe('');

    // apt-get update fails (no such repository): Ansible's message, and the new file is gone again
    const bad = await run('sr12', aptRepositoryModule, { repo: 'deb [trusted=yes] file:/srv/missing ./', update_cache_retries: 2, update_cache_retry_max_delay: 1 });
    expect(bad.result.failed, bad.result.msg).toBe(true);
    expect(bad.result.msg).toMatch(/^Failed to update apt cache after 2 retries: .*srv\/missing/);
    expect(await sh('sr12', 'ls /etc/apt/sources.list.d')).toBe('');
  }, 120_000);

  it('deb822_repository: the .sources file Ansible writes, which apt reads; absent removes it', async () => {
    await sh('sr12', 'mkdir -p /etc/apt/keyrings && printf "not a real key\\n" > /etc/apt/keyrings/lab-repo.asc');
    const args = { name: 'Lab_Repo', uris: 'file:/srv/repo', suites: './', trusted: true, signed_by: '/etc/apt/keyrings/lab-repo.asc' };
    const look = (): Promise<string> => sh('sr12', 'ls -l /etc/apt/sources.list.d; cat /etc/apt/sources.list.d/*.sources 2>/dev/null; :');
    const r = await converge('sr12', deb822RepositoryModule, args, look);
    const text = 'X-Repolib-Name: Lab_Repo\nSigned-By: /etc/apt/keyrings/lab-repo.asc\nSuites: ./\nTrusted: yes\nTypes: deb\nURIs: file:/srv/repo\n';
    expect(r.data).toEqual({ repo: text, dest: '/etc/apt/sources.list.d/lab-repo.sources', key_filename: '/etc/apt/keyrings/lab-repo.asc' });
    expect(await sh('sr12', 'stat -c %a /etc/apt/sources.list.d/lab-repo.sources; cat /etc/apt/sources.list.d/lab-repo.sources')).toBe(`644\n${text}`);
    // apt takes the file as a source
    const update = "apt-get update 2>&1 | grep -c 'file:/srv/repo ./ Release'; :";
    expect(await sh('sr12', update)).not.toBe('0\n');
    expect(await sh('sr12', "apt-get update 2>&1 | grep -c '^[WE]:'; :")).toBe('0\n');
    // a mode change alone is a change, and only that
    const m = await run('sr12', deb822RepositoryModule, { ...args, mode: '0600' });
    expect(m.result).toMatchObject({ changed: true, msg: '/etc/apt/sources.list.d/lab-repo.sources: mode 644 → 0600' });
    const gone = await converge('sr12', deb822RepositoryModule, { name: 'Lab_Repo', state: 'absent' }, look);
    expect(gone.data).toMatchObject({ repo: null, dest: '/etc/apt/sources.list.d/lab-repo.sources' });
    expect(await sh('sr12', 'ls /etc/apt/sources.list.d /etc/apt/keyrings')).toBe('/etc/apt/keyrings:\n\n/etc/apt/sources.list.d:\n');
    expect(await sh('sr12', update), 'apt no longer reads it').toBe('0\n');
  }, 120_000);

  it('debconf: an answer set and read back with debconf-show; a password never in a result, command or output', async () => {
    const look = (): Promise<string> => sh('sr12', 'debconf-show debconf | sort');
    const r = await converge('sr12', debconfModule, { name: 'debconf', question: 'debconf/priority', vtype: 'select', value: 'critical' }, look);
    expect(r.data).toMatchObject({ current: { 'debconf/priority': 'critical' }, previous: { 'debconf/priority': expect.any(String) as string } });
    expect(await look()).toMatch(/debconf\/priority: critical/);
    const all = await run('sr12', debconfModule, { name: 'debconf' });
    expect(all.result.changed).toBe(false);
    expect(all.result.data?.current).toMatchObject({ 'debconf/priority': 'critical' });

    // a password question of an installed package (registered the way a package's templates are)
    await sh('sr12', 'printf "Template: debconf/lab-pw\\nType: password\\nDescription: lab\\n" > /tmp/lab.templates && debconf-loadtemplate debconf /tmp/lab.templates');
    const pw = 'Lab-S3cret-pw';
    const args = { name: 'debconf', question: 'debconf/lab-pw', vtype: 'password' as const, value: pw };
    const first = await run('sr12', debconfModule, args, { diff: true });
    expect(first.result.changed, first.result.msg).toBe(true);
    const again = await run('sr12', debconfModule, args);
    expect(again.result.changed, again.result.msg).toBe(false);
    const other = await run('sr12', debconfModule, { ...args, value: 'Other-S3cret' });
    expect(other.result.changed).toBe(true);
    for (const x of [first, again, other]) {
      expect(x.output).not.toContain('S3cret');
      for (const c of x.commands) expect(c).not.toContain('S3cret');
    }
    expect(await sh('sr12', 'grep -A3 "Name: debconf/lab-pw" /var/cache/debconf/passwords.dat | grep Value')).toBe('Value: Other-S3cret\n');
  }, 120_000);
});
