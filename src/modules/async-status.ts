// async jobs on the host, as Ansible's async_wrapper keeps them: a job started by a task with
// `async: N` runs detached (setsid: its own session, so a closed connection or Ctrl-C does not
// end it) and its result is Ansible's JSON file `~/.ansible_async/<jid>` in the home of the user
// it runs as (the become user). The file says `{"started": 1, "finished": 0, ...}` while the job
// runs and holds the module's result when it ends; a watchdog kills the job's process group
// after N seconds and writes `{"failed": true, "msg": "Timeout exceeded"}` instead.
// `async_status` (this module) reads that file; the engine (src/engine/async.ts) starts jobs and
// polls them with it.
//
// Only command, shell and raw run as jobs: runbook's other modules decide on the controller
// between host commands (probe, plan, then the change), so there is no single host process to
// detach; the loader refuses `async` on them (src/playbook/load.ts).
import { randomInt } from 'node:crypto';
import { raw, sh, type ShellCommand } from '../transport/command.js';
import { planEnv } from './contract.js';
import { planCommand, type CommandArgs, type CommandKind } from './command.js';
import { FAIL_MARKER } from './runner.js';
import { defineModule } from './runner.js';
import type { ModuleContext, ModuleResult } from './types.js';
import { expandHomeArgs } from './util/home.js';
import { moduleSchema, normalizeArgs } from './util/schema.js';
import type { SchemaObject } from 'ajv';

/** `~/.ansible_async` of the user the command runs as, from the passwd database (sudo may keep $HOME) */
const ASYNC_DIR = raw(`h=$(getent passwd "$(id -u)" | cut -d: -f6); d="\${ANSIBLE_ASYNC_DIR:-\${h:-$HOME}/.ansible_async}"`);

/** seconds past the limit before the watchdog kills a job */
export const KILL_GRACE_S = 5;

/**
 * A file's text as the inside of a JSON string, trailing empty lines dropped (the command
 * module's strip_empty_ends). Strings are joined, never built with gsub replacements, whose
 * backslash rules differ between awk implementations.
 */
const JSON_TEXT_AWK = [
  'function rep(s, c, r,   n, p, o, j) { n = split(s, p, c); o = p[1]; for (j = 2; j <= n; j++) o = o r p[j]; return o }',
  'BEGIN { B = sprintf("%c", 92) }',
  '{ l[++n] = $0 }',
  'END {',
  '  while (n > 0 && l[n] ~ /^\\r*$/) n--',
  '  for (i = 1; i <= n; i++) {',
  '    s = rep(l[i], "\\\\\\\\", B B); s = rep(s, "\\"", B "\\""); s = rep(s, "\\t", B "t"); s = rep(s, "\\r", B "r")',
  '    gsub(/[\\001-\\010\\013\\014\\016-\\037]/, "?", s)',
  '    printf "%s%s", (i > 1 ? B "n" : ""), s',
  '  }',
  '}',
].join('\n');

/**
 * The job itself, run detached as `sh -c JOB rb-async FILE LIMIT CMDJSON MARKER NOTRUNJSON`:
 * a watchdog that kills the whole process group at the limit, the command with its output in
 * files next to the result, then the result written atomically (temp file + rename).
 */
function jobScript(body: ShellCommand, cwd: string | undefined): string {
  const run = cwd !== undefined ? sh`cd ${cwd} && ${body}` : body;
  return [
    'f=$1; limit=$2; je() { awk ' + sh`${JSON_TEXT_AWK}`.toShell() + ' "$1"; }',
    // killed KILL_GRACE_S after the limit, as Ansible's watcher (checking every 5 s) is late too:
    // a task polling its job reports "did not complete within the requested time" first
    `( i=0; while [ "$i" -lt $((limit + ${KILL_GRACE_S})) ]; do sleep 1; i=$((i+1)); done`,
    '  printf \'{"failed": true, "msg": "Timeout exceeded", "child_pid": %s}\' "$$" > "$f.tmp" && mv -f "$f.tmp" "$f"',
    '  rm -f "$f.in" "$f.out" "$f.err"; kill -KILL -$$ ) </dev/null >/dev/null 2>&1 &',
    'wd=$!',
    's=$(date \'+%Y-%m-%d %H:%M:%S.%N\' | cut -c1-26); s0=$(date +%s%N)',
    `( ${run.toShell()}\n) <"$f.in" >"$f.out" 2>"$f.err"; rc=$?`,
    'kill "$wd" 2>/dev/null',
    'e=$(date \'+%Y-%m-%d %H:%M:%S.%N\' | cut -c1-26); us=$(( ($(date +%s%N) - s0) / 1000 )); t=$((us / 1000000))',
    'dl=$(printf \'%d:%02d:%02d.%06d\' $((t / 3600)) $((t / 60 % 60)) $((t % 60)) $((us % 1000000)))',
    'if [ -n "$4" ] && [ "$(cat "$f.out")" = "$4" ]; then printf \'%s\' "$5" > "$f.tmp"',
    'else',
    '  if [ "$rc" -eq 0 ]; then fl=false; m=""; else fl=true; m="non-zero return code"; fi',
    '  { printf \'{"cmd": %s, "rc": %d, "stdout": "\' "$3" "$rc"; je "$f.out"; printf \'", "stderr": "\'; je "$f.err"',
    '    printf \'", "start": "%s", "end": "%s", "delta": "%s", "changed": true, "failed": %s, "msg": "%s"}\' "$s" "$e" "$dl" "$fl" "$m"; } > "$f.tmp"',
    'fi',
    'mv -f "$f.tmp" "$f"; rm -f "$f.in" "$f.out" "$f.err"',
  ].join('\n');
}

/**
 * Start `command`/`shell`/`raw` as a job: the jid is Ansible's form (`<random>.<pid>`), the
 * result file is written before the job starts (so async_status finds it at once), and the
 * command's stdin is kept in a file for the job. Returns what Ansible's poll: 0 registers.
 */
export async function startAsyncJob(ctx: ModuleContext, kind: CommandKind, schema: SchemaObject, given: Record<string, unknown>, limitS: number): Promise<ModuleResult> {
  const env = planEnv(ctx);
  const args = await expandHomeArgs(ctx, normalizeArgs<CommandArgs>(schema, given), kind === 'raw' ? [] : ['chdir', 'creates', 'removes']);
  const plan = planCommand(kind, args, env);
  if (plan.error) return { changed: false, failed: true, msg: plan.error, data: { rc: 256, cmd: plan.cmd } };
  const reason = args.creates !== undefined ? `'${args.creates}' exists` : `'${args.removes}' does not exist`;
  const notRun = { cmd: plan.cmd, rc: 0, stdout: `skipped, since ${reason}`, stderr: '', changed: false, failed: false, msg: `Did not run command since ${reason}` };
  const job = jobScript(plan.command, plan.cwd);
  const rand = String(randomInt(0, 1e12));
  const launch = sh`umask 077; ${ASYNC_DIR}
if ! command -v setsid >/dev/null 2>&1; then echo ${`${FAIL_MARKER}async needs setsid on the host (util-linux)`} >&2; exit 1; fi
mkdir -p "$d" || { echo "${raw(FAIL_MARKER)}could not create directory: $d" >&2; exit 1; }
jid=${rand}.$$; f="$d/$jid"
printf '{"started": 1, "finished": 0, "ansible_job_id": "%s"}' "$jid" > "$f" || exit 1
${plan.stdin !== undefined ? raw('cat > "$f.in"') : raw(': > "$f.in"')}
setsid sh -c ${job} rb-async "$f" ${String(limitS)} ${JSON.stringify(plan.cmd)} ${plan.skipMarker ?? ''} ${JSON.stringify(notRun)} </dev/null >/dev/null 2>&1 &
printf '%s\\n%s\\n' "$jid" "$f"`;
  const r = await ctx.exec(launch, plan.stdin !== undefined ? { stdin: plan.stdin } : {});
  const [jid, file] = r.stdout.split('\n');
  if (!r.ok || !jid || !file) {
    const why = r.stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER))?.slice(FAIL_MARKER.length) ?? (r.stderr.trim() || `exit code ${r.exitCode ?? '(none)'}`);
    return { changed: false, failed: true, msg: `could not start the async job: ${why}` };
  }
  // Ansible reports a started job as changed (its action plugin sets it, "for backwards compat")
  return { changed: true, data: { started: 1, finished: 0, ansible_job_id: jid, results_file: file } };
}

export interface AsyncStatusArgs {
  jid: string;
  mode?: 'status' | 'cleanup';
}

const JID = /^[A-Za-z0-9_.-]+$/;

/**
 * Ansible's async_status: `status` reads the job's file (a missing file: "could not find job";
 * a finished job's file is erased once read, as Ansible's action plugin does); `cleanup`
 * removes it (and the job's temporary files) without waiting for the job.
 */
export async function asyncStatus(ctx: ModuleContext, args: AsyncStatusArgs): Promise<ModuleResult> {
  const jid = args.jid;
  if (!JID.test(jid) || jid.startsWith('.')) return { changed: false, failed: true, msg: `invalid jid '${jid}': a job id is letters, digits, '.', '_' and '-'`, data: { ansible_job_id: jid } };
  const files = sh`f="$d"/${jid}`;
  if ((args.mode ?? 'status') === 'cleanup') {
    const r = await ctx.exec(sh`${ASYNC_DIR}; ${files}; rm -f "$f" "$f.tmp" "$f.in" "$f.out" "$f.err"; printf '%s' "$f"`);
    return { changed: false, data: { ansible_job_id: jid, erased: r.stdout } };
  }
  // a job's own result (not the launcher's `{"started": ...` line) is final: removed once read,
  // in the same command, as Ansible's action plugin erases it. The file is read once: the job
  // may rename its result over it between two reads, and the launcher's line must never be
  // what decides to remove the result
  const r = await ctx.exec(
    sh`${ASYNC_DIR}; ${files}; printf '%s\\n' "$f"; if [ -f "$f" ]; then c=$(cat "$f") || exit 1; printf '%s' "$c"; case $c in '{"started":'*) ;; *) rm -f "$f" ;; esac; else echo @@missing; fi`,
  );
  const nl = r.stdout.indexOf('\n');
  const file = r.stdout.slice(0, nl < 0 ? undefined : nl);
  const text = nl < 0 ? '' : r.stdout.slice(nl + 1);
  const base = { ansible_job_id: jid, results_file: file, started: 1, finished: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
  if (!r.ok) return { changed: false, failed: true, msg: `could not read the job's file ${file}: ${r.stderr.trim()}`, data: base };
  if (text === '@@missing\n') return { changed: false, failed: true, msg: 'could not find job', data: { ...base, finished: 1 } };
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    data = parsed as Record<string, unknown>;
  } catch {
    // an empty file is a job still writing its first line
    if (text.trim() === '') return { changed: false, data: base };
    return { changed: false, failed: true, msg: `Could not parse job output: ${text}`, data: { ...base, finished: 1, erased: file } };
  }
  const out: Record<string, unknown> = { ...base, ...data };
  if (!('started' in data)) {
    // the job's own result: it has finished (its file was removed by the command that read it)
    out.finished = 1;
    out.ansible_job_id = jid;
    out.erased = file;
  } else if (!('finished' in data)) out.finished = 0;
  for (const k of ['started', 'finished']) if (typeof out[k] === 'boolean') out[k] = out[k] ? 1 : 0;
  const { changed, failed, msg, skipped, ...rest } = out;
  if (typeof rest.stdout === 'string' && (!Array.isArray(rest.stdout_lines) || rest.stdout_lines.length === 0)) rest.stdout_lines = rest.stdout === '' ? [] : rest.stdout.split('\n');
  if (typeof rest.stderr === 'string' && (!Array.isArray(rest.stderr_lines) || rest.stderr_lines.length === 0)) rest.stderr_lines = rest.stderr === '' ? [] : rest.stderr.split('\n');
  return {
    changed: changed === true,
    ...(failed === true || failed === 1 ? { failed: true } : {}),
    ...(typeof msg === 'string' ? { msg } : {}),
    ...(skipped === true ? { skipped: true } : {}),
    data: rest,
  };
}

export const asyncStatusModule = defineModule<AsyncStatusArgs>({
  name: 'async_status',
  schema: moduleSchema({
    properties: {
      jid: { type: 'string', minLength: 1, description: 'the job id: the `ansible_job_id` a task with `async` and `poll: 0` registered' },
      mode: { type: 'string', enum: ['status', 'cleanup'], default: 'status', description: '`status`: read the job\'s state and result; `cleanup`: remove the job\'s file without waiting for it' },
    },
    required: ['jid'],
  }),
  doc: {
    short: 'Read the state of an async job (a task run with `async` and `poll: 0`), or clean it up',
    description:
      'Reads `~/.ansible_async/<jid>` in the home of the user the task runs as (use the same `become` as the task that started the job). While the job runs: `started: 1, finished: 0`; when it has ended: `finished: 1` and the job\'s result (`rc`, `stdout`, `stderr`, ... for command/shell/raw), and the file is removed. Use it in an `until` loop: `until: job.finished`.',
    returns: {
      ansible_job_id: 'the job id',
      started: '1 once the job has started',
      finished: '1 when the job has ended (its result is merged in), else 0',
      results_file: 'the job\'s result file on the host',
      erased: 'the file removed (cleanup, or a finished job\'s file once read)',
    },
    example:
      '- command: /usr/local/bin/long-backup\n  async: 3600\n  poll: 0\n  register: backup\n- async_status:\n    jid: "{{ backup.ansible_job_id }}"\n  register: job\n  until: job.finished\n  retries: 100\n  delay: 10',
    notes: ['A job that ran past its `async` limit was killed on the host and reads `failed: true, msg: Timeout exceeded`.'],
  },
  run: asyncStatus,
});
