// `runbook validate` of each shipped playbook against the fleet example inventory, startup
// included: wall time (spawn to exit) and CPU time (user+sys of the process, /usr/bin/time),
// medians and min/max over N runs. The target (issue 19) is < 300 ms wall; CPU is reported too
// because on a shared machine wall time mostly measures the load.
//
//   npx tsx bench/validate.ts [RUNS]     # alone, no lab needed (run `npm run build` first)
// `npm run bench` runs it too, after the fleet sizes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INVENTORY = 'examples/fleet/inventory.yml';

export interface ValidateTiming {
  playbook: string;
  wallMs: { median: number; min: number; max: number };
  cpuMs: { median: number; min: number; max: number };
  ok: boolean;
  note?: string;
}

const stats = (xs: number[]): { median: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? NaN, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
};

/** Each shipped playbook validated `n` times (interleaved) with the runbook of checkout `dir`. */
export function timeValidate(dir: string, n: number): ValidateTiming[] {
  const books = readdirSync(join(REPO, 'playbooks')).filter((f) => f.endsWith('.yml')).sort().map((f) => join('playbooks', f));
  const tmp = mkdtempSync(join(tmpdir(), 'runbook-bench-validate-'));
  const timeFile = join(tmp, 'time');
  const rows = books.map((playbook) => ({ playbook, wall: [] as number[], cpu: [] as number[], note: undefined as string | undefined }));
  try {
    for (let i = 0; i < n; i++) {
      for (const row of rows) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', 'node', join(dir, 'bin', 'runbook.js'), 'validate', row.playbook, '-i', INVENTORY], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
        row.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.error !== undefined) row.note = `cannot run /usr/bin/time: ${r.error.message}`;
        else if (r.status !== 0) row.note = `exit ${String(r.status)}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`;
        const [user, sys] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
        if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) row.cpu.push((user + sys) * 1000);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows.map((r) => ({ playbook: r.playbook, wallMs: stats(r.wall), cpuMs: stats(r.cpu), ok: r.note === undefined, ...(r.note !== undefined ? { note: r.note } : {}) }));
}

/** One line per playbook for the report. */
export function validateLines(timings: ValidateTiming[], n: number): string[] {
  return timings.map((t) =>
    t.ok
      ? `\`runbook validate ${t.playbook} -i ${INVENTORY}\` (startup included), ${n} runs: wall ${t.wallMs.median.toFixed(0)} ms median [${t.wallMs.min.toFixed(0)}–${t.wallMs.max.toFixed(0)}], CPU (user+sys) ${t.cpuMs.median.toFixed(0)} ms median [${t.cpuMs.min.toFixed(0)}–${t.cpuMs.max.toFixed(0)}] → ${t.wallMs.median < 300 ? 'met' : 'MISSED'} (target < 300 ms wall)`
      : `\`runbook validate ${t.playbook}\`: FAILED (${t.note ?? ''})`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? '9');
  process.stdout.write(`${validateLines(timeValidate(REPO, n), n).join('\n')}\n`);
}
