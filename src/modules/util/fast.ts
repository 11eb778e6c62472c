// Pieces of the one-command paths (contract.ts FastPath) of the file-like modules: the host
// classifies a path's attributes against the wanted ones, and a representative FileState stands
// for each class, so the branch the host runs is the module's own plan for that class.
import { sh, type ShellCommand } from '../../transport/command.js';
import type { FileState } from '../../facts/file.js';
import { parseModeArg } from './mode.js';

export interface WantedAttrs {
  mode?: unknown;
  owner?: string;
  group?: string;
}

/** Symbolic modes need the current mode to be resolved: only octal modes take the fast path. */
export function fastModeOk(mode: unknown): boolean {
  try {
    const m = parseModeArg(mode);
    return m === undefined || 'octal' in m;
  } catch {
    return false; // an invalid mode: the planned path reports it properly
  }
}

/**
 * Shell that appends to `$k` a letter per attribute that differs from the wanted one: `m`
 * mode, `o` owner, `g` group (one `stat` for all three). `path` is a shell word (`"$d"`).
 */
export function attrLetters(path: ShellCommand, a: WantedAttrs): ShellCommand {
  const mode = parseModeArg(a.mode);
  const tests: ShellCommand[] = [];
  if (mode && 'octal' in mode) tests.push(sh`[ "$1" = ${parseInt(mode.octal, 8).toString(8)} ] || k="\${k}m"`);
  if (a.owner !== undefined) tests.push(sh`[ "$2" = ${a.owner} ] || [ "$3" = ${a.owner} ] || k="\${k}o"`);
  if (a.group !== undefined) tests.push(sh`[ "$4" = ${a.group} ] || [ "$5" = ${a.group} ] || k="\${k}g"`);
  if (tests.length === 0) return sh`:`;
  let body = tests[0]!;
  for (const t of tests.slice(1)) body = sh`${body}; ${t}`;
  return sh`set -- $(stat -L -c '%a %U %u %G %g' -- ${path}); ${body}`;
}

/** Every combination of the letters attrLetters can append ('' first). */
export function letterSets(a: WantedAttrs): string[] {
  const letters = [...(parseModeArg(a.mode) ? 'm' : ''), ...(a.owner !== undefined ? 'o' : ''), ...(a.group !== undefined ? 'g' : '')];
  let sets = [''];
  for (const l of letters) sets = [...sets, ...sets.map((s) => s + l)];
  return sets;
}

/** The attributes of a representative state: wanted where the letter is absent, different where present. */
export function attrsFor(letters: string, a: WantedAttrs): Pick<FileState, 'mode' | 'owner' | 'uid' | 'group' | 'gid'> {
  const mode = parseModeArg(a.mode);
  const wanted = mode && 'octal' in mode ? mode.octal.padStart(4, '0') : undefined;
  const out: Pick<FileState, 'mode' | 'owner' | 'uid' | 'group' | 'gid'> = {};
  if (wanted !== undefined) out.mode = letters.includes('m') ? (wanted === '0000' ? '0777' : '0000') : wanted;
  if (a.owner !== undefined) {
    const same = !letters.includes('o');
    out.owner = same ? a.owner : '';
    out.uid = same && /^\d+$/.test(a.owner) ? Number(a.owner) : -1;
  }
  if (a.group !== undefined) {
    const same = !letters.includes('g');
    out.group = same ? a.group : '';
    out.gid = same && /^\d+$/.test(a.group) ? Number(a.group) : -1;
  }
  return out;
}
