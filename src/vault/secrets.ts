// Every value that must never be shown: vault plaintexts, passwords, no_log values, module
// arguments declared secret. A secret is also recognised in the forms the common filters give
// it (`| b64encode`, `| to_json`, `| urlencode`, `| quote`, `| upper`, `| lower`), so those
// are registered with it. What cannot be recognised (a secret hashed, sliced, base64-encoded
// inside a longer string, or re-encoded by a filter not listed here) is listed in docs/vault.md.

/** Fewer characters than this are not masked when they come from a vault file's leaves. */
export const MIN_VAULT_LEAF_LENGTH = 3;

export const MASK = '********';

/**
 * Replace every occurrence of every secret, the longest first: with `abc` and `abcdef` both
 * secret, masking `abc` first would leave `********def` and show the tail of the longer one.
 */
export function maskAll(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || text.length === 0) return text;
  const ordered = secrets.length === 1 ? secrets : longestFirst(secrets);
  let out = text;
  for (const s of ordered) {
    if (s.length === 0 || !out.includes(s)) continue;
    out = out.split(s).join(MASK);
  }
  return out;
}

// the run's list only grows (push), so its length tells whether the sorted copy is current
const sortedCache = new WeakMap<readonly string[], { n: number; sorted: readonly string[] }>();

function longestFirst(secrets: readonly string[]): readonly string[] {
  const hit = sortedCache.get(secrets);
  if (hit !== undefined && hit.n === secrets.length) return hit.sorted;
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  sortedCache.set(secrets, { n: secrets.length, sorted });
  return sorted;
}

/** The spellings of `value` that the common filters produce, the value itself first. */
export function secretForms(value: string): string[] {
  const out = new Set<string>([value]);
  const add = (v: string): void => {
    if (v.length >= MIN_VAULT_LEAF_LENGTH) out.add(v);
  };
  add(Buffer.from(value, 'utf8').toString('base64'));
  add(Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''));
  add(JSON.stringify(value).slice(1, -1));
  add(encodeURIComponent(value));
  add(value.replace(/'/g, `'\\''`));
  add(value.toUpperCase());
  add(value.toLowerCase());
  if (value.includes('\n')) {
    // a multi-line secret (a key, a certificate) shows up line by line in diffs and logs
    for (const line of value.split(/\r?\n/)) {
      const t = line.trim();
      if (t.length >= 8) out.add(t);
    }
  }
  return [...out];
}

/**
 * The secrets of one run. `values` is one array that only grows, so a sink holding it sees
 * secrets revealed later (a vault-encrypted `copy` source decrypted mid-run). Longest first
 * is left to the masker: a secret that contains another must be replaced before it.
 */
export class SecretRegistry {
  private readonly seen = new Set<string>();
  private readonly forms = new Set<string>();
  readonly values: string[] = [];

  /** Register a secret (any length but empty) and its filtered forms. */
  add(value: string): void {
    if (value.length === 0 || this.seen.has(value)) return;
    this.seen.add(value);
    for (const form of secretForms(value)) {
      if (this.forms.has(form)) continue;
      this.forms.add(form);
      this.values.push(form);
    }
  }

  /** `text` with every registered secret replaced by the mask, longest first. */
  mask(text: string): string {
    return maskAll(text, this.values);
  }

  /**
   * Register the leaves of data that came out of a vault: strings and numbers. Very short
   * leaves (`80`, `no`) would mask every occurrence of those characters in all output and are
   * left out; a whole-file vault's booleans and nulls are not secrets either.
   */
  addLeaves(data: unknown, depth = 0): void {
    if (depth > 64) return;
    if (typeof data === 'string') {
      if (data.length >= MIN_VAULT_LEAF_LENGTH) this.add(data);
    } else if (typeof data === 'number') {
      const s = String(data);
      if (s.length >= MIN_VAULT_LEAF_LENGTH) this.add(s);
    } else if (Array.isArray(data)) {
      for (const v of data) this.addLeaves(v, depth + 1);
    } else if (typeof data === 'object' && data !== null) {
      for (const v of Object.values(data)) this.addLeaves(v, depth + 1);
    }
  }
}
