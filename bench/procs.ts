// Counting the processes a tool makes the hosts start, the same way for every tool: on the hosts'
// side, from the kernel's BSD process accounting (acct(2), one 64-byte acct_v3 record per process
// when it exits, with its pid, parent pid and command name). Lab fleet hosts share this machine's
// pid namespace, so every process a host's sshd starts (its per-connection sshd processes, the
// login shell of each channel, and whatever that shell runs) is a descendant of the host's
// listening sshd: a run's processes per host are the records written during the run whose
// ancestry reaches that listener. Load from other work on the machine adds records, never
// descendants of the bench's own sshds, so the count does not depend on load.
//
// acct(2) has no wrapper in Node: python3 (ctypes) switches accounting on and off. It is
// machine-wide (per pid namespace) while on; the harness switches it off at the end, also on
// error and Ctrl-C.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { median } from './report.js';

const RECORD = 64;

export interface ProcCount {
  /** processes started per host during the run: min, median, max over hosts */
  min: number;
  median: number;
  max: number;
  total: number;
  /** command names (acct's 15-character comm) over all hosts, per host on average */
  byName: Record<string, number>;
}

export interface ProcCounter {
  method: string;
  mark(): number;
  /** processes per host started since `mark` (records are written at exit: call after the run) */
  since(mark: number): ProcCount;
  stop(): void;
}

function acctCall(file: string | null): string | undefined {
  const arg = file === null ? 'None' : `${JSON.stringify(file)}.encode()`;
  const r = spawnSync('python3', ['-c', `import ctypes,os,sys\nl=ctypes.CDLL(None,use_errno=True)\nif l.acct(${arg})!=0: sys.exit(os.strerror(ctypes.get_errno()))`], { encoding: 'utf8' });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : (r.stderr.trim() || `exit ${String(r.status)}`);
}

interface Rec {
  pid: number;
  ppid: number;
  comm: string;
}

function readRecords(file: string, from: number): Rec[] {
  let end: number;
  try {
    end = statSync(file).size;
  } catch {
    return [];
  }
  end -= (end - from) % RECORD;
  if (end <= from) return [];
  const buf = Buffer.alloc(end - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const out: Rec[] = [];
  for (let o = 0; o + RECORD <= buf.length; o += RECORD) {
    // acct_v3: flag u8, version u8, tty u16, exitcode u32, uid u32, gid u32, pid u32, ppid u32, ... comm[16] at 48
    if (buf[o + 1] !== 3) continue;
    const comm = buf.subarray(o + 48, o + 64);
    const nul = comm.indexOf(0);
    out.push({ pid: buf.readUInt32LE(o + 16), ppid: buf.readUInt32LE(o + 20), comm: comm.toString('latin1', 0, nul === -1 ? 16 : nul) });
  }
  return out;
}

/**
 * Which host each record belongs to: walk up the parents. A parent exits after its children
 * (or is still alive: the listener), so a record's parent is the first later record with that
 * pid; pids are reused within a long run (pid_max is 32768 here), which this ordering handles.
 */
export function attribute(recs: readonly Rec[], listeners: ReadonlyMap<number, string>): Array<string | undefined> {
  const byPid = new Map<number, number[]>();
  recs.forEach((r, i) => {
    const l = byPid.get(r.pid);
    if (l) l.push(i);
    else byPid.set(r.pid, [i]);
  });
  const host: Array<string | undefined | null> = recs.map(() => null);
  const resolve = (i: number): string | undefined => {
    const chain: number[] = [];
    let cur: number | undefined = i;
    let found: string | undefined;
    while (cur !== undefined) {
      const known = host[cur];
      if (known !== null && known !== undefined) {
        found = known;
        break;
      }
      if (known === undefined) break; // already resolved as nobody's
      chain.push(cur);
      const r: Rec = recs[cur]!;
      const root = listeners.get(r.ppid);
      if (root !== undefined) {
        found = root;
        break;
      }
      const idx: number = cur;
      cur = byPid.get(r.ppid)?.find((j) => j > idx);
    }
    for (const c of chain) host[c] = found;
    return found;
  };
  return recs.map((_, i) => resolve(i));
}

/** Switch process accounting on into `file`; undefined with the reason when it cannot be. */
export function startProcCounter(file: string, listeners: () => ReadonlyMap<number, string>, hosts: readonly string[]): ProcCounter | string {
  writeFileSync(file, '');
  const why = acctCall(file);
  if (why) return `process accounting unavailable (acct: ${why})`;
  let stopped = false;
  return {
    method: 'BSD process accounting (acct v3): processes whose ancestry reaches a host\'s listening sshd',
    mark: () => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    },
    since: (mark) => {
      const recs = readRecords(file, mark);
      const owner = attribute(recs, listeners());
      const per = new Map<string, number>(hosts.map((h) => [h, 0]));
      const names = new Map<string, number>();
      owner.forEach((h, i) => {
        if (h === undefined) return;
        per.set(h, (per.get(h) ?? 0) + 1);
        const c = recs[i]!.comm;
        names.set(c, (names.get(c) ?? 0) + 1);
      });
      const counts = [...per.values()];
      const n = Math.max(1, hosts.length);
      return {
        min: counts.length ? Math.min(...counts) : 0,
        median: median(counts),
        max: counts.length ? Math.max(...counts) : 0,
        total: counts.reduce((a, b) => a + b, 0),
        byName: Object.fromEntries([...names].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / n) * 100) / 100])),
      };
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      acctCall(null);
    },
  };
}

/**
 * Why runbook starts a process the floor does not, by command name (acct's comm), for the
 * report's process table: every name runbook starts more often than the floor must have an
 * entry here (the report flags a name without one). The floor writes blindly and reports
 * nothing; runbook must know the path's state before and after a change (Ansible's registered
 * results, changed/ok) and never writes a file in place. Counts per task: bench/README.md.
 */
export const PROCESS_REASONS: Readonly<Record<string, string>> = {
  stat:
    'the probe of a task that must know the path first (file mode, lineinfile when it sets a mode, owner or group or the file is not a small text file that bash reads itself, file absent when the path is there and is neither a directory nor a symlink (a file with more than one name is Ansible\'s `hard`: the link count), and on the no-change run copy, template, file directory): changed or ok, and the mode/owner/uid/gid/size Ansible registers for an unchanged path; ' +
    'after a create (file directory, copy, template: a new path) one stat of the result for the mode/owner/size Ansible registers, which the controller cannot know (umask, a setgid parent, the host\'s user names, a directory\'s size); ' +
    'a mode-only change and a write over an existing path need none (runbook derives them from the probe). The floor\'s one stat is the stat task\'s',
  cat: 'lineinfile: the probe prints the file (the plan\'s message, backrefs, --diff need it); copy and template: the content travels on stdin (it may be secret: never in the command line, where the floor puts it) and goes into the temp file. Under bash, up to 2 KiB without a NUL, both are done by the shell\'s `read` (no process: the fleet bench\'s case); `cat` does them for bigger or binary content and under dash (become\'s /bin/sh, a host whose login shell is not bash)',
  mv: 'atomic writes (copy, template, lineinfile): the temp file next to the destination is renamed over it, as Ansible\'s atomic_move, so a reader never sees a half-written file',
  chmod: 'lineinfile: the temp file gets the mode of the file it replaces (chmod --reference) before the rename',
  sed: 'lineinfile appending a line to a file the shell could not read itself (dash, over 2 KiB, a NUL; otherwise the builtin printf writes the probe\'s text: the fleet bench\'s case): GNU sed `$a\\` copies the file into the temp file and ends its last line with a newline where it lacks one (Ansible adds the missing one): one process where `cat` + `tail -c1` were two',
  bash: 'one per host: the login bash that runs the host\'s command loop (src/transport/mux.ts: each command is a forked subshell of it, counted under its last program\'s name once that is exec\'d, where the floor starts an sshd session and a login shell per command); and the subshell of a task whose script tests before it acts (file mode and file absent on both runs, copy, template, lineinfile on the no-change run) stays for its tests, where the floor\'s shell execs its only program (chmod, rm); where runbook\'s last program is exec\'d (stat after a write, chmod, rm, lsattr) the shell counts under that program\'s name instead. Per task, shells are never more than one per remote command',
  sh: 'with become sudo starts /bin/sh for the command (the floor\'s `[ "$(sudo -n id -u)" = 0 ]` forks a bash subshell instead: the same count, another name); the shell module\'s /bin/sh -c takes over the login shell (exec)',
  sha256sum: 'copy and template when the destination exists: its content is compared by hash (the content itself stays off the command line); not when the file is absent, and not for content up to 2 KiB without a NUL under bash, where the shell compares a destination of the same size with stdin itself (`read`, no process: the fleet bench\'s case)',
  sha1sum: 'the stat module\'s checksum (get_checksum defaults to true in Ansible: sha1 of the file)',
  file: 'the stat module\'s mimetype and charset (get_mime defaults to true; Ansible runs `file` too)',
  lsattr: 'the stat module\'s attributes and version (get_attributes defaults to true; Ansible runs `lsattr -vd` too)',
  grep: 'lineinfile\'s classify step: whether the line is there already (the floor runs the same grep); under bash, with the file read by the probe (up to 2 KiB, no NUL), the shell\'s `case` answers instead (no process: the fleet bench\'s case)',
};
