// Argument specifications as Ansible reads them: a role's `meta/argument_specs.yml` (one spec per
// entry point: `main`, or the `tasks_from` name) and the `validate_argument_spec` module. Pure:
// the loader reads the files and reports the problems found here with file:line:col; the module
// validates a host's values at run time with `validateArguments`.
//
// The checks and their order follow Ansible's ArgumentSpecValidator (module_utils/common/
// arg_spec.py, parameters.py, validation.py): unsupported names, defaults that are not None,
// required, types (with conversion: "8080" is an int, "a,b" a list), choices, then the nested
// options of a dict (or of each dict of a list). The messages are Ansible's, so a role's users
// and its own tests (`'missing required arguments: x' in ansible_failed_result.argument_errors`)
// read the same text. The converted values are NOT given back to the role: Ansible validates
// and leaves the variables as they are (a spec `default` is documentation; the role's value
// comes from defaults/main.yml), and so does runbook.
import { FALSE_WORDS, parseAnsibleBool, TRUE_WORDS } from '../util/booleans.js';
import { didYouMean } from '../util/edit-distance.js';

/** The types an option may have (Ansible's OPTION_TYPES, without Windows' `sid`). */
export const OPTION_TYPES = ['str', 'int', 'float', 'bool', 'list', 'dict', 'path', 'raw', 'json', 'jsonarg', 'bytes', 'bits'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

export interface OptionSpec {
  type?: OptionType;
  elements?: OptionType;
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  options?: ArgumentSpec;
  /** validate_argument_spec only (a role spec documents, it cannot rename a variable) */
  aliases?: string[];
  /** validate_argument_spec only: a missing dict option is validated as `{}` (its sub-defaults apply) */
  apply_defaults?: boolean;
  /** validate_argument_spec only: the value is masked in messages */
  no_log?: boolean;
}
export type ArgumentSpec = Record<string, OptionSpec>;

export interface SpecProblem {
  severity: 'error' | 'warning';
  /** the path of the offending key inside the spec mapping given to checkArgumentSpec */
  path: Array<string | number>;
  message: string;
  fix?: string;
}

/** The fields of an option in a role's spec (Ansible's ROLE_OPTION_SPEC). */
const ROLE_FIELDS = ['description', 'type', 'default', 'choices', 'elements', 'options', 'required', 'version_added'];
/** Fields a module-style spec has that a role spec cannot use: Ansible drops them with a warning. */
const MODULE_ONLY_FIELDS: Record<string, string> = {
  no_log: 'a role cannot hide a variable: the option is validated, and its value is not masked',
  aliases: 'a role cannot rename a variable: the alias is not looked at',
  apply_defaults: 'a role cannot set a variable: the sub-options of a missing dict are not checked',
  fallback: 'a role cannot take a value from elsewhere: the option is validated as given',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Check (and read) the options of one entry point: `{ NAME: { type, required, default, choices,
 * elements, options, description } }`. `role`: a role's spec (module-only fields are warned
 * about and ignored, as Ansible does); else validate_argument_spec's (aliases, no_log and
 * apply_defaults work). Problems that would make validation meaningless (an unknown type, choices
 * that are not a list, required and a default together) are errors; fields Ansible ignores are
 * warnings. The spec returned has only what validation uses.
 */
export function checkArgumentSpec(options: unknown, role: boolean, at: Array<string | number> = []): { spec: ArgumentSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const spec: ArgumentSpec = {};
  if (options === null || options === undefined) return { spec, problems };
  if (!isObj(options)) {
    problems.push({ severity: 'error', path: at, message: `the options must be a mapping of option names to their specs, not ${describe(options)}`, fix: 'e.g. `options:` / `  port: { type: int, required: true }`' });
    return { spec, problems };
  }
  for (const [name, raw] of Object.entries(options)) {
    const p = [...at, name];
    if (!isObj(raw)) {
      problems.push({ severity: 'error', path: p, message: `option \`${name}\`: its spec must be a mapping (type, required, default, choices, ...), not ${describe(raw)}`, fix: `e.g. \`${name}: { type: str, required: true }\`` });
      continue;
    }
    const o: OptionSpec = {};
    let ok = true;
    for (const [field, value] of Object.entries(raw)) {
      const fp = [...p, field];
      switch (field) {
        case 'type':
        case 'elements': {
          if (value === null) break;
          if (typeof value !== 'string' || !(OPTION_TYPES as readonly string[]).includes(value)) {
            const hint = typeof value === 'string' ? (TYPE_SYNONYMS[value.toLowerCase()] ?? didYouMean(value, OPTION_TYPES)) : undefined;
            problems.push({ severity: 'error', path: fp, message: `option \`${name}\`: unknown ${field} ${JSON.stringify(value)}${hint !== undefined ? `; did you mean \`${hint}\`?` : ''}`, fix: `${field} is one of ${OPTION_TYPES.join(', ')}` });
            ok = false;
          } else o[field] = value as OptionType;
          break;
        }
        case 'required': {
          const b = parseAnsibleBool(value);
          if (b === undefined) {
            problems.push({ severity: 'error', path: fp, message: `option \`${name}\`: required must be true or false, not ${describe(value)}`, fix: 'write `required: true` or leave it out' });
            ok = false;
          } else o.required = b;
          break;
        }
        case 'choices': {
          // Ansible reads choices as a list (a text "a,b" is split at commas)
          if (Array.isArray(value)) o.choices = value;
          else if (typeof value === 'string') o.choices = value.split(',');
          else {
            problems.push({ severity: 'error', path: fp, message: `option \`${name}\`: choices must be a list, not ${describe(value)}`, fix: 'e.g. `choices: [present, absent]`' });
            ok = false;
          }
          break;
        }
        case 'default':
          o.default = value;
          break;
        case 'options': {
          if (value === null) break;
          const sub = checkArgumentSpec(value, role, fp);
          problems.push(...sub.problems);
          o.options = sub.spec;
          break;
        }
        case 'description':
        case 'version_added':
          break;
        default: {
          if (!role && (field === 'aliases' || field === 'no_log' || field === 'apply_defaults')) {
            if (field === 'aliases') {
              if (Array.isArray(value) && value.every((a) => typeof a === 'string')) o.aliases = value;
              else {
                problems.push({ severity: 'error', path: fp, message: `option \`${name}\`: aliases must be a list of names`, fix: 'e.g. `aliases: [dest, destination]`' });
                ok = false;
              }
            } else o[field] = parseAnsibleBool(value) ?? false;
            break;
          }
          const why = MODULE_ONLY_FIELDS[field];
          if (why !== undefined) problems.push({ severity: 'warning', path: fp, message: `option \`${name}\`: \`${field}\` is not supported in a role's argument spec and is ignored (${why})`, fix: `remove \`${field}\`` });
          else {
            const known = role ? ROLE_FIELDS : [...ROLE_FIELDS, 'aliases', 'no_log', 'apply_defaults'];
            const hint = didYouMean(field, known);
            problems.push({ severity: 'warning', path: fp, message: `option \`${name}\`: \`${field}\` is not an argument spec field and is ignored${hint !== undefined ? `; did you mean \`${hint}\`?` : ''}`, fix: `the fields are ${known.join(', ')}` });
          }
        }
      }
    }
    if (o.required === true && o.default !== undefined && o.default !== null) {
      problems.push({ severity: 'error', path: [...p, 'default'], message: `option \`${name}\`: an option cannot be both required and have a default`, fix: 'drop `required: true` (the default is used when the variable is missing) or drop the default' });
      ok = false;
    }
    if (o.options !== undefined && o.type !== 'dict' && o.type !== 'list') {
      problems.push({ severity: 'warning', path: [...p, 'options'], message: `option \`${name}\`: sub-options are checked only for type dict or list; they are ignored here`, fix: 'add `type: dict` (or `type: list` with `elements: dict`)' });
      delete o.options;
    }
    if (o.elements !== undefined && o.type !== 'list') {
      problems.push({ severity: 'warning', path: [...p, 'elements'], message: `option \`${name}\`: \`elements\` is checked only with type list; it is ignored here`, fix: 'add `type: list`' });
      delete o.elements;
    }
    if (ok) spec[name] = o;
  }
  return { spec, problems };
}

/** Words people write for a type, and the type Ansible calls it. */
const TYPE_SYNONYMS: Record<string, string> = { string: 'str', integer: 'int', boolean: 'bool', number: 'float', dictionary: 'dict', array: 'list', mapping: 'dict' };

export interface EntryPoint {
  short_description?: string;
  options: ArgumentSpec;
}

/**
 * The `argument_specs` mapping of a role (`{ main: { short_description, options }, other: ... }`):
 * each entry point's options checked. Paths in problems are relative to the mapping.
 */
export function checkRoleArgumentSpecs(value: unknown): { entries: Record<string, EntryPoint>; problems: SpecProblem[] } {
  const entries: Record<string, EntryPoint> = {};
  const problems: SpecProblem[] = [];
  if (value === null || value === undefined) return { entries, problems };
  if (!isObj(value)) {
    problems.push({ severity: 'error', path: [], message: `argument_specs must be a mapping of entry points (main, and tasks_from names), not ${describe(value)}`, fix: 'e.g. `argument_specs:` / `  main:` / `    options: { port: { type: int } }`' });
    return { entries, problems };
  }
  for (const [entry, raw] of Object.entries(value)) {
    if (raw === null) continue;
    if (!isObj(raw)) {
      problems.push({ severity: 'error', path: [entry], message: `argument_specs.${entry} must be a mapping (short_description, options), not ${describe(raw)}`, fix: `e.g. \`${entry}:\` / \`  options: { port: { type: int } }\`` });
      continue;
    }
    const r = checkArgumentSpec(raw.options, true, [entry, 'options']);
    problems.push(...r.problems);
    entries[entry] = { ...(typeof raw.short_description === 'string' ? { short_description: raw.short_description } : {}), options: r.spec };
  }
  return { entries, problems };
}

// ---- validation (run time)

/** Python's name of a value's type, as Ansible's messages show it. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** A value as Python's str() shows it (in "got: VALUE" and converted strings). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isObj(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return typeof v;
}

class ConvertError extends Error {}
const cls = (v: unknown): string => `<class '${pyTypeName(v)}'>`;

const BOOL_WORDS_SHOWN = [...FALSE_WORDS, ...TRUE_WORDS]
  .sort()
  .map((w) => (/^\d$/.test(w) ? w : `'${w}'`))
  .join(', ');

/** Python's int() of a text: optional sign, digits (underscores between them), blanks around. */
const INT_TEXT = /^\s*[-+]?\d+(?:_\d+)*\s*$/;
/** Python's float() of a text. */
const FLOAT_TEXT = /^\s*[-+]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][-+]?\d+)?|\d+\.|inf(?:inity)?|nan)\s*$/i;

function humanToBytes(v: unknown, bits: boolean): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v !== 'string') throw new ConvertError(`${cls(v)} cannot be converted to a ${bits ? 'Bit' : 'Byte'} value`);
  // `10`, `1K`, `1.5MB`, `2Mb` (bits): powers of 1024, as Ansible's human_to_bytes
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTPEZY]?)(i?)([bB]?)\s*$/.exec(v);
  const unit = m?.[4] ?? '';
  if (!m || (unit !== '' && unit !== (bits ? 'b' : 'B'))) {
    throw new ConvertError(`${cls(v)} cannot be converted to a ${bits ? 'Bit' : 'Byte'} value`);
  }
  const power = 'KMGTPEZY'.indexOf(m[2] ?? '') + 1;
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** Ansible's check_type_*: the converted value, or a ConvertError with its message. */
function convert(type: OptionType, v: unknown): unknown {
  switch (type) {
    case 'str':
    case 'path':
      if (typeof v === 'string') return v;
      if (v === null || v === undefined) throw new ConvertError("'None' is not a string and conversion is not allowed");
      return pyStr(v);
    case 'raw':
      return v;
    case 'int':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && INT_TEXT.test(v)) return Number(v.replace(/_/g, '').trim());
      throw new ConvertError(`${cls(v)} cannot be converted to an int`);
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string' && FLOAT_TEXT.test(v)) {
        const t = v.trim().replace(/_/g, '').toLowerCase();
        return t.endsWith('nan') ? NaN : t.includes('inf') ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
      }
      throw new ConvertError(`${cls(v)} cannot be converted to a float`);
    case 'bool': {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' || typeof v === 'number') {
        const b = parseAnsibleBool(v);
        if (b === undefined) throw new ConvertError(`The value ${pyRepr(v)} is not a valid boolean.  Valid booleans include: ${BOOL_WORDS_SHOWN}`);
        return b;
      }
      throw new ConvertError(`${cls(v)} cannot be converted to a bool`);
    }
    case 'list':
      if (Array.isArray(v)) return v;
      if (typeof v === 'string') return v.split(',');
      if (typeof v === 'number') return [String(v)];
      throw new ConvertError(`${cls(v)} cannot be converted to a list`);
    case 'dict':
      if (isObj(v)) return v;
      if (typeof v === 'string') {
        if (v.startsWith('{')) {
          try {
            const parsed: unknown = JSON.parse(v);
            if (isObj(parsed)) return parsed;
          } catch {
            // not JSON: Ansible then tries a Python literal, which runbook does not evaluate
          }
          throw new ConvertError('unable to evaluate string as dictionary');
        }
        if (v.includes('=')) return keyValueDict(v);
        throw new ConvertError('dictionary requested, could not parse JSON or key=value');
      }
      throw new ConvertError(`${cls(v)} cannot be converted to a dict`);
    case 'json':
    case 'jsonarg':
      if (typeof v === 'string') return v.trim();
      if (Array.isArray(v) || isObj(v)) return JSON.stringify(v);
      throw new ConvertError(`${cls(v)} cannot be converted to a json string`);
    case 'bytes':
      return humanToBytes(v, false);
    case 'bits':
      return humanToBytes(v, true);
  }
}

/** `a=1 b="x y", c=2` → { a: '1', b: 'x y', c: '2' } (quotes and backslashes as Ansible's check_type_dict). */
function keyValueDict(text: string): Obj {
  const fields: string[] = [];
  let buf = '';
  let quote: string | undefined;
  let escape = false;
  for (const c of text.trim()) {
    if (escape) {
      buf += c;
      escape = false;
    } else if (c === '\\') escape = true;
    else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (quote !== undefined && c === quote) quote = undefined;
    else if (quote === undefined && (c === ',' || c === ' ')) {
      if (buf !== '') fields.push(buf);
      buf = '';
    } else buf += c;
  }
  if (buf !== '') fields.push(buf);
  const out: Obj = {};
  for (const f of fields) {
    const i = f.indexOf('=');
    if (i < 0) throw new ConvertError('dictionary requested, could not parse JSON or key=value');
    out[f.slice(0, i)] = f.slice(i + 1);
  }
  return out;
}

function inChoices(v: unknown, choices: readonly unknown[]): boolean {
  return choices.some((c) => c === v || (typeof c === 'number' && typeof v === 'number' && c === v));
}

export interface ValidationResult {
  /** Ansible's messages, in its order; empty when the values are valid */
  errors: string[];
  /** the values after conversion and defaults (Ansible's validated_parameters) */
  validated: Obj;
}

/** Validate `params` (the values given: missing options are simply absent) against `spec`. */
export function validateArguments(spec: ArgumentSpec, params: Readonly<Obj>): ValidationResult {
  const errors: string[] = [];
  const secrets = new Set<string>();
  const unsupported: string[] = [];
  const validated = validateLevel(spec, { ...params }, [], errors, secrets, unsupported);
  if (unsupported.length > 0) {
    // Ansible lists the top-level names as the supported ones
    errors.push(`${[...unsupported].sort().join(', ')}. Supported parameters include: ${supportedNames(spec)}.`);
  }
  return { errors: secrets.size > 0 ? errors.map((e) => maskValues(e, secrets)) : errors, validated };
}

function supportedNames(spec: ArgumentSpec): string {
  return Object.keys(spec)
    .sort()
    .map((k) => {
      const a = spec[k]?.aliases;
      return a !== undefined && a.length > 0 ? `${k} (${[...a].sort().join(', ')})` : k;
    })
    .join(', ');
}

function maskValues(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s !== '') out = out.split(s).join('********');
  return out;
}

function collectSecret(v: unknown, out: Set<string>): void {
  if (typeof v === 'string') out.add(v);
  else if (typeof v === 'number') out.add(String(v));
  else if (Array.isArray(v)) v.forEach((x) => collectSecret(x, out));
  else if (isObj(v)) Object.values(v).forEach((x) => collectSecret(x, out));
}

function validateLevel(spec: ArgumentSpec, params: Obj, context: string[], errors: string[], secrets: Set<string>, unsupported: string[]): Obj {
  const where = context.length > 0 ? ` found in ${context.join(' -> ')}` : '';
  const whereQuoted = context.length > 0 ? ` found in '${context.join(' -> ')}'.` : '';
  // aliases: the value given under an alias is the option's
  const legal = new Set(Object.keys(spec));
  for (const [name, o] of Object.entries(spec)) {
    for (const a of o.aliases ?? []) {
      legal.add(a);
      if (a in params) params[name] = params[a];
    }
    if (o.no_log === true && name in params) collectSecret(params[name], secrets);
  }
  for (const k of Object.keys(params)) if (!legal.has(k)) unsupported.push([...context, k].join('.'));
  for (const [name, o] of Object.entries(spec)) if (!(name in params) && o.default !== undefined && o.default !== null) params[name] = o.default;
  const missing = Object.entries(spec)
    .filter(([name, o]) => o.required === true && !(name in params))
    .map(([name]) => name)
    .sort();
  if (missing.length > 0) errors.push(`missing required arguments: ${missing.join(', ')}${where}`);
  for (const [name, o] of Object.entries(spec)) {
    if (!(name in params)) continue;
    const value = params[name];
    if ((value === null || value === undefined) && o.required !== true && (o.default === undefined || o.default === null)) continue;
    const type = o.type ?? 'str';
    try {
      let v = convert(type, value);
      if (o.elements !== undefined && Array.isArray(v)) {
        const elements = o.elements;
        v = v.flatMap((item) => {
          try {
            return [convert(elements, item)];
          } catch (err) {
            if (!(err instanceof ConvertError)) throw err;
            errors.push(`Elements value for option '${name}'${context.length > 0 ? ` found in '${context.join(' -> ')}'` : ''} is of type ${pyTypeName(item)} and we were unable to convert to ${elements}: ${err.message}`);
            return [];
          }
        });
      }
      params[name] = v;
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      errors.push(`argument '${name}' is of type ${pyTypeName(value)}${whereQuoted} and we were unable to convert to ${type}: ${err.message}`);
    }
  }
  for (const [name, o] of Object.entries(spec)) {
    if (o.choices === undefined || !(name in params)) continue;
    const v = params[name];
    const shown = o.choices.map(pyStr).join(', ');
    if (Array.isArray(v)) {
      const bad = v.filter((x) => !inChoices(x, o.choices ?? []));
      if (bad.length > 0) errors.push(`value of ${name} must be one or more of: ${shown}. Got no match for: ${bad.map(pyStr).join(', ')}${where}`);
    } else if (!inChoices(v, o.choices)) {
      errors.push(`value of ${name} must be one of: ${shown}, got: ${pyStr(v)}${where}`);
    }
  }
  for (const [name, o] of Object.entries(spec)) if (!(name in params)) params[name] = o.default ?? null;
  // nested options: a dict, or each dict of a list of dicts
  for (const [name, o] of Object.entries(spec)) {
    const sub = o.options;
    if (sub === undefined || !(o.type === 'dict' || (o.type === 'list' && o.elements === 'dict'))) continue;
    if ((params[name] === null || params[name] === undefined) && o.apply_defaults === true) params[name] = {};
    const v = params[name];
    if (v === null || v === undefined) continue;
    const items = isObj(v) ? [v] : Array.isArray(v) ? v : [v];
    const out: unknown[] = [];
    for (const item of items) {
      if (!isObj(item)) {
        errors.push(`value of '${name}' must be of type dict or list of dicts`);
        out.push(item);
        continue;
      }
      out.push(validateLevel(sub, { ...item }, [...context, name], errors, secrets, unsupported));
    }
    params[name] = isObj(v) ? out[0] : out;
  }
  return params;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'string' ? 'the text' : `the ${typeof v}`} ${JSON.stringify(v)}`;
}
