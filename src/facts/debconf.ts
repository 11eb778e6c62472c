// A package's debconf questions as `debconf-show PKG` lists them (Ansible's get_selections),
// and, for a password question, only the SHA-256 of the stored value: the password is compared
// on the controller by its hash and never leaves the host. The stored value comes from
// debconf-get-selections (debconf-utils) when it is there, else from debconf's password
// database (/var/cache/debconf/passwords.dat), which is where that tool reads it.
import { sh } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export interface DebconfState {
  /** debconf-show is not on the host */
  missing?: boolean;
  /** question → value as debconf-show prints it (passwords as `(password omitted)`) */
  selections: Record<string, string>;
  /** question → seen flag (`*`) */
  seen?: Record<string, boolean>;
  /** debconf-show failed: its error */
  error?: string;
  /** sha256 (hex) of the stored password value of the asked question ('' value when unset) */
  passwordSha256?: string;
}

export function parseDebconfShow(lines: readonly string[]): Pick<DebconfState, 'selections' | 'seen'> {
  const selections: Record<string, string> = {};
  const seen: Record<string, boolean> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const rawKey = line.slice(0, at);
    const key = rawKey.replace(/^\s*\*?/, '').trim();
    if (key === '') continue;
    selections[key] = line.slice(at + 1).trim();
    seen[key] = rawKey.trimStart().startsWith('*');
  }
  return { selections, seen };
}

export function parseDebconf(stdout: string): DebconfState {
  const st: DebconfState = { selections: {} };
  for (const s of parseSections(stdout)) {
    if (s.name === 'missing') return { missing: true, selections: {} };
    if (s.name === 'show') Object.assign(st, parseDebconfShow(s.lines));
    if (s.name === 'show-rc' && s.args !== '0') st.error = s.lines.filter((l) => l.trim() !== '').join(' ') || `debconf-show failed (exit ${s.args})`;
    if (s.name === 'pw') st.passwordSha256 = (s.lines[0] ?? '').split(/\s+/)[0] ?? '';
  }
  return st;
}

/** The selections of `pkg`; with `password`, the hash of that password question's stored value. */
export function debconfFact(pkg: string, password?: string): Fact<DebconfState> {
  // debconf-get-selections: "PKG<TAB>QUESTION<TAB>TYPE<TAB>VALUE"; passwords.dat: rfc822 records
  const pw =
    password !== undefined
      ? sh`echo '@@pw'; { if command -v debconf-get-selections >/dev/null 2>&1; then debconf-get-selections 2>/dev/null | awk -F '\t' -v p=${pkg} -v q=${password} '$1 == p && $2 == q && $3 == "password" { print $4; exit }'; elif [ -r /var/cache/debconf/passwords.dat ]; then awk -v q=${password} 'BEGIN { RS = ""; FS = "\\n" } { n = ""; v = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^Name: /) n = substr($i, 7); if ($i ~ /^Value: /) v = substr($i, 8) } if (n == q) { print v; exit } }' /var/cache/debconf/passwords.dat; fi; } | tr -d '\\n' | sha256sum; `
      : sh``;
  return {
    name: 'debconf',
    command: sh`if ! command -v debconf-show >/dev/null 2>&1; then echo '@@missing'; else echo '@@show'; _rb_o=$(debconf-show ${pkg} 2>&1); _rb_r=$?; printf '%s\\n' "$_rb_o"; echo "@@show-rc $_rb_r"; [ "$_rb_r" = 0 ] || printf '%s\\n' "$_rb_o"; ${pw}fi`,
    parse: (stdout) => parseDebconf(stdout),
  };
}
