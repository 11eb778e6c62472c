// Let's Encrypt's weekly limit across a whole rollout, through the CLI and the engine: a fleet
// of 51 nodes under one registered domain is refused before anything starts (no host is
// contacted: the check runs on the controller), the override lets it pass, staging is not
// limited that way. No lab needed, but it runs the real CLI, so it lives with the e2e tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RecapEvent, RunEvent } from '../../src/report/events.js';
import { cliBin, ROOT } from './helpers.js';

function fleet(n: number, zone: string, serial?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-rl-'));
  const hosts: Record<string, unknown> = {};
  for (let i = 1; i <= n; i++) hosts[`node${i}`] = { ansible_host: '192.0.2.1', domain: `node${i}.${zone}` };
  writeFileSync(join(dir, 'inventory.yml'), stringify({ all: { hosts } }));
  // only the rate-limit step of the shipped playbooks: it needs no connection
  writeFileSync(
    join(dir, 'play.yml'),
    stringify([
      {
        name: 'rate limits',
        hosts: 'all',
        gather_facts: false,
        ...(serial ? { serial } : {}),
        tasks: [
          {
            name: "Let's Encrypt rate limits are not exceeded by this rollout",
            acme_rate_limit: {
              server: "{{ acme_server | default(omit) }}",
              staging: '{{ acme_staging | default(false) }}',
              override: '{{ acme_rate_limit_override | default(false) }}',
            },
            run_once: true,
          },
        ],
      },
    ]),
  );
  return dir;
}

function apply(dir: string, extra: string[] = []): Promise<{ code: number | null; recap?: RecapEvent; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [...cliBin(), 'apply', join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), '--json', '--retry-file', join(dir, 'x.retry'), ...extra], { cwd: ROOT }, (err, stdout) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
      done({ code, stdout, recap: events.find((e): e is RecapEvent => e.type === 'recap') });
    });
  });
}

describe("Let's Encrypt rate limit across a rollout (CLI)", () => {
  it('51 new certificates under one registered domain are refused with the fix and the override named', async () => {
    const r = await apply(fleet(51, 'allstar.example.org'));
    expect(r.code).toBe(2);
    const msg = r.recap?.failures.map((f) => f.msg).join('\n') ?? '';
    expect(msg).toMatch(/51 new certificates under example\.org exceed Let's Encrypt's limit of 50 per registered domain per week/);
    expect(msg).toMatch(/acme_rate_limit_override: true/);
  });

  it('a rollout in serial batches is counted whole, before the first batch issues anything', async () => {
    const r = await apply(fleet(51, 'allstar.example.org', 10));
    expect(r.code).toBe(2);
    expect(r.recap?.failures.map((f) => f.msg).join('\n')).toMatch(/51 new certificates under example\.org/);
    // refused in the first batch: the other batches never start
    expect(r.recap?.notStarted.length).toBe(41);
  });

  it('50 pass; the override and staging let 51 pass', async () => {
    expect((await apply(fleet(50, 'example.org'))).code).toBe(0);
    const dir = fleet(51, 'example.org');
    expect((await apply(dir, ['-e', 'acme_rate_limit_override=true'])).code).toBe(0);
    expect((await apply(dir, ['-e', 'acme_staging=true'])).code).toBe(0);
  });
});
