// Diagnostics as a person reads them: `file:line:col: error: message`, a few lines of the file
// with a caret under the spot, and the fix. Used for playbooks, vars files and inventories.
import { readFileSync, statSync } from 'node:fs';
import { visible } from '../util/visible.js';
import { isVaultText } from '../vault/format.js';
import type { Diagnostic } from '../util/diagnostic.js';

export interface FormatOptions {
  /** lines of context before the marked line (default 2) */
  contextLines?: number;
  /** ANSI colours (default off: output often goes to logs) */
  color?: boolean;
}

/** Larger files are not read again just to show a code frame. */
const MAX_FRAME_SOURCE_BYTES = 2 * 1024 * 1024;

const ansi = (on: boolean, code: string, text: string): string => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

function sourceFor(file: string, sources: Map<string, string> | undefined, cache: Map<string, string | undefined>): string | undefined {
  const given = sources?.get(file);
  // a vault-encrypted file: its lines are ciphertext, and its positions are in the plaintext
  if (given !== undefined) return isVaultText(given) ? undefined : given;
  if (cache.has(file)) return cache.get(file);
  let text: string | undefined;
  try {
    if (statSync(file).size <= MAX_FRAME_SOURCE_BYTES) text = readFileSync(file, 'utf8');
  } catch {
    // no frame for a file we cannot read (it may be the missing file the diagnostic is about)
    text = undefined;
  }
  if (text !== undefined && isVaultText(text)) text = undefined;
  cache.set(file, text);
  return text;
}

/** A few lines around `line` with a caret under `col` (1-based). */
export function codeFrame(source: string, line: number, col: number, options: FormatOptions = {}): string {
  const lines = source.split(/\r?\n/);
  if (line < 1 || line > lines.length) return '';
  const before = options.contextLines ?? 2;
  const first = Math.max(1, line - before);
  let last = Math.min(lines.length, line + 1);
  // the empty "line" after a final newline adds nothing
  if (last > line && (lines[last - 1] ?? '').trim() === '') last--;
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    let text = lines[n - 1] ?? '';
    // the hex lines of an inline !vault value are noise in a frame (and never worth showing)
    if (/^\s*[0-9a-fA-F]{16,}\s*$/.test(text)) text = text.replace(/[0-9a-fA-F]{16,}/, '(vault data)');
    let caretCol = col;
    // a code frame is for orientation; show a window of a long line around the column
    if (text.length > 120) {
      const start = n === line ? Math.max(0, col - 60) : 0;
      const head = start > 0 ? '...' : '';
      const body = text.slice(start, start + 100);
      caretCol = col - start + head.length;
      text = `${head}${body}${start + 100 < text.length ? '...' : ''}`;
    }
    const marker = n === line ? '>' : ' ';
    // escapes are wider than the character: the caret moves with the text before it
    caretCol += visible(text.slice(0, Math.max(0, caretCol - 1))).length - Math.max(0, Math.min(caretCol - 1, text.length));
    text = visible(text);
    out.push(`${marker} ${String(n).padStart(width)} | ${text.replace(/\t/g, '→')}`);
    if (n === line) {
      caretCol = Math.max(1, Math.min(caretCol, text.length + 1));
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(caretCol - 1)}${ansi(options.color === true, '31;1', '^')}`);
    }
  }
  return out.join('\n');
}

/** Errors and warnings, ordered by file and position, each with its code frame and fix. */
export function formatDiagnostics(diags: Diagnostic[], sources?: Map<string, string>, options: FormatOptions = {}): string {
  const cache = new Map<string, string | undefined>();
  const color = options.color === true;
  const sorted = diags
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        a.d.location.file.localeCompare(b.d.location.file) ||
        a.d.location.line - b.d.location.line ||
        a.d.location.col - b.d.location.col ||
        a.i - b.i,
    )
    .map((x) => x.d);
  const blocks: string[] = [];
  for (const d of sorted) {
    const { file, line, col } = d.location;
    const sev = d.severity === 'error' ? ansi(color, '31;1', 'error') : ansi(color, '33;1', 'warning');
    const lines = [`${visible(file)}:${line}:${col}: ${sev}: ${visible(d.message)} [${visible(d.code)}]`];
    const source = sourceFor(file, sources, cache);
    if (source !== undefined && source.length > 0) {
      const frame = codeFrame(source, line, col, options);
      if (frame !== '') lines.push(frame);
    }
    if (d.fix !== undefined && d.fix !== '') lines.push(`${ansi(color, '36', 'fix')}: ${visible(d.fix)}`);
    blocks.push(lines.join('\n'));
  }
  return blocks.length > 0 ? `${blocks.join('\n\n')}\n` : '';
}

/** `2 errors, 1 warning` */
export function summarizeDiagnostics(diags: readonly Diagnostic[]): string {
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
