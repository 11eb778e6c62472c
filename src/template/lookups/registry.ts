// The one registry of lookup plugins, and lookup()/query()/q() as Ansible calls them:
// lookup() joins a list of strings with ',' (one non-string item alone, a list otherwise) unless
// wantlist=True; query()/q() always return the list. `errors=`: strict (default) raises,
// warn and ignore give None (lookup) or [] (query).
import { linesLookup, pipeLookup } from './commands.js';
import { dictLookup, indexedItemsLookup, itemsLookup, listLookup, nestedLookup, subelementsLookup, togetherLookup } from './lists.js';
import { fileglobLookup, fileLookup, firstFoundLookup, templateLookup } from './files.js';
import { passwordLookup } from './password.js';
import { sequenceLookup } from './sequence.js';
import { envLookup, varsLookup } from './variables.js';
import { LookupError, type LookupContext, type LookupPlugin } from './types.js';
import { TemplateRuntimeError } from '../errors.js';

const LOOKUPS = new Map<string, LookupPlugin>([
  ['file', fileLookup],
  ['template', templateLookup],
  ['first_found', firstFoundLookup],
  ['fileglob', fileglobLookup],
  ['env', envLookup],
  ['vars', varsLookup],
  ['pipe', pipeLookup],
  ['lines', linesLookup],
  ['list', listLookup],
  ['items', itemsLookup],
  ['dict', dictLookup],
  ['sequence', sequenceLookup],
  ['together', togetherLookup],
  ['indexed_items', indexedItemsLookup],
  ['nested', nestedLookup],
  ['subelements', subelementsLookup],
  ['password', passwordLookup],
]);

/** Every lookup name (for validate's did-you-mean and the with_<lookup> keywords). */
export function knownLookups(): string[] {
  return [...LOOKUPS.keys()].sort();
}

/** `ansible.builtin.file` is `file`. */
export function lookupName(name: string): string {
  return name.replace(/^ansible\.(?:builtin|legacy)\./, '');
}

export function runLookup(name: string, terms: unknown[], kwargs: Record<string, unknown>, ctx: LookupContext, wantlist: boolean): unknown {
  const short = lookupName(name);
  const plugin = LOOKUPS.get(short);
  const { wantlist: wl, errors, ...options } = kwargs;
  const asList = wantlist || (wl !== undefined && wl !== false && wl !== null);
  const mode = errors === undefined ? 'strict' : (typeof errors === 'string' ? errors : JSON.stringify(errors));
  if (mode !== 'strict' && mode !== 'warn' && mode !== 'ignore') throw new TemplateRuntimeError(`lookup '${short}': errors= must be strict, warn or ignore`);
  if (plugin === undefined) throw new TemplateRuntimeError(`no lookup named '${short}' (runbook's lookups: ${knownLookups().join(', ')})`);
  let ran: unknown[];
  try {
    ran = plugin(terms, options, ctx);
  } catch (err) {
    if (mode === 'strict' || !(err instanceof LookupError)) throw err;
    return asList ? [] : null;
  }
  if (asList) return ran;
  if (ran.every((x) => typeof x === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}
