// File modes: what the user wrote ('0644', '644', 644, 'u=rw,g=r,o=r', 'u+x') → the 4-digit
// octal string chmod gets and the host's `stat -c %a` is compared with. Symbolic modes are
// resolved against the current mode so a second run sees "no change" exactly like chmod would.

/** '644' → '0644', '2755' → '2755'. */
export function padMode(octal: string): string {
  const m = octal.replace(/^0+(?=\d{4})/, '');
  return m.padStart(4, '0');
}

/**
 * Normalise a mode argument. A number is the mode's bits, as in Ansible: YAML 1.1 reads
 * `mode: 0644` as 0o644 = 420 (the playbook loader turns literal numbers into octal strings and
 * refuses the decimal `644` trap; a number reaching here came from a template, e.g. a variable
 * written `0644` in a vars file). Returns undefined for "no mode".
 */
export function parseModeArg(value: unknown): { octal: string } | { symbolic: string } | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o7777) return { octal: padMode(value.toString(8)) };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : JSON.stringify(value);
  if (/^0?[0-7]{3,4}$/.test(text)) return { octal: padMode(text) };
  if (/^0o[0-7]{3,4}$/i.test(text)) return { octal: padMode(text.slice(2)) };
  if (isSymbolicMode(text)) return { symbolic: text };
  throw new TypeError(`invalid mode ${JSON.stringify(value)}: use an octal string like "0644" or a symbolic mode like "u=rw,g=r,o=r"`);
}

const CLAUSE = /^[ugoa]*([-+=]([rwxXst]*|[ugo]))+$/;

export function isSymbolicMode(text: string): boolean {
  return text.split(',').every((c) => CLAUSE.test(c));
}

/** Apply a symbolic mode (chmod syntax) to a numeric mode. */
export function applySymbolicMode(current: number, symbolic: string, isDir: boolean): number {
  let mode = current & 0o7777;
  for (const clause of symbolic.split(',')) {
    const m = /^([ugoa]*)(.*)$/.exec(clause);
    if (!m) continue;
    const who = m[1] || 'a';
    const whoMask =
      (who.includes('u') || who.includes('a') ? 0o4700 : 0) |
      (who.includes('g') || who.includes('a') ? 0o2070 : 0) |
      (who.includes('o') || who.includes('a') ? 0o1007 : 0);
    const ops = m[2] ?? '';
    const re = /([-+=])([ugo]|[rwxXst]*)/g;
    let op: RegExpExecArray | null;
    while ((op = re.exec(ops)) !== null) {
      const perms = op[2] ?? '';
      let bits = 0;
      if (/^[ugo]$/.test(perms)) {
        // copy permissions from another class (g=u)
        const src = perms === 'u' ? (mode >> 6) & 7 : perms === 'g' ? (mode >> 3) & 7 : mode & 7;
        bits = (src << 6) | (src << 3) | src;
      } else {
        for (const p of perms) {
          if (p === 'r') bits |= 0o444;
          else if (p === 'w') bits |= 0o222;
          else if (p === 'x') bits |= 0o111;
          else if (p === 'X') {
            if (isDir || (mode & 0o111) !== 0) bits |= 0o111;
          } else if (p === 's') bits |= 0o6000;
          else if (p === 't') bits |= 0o1000;
        }
      }
      bits &= whoMask;
      if (op[1] === '+') mode |= bits;
      else if (op[1] === '-') mode &= ~bits;
      else mode = (mode & ~(whoMask & 0o7777 & ~(isDir ? 0o6000 : 0))) | bits;
    }
  }
  return mode & 0o7777;
}

/**
 * The octal mode the path must end up with, given the current mode (octal string from
 * `stat -c %a`, undefined when the path does not exist yet).
 */
export function wantedMode(arg: unknown, current: string | undefined, isDir: boolean): string | undefined {
  const parsed = parseModeArg(arg);
  if (!parsed) return undefined;
  if ('octal' in parsed) return parsed.octal;
  // A new path starts from the usual umask 022 defaults.
  const base = current !== undefined ? parseInt(current, 8) : isDir ? 0o755 : 0o644;
  return padMode(applySymbolicMode(base, parsed.symbolic, isDir).toString(8));
}

/** An octal mode with permission bits only (no setuid, setgid or sticky bit): what a mode sets exactly, whatever the path had. */
export function plainOctalMode(mode: string): boolean {
  return /^0?[0-7]{3}$/.test(mode);
}

/** Same mode? ('644' vs '0644') */
export function sameMode(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return padMode(a) === padMode(b);
}
