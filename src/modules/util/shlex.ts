// Split a command line into words like a POSIX shell would (quotes, backslashes), without any
// expansion: the `command` module runs a program with arguments, not a shell script.

export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new TypeError(`unterminated single quote in: ${text}`);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) throw new TypeError(`unterminated double quote in: ${text}`);
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') cur += text[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Ansible lets free-form commands carry options as `key=value` words (`creates=/x chdir=/y`).
 * Take those out of the command text and return them.
 */
export function extractFreeFormOptions(cmd: string, keys: readonly string[]): { cmd: string; options: Record<string, string> } {
  const options: Record<string, string> = {};
  const re = new RegExp(`(^|\\s)(${keys.join('|')})=("(?:[^"\\\\]|\\\\.)*"|'[^']*'|\\S+)`, 'g');
  const rest = cmd.replace(re, (_all, lead: string, key: string, value: string) => {
    options[key] = value.startsWith('"') || value.startsWith("'") ? (shlexSplit(value)[0] ?? '') : value;
    return lead;
  });
  return { cmd: rest.trim(), options };
}
