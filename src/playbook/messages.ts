// Turns ajv's errors into sentences a playbook author understands: which key, what it must
// be, and what to write instead. Raw ajv text ("must match a schema in anyOf") never reaches
// the user.
import type { ErrorObject } from 'ajv';
import { didYouMean } from '../util/edit-distance.js';

export interface SchemaProblem {
  /** path below the validated value (object keys / array indices) */
  path: Array<string | number>;
  message: string;
  fix?: string;
  /** point at the key (true) or at the value (false) */
  atKey: boolean;
  /** ajv keyword, for callers that want to filter */
  keyword: string;
  /** an unknown key, a missing key, or a wrong value */
  kind: 'unknown-key' | 'missing' | 'value';
}

function segments(instancePath: string): Array<string | number> {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

/** Strings with `{{ }}` are rendered at run time; their type cannot be judged now. */
export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && /\{\{[\s\S]*\}\}|\{%[\s\S]*%\}/.test(value);
}

function typeWords(t: unknown): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping (key: value lines)',
    array: 'a list',
    null: 'empty',
  };
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => words[String(x)] ?? String(x)).join(' or ');
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 37)}...` : value}'`;
  return JSON.stringify(value) ?? 'nothing';
}

function joinPath(label: string, path: ReadonlyArray<string | number>): string {
  return [label, ...path].filter((s) => s !== '').join('.');
}

export interface DescribeOptions {
  /** shown before the path: `copy` for module args, `` for keywords */
  label: string;
  /** what the whole value must be, for a failed anyOf at the top (keyword specs) */
  expect?: string;
  /** schema of the validated value, to read descriptions and property names from */
  schema?: Record<string, unknown>;
  /** skip type/enum/pattern problems on values that are templates */
  skipTemplates?: boolean;
  /** what the keys are called in messages: `argument` for module arguments (default `key`) */
  noun?: string;
}

/** The schema node an ajv schemaPath (`#/allOf/0/oneOf`) points at, when it stays inside `root`. */
function schemaAtPath(root: Record<string, unknown> | undefined, schemaPath: string): unknown {
  let node: unknown = root;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/').filter((x) => x !== '')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function schemaAt(schema: Record<string, unknown> | undefined, path: ReadonlyArray<string | number>): Record<string, unknown> | undefined {
  let node = schema;
  for (const seg of path) {
    if (node === undefined) return undefined;
    if (typeof seg === 'number') {
      node = node.items as Record<string, unknown> | undefined;
    } else {
      node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[seg];
    }
  }
  return node;
}

/**
 * One readable problem per failing spot. anyOf/oneOf branches are folded into one message
 * about the spot instead of one per branch.
 */
export function describeSchemaErrors(errors: readonly ErrorObject[], data: unknown, options: DescribeOptions): SchemaProblem[] {
  const seen = new Set<string>();
  return describe(errors, data, options).filter((p) => {
    const key = `${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const branchPrefix = (e: ErrorObject): string => `${e.schemaPath}/`;

function describe(errors: readonly ErrorObject[], data: unknown, options: DescribeOptions): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  // errors inside a failed anyOf/oneOf branch are summarised by the anyOf error itself
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const insideAlternative = (e: ErrorObject): boolean =>
    alternatives.some((a) => a !== e && e.schemaPath.startsWith(branchPrefix(a)));

  for (const e of errors) {
    if (insideAlternative(e)) continue;
    const path = segments(e.instancePath);
    const value = valueAt(data, path);
    const where = joinPath(options.label, path);
    const sub = schemaAt(options.schema, path);
    const description = typeof sub?.description === 'string' ? sub.description : undefined;
    let problem: (Omit<SchemaProblem, 'kind'> & { kind?: SchemaProblem['kind'] }) | undefined;
    const templated = options.skipTemplates === true && isTemplate(value);
    switch (e.keyword) {
      case 'type':
        if (templated) break;
        problem = {
          path,
          atKey: false,
          keyword: e.keyword,
          kind: 'value',
          message: `\`${where}\` must be ${typeWords(e.params.type)}, not ${shown(value)}`,
          ...(description !== undefined ? { fix: `\`${where}\`: ${description}` } : {}),
        };
        break;
      case 'required': {
        const missing = String(e.params.missingProperty);
        problem = {
          path,
          atKey: true,
          keyword: e.keyword,
          message: `\`${where === '' ? 'this' : where}\` is missing the required \`${missing}\``,
          fix: `add \`${missing}:\``,
        };
        break;
      }
      case 'additionalProperties': {
        const extra = String(e.params.additionalProperty);
        const known = Object.keys((sub?.properties as Record<string, unknown> | undefined) ?? {});
        const guess = didYouMean(extra, known);
        problem = {
          path: [...path, extra],
          atKey: true,
          keyword: e.keyword,
          message: `unknown ${options.noun ?? 'key'} \`${extra}\` ${options.noun === 'argument' ? 'for module' : 'in'} \`${where}\`${guess !== undefined ? `; did you mean \`${guess}\`?` : ''}`,
          fix: known.length > 0 ? `known ${options.noun ?? 'key'}s: ${known.join(', ')}` : `remove \`${extra}\``,
        };
        break;
      }
      case 'enum':
        if (templated) break;
        problem = {
          path,
          atKey: false,
          keyword: e.keyword,
          message: `\`${where}\` must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')} (got ${shown(value)})`,
          fix: (() => {
            const g = typeof value === 'string' ? didYouMean(value, (e.params.allowedValues as unknown[]).map(String)) : undefined;
            return g !== undefined ? `did you mean \`${g}\`?` : `use one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
          })(),
        };
        break;
      case 'const':
        if (templated) break;
        problem = { path, atKey: false, keyword: e.keyword, message: `\`${where}\` must be ${shown(e.params.allowedValue)}` };
        break;
      case 'pattern':
        if (templated) break;
        problem = {
          path,
          atKey: false,
          keyword: e.keyword,
          message: `\`${where}\` has the wrong format (${shown(value)})`,
          fix: description ?? `it must match ${String(e.params.pattern)}`,
        };
        break;
      case 'propertyNames':
        problem = {
          path: [...path, String(e.params.propertyName)],
          atKey: true,
          keyword: e.keyword,
          message: `\`${String(e.params.propertyName)}\` is not a valid name in \`${where}\``,
          fix: 'use letters, digits and underscores, not starting with a digit',
        };
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
        if (templated) break;
        problem = { path, atKey: false, keyword: e.keyword, message: `\`${where}\` ${e.message ?? 'is out of range'} (got ${shown(value)})` };
        break;
      case 'anyOf':
      case 'oneOf': {
        if (templated) break;
        const prefix = branchPrefix(e);
        const branchErrors = errors.filter((x) => x !== e && x.schemaPath.startsWith(prefix));
        const branches = new Map<string, ErrorObject[]>();
        for (const x of branchErrors) {
          const idx = x.schemaPath.slice(prefix.length).split('/')[0] ?? '';
          branches.set(idx, [...(branches.get(idx) ?? []), x]);
        }
        // the branch whose type fits the value explains the problem best (e.g. the list form)
        const fitting = [...branches.values()].filter((errs) => !errs.some((x) => x.keyword === 'type' && x.instancePath === e.instancePath));
        const onlyFit = fitting.length === 1 ? fitting[0] : undefined;
        if (onlyFit !== undefined && onlyFit.some((x) => x.instancePath !== e.instancePath)) {
          out.push(...describe(onlyFit, data, options));
          break;
        }
        // "needs one of" when every branch only asks for a key
        const missing = [...new Set(branchErrors.filter((x) => x.keyword === 'required' && x.instancePath === e.instancePath).map((x) => String(x.params.missingProperty)))];
        if (missing.length > 0 && branchErrors.every((x) => x.keyword === 'required')) {
          problem = { path, atKey: true, keyword: e.keyword, kind: 'missing', message: `\`${where}\` needs one of: ${missing.map((m) => `\`${m}\``).join(', ')}`, fix: `add one of ${missing.join(', ')}` };
          break;
        }
        if (e.keyword === 'oneOf' && (e.params as { passingSchemas?: unknown }).passingSchemas != null) {
          // oneOf of `required` sets: "only one of these keys"
          const branchSchemas = schemaAtPath(options.schema, e.schemaPath);
          const exclusive = Array.isArray(branchSchemas) ? branchSchemas.flatMap((b: unknown) => ((b as { required?: unknown }).required as string[] | undefined) ?? []) : [];
          problem =
            exclusive.length > 0
              ? { path, atKey: true, keyword: e.keyword, kind: 'value', message: `\`${where}\` takes only one of: ${exclusive.map((k) => `\`${k}\``).join(', ')}`, fix: `keep one of ${exclusive.join(', ')} and remove the others` }
              : { path, atKey: true, keyword: e.keyword, kind: 'value', message: `\`${where}\` matches more than one allowed form`, ...(description !== undefined ? { fix: description } : {}) };
          break;
        }
        // what each alternative wants: "true or false, or one of: yes, no, ..."
        const wants: string[] = [];
        for (const errs of branches.values()) {
          const t = errs.find((x) => x.keyword === 'type' && x.instancePath === e.instancePath);
          const en = errs.find((x) => x.keyword === 'enum' && x.instancePath === e.instancePath);
          if (en !== undefined) wants.push(`one of: ${(en.params.allowedValues as unknown[]).map(String).join(', ')}`);
          else if (t !== undefined) wants.push(typeWords(t.params.type));
        }
        const typesWanted = wants.length === branches.size && wants.length > 0 ? [...new Set(wants)].join(', or ') : undefined;
        const expect = path.length === 0 && options.expect !== undefined ? options.expect : (typesWanted ?? description);
        problem = {
          path,
          atKey: false,
          keyword: e.keyword,
          kind: 'value',
          message: `\`${where}\` must be ${expect ?? 'one of the allowed forms'}, not ${shown(value)}`,
          ...(description !== undefined && expect !== description ? { fix: `\`${where}\`: ${description}` } : {}),
        };
        break;
      }
      case 'not':
        problem = { path, atKey: true, keyword: e.keyword, message: `\`${where}\` has a combination of keys that is not allowed`, ...(description !== undefined ? { fix: description } : {}) };
        break;
      case 'dependencies':
      case 'dependentRequired':
        problem = {
          path,
          atKey: true,
          keyword: e.keyword,
          message: `\`${joinPath(where, [String(e.params.property)])}\` also needs \`${String(e.params.missingProperty)}\``,
          fix: `add \`${String(e.params.missingProperty)}:\``,
        };
        break;
      case 'if':
        // the `then`/`else` error says what is missing
        break;
      default:
        if (templated) break;
        problem = { path, atKey: false, keyword: e.keyword, message: `\`${where}\` ${e.message ?? 'is not valid'}` };
    }
    if (problem !== undefined) {
      const kind = problem.kind ?? (e.keyword === 'required' || e.keyword === 'dependencies' || e.keyword === 'dependentRequired' ? 'missing' : e.keyword === 'additionalProperties' ? 'unknown-key' : 'value');
      out.push({ ...problem, kind });
    }
  }
  return out;
}
