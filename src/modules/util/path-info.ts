// Ansible's registered path information (its `add_path_info`): state, mode, owner, group, uid,
// gid, size of the path after the task. When nothing changes the probe already has them; when
// the task writes, the same remote command ends with one `stat` of the result, read by the
// plan's `after`, so registering them costs no round trip.
import { sh } from '../../transport/command.js';
import type { FileState } from '../../facts/file.js';
import type { Plan } from '../contract.js';
import { plainOctalMode } from './mode.js';
import { failedOutcomePlan, simpleCommand } from '../runner.js';

const MARK = '@@rb-path-info ';

/** Ansible's `state` of a path: file, directory, link, hard (a file with more than one link), absent. */
export function pathState(st: FileState): string {
  if (!st.exists) return 'absent';
  if (st.type === 'directory') return 'directory';
  if (st.type === 'link') return 'link';
  if (st.type === 'file' && (st.nlink ?? 1) > 1) return 'hard';
  return 'file';
}

/** The path information of a probed path (nothing when it does not exist). */
export function pathInfo(st: FileState): Record<string, unknown> {
  if (!st.exists) return { state: 'absent' };
  const out: Record<string, unknown> = { state: pathState(st) };
  if (st.mode !== undefined) out.mode = st.mode;
  if (st.owner !== undefined) out.owner = st.owner;
  if (st.group !== undefined) out.group = st.group;
  if (st.uid !== undefined) out.uid = st.uid;
  if (st.gid !== undefined) out.gid = st.gid;
  if (st.size !== undefined) out.size = st.size;
  return out;
}

/** Parse the line the appended `stat` printed (the last one, should the commands print more). */
export function parsePathInfo(stdout: string, path: string): Record<string, unknown> | undefined {
  const at = stdout.lastIndexOf(MARK);
  if (at < 0) return undefined;
  const line = stdout.slice(at + MARK.length).split('\n')[0] ?? '';
  const [kind = '', mode = '', uid = '', gid = '', owner = '', group = '', size = '', nlink = ''] = line.split('|');
  const type = kind.includes('regular') ? 'file' : kind === 'directory' ? 'directory' : kind === 'symbolic link' ? 'link' : 'other';
  return pathInfo({ path, exists: true, type, mode: mode.padStart(4, '0'), uid: Number(uid), gid: Number(gid), owner, group, size: Number(size), nlink: Number(nlink) });
}

/**
 * The plan without what its commands' outcome settles (`after`, `stdin`). Left out by
 * destructuring, not `delete`: V8 turns an object a property was deleted from into a slow
 * dictionary object, and this runs for every planned case of every task and host (perf: V8's
 * map normalisation in the fleet benchmark's template tasks).
 */
function settled(plan: Plan): Omit<Plan, 'after' | 'stdin'> {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- `after` is left out, never called
  const { after: _after, stdin: _stdin, ...rest } = plan;
  return rest;
}

/**
 * The plan with a `stat` of `path` after its commands, and its registered data completed with
 * the path information it prints. `follow`: describe a link's target (copy), not the link (file).
 */
export function withPathInfo(plan: Plan, path: string, follow = false): Plan {
  if (plan.commands.length === 0 || plan.failed) return plan;
  const flag = follow ? sh`-L ` : sh``;
  const rest = settled(plan);
  return {
    ...plan,
    commands: [...plan.commands, simpleCommand(sh`stat ${flag}-c ${`${MARK}%F|%a|%u|%g|%U|%G|%s|%h`} -- ${path}`)],
    after(outcome) {
      if (!outcome.ok) return failedOutcomePlan(plan, outcome);
      return { ...rest, commands: [], changed: true, data: { ...plan.data, ...parsePathInfo(outcome.stdout, path) } };
    },
  };
}

/**
 * A plan whose only change is `chmod MODE` of an existing path that is not a directory: the
 * path information after it is the probe's with the new mode (chmod changes nothing else that
 * Ansible reports), so no `stat` has to run after it. Only where the result is certain: an
 * octal mode without setuid/setgid/sticky bits (GNU chmod keeps a directory's setgid bit, and
 * the kernel may drop a setgid bit it is given), and a probe that described the same thing the
 * `stat` would (`follow` alike). Otherwise the plan gets the `stat` (withPathInfo).
 */
export function withChmodPathInfo(plan: Plan, path: string, follow: boolean, probe: { state: FileState; followed: boolean; mode: string | undefined; isDir: boolean }): Plan {
  const st = probe.state;
  const certain =
    st.exists && !st.error && st.type !== undefined && !probe.isDir && st.type !== 'directory' && probe.followed === follow && probe.mode !== undefined && plainOctalMode(probe.mode);
  if (!certain || plan.commands.length === 0 || plan.failed) return withPathInfo(plan, path, follow);
  const info = pathInfo({ ...st, mode: probe.mode!.padStart(4, '0') });
  return {
    ...plan,
    after(outcome) {
      if (!outcome.ok) return failedOutcomePlan(plan, outcome);
      const rest = settled(plan);
      return { ...rest, commands: [], changed: true, data: { ...plan.data, ...info } };
    },
  };
}
