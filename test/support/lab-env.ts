// Whether this process can run the lab (kept apart from lab.ts so the global setup does not
// load the lab itself).

/** Why lab tests cannot run here, or undefined when they can (root on Linux). */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the lab needs root: run `sudo npx vitest run --project lab`';
  }
  return undefined;
}
