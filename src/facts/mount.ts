// What the mount module needs, in one round trip: the fstab file (content), the mount point
// (a directory, something else, or missing, and then its deepest existing parent, so a plan
// knows which directories it creates and can remove them again), and the mounts of the host's
// mount namespace as /proc/self/mountinfo tells them (bind mounts included).
import { sh } from '../transport/command.js';
import { combineFacts } from './combine.js';
import { fileFact, type FileState } from './file.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export interface MountEntry {
  /** mount point */
  dst: string;
  /** the mount's source field (a device, `tmpfs`, `server:/export`) */
  src: string;
  /**
   * the directory the mount shows, as Ansible's get_linux_mounts computes it (its root within
   * the filesystem, under the parent mount's point): for a bind mount, the directory bound
   */
  bound: string;
  fs: string;
  opts: string;
}

export interface MountState {
  fstab: FileState;
  /** the mount point itself */
  path: 'directory' | 'other' | 'missing';
  /** the deepest existing directory on the way to the mount point (itself when it exists) */
  existing: string;
  /** the host's mounts by mount point (the last mount on a point wins, as it hides the others) */
  mounts: Record<string, MountEntry>;
  /** how many mounts are stacked on each mount point */
  stacked: Record<string, number>;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
export function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parse /proc/self/mountinfo as Ansible's get_linux_mounts does: a bind mount's source is the
 * directory it shows (its root within the parent mount's filesystem, under the parent's mount
 * point), any other mount's source is the mount source field.
 */
export function parseMountinfo(text: string): { mounts: Record<string, MountEntry>; stacked: Record<string, number> } {
  interface Rec {
    id: number;
    parent: number;
    root: string;
    dst: string;
    opts: string;
    fs: string;
    src: string;
  }
  const recs = new Map<number, Rec>();
  const order: Rec[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const sep = f.indexOf('-', 6);
    if (f.length < 7 || sep < 0) continue;
    const r: Rec = {
      id: Number(f[0]),
      parent: Number(f[1]),
      root: unescapeMountinfo(f[3] ?? ''),
      dst: unescapeMountinfo(f[4] ?? ''),
      opts: f[5] ?? '',
      fs: f[sep + 1] ?? '',
      src: unescapeMountinfo(f[sep + 2] ?? ''),
    };
    recs.set(r.id, r);
    order.push(r);
  }
  const mounts: Record<string, MountEntry> = {};
  const stacked: Record<string, number> = {};
  for (const m of order) {
    const p = recs.get(m.parent);
    let bound = m.src;
    if (m.parent !== 1 && p) {
      let root = m.root;
      // the parent's own root is not part of the path the child shows
      if (p.root.length > 1 && root.startsWith(`${p.root}/`)) root = root.slice(p.root.length);
      if (p.dst !== '/') root = `${p.dst}${root}`;
      bound = root;
    }
    mounts[m.dst] = { dst: m.dst, src: m.src, bound, fs: m.fs, opts: m.opts };
    stacked[m.dst] = (stacked[m.dst] ?? 0) + 1;
  }
  return { mounts, stacked };
}

export function mountFact(path: string, fstab: string): Fact<MountState> {
  const place: Fact<Omit<MountState, 'fstab'>> = {
    name: 'mount-point',
    command: sh`echo '@@path'; if [ -d ${path} ]; then echo directory; elif [ -e ${path} ] || [ -L ${path} ]; then echo other; else echo missing; fi; echo '@@existing'; rb_p=${path}; while [ -n "$rb_p" ] && [ "$rb_p" != / ] && [ ! -e "$rb_p" ]; do rb_p=$(dirname -- "$rb_p"); done; printf '%s\n' "$rb_p"; echo '@@mountinfo'; cat /proc/self/mountinfo`,
    parse(stdout) {
      const s = new Map(parseSections(stdout).map((x) => [x.name, x.lines]));
      const kind = s.get('path')?.[0];
      const info = parseMountinfo((s.get('mountinfo') ?? []).join('\n'));
      return {
        path: kind === 'directory' || kind === 'other' ? kind : 'missing',
        existing: s.get('existing')?.[0] ?? '/',
        ...info,
      };
    },
  };
  const both = combineFacts([fileFact(fstab, { content: true, follow: true }), place] as const);
  return {
    name: 'mount',
    command: both.command,
    parse(stdout, stderr, code) {
      const [st, rest] = both.parse(stdout, stderr, code);
      return { fstab: st, ...rest };
    },
  };
}
