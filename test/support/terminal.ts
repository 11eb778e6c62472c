// Running the real CLI at a real terminal: `script` (util-linux) gives the command a
// pseudo-terminal of a set size, and what the terminal received is replayed into the lines a
// person would see at the end (and, frame by frame, while it ran).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER = fileURLToPath(new URL('./register-ts.js', import.meta.url));

export interface TtyRun {
  code: number;
  /** every byte the terminal received */
  raw: string;
  /** the screen at the end, as lines without colours */
  screen: string[];
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `runbook ARGS` from the sources (no build needed) at a pseudo-terminal of rows × cols in
 * `cwd`; `input` is typed at the terminal (after `inputAfter` appears on it, when given).
 */
export function runAtTerminal(
  args: string[],
  o: {
    cwd: string;
    env?: Record<string, string>;
    rows?: number;
    cols?: number;
    input?: string;
    inputAfter?: string;
    /** typed one after the other: each when its `after` text appears on the terminal after the previous answer */
    answers?: Array<{ after: string; input: string }>;
    timeoutMs?: number;
  },
): Promise<TtyRun> {
  const entry = `const {main}=await import(${JSON.stringify(`${ROOT}src/cli/main.ts`)}); process.exitCode = await main(process.argv.slice(1));`;
  const cmd = [
    `stty rows ${o.rows ?? 40} cols ${o.cols ?? 120};`,
    'exec',
    quote(process.execPath),
    '--import',
    quote(REGISTER),
    '--input-type=module',
    '-e',
    quote(entry),
    ...args.map(quote),
  ].join(' ');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', ...o.env };
  return new Promise((resolve, reject) => {
    // -q quiet, -e child's exit code, -f flush as it comes; the log file is not needed
    const p = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: o.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    let typed = o.input === undefined;
    const type = (): void => {
      if (typed || o.input === undefined) return;
      typed = true;
      p.stdin.write(o.input);
    };
    const answers = [...(o.answers ?? [])];
    let searchFrom = 0;
    const answer = (): void => {
      const next = answers[0];
      if (next === undefined) return;
      const at = raw.indexOf(next.after, searchFrom);
      if (at < 0) return;
      answers.shift();
      searchFrom = at + next.after.length;
      setTimeout(() => p.stdin.write(next.input), 100);
    };
    p.stdout.on('data', (d: Buffer) => {
      raw += d.toString('utf8');
      if (!typed && o.inputAfter !== undefined && raw.includes(o.inputAfter)) setTimeout(type, 100);
      answer();
    });
    p.stderr.on('data', (d: Buffer) => {
      raw += d.toString('utf8');
      answer();
    });
    if (o.input !== undefined && o.inputAfter === undefined) setTimeout(type, 500);
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, raw, screen: screenOf(raw) });
    });
  });
}

/**
 * The lines on the screen after `bytes`: understands what runbook's live view sends (line
 * feed, carriage return, cursor up N, clear to the end of the screen) and drops colours.
 * Anything else is kept as text, so a stray control sequence shows in the assertions.
 */
export function screenOf(bytes: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex
  const re = /\u001b\[(\d*)A|\u001b\[J|\r?\n|\r|\u001b\[[0-9;]*m|[^\r\n\u001b]+|\u001b/g;
  for (const m of bytes.matchAll(re)) {
    const t = m[0];
    if (t === '\n' || t === '\r\n') {
      row++;
      if (lines.length <= row) lines.push('');
    } else if (t === '\r') lines[row] = '';
    else if (t.endsWith('A') && t.startsWith('\u001b[')) row = Math.max(0, row - Number(m[1] || 1));
    else if (t === '\u001b[J') lines.splice(row, lines.length - row, '');
    else if (!t.endsWith('m') || !t.startsWith('\u001b[')) lines[row] = (lines[row] ?? '') + t;
  }
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.map((l) => stripVTControlCharacters(l));
}

/** The live area's frames: what was drawn between two redraws (colours dropped). */
export function framesOf(bytes: string): string[][] {
  // eslint-disable-next-line no-control-regex
  return bytes.split(/\u001b\[\d+A\u001b\[J/).map((f) => stripVTControlCharacters(f).split(/\r?\n/));
}
