// How the `command` module splits its free-form text and a string `argv` into words.
import { shlexSplit as split } from '../../util/shlex.js';

/**
 * Python's shlex.split, as Ansible's command module does, plus sh's line continuation: a
 * `command: |` block continued with a trailing backslash gives the words a shell would, instead
 * of Python's newline-as-an-argument. Throws ShlexError on an unclosed quote.
 */
export function shlexSplit(text: string): string[] {
  return split(text, { lineContinuation: true });
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
