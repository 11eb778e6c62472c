// Counting remote commands per host the same way for every tool: on the hosts' side. Each lab
// host's sshd logs one `Starting session: command|subsystem ...` line (LogLevel VERBOSE) per
// channel that runs something, whatever client opened it (ssh2 for runbook and the floor,
// OpenSSH's ssh/sftp for Ansible). So an exec request counts as one command, an SFTP session as
// one, and nothing a tool does on the controller counts.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { CommandCount } from './report.js';
import { median } from './report.js';

const SESSION = /Starting session: (command|subsystem|forced-command|shell)/g;

export interface CommandCounter {
  /** where the counts come from, for the report */
  method: string;
  /** current end of every host's log */
  mark(): Map<string, number>;
  /** sessions per host since `mark` */
  since(mark: Map<string, number>): CommandCount;
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function countFrom(file: string, offset: number): number {
  const end = size(file);
  if (end <= offset) return 0;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(end - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8').match(SESSION)?.length ?? 0;
  } finally {
    closeSync(fd);
  }
}

/** A counter over `host → sshd log file`; hosts whose log does not exist count 0. */
export function sshdLogCounter(logs: Map<string, string>): CommandCounter {
  return {
    method: 'sshd LogLevel VERBOSE "Starting session" lines per host (exec + sftp subsystem channels)',
    mark: () => new Map([...logs].map(([h, f]) => [h, size(f)])),
    since: (mark) => {
      const per = [...logs].map(([h, f]) => countFrom(f, mark.get(h) ?? 0));
      return {
        min: per.length ? Math.min(...per) : 0,
        median: median(per),
        max: per.length ? Math.max(...per) : 0,
        total: per.reduce((a, b) => a + b, 0),
      };
    },
  };
}

/** Log files that exist, by host. */
export function existingLogs(candidates: Map<string, string[]>): Map<string, string> {
  const found = new Map<string, string>();
  for (const [h, list] of candidates) {
    const f = list.find((c) => existsSync(c));
    if (f) found.set(h, f);
  }
  return found;
}
