// Split text into words the way Python's `shlex.split(text)` does (posix=True, no comments).
// Ansible splits with it both the `command` module's free-form arguments and
// ansible_ssh_common_args / ansible_ssh_extra_args, so a playbook or inventory written for
// Ansible gets the same words here. Nothing is expanded: `$HOME`, `*` and `~` stay text.
//
// The rules, by default (each is Python's):
// - words are separated by space, tab, CR and LF only; other Unicode spaces (NBSP, U+3000, ...)
//   belong to the word;
// - outside quotes a backslash takes the next character literally, a newline included;
// - '...' takes everything literally up to the next '; there is no escape inside;
// - "..." lets a backslash escape only `"` and `\`; any other backslash stays (`"\$x"` is `\$x`,
//   unlike sh);
// - quoted parts join the text around them into one word, and a quoted empty string is a word
//   (`''` gives [''], `a''` gives ['a']);
// - an unclosed quote or a backslash at the very end is an error (Python raises ValueError).

export interface ShlexOptions {
  /**
   * Drop backslash-newline outside single quotes, as sh does with a continued line. Python
   * instead keeps the newline as a character of the word (and, inside double quotes, the
   * backslash too), so `foo \` + newline + `--bar` would give the word "\n--bar". Default false.
   */
  lineContinuation?: boolean;
  /**
   * `#` outside quotes starts a comment to the end of the text, also in the middle of a word
   * (`a#b` is the word `a`), as Python's `shlex.split(text, comments=True)`; Ansible's INI
   * inventory splits host lines so. Default false: `#` is an ordinary character.
   */
  comments?: boolean;
}

/** One word and where it starts in the text (0-based index of its first character or quote). */
export interface ShlexWord {
  value: string;
  offset: number;
}

/** The text cannot be split: an unclosed quote, or a backslash with nothing after it. */
export class ShlexError extends Error {
  constructor(
    message: string,
    /** index in the text of the opening quote or the trailing backslash */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ShlexError';
  }
}

const WHITESPACE = ' \t\r\n';

export function shlexSplit(text: string, options: ShlexOptions = {}): string[] {
  return shlexWords(text, options).map((w) => w.value);
}

/** shlexSplit, with the position of each word (for messages that point at a column). */
export function shlexWords(text: string, options: ShlexOptions = {}): ShlexWord[] {
  const continuation = options.lineContinuation ?? false;
  const comments = options.comments ?? false;
  const words: ShlexWord[] = [];
  let word = '';
  // a word has begun: a quoted empty string starts one, so '' is a word of its own
  let inWord = false;
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (!inWord) start = i;
    if (WHITESPACE.includes(c) || (comments && c === '#')) {
      if (inWord) words.push({ value: word, offset: start });
      word = '';
      inWord = false;
      if (c === '#') break;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShlexError(`unterminated escape: a backslash ends the text: ${text}`, i);
      const next = text.charAt(i + 1);
      i += 2;
      if (next === '\n' && continuation) continue;
      word += next;
      inWord = true;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw unterminated("'", text, i);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw unterminated('"', text, i);
        const d = text.charAt(j);
        if (d === '"') break;
        const e = d === '\\' ? text.charAt(j + 1) : '';
        if (e === '"' || e === '\\') {
          word += e;
          j += 2;
        } else if (e === '\n' && continuation) {
          j += 2;
        } else {
          word += d;
          j++;
        }
      }
      inWord = true;
      i = j + 1;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push({ value: word, offset: start });
  return words;
}

function unterminated(quote: string, text: string, at: number): ShlexError {
  return new ShlexError(`unterminated ${quote} quote (opened at character ${at + 1}) in: ${text}`, at);
}

/**
 * Quote a word for a POSIX shell, as Python's `shlex.quote` (and Ansible's `quote` filter): safe
 * words as they are, anything else in single quotes. The inverse of shlexSplit for one word.
 */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
