// wait_for: wait on the host until a TCP port opens or closes, or a path appears or goes away.
// The whole wait is ONE remote command: a small shell loop (bash's /dev/tcp for ports, bounded
// by `timeout` so a filtered port cannot hang a probe). Waiting changes nothing, so the loop is
// the module's probe (it runs in --check too, as Ansible's wait_for does) and the plan reads
// its outcome.
import { sh, type ShellCommand } from '../transport/command.js';
import type { Fact } from '../facts/types.js';
import { failPlan, noop, type Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, FAIL_MARKER } from './runner.js';

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  search_regex?: string;
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  msg?: string;
}

/** The loop as one shell command: exit 0 when the condition holds, 1 on timeout. */
export function waitForCommand(args: WaitForArgs): ShellCommand | { error: string } {
  const state = args.state ?? 'started';
  const timeout = args.timeout ?? 300;
  const delay = args.delay ?? 0;
  const pause = args.sleep ?? 1;
  let test: ShellCommand;
  if (args.port !== undefined) {
    if (state !== 'started' && state !== 'stopped') return { error: `with port, state must be started or stopped (not ${state})` };
    const host = args.host ?? '127.0.0.1';
    const ct = args.connect_timeout ?? 5;
    const open = sh`timeout ${ct} bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${host} ${args.port} 2>/dev/null`;
    test = state === 'started' ? open : sh`! ${open}`;
  } else if (args.path !== undefined) {
    if (state === 'present' || state === 'started') {
      test = args.search_regex !== undefined ? sh`grep -qE -- ${args.search_regex} ${args.path} 2>/dev/null` : sh`[ -e ${args.path} ]`;
    } else test = sh`[ ! -e ${args.path} ]`;
  } else {
    return { error: 'give port (with host) or path to wait for; to just pause, use delay with timeout' };
  }
  const needBash = args.port !== undefined ? sh`command -v bash >/dev/null || { echo 'runbook-fail: wait_for on a port needs bash on the host' >&2; exit 2; }; ` : sh``;
  return sh`${needBash}sleep ${delay}; end=$(( $(date +%s) + ${timeout} )); while :; do if ${test}; then exit 0; fi; if [ "$(date +%s)" -ge "$end" ]; then exit 1; fi; sleep ${pause}; done`;
}

/** How the wait ended: the loop's exit code, seconds waited (host clock), a marked reason. */
export interface WaitOutcome {
  rc: number | null;
  elapsed: number;
  marked?: string;
}

export function parseWait(stdout: string, stderr: string, exitCode: number | null): WaitOutcome {
  const m = /@@wait (\d+) (\d+)/.exec(stdout);
  const marked = stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER));
  const out: WaitOutcome = { rc: m ? Number(m[1]) : exitCode === 0 ? 1 : exitCode, elapsed: m ? Number(m[2]) : 0 };
  if (marked) out.marked = marked.slice(FAIL_MARKER.length);
  return out;
}

/** The wait as a host fact (no port and no path: a plain sleep of `timeout` seconds, as Ansible). */
export function waitForFact(args: WaitForArgs): Fact<WaitOutcome> | undefined {
  const loop = args.port === undefined && args.path === undefined ? sh`sleep ${(args.delay ?? 0) + (args.timeout ?? 300)}` : waitForCommand(args);
  if ('error' in loop) return undefined;
  return { name: 'wait_for', command: sh`_rb_s=$(date +%s); (${loop}); printf '@@wait %s %s\\n' "$?" "$(( $(date +%s) - _rb_s ))"`, parse: parseWait };
}

export function planWaitFor(args: WaitForArgs, w: WaitOutcome | undefined): Plan {
  const state = args.state ?? 'started';
  const data: Record<string, unknown> = { state };
  if (args.port !== undefined) data.port = args.port;
  if (args.path !== undefined) data.path = args.path;
  if (args.search_regex !== undefined) data.search_regex = args.search_regex;
  const cmd = args.port === undefined && args.path === undefined ? undefined : waitForCommand(args);
  if (cmd && 'error' in cmd) return failPlan(cmd.error, data);
  if (!w) return failPlan('wait_for: nothing to wait for', data);
  data.elapsed = w.elapsed;
  if (cmd === undefined) return noop(`waited ${args.timeout ?? 300}s`, data);
  const target = args.port !== undefined ? `${args.host ?? '127.0.0.1'}:${args.port}` : args.path;
  if (w.rc === 0) return noop(`${target} is ${state} (after ${w.elapsed}s)`, data);
  if (w.marked !== undefined) return failPlan(w.marked, data);
  return failPlan(args.msg ?? `Timeout when waiting for ${target} to be ${state} (${args.timeout ?? 300}s)`, data);
}

export const waitForModule = defineModule<WaitForArgs, WaitOutcome | undefined>({
  name: 'wait_for',
  schema: moduleSchema({
    properties: {
      host: { type: 'string', default: '127.0.0.1', description: 'address to connect to, from the host' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port to wait for' },
      path: { type: 'string', description: 'file to wait for' },
      state: {
        type: 'string',
        enum: ['started', 'stopped', 'present', 'absent'],
        default: 'started',
        description: 'port: `started` (accepts connections) or `stopped`; path: `present` or `absent`',
      },
      search_regex: { type: 'string', description: 'path: wait until the file contains a match (extended regex)' },
      timeout: { type: 'integer', minimum: 0, default: 300, description: 'seconds to wait at most' },
      delay: { type: 'integer', minimum: 0, default: 0, description: 'seconds to wait before the first check' },
      sleep: { type: 'integer', minimum: 1, default: 1, description: 'seconds between checks' },
      connect_timeout: { type: 'integer', minimum: 1, default: 5, description: 'seconds a single connection attempt may take' },
      msg: { type: 'string', description: 'message on timeout' },
    },
  }),
  doc: {
    short: 'Wait until a port opens or closes, or a file appears or goes away, on the host',
    description: 'The wait is one remote command (a shell loop); ports are tried with bash\'s /dev/tcp under `timeout`, so it works without nc. Without port and path it just sleeps `timeout` seconds (on the host).',
    returns: { elapsed: 'seconds waited (host clock)', port: 'the port', path: 'the path', state: 'the state waited for', search_regex: 'the search_regex' },
    example: '- wait_for:\n    port: 80\n    state: stopped\n    timeout: 30',
    notes: ['It also runs in --check: waiting changes nothing.'],
  },
  probe: (args) => waitForFact(args),
  plan: planWaitFor,
});
