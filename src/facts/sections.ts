// The one section protocol of runbook's probes. A probe that asks several things in one round
// trip prints a marker line `@@NAME` (or `@@NAME ARGS`) before each part; the parser splits the
// output at those lines. combineFacts (combine.ts) frames whole facts the same way, with
// `@@fact N` / `@@fact-end N RC` (or another tag than `fact`) around each fact's exact output and exit code.

export interface Section {
  name: string;
  /** what followed the name on the marker line (`@@lineage NAME FILE` → `NAME FILE`) */
  args: string;
  lines: string[];
}

const MARKER = /^@@([a-z0-9][a-z0-9-]*)(?: (.*))?$/;

/** Shell that prints a section marker: `echo '@@NAME'`. */
export function sectionStart(name: string): string {
  return `echo '@@${name}'`;
}

/** Split output at marker lines; lines before the first marker are dropped. */
export function parseSections(stdout: string): Section[] {
  const out: Section[] = [];
  let current: Section | undefined;
  for (const line of stdout.split('\n')) {
    const m = MARKER.exec(line);
    if (m?.[1]) {
      current = { name: m[1], args: m[2] ?? '', lines: [] };
      out.push(current);
    } else if (current) current.lines.push(line);
  }
  return out;
}

/** Name → non-empty lines of the (last) section of that name. */
export function sectionMap(stdout: string): Map<string, string[]> {
  return new Map(parseSections(stdout).map((s) => [s.name, s.lines.filter((l) => l.trim() !== '')]));
}
