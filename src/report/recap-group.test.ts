// The recap of a fleet at a terminal: hosts with equal counts share a line, the same failure on
// many hosts is listed once with its hosts; failed hosts keep their own line. Without `group`
// (plain lines, CI logs) every host keeps its line, as Ansible prints it.
import { describe, expect, it } from 'vitest';
import type { HostStats, RecapEvent } from './events.js';
import { formatRecap } from './recap.js';

const stats = (s: Partial<HostStats>): HostStats => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...s });

function recap(): RecapEvent {
  const hosts: Record<string, HostStats> = {};
  for (let i = 1; i <= 30; i++) hosts[`n${String(i).padStart(2, '0')}`] = stats(i === 7 || i === 9 ? { ok: 1, failed: 1 } : i > 25 ? { ok: 3 } : { ok: 3, changed: 1 });
  const failure = { task: 'Check disk', where: 'site.yml:9', msg: 'non-zero return code 7', exitCode: 7 };
  return { type: 'recap', hosts, notStarted: [], pendingHandlers: {}, failures: [{ host: 'n07', ...failure }, { host: 'n09', ...failure }], interrupted: false, durationMs: 1000, exitCode: 2 };
}

describe('grouped recap', () => {
  it('groups equal hosts and equal failures', () => {
    const text = formatRecap(recap(), { group: true });
    expect(text).toContain('n01, n02, n03 +20 (23 hosts)  : ok=3        changed=1   unreachable=0   failed=0');
    expect(text).toContain('n26, n27, n28 +2 (5 hosts)    : ok=3        changed=0   unreachable=0   failed=0');
    expect(text).toMatch(/^n07 +: ok=1 +changed=0 +unreachable=0 +failed=1/m);
    expect(text).toMatch(/^n09 +: ok=1 +changed=0 +unreachable=0 +failed=1/m);
    expect(text).toContain('FAILURES (2)\n✖ n07, n09 (2 hosts)  Check disk  (site.yml:9)  exit code 7\n    non-zero return code 7\n');
    expect(text.split('\n').filter((l) => l.includes(': ok='))).toHaveLength(4);
  });

  it('without grouping every host has its line', () => {
    const text = formatRecap(recap());
    expect(text.split('\n').filter((l) => l.includes(': ok='))).toHaveLength(30);
    expect(text).toContain('✖ n07  Check disk');
    expect(text).toContain('✖ n09  Check disk');
  });
});
