// The list-shaping lookups behind Ansible's with_<lookup> loops: list, items, dict, together,
// indexed_items, nested, subelements. Results follow Ansible's lookup plugins.
import { isList, isMapping, mappingGet, mappingKeys, truthy } from '../values.js';
import { LookupError, type LookupPlugin } from './types.js';

const asList = (v: unknown): unknown[] => (isList(v) ? [...v] : [v]);

export const listLookup: LookupPlugin = (terms) => terms;

/** items: the terms with one level of lists flattened. */
export const itemsLookup: LookupPlugin = (terms) => terms.flatMap((t) => (isList(t) ? [...t] : [t]));

/** dict: each mapping as a list of {key, value}. */
export const dictLookup: LookupPlugin = (terms) =>
  terms.flatMap((t) => {
    if (!isMapping(t)) throw new LookupError("lookup 'dict': each term must be a mapping");
    return mappingKeys(t).map((k) => ({ key: k, value: mappingGet(t, k) }));
  });

/** together: the lists side by side ([a0, b0], [a1, b1], ...), missing values null. */
export const togetherLookup: LookupPlugin = (terms) => {
  const lists = terms.map(asList);
  if (lists.length === 0) throw new LookupError("lookup 'together': needs at least one list");
  const n = Math.max(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
};

/** indexed_items: [index, item] for the (one level flattened) items. */
export const indexedItemsLookup: LookupPlugin = (terms) => itemsLookup(terms, {}, undefined as never).map((x, i) => [i, x]);

/** nested: every combination of one item of each list, in order. */
export const nestedLookup: LookupPlugin = (terms) => {
  const lists = terms.map(asList);
  if (lists.length === 0) throw new LookupError("lookup 'nested': needs at least one list");
  let out: unknown[][] = [[]];
  for (const l of lists) {
    const next: unknown[][] = [];
    for (const prefix of out) for (const x of l) next.push([...prefix, x]);
    if (next.length > 1_000_000) throw new LookupError("lookup 'nested': more than 1000000 combinations");
    out = next;
  }
  return out;
};

/**
 * subelements: terms [list (or mapping of mappings), 'sub.key', {skip_missing}] → [element,
 * subitem] for each item of element's sub.key list. A missing key is an error unless
 * skip_missing.
 */
export const subelementsLookup: LookupPlugin = (terms) => {
  const [data, key, flags] = terms;
  if (typeof key !== 'string' || key === '') throw new LookupError("lookup 'subelements': the second term must be the name of the sub-list (e.g. 'authorized')");
  const skipMissing = isMapping(flags) ? truthy(mappingGet(flags, 'skip_missing') ?? false) : false;
  const elements = isMapping(data) ? mappingKeys(data).map((k) => mappingGet(data, k)) : isList(data) ? [...data] : undefined;
  if (elements === undefined) throw new LookupError("lookup 'subelements': the first term must be a list of mappings");
  const out: unknown[][] = [];
  for (const el of elements) {
    if (!isMapping(el)) throw new LookupError("lookup 'subelements': each element must be a mapping");
    let sub: unknown = el;
    let missing = false;
    for (const part of key.split('.')) {
      if (isMapping(sub) && mappingKeys(sub).includes(part)) sub = mappingGet(sub, part);
      else {
        missing = true;
        break;
      }
    }
    if (missing) {
      if (skipMissing) continue;
      throw new LookupError(`lookup 'subelements': could not find '${key}' in an element (use {skip_missing: true} to skip such elements)`);
    }
    if (!isList(sub)) throw new LookupError(`lookup 'subelements': '${key}' must be a list`);
    for (const x of sub) out.push([el, x]);
  }
  return out;
};
