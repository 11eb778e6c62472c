// alternatives (and the other modules of the "extra" set) over real SSH with real sudo on a
// Debian 12 host with its own filesystem (/etc/alternatives and /var/lib/dpkg/alternatives
// change for real, never this machine's). For each change: --check reports it and changes
// nothing, the first run changes, the second run changes nothing; the messages are Ansible's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { moduleLab } from '../support/module-lab.js';
import { alternativesModule } from '../../src/modules/alternatives.js';

const NAME = 'ex-mods';
const HOST = 'ex12';
let lab: LabInfo;
const { run, sh, converge, close } = moduleLab(() => lab);

const query = (): Promise<string> => sh(HOST, 'LC_ALL=C update-alternatives --query rbdemo 2>&1; readlink -f /usr/local/bin/rbdemo; :');

describe.skipIf(labSkipReason())('extra modules over real SSH and sudo (Debian 12 full host)', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, full: [{ name: HOST, release: '12' }] });
    await sh(HOST, 'update-alternatives --remove-all rbdemo >/dev/null 2>&1; rm -f /usr/local/bin/rbdemo; :');
  }, 180_000);

  afterAll(async () => {
    await close();
    await stopLab(NAME);
  });

  it('alternatives: a new group installed and selected, another entry added, selected, back to auto, removed', async () => {
    const link = '/usr/local/bin/rbdemo';
    // a new group: --install and --set, in one remote command
    const first = await converge(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/true', link, priority: 20 }, query);
    expect(first.msg).toBe("Install alternative '/usr/bin/true' for 'rbdemo'. Set alternative '/usr/bin/true' for 'rbdemo'.");
    let q = await query();
    expect(q).toMatch(/^Status: manual$/m);
    expect(q).toMatch(/^Value: \/usr\/bin\/true$/m);
    expect(q).toMatch(/^Alternative: \/usr\/bin\/true\nPriority: 20$/m);
    expect(q.trim().split('\n').at(-1)).toBe('/usr/bin/true');

    // present: a second entry, installed but not selected
    const present = await converge(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/false', link, priority: 90, state: 'present' }, query);
    expect(present.msg).toBe("Install alternative '/usr/bin/false' for 'rbdemo'.");
    q = await query();
    expect(q).toMatch(/^Alternative: \/usr\/bin\/false\nPriority: 90$/m);
    expect(q).toMatch(/^Value: \/usr\/bin\/true$/m);

    // selected: only --set; first and unchanged run are each one remote command (the fast path)
    const sel = await run(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/false', link });
    expect(sel.result).toMatchObject({ changed: true, msg: "Set alternative '/usr/bin/false' for 'rbdemo'." });
    expect(sel.commands).toHaveLength(1);
    expect(await query()).toMatch(/^Value: \/usr\/bin\/false$/m);
    const selAgain = await run(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/false', link });
    expect(selAgain.result.changed).toBe(false);
    expect(selAgain.commands).toHaveLength(1);

    // auto: the group leaves manual mode (and the highest priority wins: /usr/bin/false at 90)
    await sh(HOST, 'update-alternatives --set rbdemo /usr/bin/true >/dev/null');
    const auto = await converge(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/true', link, state: 'auto' }, query);
    expect(auto.msg).toBe("Set alternative to auto for 'rbdemo'.");
    q = await query();
    expect(q).toMatch(/^Status: auto$/m);
    expect(q).toMatch(/^Value: \/usr\/bin\/false$/m);

    // a changed priority reinstalls the entry
    const prio = await converge(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/true', priority: 30, state: 'present' }, query);
    expect(prio.msg).toBe("Install alternative '/usr/bin/true' for 'rbdemo'.");
    expect(await query()).toMatch(/^Alternative: \/usr\/bin\/true\nPriority: 30$/m);

    // absent: the entry removed; the group now only has /usr/bin/true
    const absent = await converge(HOST, alternativesModule, { name: 'rbdemo', path: '/usr/bin/false', state: 'absent' }, query);
    expect(absent.msg).toBe("Remove alternative '/usr/bin/false' from 'rbdemo'.");
    q = await query();
    expect(q).not.toMatch(/^Alternative: \/usr\/bin\/false$/m);
    expect(q).toMatch(/^Value: \/usr\/bin\/true$/m);
  });

  it('alternatives: a path that is not on the host, a new group without link, family: clear errors, nothing changed', async () => {
    const before = await query();
    const missing = await run(HOST, alternativesModule, { name: 'rbdemo', path: '/opt/nothere/bin/x', link: '/usr/local/bin/rbdemo' });
    expect(missing.result).toMatchObject({ failed: true, msg: 'Specified path /opt/nothere/bin/x does not exist' });
    const noLink = await run(HOST, alternativesModule, { name: 'rbnew', path: '/usr/bin/true' });
    expect(noLink.result).toMatchObject({ failed: true, msg: 'Needed to install the alternative, but unable to do so as we are missing the link' });
    const family = await run(HOST, alternativesModule, { name: 'rbdemo', family: 'x' });
    expect(family.result.failed).toBe(true);
    expect(family.result.msg).toMatch(/family is only available on RHEL/);
    expect(await query()).toBe(before);
    expect(await sh(HOST, 'update-alternatives --query rbnew >/dev/null 2>&1 && echo yes || echo no')).toBe('no\n');
  });
});
