// reboot's command as Ansible builds it, run by a real /bin/sh against a fake `shutdown` in a
// temp directory (it prints its arguments), and the refusal to run under a local connection.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { rebootCommand, rebootModule } from './reboot.js';
import { runLocal } from './testing/local-context.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-reboot-'));
const empty = mkdtempSync(join(tmpdir(), 'rb-reboot-empty-'));
writeFileSync(join(dir, 'shutdown'), '#!/bin/sh\nprintf "%s|" "$0" "$@"\n', { mode: 0o755 });
writeFileSync(join(dir, 'myreboot'), '#!/bin/sh\nprintf "%s|" "$0" "$@"\n', { mode: 0o755 });
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const sh = (text: string): { out: string; err: string; code: number | null } => {
  const r = spawnSync('/bin/sh', ['-c', text], { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status };
};

describe('reboot command', () => {
  it('default: shutdown found in search_paths, -r with pre_reboot_delay in whole minutes and the message', () => {
    const c = rebootCommand({ search_paths: [empty, dir], pre_reboot_delay: 150, msg: "it's time" });
    expect(sh(c.toString()).out).toBe(`${dir}/shutdown|-r|2|it's time|`);
    // under a minute is 0; negative is 0 (Ansible clamps)
    expect(sh(rebootCommand({ search_paths: dir, pre_reboot_delay: -5 }).toString()).out).toBe(`${dir}/shutdown|-r|0|Reboot initiated by Ansible|`);
  });

  it('reboot_command: its first word looked for, the rest passed as shell words; an absolute path as is', () => {
    expect(sh(rebootCommand({ reboot_command: 'myreboot --now "a b"', search_paths: [dir] }).toString()).out).toBe(`${dir}/myreboot|--now|a b|`);
    expect(sh(rebootCommand({ reboot_command: `${dir}/myreboot`, search_paths: [empty] }).toString()).out).toBe(`${dir}/myreboot|`);
  });

  it('not found: Ansible\'s message on the fail marker line, exit 127', () => {
    const r = sh(rebootCommand({ reboot_command: 'nosuch now', search_paths: [empty, '/x y'] }).toString());
    expect(r.code).toBe(127);
    expect(r.err).toContain(`Unable to find command "nosuch" in search paths: ['${empty}', '/x y']`);
  });
});

describe('reboot module', () => {
  it('under a local connection it refuses before running anything (it would reboot the controller)', async () => {
    const bootId = execFileSync('cat', ['/proc/sys/kernel/random/boot_id'], { encoding: 'utf8' });
    const r = await runLocal(rebootModule, { reboot_command: `${dir}/myreboot` });
    expect(r.result).toMatchObject({ changed: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.', data: { rebooted: false, elapsed: 0 } });
    expect(r.commands).toEqual([]);
    expect(execFileSync('cat', ['/proc/sys/kernel/random/boot_id'], { encoding: 'utf8' })).toBe(bootId);
  });
});
