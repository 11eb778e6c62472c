// The ONE edit distance and the "did you mean" suggestion built on it (unknown keywords,
// modules, filters, inventory keys, `runbook doc NAME`). A suggestion is made only when the
// word is close enough to be a typo: `nope` suggests nothing rather than `copy`.

/** Edit distance where swapping two neighbouring letters counts as one edit (typos). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

function isSubsequence(word: string, of: string): boolean {
  let i = 0;
  for (const ch of of) if (ch === word[i]) i++;
  return i === word.length;
}

/** `community.general.snap` → `snap`: the part after a `namespace.collection.` prefix. */
const short = (s: string): string => s.toLowerCase().replace(/^[a-z0-9_]+\.[a-z0-9_]+\./, '');
const prefix = (s: string): string => s.toLowerCase().slice(0, s.length - short(s).length);

/**
 * The candidate `word` was most likely a typo of, or undefined when none is close enough
 * (at most one edit per three letters, at least one). Case is ignored.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const w = short(word);
  const wp = prefix(word);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    // `ansible.builtin.copi` vs `ansible.builtin.copy`: compare the short names
    const cs = short(c);
    // a letter left out (`taks` → `tasks`) beats a letter changed (`taks` → `tags`) on a tie;
    // on the same short name, a name with the same collection prefix (or at least a dotted
    // name for a dotted word) wins: `community.general.apt` → `ansible.builtin.apt`
    const score =
      editDistance(w, cs) - (isSubsequence(w, cs) ? 0.5 : 0) + (word.includes('.') === c.includes('.') ? 0 : 0.25) + (wp === prefix(c) ? 0 : 0.1);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  const threshold = Math.max(1, Math.floor(Math.max(w.length, 3) / 3));
  return bestScore <= threshold ? best : undefined;
}
