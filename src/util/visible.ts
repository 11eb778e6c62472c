// User-supplied text shown on a terminal: playbooks, inventories, host names and command output
// are untrusted input, and printing their control characters raw would let them move the
// cursor, clear the screen, retitle the terminal or overwrite a line with a bare CR. Every
// place that echoes such text to a person goes through here; runbook's own colours are added
// around the escaped text, never inside it. (--json needs none of this: JSON.stringify escapes.)

// C0/C1 control characters (except tab and newline), DEL, and the bidi overrides and line
// separators that make text read differently than it runs ("trojan source").
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Control characters shown as escapes (`\x1b`, `\u009b`); tab and newline stay. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x80 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `visible`, and a newline shown as `\n` too: for names (hosts, tasks, plays, items, paths)
 * printed where one line is expected, so a name cannot forge a line of its own.
 */
export function visibleLine(text: string): string {
  return visible(text).replace(/\n/g, '\\n');
}
