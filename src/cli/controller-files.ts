// The files a run reads on the controller: copy and template sources, include_vars files,
// `--limit @file`. A task that templates a file reads its source once per host, hundreds of times
// in a row on a fleet (each an open, a read and a close on libuv's thread pool): the text is kept
// with the file's identity (device, inode, size, modification and change times in ns) and is
// read again only when a stat of the file says it is another file or has been written since.
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

// What is kept stays small next to a fleet run's own memory (1000 hosts: about 220 MiB): at most
// KEEP_FILES files of at most KEEP_MAX_BYTES each, 32 MiB in all. A larger source is read each
// time, as before.
const KEEP_MAX_BYTES = 1n << 20n;
const KEEP_FILES = 32;

interface Kept {
  id: string;
  /**
   * the read, kept from when it starts: a fleet's hosts reach a template task together, and
   * with only finished reads kept each of them read the file itself (200 reads at 200 hosts)
   */
  text: Promise<string>;
}

const identity = (s: BigIntStats): string => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

/**
 * A reader of controller files relative to `cwd`, through `open` (which opens vault-encrypted
 * files): the same text as reading the file each time, errors included.
 */
export function controllerFileReader(cwd: string, open: (text: string, path: string) => string): (path: string) => Promise<string> {
  const kept = new Map<string, Kept>();
  return async (path) => {
    const abs = resolve(cwd, path);
    let st: BigIntStats | undefined;
    try {
      st = statSync(abs, { bigint: true });
    } catch {
      // Not there (the search path's first candidates, for every host): the open's own error,
      // which people know, from a synchronous open that fails at once, not a round trip through
      // libuv's thread pool per candidate and host. Should the file have appeared, it is read.
      return open(readFileSync(abs, 'utf8'), path);
    }
    if (!st.isFile() || st.size > KEEP_MAX_BYTES) return open(await readFile(abs, 'utf8'), path);
    const id = identity(st);
    const hit = kept.get(abs);
    if (hit?.id === id) return hit.text;
    const text = readFile(abs, 'utf8').then((t) => open(t, path));
    if (kept.size >= KEEP_FILES && !kept.has(abs)) kept.delete(kept.keys().next().value as string);
    const entry: Kept = { id, text };
    kept.set(abs, entry);
    // a read that failed is not kept: the next call reads again (and fails with its own error)
    text.catch(() => {
      if (kept.get(abs) === entry) kept.delete(abs);
    });
    return text;
  };
}
