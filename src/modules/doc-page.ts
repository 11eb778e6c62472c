// Reference pages generated from each module's own schema and doc metadata, so the docs
// (docs/modules/*.md) and `runbook doc MODULE` can never drift from what the module accepts.
import type { SchemaObject } from 'ajv';
import type { ModuleDefinition } from './types.js';
import { canonicalProperties, requiredNames } from './util/schema.js';
import { moduleNamesOf } from '../playbook/module-spec.js';

type AnyModule = ModuleDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A short type name for a schema: `string`, `boolean`, `list of string`, `integer`, ... */
export function typeName(s: SchemaObject): string {
  const alts = (s.anyOf ?? s.oneOf) as SchemaObject[] | undefined;
  if (alts) {
    if (alts.some((a) => a.type === 'boolean') && alts.every((a) => a.type === 'boolean' || (a.type === 'string' && a.enum))) return 'boolean';
    const names = [...new Set(alts.map(typeName))];
    return names.join(' or ');
  }
  if (Array.isArray(s.type)) return (s.type as string[]).join(' or ');
  if (s.type === 'array') {
    const items = s.items as SchemaObject | undefined;
    return items ? `list of ${typeName(items)}` : 'list';
  }
  if (s.type === 'object') return 'mapping';
  if (typeof s.type === 'string') return s.type;
  return 'any';
}

function choices(s: SchemaObject): string[] | undefined {
  if (Array.isArray(s.enum) && typeName(s) !== 'boolean') return s.enum.map(String);
  const alts = (s.anyOf ?? s.oneOf) as SchemaObject[] | undefined;
  const withEnum = alts?.find((a) => Array.isArray(a.enum) && a.type !== undefined && typeName(s) !== 'boolean');
  return withEnum ? (withEnum.enum as unknown[]).map(String) : undefined;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '';
  return '`' + (typeof v === 'string' ? v : JSON.stringify(v)) + '`';
}

/** The reference page of one module, as Markdown. */
export function renderModuleDoc(m: AnyModule): string {
  const schema = m.schema as SchemaObject;
  const required = new Set(requiredNames(schema));
  const out: string[] = [];
  out.push(`# ${m.name}`, '', m.doc.short + '.', '');
  // every name the registry accepts, so the page never drifts from what playbooks may write
  const names = moduleNamesOf(m);
  out.push(`Module names: ${names.map((n) => '`' + n + '`').join(', ')}${m.controllerOnly ? ' · runs on the controller (no connection)' : ''}${m.freeForm ? ` · free form: \`${m.name}: TEXT\` sets \`${m.freeForm}\`` : ''}`, '');
  if (m.doc.description) out.push(m.doc.description.trim(), '');
  out.push('## Arguments', '');
  const props = canonicalProperties(schema);
  if (props.length === 0) out.push('None.', '');
  else {
    out.push('| argument | type | required | default | aliases | description |', '|---|---|---|---|---|---|');
    for (const [name, p] of props) {
      const ch = choices(p);
      const desc = (p.description as string | undefined) ?? '';
      const aliases = ((p.aliases as string[] | undefined) ?? []).map((a) => '`' + a + '`').join(', ');
      out.push(
        `| \`${name}\` | ${cell(typeName(p))} | ${required.has(name) ? 'yes' : ''} | ${cell(fmtDefault(p.default))} | ${aliases} | ${cell(desc + (ch ? ` Choices: ${ch.map((c) => '`' + c + '`').join(', ')}.` : ''))} |`,
      );
    }
    out.push('');
    if (schema.additionalProperties === true || typeof schema.additionalProperties === 'object') out.push('Any other argument is accepted (see the description).', '');
    if (props.some(([, p]) => typeName(p) === 'boolean')) out.push('Booleans also accept `yes`/`no`, `true`/`false`, `on`/`off`.', '');
  }
  out.push('## Return values', '', 'Registered with `register:` (besides `changed`, `failed`, `msg`).', '');
  const returns = Object.entries(m.doc.returns);
  if (returns.length === 0) out.push('None.', '');
  else {
    out.push('| key | description |', '|---|---|');
    for (const [k, v] of returns) out.push(`| \`${k}\` | ${cell(v)} |`);
    out.push('');
  }
  out.push('## Example', '', '```yaml', m.doc.example.trimEnd(), '```', '');
  if (m.doc.notes?.length) {
    out.push('## Notes', '');
    for (const n of m.doc.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** The index page: every module with its one-line summary. */
export function renderModuleIndex(modules: readonly AnyModule[]): string {
  const out = ['# Modules', '', 'Generated from each module\'s schema and documentation (`runbook doc MODULE` prints the same page).', '', '| module | what it does |', '|---|---|'];
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) out.push(`| [${m.name}](${m.name}.md) | ${cell(m.doc.short)} |`);
  out.push('');
  return out.join('\n');
}

/** file name → content of every generated page (docs/modules/). */
export function moduleDocFiles(modules: readonly AnyModule[]): Map<string, string> {
  const files = new Map<string, string>();
  files.set('README.md', renderModuleIndex(modules));
  for (const m of modules) files.set(`${m.name}.md`, renderModuleDoc(m));
  return files;
}
