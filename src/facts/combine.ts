// Several facts in one round trip: their commands run one after the other in one remote
// shell, each section framed by marker lines, and each parser gets its own section and exit code.
// This is how a module asks everything it needs about a host with a single command. The
// markers follow the one section protocol (sections.ts): `@@fact N` before a fact's output,
// `@@fact-end N RC` after it, framed exactly so content without a final newline survives.
import { ShellCommand, joinWith, raw } from '../transport/command.js';
import type { Fact } from './types.js';


type FactValues<T extends readonly Fact<unknown>[]> = { [K in keyof T]: T[K] extends Fact<infer V> ? V : never };

/**
 * One command that runs every fact's command; parse with the returned fact's parser. `tag`
 * names the markers (`@@TAG N`), so a combined fact can itself be combined under another tag.
 */
export function combineFacts<T extends readonly Fact<unknown>[]>(facts: T, tag = 'fact'): Fact<FactValues<T>> {
  const START = `@@${tag} `;
  const END = `@@${tag}-end `;
  const framed = facts.map((f, i) => new ShellCommand([raw(`printf '%s\\n' '${START}${i}'; { `), f.command, raw(`\n}; printf '\\n%s%s\\n' '${END}${i} ' "$?"`)]));
  return { name: facts.map((f) => f.name).join('+'), command: joinWith(framed, '; '), parse: sectionParser(facts.map((f) => f.parse), tag) as Fact<FactValues<T>>['parse'] };
}

/**
 * The combined fact's parser, made apart from the commands: it holds only the facts' parsers, so
 * a command waiting for its output keeps no command text alive with it (hundreds of hosts wait at
 * once, and what they hold is what the garbage collector copies).
 */
function sectionParser(parsers: ReadonlyArray<Fact<unknown>['parse']>, tag: string): Fact<unknown[]>['parse'] {
  return (stdout, stderr, exitCode) => {
    const sections = splitSections(stdout, parsers.length, tag);
    return parsers.map((parse, i) => {
      const s = sections[i];
      // A missing section means the remote shell died before reaching it.
      if (!s) return parse('', stderr, exitCode === 0 ? null : exitCode);
      return parse(s.stdout, stderr, s.exitCode);
    });
  };
}

export function splitSections(stdout: string, count: number, tag = 'fact'): Array<{ stdout: string; exitCode: number } | undefined> {
  const START = `@@${tag} `;
  const END = `@@${tag}-end `;
  const out: Array<{ stdout: string; exitCode: number } | undefined> = new Array<undefined>(count).fill(undefined);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const startMarker = `${START}${i}\n`;
    const s = stdout.indexOf(startMarker, pos);
    if (s < 0) break;
    const bodyStart = s + startMarker.length;
    const endMarker = `\n${END}${i} `;
    const e = stdout.indexOf(endMarker, bodyStart);
    if (e < 0) break;
    const nl = stdout.indexOf('\n', e + endMarker.length);
    const code = Number(stdout.slice(e + endMarker.length, nl < 0 ? undefined : nl));
    out[i] = { stdout: stdout.slice(bodyStart, e), exitCode: Number.isFinite(code) ? code : 1 };
    pos = nl < 0 ? stdout.length : nl + 1;
  }
  return out;
}
