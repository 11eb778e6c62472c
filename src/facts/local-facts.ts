// setup's local facts (ansible_local): every `*.fact` file under fact_path, run when executable,
// else read; JSON first, then INI, as Ansible's local fact collector reads them.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';
import { parseSections } from './sections.js';

export function localFactsFact(factPath: string): Fact<Record<string, unknown>> {
  return {
    name: 'local-facts',
    // a file's output must not be taken for a marker: each line is prefixed with `|`
    command: sh`for f in ${factPath}/*.fact; do [ -f "$f" ] || continue; n=\${f##*/}; echo "@@local \${n%.fact}"; if [ -x "$f" ]; then "$f" 2>/dev/null; else cat "$f"; fi | sed 's/^/|/'; echo "@@local-rc $?"; done; :`,
    parse: (stdout) => parseLocalFacts(stdout, factPath),
  };
}

export function parseLocalFacts(stdout: string, factPath: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let name: string | undefined;
  for (const s of parseSections(stdout)) {
    if (s.name === 'local') {
      name = s.args;
      const text = s.lines.map((l) => l.slice(1)).join('\n');
      out[name] = parseFactText(text, `${factPath}/${name}.fact`);
    }
  }
  return out;
}

function parseFactText(text: string, path: string): unknown {
  const t = text.trim();
  if (t === '') return {};
  try {
    return JSON.parse(t) as unknown;
  } catch {
    const ini = parseIni(t);
    return ini ?? `error loading facts as JSON or ini - please check content: ${path}`;
  }
}

/** Python configparser's reading: [section] then key = value / key: value; keys lower-cased. */
function parseIni(text: string): Record<string, Record<string, string>> | undefined {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec?.[1]) {
      section = out[sec[1]] ??= {};
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv?.[1] || !section) return undefined;
    section[kv[1].toLowerCase()] = kv[2] ?? '';
  }
  return out;
}
