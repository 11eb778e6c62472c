// --diff output: the before/after pair a reporter shows, plus a small unified diff for text
// (line LCS, fine for configuration files; large inputs fall back to a whole-file replace).
import type { FileDiff } from '../types.js';

export function fileDiff(path: string, before: string | undefined, after: string | undefined): FileDiff {
  return { path, before: before ?? '', after: after ?? '' };
}

const MAX_CELLS = 4_000_000;

/** A unified diff (`---`/`+++`/`@@` hunks with 3 lines of context). Empty when equal. */
export function unifiedDiff(before: string, after: string, path = 'file', context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = a.length * b.length > MAX_CELLS ? replaceAll(a, b) : lcsOps(a, b);
  const lines: string[] = [`--- before: ${path}`, `+++ after: ${path}`];
  // Group ops into hunks with `context` unchanged lines around changes.
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === ' ') i++;
    if (i >= ops.length) break;
    let start = Math.max(0, i - context);
    let end = i;
    // extend while changes are within 2*context of each other
    for (;;) {
      while (end < ops.length && ops[end]?.kind !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]?.kind === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const aStart = (hunk[0]?.a ?? 0) + 1;
    const bStart = (hunk[0]?.b ?? 0) + 1;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    lines.push(`@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`);
    for (const o of hunk) lines.push(o.kind + o.text);
    i = stop;
    start = stop;
  }
  return lines.join('\n') + '\n';
}

interface Op {
  kind: ' ' | '-' | '+';
  text: string;
  /** index in a (for ' ' and '-') or the a-position where it happens */
  a: number;
  b: number;
}

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

function replaceAll(a: string[], b: string[]): Op[] {
  return [...a.map((t, i) => ({ kind: '-' as const, text: t, a: i, b: 0 })), ...b.map((t, j) => ({ kind: '+' as const, text: t, a: a.length, b: j }))];
}

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? (len[(i + 1) * w + j + 1] ?? 0) + 1 : Math.max(len[(i + 1) * w + j] ?? 0, len[i * w + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i] ?? '', a: i, b: j });
      i++;
      j++;
    } else if (i < n && (j >= m || (len[(i + 1) * w + j] ?? 0) >= (len[i * w + j + 1] ?? 0))) {
      // removals first, as diff(1) prints them
      ops.push({ kind: '-', text: a[i] ?? '', a: i, b: j });
      i++;
    } else {
      ops.push({ kind: '+', text: b[j] ?? '', a: i, b: j });
      j++;
    }
  }
  return ops;
}
