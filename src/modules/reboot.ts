// reboot: reboot the host and wait until it is back, as Ansible's reboot action does: read the
// boot time (boot_time_command), run the reboot command (the connection may drop under it),
// wait post_reboot_delay, then open the connection again until the boot time has changed, then
// until test_command succeeds, each within reboot_timeout. The engine's connection to the host
// is the one re-opened (ModuleContext.reconnect), so the next tasks run over the new one.
import { quote, rawCommand, type ShellCommand } from '../transport/command.js';
import type { ModuleContext, ModuleResult } from './types.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, FAIL_MARKER } from './runner.js';

export interface RebootArgs {
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  reboot_timeout?: number;
  connect_timeout?: number;
  test_command?: string;
  msg?: string;
  boot_time_command?: string;
  reboot_command?: string;
  search_paths?: string | string[];
}

export const DEFAULT_BOOT_TIME_COMMAND = 'cat /proc/sys/kernel/random/boot_id';
const DEFAULT_SEARCH_PATHS = ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin'];
const DEFAULT_MSG = 'Reboot initiated by Ansible';

/** Ansible clamps a negative delay to 0. */
const delay = (v: number | undefined): number => Math.max(0, Math.trunc(v ?? 0));

/** Python's repr of a list of strings, as Ansible's "not found" message prints search_paths. */
const pyList = (xs: readonly string[]): string => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/**
 * The one remote command that reboots, as Ansible builds it for Linux: the binary (first word of
 * reboot_command, default `shutdown`) looked for in search_paths unless it is absolute, run with
 * the rest of reboot_command (shell words, as Ansible's low-level command), or with
 * `-r MINUTES "MSG"` (pre_reboot_delay in whole minutes, rounded down).
 */
export function rebootCommand(args: RebootArgs): ShellCommand {
  let bin = 'shutdown';
  let rest: string;
  if (args.reboot_command !== undefined) {
    const trimmed = args.reboot_command.trim();
    const sp = trimmed.indexOf(' ');
    bin = sp < 0 ? trimmed : trimmed.slice(0, sp);
    rest = sp < 0 ? '' : trimmed.slice(sp + 1);
  } else {
    rest = `-r ${Math.floor(delay(args.pre_reboot_delay) / 60)} ${quote(args.msg ?? DEFAULT_MSG)}`;
  }
  const tail = rest === '' ? '' : ` ${rest}`;
  if (bin.startsWith('/')) return rawCommand(`${quote(bin)}${tail}`);
  const paths = args.search_paths === undefined ? DEFAULT_SEARCH_PATHS : typeof args.search_paths === 'string' ? [args.search_paths] : args.search_paths;
  const notFound = `${FAIL_MARKER}Unable to find command "${bin}" in search paths: ${pyList(paths)}`;
  return rawCommand(
    `rb_bin=; for rb_d in ${paths.map(quote).join(' ')}; do if [ -e "$rb_d"/${quote(bin)} ]; then rb_bin="$rb_d"/${quote(bin)}; break; fi; done; ` +
      `if [ -z "$rb_bin" ]; then printf '%s\\n' ${quote(notFound)} >&2; exit 127; fi; "$rb_bin"${tail}`,
  );
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).trim().split('\n').pop() ?? '';

/**
 * Ansible's do_until_success_or_timeout: try `step` until it resolves, backing off 2^n s plus up
 * to 1 s (at most 12 s) between tries; a step that throws is a failed try. Resolves with
 * undefined on success, else with the last error.
 */
async function untilSuccess(ctx: ModuleContext, timeoutS: number, step: () => Promise<void>): Promise<string | undefined> {
  const end = Date.now() + timeoutS * 1000;
  let fails = 0;
  let last = 'no try was made';
  while (Date.now() < end && !ctx.signal?.aborted) {
    try {
      await step();
      return undefined;
    } catch (err) {
      last = firstLine(err);
    }
    const jitter = Math.random();
    await sleep(Math.min(Math.min(2 ** fails, 12) + jitter, Math.max(0, (end - Date.now()) / 1000)) * 1000, ctx.signal);
    fails++;
  }
  return ctx.signal?.aborted ? 'interrupted' : last;
}

async function runReboot(ctx: ModuleContext, args: RebootArgs): Promise<ModuleResult> {
  if (ctx.localConnection) {
    return { changed: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.', data: { rebooted: false, elapsed: 0 } };
  }
  if (ctx.check) return { changed: true, msg: 'would reboot', data: { rebooted: true, elapsed: 0 } };
  const reconnect = ctx.reconnect?.bind(ctx);
  if (!reconnect) return { changed: false, failed: true, msg: 'reboot: the connection to this host cannot be opened again here', data: { rebooted: false, elapsed: 0 } };
  const timeoutS = args.reboot_timeout ?? 600;
  const bootCmd = rawCommand(args.boot_time_command ?? DEFAULT_BOOT_TIME_COMMAND);
  const bootTime = async (): Promise<string> => {
    const r = await ctx.exec(bootCmd, { timeoutMs: 30_000 });
    if (!r.ok) throw new Error(`reboot: failed to get host boot time info, rc: ${r.exitCode ?? 'none'}, stdout: ${r.stdout.trim()}, stderr: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  let before: string;
  try {
    before = await bootTime();
  } catch (err) {
    return { changed: false, failed: true, msg: err instanceof Error ? err.message : String(err), data: { rebooted: false, elapsed: 0 } };
  }

  ctx.progress('rebooting');
  try {
    const r = await ctx.exec(rebootCommand(args), { timeoutMs: 60_000 });
    // no exit status: the connection went down under the command, as the host does (Ansible carries on)
    if (!r.ok && r.exitCode !== null) {
      const marked = r.stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER));
      const msg = marked ? marked.slice(FAIL_MARKER.length) : `Reboot command failed. Error was: '${r.stdout.trim()}, ${r.stderr.trim()}'`;
      return { changed: false, failed: true, msg, data: { rebooted: false, elapsed: 0 } };
    }
  } catch {
    // the connection dropped under the command: the host is going down, as intended
  }
  const start = Date.now();
  const elapsed = (): number => Math.floor((Date.now() - start) / 1000);
  await sleep(delay(args.post_reboot_delay) * 1000, ctx.signal);

  // without connect_timeout, the connection's own timeout applies (as Ansible); the remaining time caps it
  const connectMs = args.connect_timeout !== undefined ? args.connect_timeout * 1000 : timeoutS * 1000;
  const bootErr = await untilSuccess(ctx, timeoutS, async () => {
    await reconnect(Math.max(1000, connectMs));
    const now = await bootTime();
    // an empty answer just before going down is no new boot (Ansible: FreeBSD)
    if (now === '' || now === before) throw new Error('boot time has not changed');
  });
  if (bootErr !== undefined) {
    return { changed: false, failed: true, msg: `Timed out waiting for last boot time check (timeout=${timeoutS}): ${bootErr}`, data: { rebooted: true, elapsed: elapsed() } };
  }
  const testCmd = rawCommand(args.test_command ?? 'whoami');
  const testErr = await untilSuccess(ctx, timeoutS, async () => {
    let r;
    try {
      r = await ctx.exec(testCmd, { timeoutMs: 60_000 });
    } catch (err) {
      // another reboot may have taken the connection: open it again for the next try
      await reconnect(Math.max(1000, connectMs)).catch(() => undefined);
      throw err;
    }
    if (!r.ok) throw new Error(`Test command failed: ${r.stderr.trim()} ${r.stdout.trim()}`);
  });
  if (testErr !== undefined) {
    return { changed: false, failed: true, msg: `Timed out waiting for post-reboot test command (timeout=${timeoutS}): ${testErr}`, data: { rebooted: true, elapsed: elapsed() } };
  }
  return { changed: true, msg: `rebooted in ${elapsed()}s`, data: { rebooted: true, elapsed: elapsed() } };
}

export const rebootModule = defineModule<RebootArgs>({
  name: 'reboot',
  schema: moduleSchema({
    properties: {
      pre_reboot_delay: { type: 'integer', default: 0, description: 'seconds to wait before the reboot, passed to `shutdown` in whole minutes (rounded down; under 60 is 0); negative is 0' },
      post_reboot_delay: { type: 'integer', default: 0, description: 'seconds to wait after the reboot command before checking the host' },
      reboot_timeout: { type: 'integer', minimum: 1, default: 600, description: 'seconds to wait for the boot time to change, and again for test_command to succeed' },
      connect_timeout: { type: 'integer', minimum: 1, description: 'seconds one connection attempt may take (default: the connection\'s own timeout)' },
      test_command: { type: 'string', default: 'whoami', description: 'a command that must succeed on the rebooted host' },
      msg: { type: 'string', default: DEFAULT_MSG, description: 'the message shown to logged-in users before the reboot' },
      boot_time_command: { type: 'string', default: DEFAULT_BOOT_TIME_COMMAND, description: 'a command whose output changes with every boot' },
      reboot_command: { type: 'string', description: 'the command that reboots, with its arguments (default `shutdown -r MINUTES "MSG"`); its first word is looked for in search_paths unless absolute; pre_reboot_delay and msg are then not used' },
      search_paths: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], default: DEFAULT_SEARCH_PATHS, description: 'where the reboot command is looked for' },
    },
  }),
  doc: {
    short: 'Reboot the host and wait until it is back',
    description:
      'As Ansible\'s reboot: the boot time (boot_time_command) is read, the reboot command runs (the connection may drop under it), post_reboot_delay passes, then the connection to the host is opened again until the boot time differs, then until test_command succeeds, each within reboot_timeout (backing off up to 12 s between tries); the next tasks use the new connection. In --check nothing runs and the task reports changed. Under a local connection it fails instead of rebooting the controller. A reboot that does not come back in time fails with Ansible\'s "Timed out waiting for ..." message.',
    returns: { rebooted: 'true once the reboot command was run', elapsed: 'seconds from the reboot command until the host passed test_command' },
    example: '- reboot:\n    reboot_timeout: 300\n    msg: "Kernel update"',
    notes: ['Ansible\'s deprecated `*_sec` spellings of the timeouts are not accepted.'],
  },
  run: runReboot,
});
