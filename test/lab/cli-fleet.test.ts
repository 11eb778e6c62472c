// The terminal view of `runbook apply` at 200 real sshd hosts under a real pseudo-terminal
// (issue 16: "readable at 500 hosts: summarise, never scroll a line per host per task"):
// what a person sees is a line per task with the hosts counted, the first failures with their
// output, a live area grouped by task that fits the terminal, and a grouped recap.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../support/lab.js';
import { labSkipReason, startLab, stopLab } from '../support/lab.js';
import { framesOf, runAtTerminal } from '../support/terminal.js';

const NAME = 'cl200';
const HOSTS = 200;
let lab: LabInfo;
let dir: string;
let names: string[];

// 7 hosts fail "Check disk": more than the 5 failures a big batch prints at once
const SITE = `
- name: fleet rollout
  hosts: all
  gather_facts: false
  tasks:
    - name: Write marker
      shell: "echo v2 > /tmp/cl200-{{ inventory_hostname }}"
    - name: Unpack slowly
      shell: "for i in 1 2 3 4 5 6 7 8; do echo unpacking part $i of 8; sleep 0.5; done"
      changed_when: false
    - name: Check disk
      shell: "echo checking; {{ 'echo disk full >&2; exit 7' if inventory_hostname in broken else 'true' }}"
    - name: Greet
      debug:
        msg: "hello fleet"
`;

describe.skipIf(labSkipReason())('terminal view at 200 hosts over real SSH', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: HOSTS });
    names = lab.hosts.map((h) => h.name);
    dir = mkdtempSync(join(tmpdir(), 'runbook-cl200-'));
    const hosts: Record<string, unknown> = {};
    for (const h of lab.hosts) hosts[h.name] = { ansible_host: h.address, ansible_port: h.port };
    const broken = names.filter((_, i) => i % 29 === 5);
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({
        all: {
          vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile, broken },
          hosts,
        },
      }),
    );
    writeFileSync(join(dir, 'site.yml'), SITE);
  }, 120_000);

  afterAll(async () => {
    await stopLab(NAME);
  });

  it('a line per task with the hosts counted, the first failures with their output, a live area that fits, a grouped recap', async () => {
    const rows = 40;
    const r = await runAtTerminal(['apply', 'site.yml', '-i', 'hosts.yml', '-f', '50'], { cwd: dir, rows, cols: 120, timeoutMs: 240_000 });
    const screen = r.screen.join('\n');
    expect(r.code, screen.slice(-3000)).toBe(2);
    const broken = names.filter((_, i) => i % 29 === 5);
    expect(broken).toHaveLength(7);

    // one summary line per task, never a line per host per task
    expect(screen).toMatch(/^TASK \[Write marker\] {2}changed on 200 hosts \(h\d+, h\d+, h\d+ \+197\)$/m);
    expect(screen).toMatch(/^TASK \[Check disk\] {2}changed on 193 hosts \(h\d+, h\d+, h\d+ \+190\), failed on 7 hosts$/m);
    expect(screen).toMatch(/^TASK \[Greet\] {2}ok on 193$/m);
    expect(r.screen.filter((l) => /changed: Write marker/.test(l))).toHaveLength(0);
    // the first five failures as they happen, with their stderr; the rest pointed to the recap
    const failedLines = r.screen.filter((l) => / {2}FAILED: Check disk /.test(l));
    expect(failedLines).toHaveLength(5);
    for (const l of failedLines) expect(l).toMatch(/^h\d+ {2}FAILED: Check disk \(\d+ms\) site\.yml:11 \[exit code 7\]: non-zero return code 7: disk full$/);
    expect(r.screen).toContain('    … more hosts failed "Check disk": see the recap');
    expect(r.screen.filter((l) => l === '    │ disk full').length).toBeGreaterThanOrEqual(5);
    // the same debug message from 193 hosts: once, with the hosts counted
    expect(screen).toMatch(/^ {2}h\d+, h\d+, h\d+ \+190 \(193 hosts, same\): hello fleet$/m);

    // while it ran: the live area grouped by task (200 hosts cannot be listed in 40 rows),
    // with the slowest host, its elapsed time and latest output line, and never taller than the terminal
    const frames = framesOf(r.raw).slice(1, -1);
    const grouped = frames.find((f) => f.some((l) => /^ {2}Unpack slowly ×\d+ {2}slowest h\d+ [1-9]\d*\.\d+s {2}│ unpacking part \d of 8$/.test(l)));
    expect(grouped, r.raw.slice(0, 4000)).toBeDefined();
    expect(grouped!.some((l) => /^PLAY \[fleet rollout\] {2}\d+\/200 hosts done/.test(l))).toBe(true);
    for (const f of frames) {
      const live = f.filter((l) => l !== '');
      // the live area (the part after the last lines that stay) fits the terminal
      const start = live.findIndex((l) => l.startsWith('PLAY [fleet rollout]  '));
      if (start >= 0) expect(live.length - start).toBeLessThanOrEqual(rows - 2);
    }

    // the recap: every ok host with equal counts on one line, each failed host on its own
    const recapAt = r.screen.indexOf('PLAY RECAP');
    const recap = r.screen.slice(recapAt);
    expect(recap.some((l) => /^h\d+, h\d+, h\d+ \+190 \(193 hosts\) +: ok=4 +changed=2 +unreachable=0 +failed=0/.test(l)), recap.join('\n')).toBe(true);
    for (const h of broken) expect(recap.some((l) => new RegExp(`^${h} +: ok=2 +changed=1 +unreachable=0 +failed=1`).test(l))).toBe(true);
    expect(recap.some((l) => /^✖ h\d+, h\d+, h\d+ \+4 \(7 hosts\) {2}Check disk {2}\(site\.yml:11\) {2}exit code 7$/.test(l)), recap.join('\n')).toBe(true);
    // the whole screen after the run: a few dozen lines, not hundreds
    expect(r.screen.length).toBeLessThan(60);
  }, 300_000);
});
