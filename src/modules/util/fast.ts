// Pieces of the one-command paths (contract.ts FastPath) of the file-like modules: the host
// classifies a path's attributes against the wanted ones, and a representative FileState stands
// for each class, so the branch the host runs is the module's own plan for that class.
import { raw, sh, type ShellCommand } from '../../transport/command.js';
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
 * mode, `o` owner, `g` group. It reads the stat line the probe kept in `$KEEP` (fileFact's
 * `keep`, STAT_FORMAT `stat:%F|%a|%u|%g|%U|%G|...`) with parameter expansions only: the
 * one-command path runs one `stat` per path, the probe's. A path the probe could not read
 * appends `?`, a class no branch has (the runner then plans from the probe: the error).
 */
export function attrLetters(keep: string, a: WantedAttrs): ShellCommand {
  const mode = parseModeArg(a.mode);
  const tests: ShellCommand[] = [];
  if (mode && 'octal' in mode) tests.push(sh`[ "$rb_m" = ${parseInt(mode.octal, 8).toString(8)} ] || k="\${k}m"`);
  if (a.owner !== undefined) tests.push(sh`[ "$rb_U" = ${a.owner} ] || [ "$rb_u" = ${a.owner} ] || k="\${k}o"`);
  if (a.group !== undefined) tests.push(sh`[ "$rb_G" = ${a.group} ] || [ "$rb_g" = ${a.group} ] || k="\${k}g"`);
  if (tests.length === 0) return sh`:`;
  let body = tests[0]!;
  for (const t of tests.slice(1)) body = sh`${body}; ${t}`;
  const K = raw(keep);
  // the fields after the type, one by one: %a mode, %u uid, %g gid, %U user, %G group
  const fields = raw('rb_r=${' + keep + '#*|}; rb_m=${rb_r%%|*}; rb_r=${rb_r#*|}; rb_u=${rb_r%%|*}; rb_r=${rb_r#*|}; rb_g=${rb_r%%|*}; rb_r=${rb_r#*|}; rb_U=${rb_r%%|*}; rb_r=${rb_r#*|}; rb_G=${rb_r%%|*}');
  return sh`case "$${K}" in stat:*) ${fields}; ${body} ;; *) k="\${k}?" ;; esac`;
}

/** Every combination of the letters attrLetters can append ('' first). */
export function letterSets(a: WantedAttrs): string[] {
  const letters = [...(parseModeArg(a.mode) ? 'm' : ''), ...(a.owner !== undefined ? 'o' : ''), ...(a.group !== undefined ? 'g' : '')];
  let sets = [''];
  for (const l of letters) sets = [...sets, ...sets.map((s) => s + l)];
  return sets;
}

/**
 * The letter sets of the classes whose attributes differ (letterSets without ''): the class
 * with every attribute as wanted plans nothing, and FastPath.cases lists only classes with
 * commands (the runner would plan it only to drop it: one plan in three of a copy task).
 */
export function differingLetterSets(a: WantedAttrs): string[] {
  return letterSets(a).slice(1);
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
