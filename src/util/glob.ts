// Shell-style wildcards, the ONE translation to a RegExp. Semantics are Python's
// fnmatch.translate, which Ansible uses for host patterns and --start-at-task: `*` any run of
// characters, `?` one character, `[abc]` / `[a-z]` / `[!abc]` a character class; everything else
// is literal and the whole text must match. Like fnmatch, a `[` without its `]` is a literal `[`
// and a reversed range (`[z-a]`) matches nothing: no pattern makes this throw.

export interface GlobOptions {
  /**
   * `[...]` is a character class (default). false: brackets are literal, for OpenSSH patterns
   * (known_hosts, Match/Host lines), which know only `*` and `?` and write `[host]:port`.
   */
  classes?: boolean;
  /** match regardless of case (OpenSSH host names); default case-sensitive like fnmatchcase */
  ignoreCase?: boolean;
}

/** Characters that are special inside a RegExp character class. */
const inClass = (c: string): string => (/[\\\]^[-]/.test(c) ? `\\${c}` : c);
const outside = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** The class body starting after `[` at `start`, or undefined when no `]` closes it (a literal `[`). */
function charClass(pattern: string, start: number): { source: string; end: number } | undefined {
  let k = start;
  const negated = pattern[k] === '!';
  if (negated) k++;
  const bodyStart = k;
  // a `]` right after `[` or `[!` is a member, not the end
  if (pattern[k] === ']') k++;
  const end = pattern.indexOf(']', k);
  if (end < 0) return undefined;
  const body = [...pattern.slice(bodyStart, end)];
  let members = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const hi = body[i + 2];
    if (body[i + 1] === '-' && hi !== undefined) {
      // a range; a reversed one is empty (fnmatch drops it rather than failing)
      if (c <= hi) members += `${inClass(c)}-${inClass(hi)}`;
      i += 2;
    } else members += inClass(c);
  }
  if (members === '') return { source: negated ? '[^]' : '(?!)', end };
  return { source: `[${negated ? '^' : ''}${members}]`, end };
}

/** A RegExp that matches the whole of a text matching the wildcard `pattern`. Never throws. */
export function globToRegExp(pattern: string, options: GlobOptions = {}): RegExp {
  const classes = options.classes ?? true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (!re.endsWith('.*')) re += '.*';
    } else if (c === '?') re += '.';
    else if (c === '[' && classes) {
      const cls = charClass(pattern, i + 1);
      if (cls === undefined) re += '\\[';
      else {
        re += cls.source;
        i = cls.end;
      }
    } else re += outside(c);
  }
  // `s`: like fnmatch, `*` and `?` also match a newline
  return new RegExp(`^(?:${re})$`, options.ignoreCase === true ? 'si' : 's');
}

/** Whether `pattern` has any wildcard character (else it can only match itself). */
export function hasGlobChars(pattern: string, options: GlobOptions = {}): boolean {
  return (options.classes ?? true) ? /[*?[]/.test(pattern) : /[*?]/.test(pattern);
}

/** Whether the whole of `text` matches the wildcard `pattern`. */
export function globMatch(pattern: string, text: string, options: GlobOptions = {}): boolean {
  return globToRegExp(pattern, options).test(text);
}
