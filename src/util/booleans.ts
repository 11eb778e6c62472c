// Ansible's boolean words: the ONE list. Ansible's `boolean()` (module_utils/parsing/convert_bool),
// used for module arguments, playbook keywords, connection variables and the `bool` filter,
// lower-cases and strips a string and looks it up in these two sets; 1/0 as numbers count too.

/** Words Ansible reads as true (compared lower-cased, trimmed). */
export const TRUE_WORDS = ['yes', 'on', 'true', 'y', 't', '1'] as const;
/** Words Ansible reads as false (compared lower-cased, trimmed). */
export const FALSE_WORDS = ['no', 'off', 'false', 'n', 'f', '0'] as const;
/** Every boolean word, true ones first. */
export const BOOLEAN_WORDS: readonly string[] = [...TRUE_WORDS, ...FALSE_WORDS];

const TRUE_SET: ReadonlySet<string> = new Set(TRUE_WORDS);
const FALSE_SET: ReadonlySet<string> = new Set(FALSE_WORDS);

/**
 * `true`/`false`, a boolean word in any case (surrounding blanks ignored), or the number 1/0;
 * undefined for anything else, so each caller decides what a non-boolean means (an error, a
 * default, or false as the `bool` filter does).
 */
export function parseAnsibleBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const w = value.trim().toLowerCase();
  if (TRUE_SET.has(w)) return true;
  if (FALSE_SET.has(w)) return false;
  return undefined;
}

// YAML 1.1 (which Ansible's YAML loader follows) turns these bare words into booleans before
// Ansible sees them; YAML 1.2 (our parser) leaves them strings. Only where a word must mean what
// a bare YAML word would, e.g. `when: yes`, and not `when: t` (`t` is a variable there).
const YAML11_TRUE: ReadonlySet<string> = new Set(['yes', 'on', 'true', 'y']);
const YAML11_FALSE: ReadonlySet<string> = new Set(['no', 'off', 'false', 'n']);

/** A YAML 1.1 boolean word (any case) as a boolean; undefined for anything else. */
export function parseYaml11Bool(value: string): boolean | undefined {
  const w = value.trim().toLowerCase();
  if (YAML11_TRUE.has(w)) return true;
  if (YAML11_FALSE.has(w)) return false;
  return undefined;
}

/**
 * The spellings a JSON Schema enum lists for the boolean words (a schema enum is case-sensitive,
 * the parser is not): each word lower-case, upper-case and capitalised (`yes`, `YES`, `Yes`).
 */
export function booleanSpellings(): string[] {
  const out = new Set<string>();
  for (const w of BOOLEAN_WORDS) {
    out.add(w);
    out.add(w.toUpperCase());
    out.add(w.charAt(0).toUpperCase() + w.slice(1));
  }
  return [...out];
}
