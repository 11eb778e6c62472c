// wait_for: wait on the host until a TCP port opens or closes, or a path appears or goes away.
// The whole wait is ONE remote command: a small shell loop (bash's /dev/tcp for ports, bounded
// by `timeout` so a filtered port cannot hang a probe).
import { sh, type ShellCommand } from '../transport/command.js';
import type { ModuleDefinition, ModuleResult } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

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

export const waitForModule: ModuleDefinition<WaitForArgs> = defineModule({
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
    description: 'The wait is one remote command (a shell loop); ports are tried with bash\'s /dev/tcp under `timeout`, so it works without nc. Without port and path it just sleeps `timeout` seconds.',
    returns: { elapsed: 'seconds waited', port: 'the port', path: 'the path', state: 'the state waited for' },
    example: '- wait_for:\n    port: 80\n    state: stopped\n    timeout: 30',
    notes: ['It also runs in --check: waiting changes nothing.'],
  },
  async run(ctx, args): Promise<ModuleResult> {
    const started = Date.now();
    const data: Record<string, unknown> = { state: args.state ?? 'started' };
    if (args.port !== undefined) data.port = args.port;
    if (args.path !== undefined) data.path = args.path;
    if (args.port === undefined && args.path === undefined) {
      await new Promise((r) => setTimeout(r, ((args.delay ?? 0) + (args.timeout ?? 300)) * 1000));
      return { changed: false, msg: `waited ${args.timeout ?? 300}s`, data: { elapsed: Math.round((Date.now() - started) / 1000) } };
    }
    const cmd = waitForCommand(args);
    if ('error' in cmd) return { changed: false, failed: true, msg: cmd.error };
    const r = await ctx.exec(cmd, { timeoutMs: ((args.timeout ?? 300) + (args.delay ?? 0) + 60) * 1000 });
    data.elapsed = Math.round((Date.now() - started) / 1000);
    const target = args.port !== undefined ? `${args.host ?? '127.0.0.1'}:${args.port}` : args.path;
    if (r.ok) return { changed: false, msg: `${target} is ${data.state as string} (after ${data.elapsed as number}s)`, data };
    const marked = r.stderr.split('\n').find((l) => l.startsWith('runbook-fail: '));
    if (marked) return { changed: false, failed: true, msg: marked.slice(14), data };
    return { changed: false, failed: true, msg: args.msg ?? `Timeout when waiting for ${target} to be ${data.state as string} (${args.timeout ?? 300}s)`, data };
  },
});
