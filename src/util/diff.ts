// --diff output: the before/after pair a reporter shows, and the unified diff of it.
// The diff itself is jsdiff's (the `diff` package): Myers' algorithm, linear in the size of
// the change rather than the product of both lengths, so one changed line in a 2,000-line
// file is one small hunk (the hand-written LCS it replaces gave up on large files and printed
// the whole file twice).
import { structuredPatch } from 'diff';

/** One file's content before and after a change (a module's `--diff` output). */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

export function fileDiff(path: string, before: string | undefined, after: string | undefined): FileDiff {
  return { path, before: before ?? '', after: after ?? '' };
}

/** A unified diff (`---`/`+++`/`@@` hunks with `context` lines around changes). Empty when equal. */
export function unifiedDiff(before: string, after: string, path = 'file', context = 3): string {
  if (before === after) return '';
  const patch = structuredPatch(path, path, before, after, undefined, undefined, { context });
  const lines: string[] = [`--- before: ${path}`, `+++ after: ${path}`];
  for (const h of patch.hunks) {
    // diff(1) prints the start as 0 for an empty side (a file created or emptied)
    lines.push(`@@ -${h.oldLines ? h.oldStart : h.oldStart - (h.oldStart > 0 ? 1 : 0)},${h.oldLines} +${h.newLines ? h.newStart : h.newStart - (h.newStart > 0 ? 1 : 0)},${h.newLines} @@`);
    lines.push(...h.lines);
  }
  return lines.join('\n') + '\n';
}
