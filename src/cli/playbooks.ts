// Several playbooks on one command line (`runbook apply a.yml b.yml`, as ansible-playbook
// takes them): each is loaded and validated on its own, every problem of every file is
// reported, and their plays run in order as one run with one recap.
import { loadPlaybook, type LoadOptions, type LoadResult } from '../playbook/load.js';

/** The merged result, and how many plays each file gave (the --list-* output is per playbook). */
export type LoadedPlaybooks = LoadResult & { parts: Array<{ file: string; plays: number }> };

export async function loadPlaybooks(files: readonly string[], options: LoadOptions): Promise<LoadedPlaybooks> {
  const results: LoadResult[] = [];
  for (const f of files) results.push(await loadPlaybook(f, options));
  const parts = results.map((r, i) => ({ file: files[i] ?? '', plays: r.ok ? r.playbook.plays.length : 0 }));
  const first = results[0];
  if (results.length === 1 && first !== undefined) return { ...first, parts };
  const warnings = results.flatMap((r) => r.warnings);
  const errors = results.flatMap((r) => (r.ok ? [] : r.errors));
  if (errors.length > 0) return { ok: false, errors, warnings, parts };
  const playbooks = results.flatMap((r) => (r.ok ? [r.playbook] : []));
  // the run is named after the first playbook (its retry file, its header)
  return { ok: true, playbook: { file: playbooks[0]?.file ?? '', plays: playbooks.flatMap((p) => p.plays) }, warnings, parts };
}
