// Argument helpers shared by modules: Ansible-style booleans ('yes'/'no'), lists given as a
// comma-separated string, and the JSON Schema fragments that accept them. Playbooks written for
// Ansible use these spellings, so every module accepts them the same way.
import type { SchemaObject } from 'ajv';
import { parseAnsibleBool } from '../../util/booleans.js';

/**
 * The spellings the argument schemas list for a boolean (published in schemas/ and compiled into
 * the playbook validators); toBool reads every word of util/booleans.ts.
 */
export const BOOLEAN_WORDS = ['yes', 'no', 'true', 'false', 'on', 'off', 'y', 'n', '1', '0', 'True', 'False', 'Yes', 'No'] as const;

/** Interpret an Ansible-style boolean; `undefined` gives the fallback. Throws TypeError for anything else. */
export function toBool(value: unknown, fallback = false): boolean {
  if (value === undefined || value === null) return fallback;
  const b = parseAnsibleBool(value);
  if (b !== undefined) return b;
  // a templated value that rendered empty reads as false; other numbers as C does
  if (typeof value === 'string' && value.trim() === '') return false;
  if (typeof value === 'number') return value !== 0;
  throw new TypeError(`expected a boolean (true/false, yes/no), got ${JSON.stringify(value)}`);
}

/** A list argument: an array, or a string with comma-separated items (`name: curl,git`). */
export function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
  return String(value as string | number | boolean)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Schema of a boolean argument that also accepts 'yes'/'no' (the doc generator shows it as `boolean`). */
export function boolSchema(description: string, defaultValue?: boolean): SchemaObject {
  const s: SchemaObject = {
    description,
    anyOf: [{ type: 'boolean' }, { type: 'string', enum: [...BOOLEAN_WORDS] }],
  };
  if (defaultValue !== undefined) s.default = defaultValue;
  return s;
}

/** Schema of a list-of-strings argument that also accepts one string (comma-separated). */
export function listSchema(description: string): SchemaObject {
  return {
    description,
    anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
  };
}

/** Schema of a file mode: octal string ('0644', '644'), symbolic ('u=rw,g=r,o=r'), or a number written as octal digits. */
export function modeSchema(description = 'permissions, as an octal string (`"0644"`) or symbolic (`u=rw,g=r,o=r`)'): SchemaObject {
  return { description, type: ['string', 'integer'] };
}
