// Rollouts over real SSH lab hosts (issue 18), on one fleet of 20 hosts (own netns, sshd,
// hostname and /tmp each):
// - approval between batches at a real pseudo-terminal (`script`): the operator answers yes
//   (the rollout goes on), no (the hosts after the batch are never touched; exit 130 and the
//   recap say the rollout stopped there), or nothing (the timeout decides); without a terminal
//   or with CI=true nothing waits: the non-interactive policy decides (stop by default,
//   `--approve-ci continue` goes on).
// - `--resume` after the controller (a real `runbook apply` process, SSH to every host) is
//   killed with SIGKILL during batch 3 of 4: every host done exactly once (each host's own
//   /tmp counter, written by the host itself, proves it), no batch redone, the record complete.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labSkipReason, startLab, stopLab, type LabInfo } from '../support/lab.js';
import { runCli } from '../support/cli.js';
import { runAtTerminal } from '../support/terminal.js';
import { controller, resumeAfterBatch3 } from '../support/rollout.js';
import { openStore } from '../../src/store/db.js';
import { historyArea, listRuns, runDetail } from '../../src/store/history.js';

const NAME = 'rb-ssh';
let lab: LabInfo;
let dir: string;
let env: Record<string, string>;
let hosts: string[];

/** What each host has in its own /tmp/FILE (one line per time the task ran there), read inside the host. */
async function marks(file: string, on: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const h of on) {
    const r = await labExec(lab, h, ['sh', '-c', `cat /tmp/${file} 2>/dev/null || true`]);
    out[h] = r.stdout.split('\n').filter(Boolean);
  }
  return out;
}

const APPROVAL_PLAY = `- hosts: canary
  gather_facts: false
  serial: [1, "100%"]
  tasks:
    - name: mark
      shell: echo "$(hostname)" >> /tmp/rb-approve-{{ mark }}
`;

describe.skipIf(labSkipReason())('rollouts over SSH lab hosts', () => {
  beforeAll(async () => {
    lab = await startLab({ name: NAME, fleet: 20 });
    hosts = lab.hosts.map((h) => h.name).sort();
    dir = mkdtempSync(join(tmpdir(), 'runbook-rb-ssh-'));
    const entries: Record<string, unknown> = {};
    for (const h of lab.hosts) entries[h.name] = { ansible_host: h.address, ansible_port: h.port };
    const canary = Object.fromEntries(hosts.slice(0, 3).map((h) => [h, {}]));
    writeFileSync(
      join(dir, 'hosts.yml'),
      stringify({
        all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile }, hosts: entries, children: { canary: { hosts: canary } } },
      }),
    );
    writeFileSync(join(dir, 'approve.yml'), APPROVAL_PLAY);
    env = { RUNBOOK_STORE: join(dir, 'store.db'), HOME: dir };
  }, 300_000);

  afterAll(async () => {
    await stopLab(NAME);
  });

  describe('approval between batches at a real terminal', () => {
    const apply = (mark: string, extra: string[] = []): string[] => ['apply', 'approve.yml', '-i', 'hosts.yml', '--approve', 'first', '-e', `mark=${mark}`, ...extra];

    it('yes: the operator sees the canary batch and types y; the rollout goes on to every host', async () => {
      const canary = hosts.slice(0, 3);
      const r = await runAtTerminal(apply('yes'), { cwd: dir, env, answers: [{ after: 'Continue with batch 2 (2 hosts)? [y/N]', input: 'y\r' }] });
      const screen = r.screen.join('\n');
      expect(r.code, screen).toBe(0);
      // what the operator was shown before answering: the canary's outcome and the next batch
      expect(screen).toContain('Batch 1/2 of play "canary" is done:');
      expect(screen).toMatch(new RegExp(`${canary[0]} +ok +ok=1 changed=1 failed=0 unreachable=0`));
      expect(screen).toContain(`Next: batch 2 with 2 hosts (${canary[1]}, ${canary[2]}).`);
      expect(await marks('rb-approve-yes', canary)).toEqual(Object.fromEntries(canary.map((h) => [h, [h]])));
    }, 120_000);

    it('no: the hosts after the canary are never touched; exit 130 and the recap say the rollout stopped', async () => {
      const canary = hosts.slice(0, 3);
      const r = await runAtTerminal([...apply('no'), '--retry-file', join(dir, 'no.retry')], { cwd: dir, env, answers: [{ after: 'Continue with batch 2 (2 hosts)? [y/N]', input: 'n\r' }] });
      const screen = r.screen.join('\n');
      expect(r.code, screen).toBe(130);
      expect(screen).toContain('approval refused by the operator after batch 1');
      expect(screen).toMatch(/exit code 130\b/);
      expect(screen).toContain(`the run stopped before these hosts started: ${canary[1]}, ${canary[2]}`);
      expect(await marks('rb-approve-no', canary)).toEqual({ [canary[0]!]: [canary[0]], [canary[1]!]: [], [canary[2]!]: [] });
    }, 120_000);

    it('no answer: the timeout decides (continue), after waiting about as long as it says', async () => {
      const canary = hosts.slice(0, 3);
      const t0 = Date.now();
      // the question withdrawn at the timeout stops reading the terminal: the run ends by itself
      const r = await runAtTerminal([...apply('timeout', ['--approve-timeout', '3']), '--json'], { cwd: dir, env, timeoutMs: 60_000 });
      const screen = r.screen.join('\n');
      expect(r.code, screen).toBe(0);
      expect(screen).toContain('No answer in 3 s: continue.');
      const approval = r.raw
        .split(/\r?\n/)
        .filter((l) => l.startsWith('{"type":"approval"'))
        .map((l) => JSON.parse(l) as { decision: string; by: string; waitedMs: number });
      expect(approval).toEqual([expect.objectContaining({ decision: 'continue', by: 'timeout' })]);
      expect(approval[0]?.waitedMs).toBeGreaterThanOrEqual(2900);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
      expect(await marks('rb-approve-timeout', canary)).toEqual(Object.fromEntries(canary.map((h) => [h, [h]])));
    }, 120_000);

    it('CI=true at a terminal, or no terminal: nothing waits; the non-interactive policy decides (stop, or --approve-ci continue)', async () => {
      const canary = hosts.slice(0, 3);
      // CI=true with a terminal attached: nobody to answer, so no question is put and the rollout stops
      const ci = await runAtTerminal(apply('ci'), { cwd: dir, env: { ...env, CI: 'true' }, timeoutMs: 60_000 });
      const screen = ci.screen.join('\n');
      expect(ci.code, screen).toBe(130);
      expect(screen).not.toContain('[y/N]');
      expect(screen).toContain('approval not given: the run is not interactive after batch 1');
      expect(await marks('rb-approve-ci', canary)).toEqual({ [canary[0]!]: [canary[0]], [canary[1]!]: [], [canary[2]!]: [] });
      // no terminal (pipes), told to go on
      const piped = await runCli([...apply('piped'), '--approve-ci', 'continue', '--json'], { cwd: dir, env });
      expect(piped.code, piped.err).toBe(0);
      expect(piped.events.filter((e) => e.type === 'approval')).toEqual([expect.objectContaining({ decision: 'continue', by: 'non-interactive', waitedMs: 0 })]);
      expect(await marks('rb-approve-piped', canary)).toEqual(Object.fromEntries(canary.map((h) => [h, [h]])));
    }, 120_000);
  });

  it('--resume over SSH: the controller killed with SIGKILL during batch 3 of 4, then resumed: every host done exactly once, no batch redone, the record complete', async () => {
    writeFileSync(
      join(dir, 'resume.yml'),
      `- hosts: all
  gather_facts: false
  serial: 5
  tasks:
    - name: work
      command: sleep 2
    - name: done
      shell: echo "$(hostname)" >> /tmp/rb-resume
`,
    );
    // the controller: a real `runbook apply` process, SIGKILLed 700 ms into batch 3's `sleep 2`
    // (counted from batch 3's first `work` task start: its hosts are connected and sleeping)
    let batch3 = false;
    const first = await controller(dir, ['resume.yml', '-i', 'hosts.yml', '-f', '20'], env, (line) => {
      if (line.includes('"type":"batch_start"') && line.includes('"batch":3')) batch3 = true;
      return batch3 && line.includes('"type":"task_start"') && line.includes('"name":"work"') ? 700 : false;
    });
    expect(first.killed).toBe(true);
    const done1 = hosts.slice(0, 10);
    const rest = hosts.slice(10);
    const afterKill = await marks('rb-resume', hosts);
    for (const h of done1) expect(afterKill[h], h).toEqual([h]);
    for (const h of rest) expect(afterKill[h], h).toEqual([]);

    // the record of the killed run: died, batch 3's hosts running; --resume runs batches 3 and 4 only
    const s0 = openStore(env.RUNBOOK_STORE!, [historyArea]);
    const killedRun = listRuns(s0.db, { limit: 100 }).find((r) => r.playbook.endsWith('resume.yml'));
    s0.close();
    expect(killedRun).toBeDefined();
    await resumeAfterBatch3(env.RUNBOOK_STORE!, killedRun!.id, hosts, env);
    // every host, by its own /tmp: `done` ran there exactly once across the two controllers
    const end = await marks('rb-resume', hosts);
    for (const h of hosts) expect(end[h], h).toEqual([h]);

    const s = openStore(env.RUNBOOK_STORE!, [historyArea]);
    const resumeRun = listRuns(s.db, { limit: 100 }).find((r) => r.resumeOf === killedRun!.id);
    expect(resumeRun?.status).toBe('ok');
    const doneOn = [runDetail(s.db, killedRun!.id, {}), runDetail(s.db, resumeRun!.id, {})].flatMap((d) => d?.results.filter((r) => r.task === 'done' && r.status === 'changed').map((r) => r.host) ?? []);
    expect(doneOn.sort()).toEqual(hosts);
    s.close();
  }, 240_000);
});
