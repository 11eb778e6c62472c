// Mounts and removal of directories that may have had something mounted inside: a crashed
// debootstrap can leave /proc mounted in its target, and `rm -rf` must never walk into it.
import { existsSync, readFileSync } from 'node:fs';
import { run, runOk } from './exec.js';

/** Mount points in this mount namespace at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const p of mountsUnder(dir)) {
    const r = await run(['umount', p]);
    if (r.code !== 0) await run(['umount', '-l', p]);
  }
}

/** rm -rf that unmounts first and never crosses into another filesystem. */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder(dir);
  await runOk(['rm', '-rf', '--one-file-system', '--', dir], `removing ${dir}`);
}
