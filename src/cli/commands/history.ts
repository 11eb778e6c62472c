// `runbook history`: the runs of `apply` and `run` the store recorded (src/store/history.ts).
// Without RUN a list, newest first; with RUN one run: its batches, each host's state, the failed
// tasks with their output. --failed / --host NAME filter both ("which nodes missed the last
// rollout": `runbook history --failed`, then `runbook history RUN --failed`). --resume hands
// the run to `runbook apply --resume RUN`.
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { defaultStorePath } from '../../store/paths.js';
import { UsageError } from '../../util/errors.js';
import type { RunDetail, RunRow } from '../../store/history.js';
import { applyCommand } from './apply.js';

export const historyCommand: Command = {
  name: 'history',
  help: `Usage: runbook history [RUN] [options]

Every run of \`runbook apply\` and \`runbook run\` is recorded while it goes in the store
(RUNBOOK_STORE, default ~/.local/state/runbook/runbook.db): who ran it, when, the playbook
and its sha256 digest, the options, each host's result per task (with the end of its output,
secrets masked) and the recap. Kept: the last history_keep runs (default 500) and, if set,
history_keep_days days (runbook.cfg [defaults] or RUNBOOK_HISTORY_KEEP / _DAYS).

Without RUN: the runs, newest first. With RUN: that run's batches, hosts and failed tasks.

Options:
      --failed        only runs where some host failed, was unreachable or was not done;
                      with RUN, only those hosts and their failed tasks
      --host NAME     only runs that included NAME; with RUN, only NAME's results
      --all           with RUN: every task result (not only the failed ones)
  -n, --last N        list at most N runs (default 20)
      --json          JSON instead of text
      --resume        with RUN: continue that rollout (runbook apply --resume RUN)
      --force         with --resume: even though the playbook changed
  -h, --help          show this help

Status: running, died (the controller was killed: --resume continues it), ok, failed,
unreachable, deferred, stopped (the failure budget, fail_fast, max_fail_percentage),
interrupted (Ctrl-C or a refused approval).
`,
  options: {
    failed: { type: 'boolean' },
    host: { type: 'string' },
    all: { type: 'boolean' },
    last: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
    resume: { type: 'boolean' },
    force: { type: 'boolean' },
  },
  run: runHistory,
};

async function runHistory(args: ParsedArgs, io: CommandIo): Promise<number> {
  const v = args.values;
  const [runArg, ...rest] = args.positionals;
  if (rest.length > 0 || (runArg !== undefined && !/^\d+$/.test(runArg))) throw new UsageError(`runbook history: RUN is a run number, got '${args.positionals.join(' ')}'`);
  if (v.resume === true) {
    if (runArg === undefined) throw new UsageError('runbook history --resume: which run? runbook history RUN --resume');
    return applyCommand.run({ values: { resume: true, ...(v.force === true ? { force: true } : {}), ...(v.json === true ? { json: true } : {}) }, positionals: [runArg] }, io);
  }
  const { openStore } = await import('../../store/db.js');
  const h = await import('../../store/history.js');
  const store = openStore(defaultStorePath(io.env), [h.historyArea]);
  try {
    const host = typeof v.host === 'string' ? v.host : undefined;
    const failed = v.failed === true;
    if (runArg === undefined) {
      const last = typeof v.last === 'string' ? Number(v.last) : 20;
      if (!Number.isInteger(last) || last < 1) throw new UsageError(`runbook history: --last must be a whole number >= 1, got '${String(v.last)}'`);
      const runs = h.listRuns(store.db, { ...(host !== undefined ? { host } : {}), failed, limit: last });
      io.stdout.write(v.json === true ? `${JSON.stringify(runs)}\n` : formatList(runs, host));
      return 0;
    }
    const detail = h.runDetail(store.db, Number(runArg), { ...(host !== undefined ? { host } : {}), failed: failed || v.all !== true });
    if (!detail) throw new UsageError(`runbook history: no run ${runArg} in ${store.path}`);
    if (v.json === true) io.stdout.write(`${JSON.stringify(detail)}\n`);
    else io.stdout.write(formatRun(detail, { ...(host !== undefined ? { host } : {}), failed }));
    return 0;
  } finally {
    store.close();
  }
}

function counts(run: RunRow): { total: number; bad: number; notDone: number } {
  const states = Object.values(run.hosts);
  return { total: states.length, bad: states.filter((s) => s === 'failed' || s === 'unreachable').length, notDone: states.filter((s) => s === 'running' || s === 'stopped').length };
}

function formatList(runs: RunRow[], host: string | undefined): string {
  if (runs.length === 0) return 'no runs recorded\n';
  const lines = [`${'RUN'.padEnd(6)}${'STARTED'.padEnd(21)}${'USER'.padEnd(12)}${'STATUS'.padEnd(13)}${'HOSTS'.padEnd(7)}${'FAILED'.padEnd(8)}${host !== undefined ? `${host.padEnd(12)}` : ''}PLAYBOOK`];
  for (const r of runs) {
    const c = counts(r);
    const resumed = r.resumeOf !== undefined ? ` (resumes ${r.resumeOf})` : '';
    lines.push(
      `${String(r.id).padEnd(6)}${r.startedAt.replace('T', ' ').slice(0, 19).padEnd(21)}${r.user.slice(0, 11).padEnd(12)}${r.status.padEnd(13)}${String(c.total).padEnd(7)}${String(c.bad).padEnd(8)}${host !== undefined ? (r.hosts[host] ?? '').padEnd(12) : ''}${r.kind === 'run' ? 'run: ' : ''}${r.playbook}${resumed}`,
    );
  }
  return lines.join('\n') + '\n';
}

function formatRun(d: RunDetail, f: { host?: string; failed: boolean }): string {
  const r = d.run;
  const lines = [
    `run ${r.id}: ${r.kind} ${r.playbook}`,
    `  status   ${r.status}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${r.stopped ? `: ${r.stopped}` : ''}`,
    `  by       ${r.user} on ${r.controller}, ${r.startedAt}${r.endedAt ? ` to ${r.endedAt}` : ''}`,
    `  digest   sha256:${r.digest} (${r.files.length} file${r.files.length === 1 ? '' : 's'})`,
  ];
  if (r.resumeOf !== undefined) lines.push(`  resumes  run ${r.resumeOf}`);
  if (r.resumedBy !== undefined) lines.push(`  resumed  by run ${r.resumedBy}`);
  if (r.status === 'died') lines.push(`  the controller died during this run: 'runbook apply --resume ${r.id}' continues it`);
  for (const b of d.batches) {
    const approval = b.approval ? `, approval: ${b.approval.decision} (${b.approval.by})` : '';
    lines.push(`  play ${b.play + 1} batch ${b.batch}/${b.batches}: ${b.hosts.length} hosts, ${b.endedAt ? 'ended' : 'did not end'}${b.stopped ? `, stopped: ${b.stopped}` : ''}${approval}`);
  }
  const hosts = Object.entries(r.hosts).filter(([n, s]) => (f.host === undefined || n === f.host) && (!f.failed || (s !== 'ok' && s !== 'deferred')));
  lines.push(`hosts${f.failed ? ' that failed, were unreachable or were not done' : ''}:`);
  for (const [n, s] of hosts) lines.push(`  ${n.padEnd(24)} ${s}`);
  if (hosts.length === 0) lines.push('  (none)');
  lines.push(d.results.some((x) => x.status === 'failed' || x.status === 'unreachable') || f.host === undefined ? 'failed tasks:' : 'results:');
  for (const x of d.results) {
    lines.push(`  ${x.host}: ${x.task} [${x.status}] ${x.location}${x.msg ? `: ${x.msg.split('\n')[0] ?? ''}` : ''}`);
    if (x.output) for (const l of x.output.trimEnd().split('\n').slice(-10)) lines.push(`      | ${l}`);
  }
  if (d.results.length === 0) lines.push('  (none)');
  return lines.join('\n') + '\n';
}
