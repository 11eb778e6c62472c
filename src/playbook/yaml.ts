// The one YAML loader for every user file (playbooks, task files, vars files, inventories).
// YAML is a large language and most of it is a liability for configuration: aliases can
// explode in size, tags can ask for objects, `<<` merges hide where a value came from, and
// `__proto__` keys poison plain objects. We accept YAML 1.2 core data only, with limits, and
// turn every problem into a Diagnostic with a position and a fix instead of throwing.
import { readFile, stat } from 'node:fs/promises';
import {
  Lexer,
  LineCounter,
  parseAllDocuments,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  isDocument,
  Scalar,
  type Alias,
  type ScalarTag,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic, SourceLocation } from '../util/diagnostic.js';
import { markVaulted } from '../template/vaulted.js';
import { isVaultText } from '../vault/format.js';
import { Keyring, VaultError } from '../vault/keyring.js';
import { currentKeyring } from '../vault/scope.js';
import { MIN_VAULT_LEAF_LENGTH } from '../vault/secrets.js';

export interface YamlLimits {
  /** input size cap, checked before reading/parsing */
  maxBytes: number;
  /** number of `*alias` references in the file */
  maxAliases: number;
  /** nesting depth of mappings/sequences (aliases expanded) */
  maxDepth: number;
  /** number of values after aliases are expanded (catches "billion laughs" with few aliases) */
  maxNodes: number;
}

export const DEFAULT_YAML_LIMITS: Readonly<YamlLimits> = {
  maxBytes: 2 * 1024 * 1024,
  maxAliases: 100,
  maxDepth: 64,
  maxNodes: 100_000,
};

export interface ParsedYaml {
  file: string;
  source: string;
  /** plain data: objects, arrays, strings, numbers, booleans, null */
  value: unknown;
  /** best position for a dot path; for a mapping entry, the position of its key */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
  /** best position for a dot path; for a mapping entry, the position of its value */
  locateValue(path: ReadonlyArray<string | number>): SourceLocation;
}

export type YamlResult = { ok: true; yaml: ParsedYaml; warnings: Diagnostic[] } | { ok: false; errors: Diagnostic[] };

/** Keys that would change an object's prototype or shadow its machinery. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The tags of the YAML 1.2 core schema; anything else asks for a type we do not want to build. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * Ansible reads YAML 1.1, where a plain `yes`/`no`/`on`/`off` is a boolean: inventories and
 * vars files say `apt_upgrade: no` and mean false (`when: apt_upgrade` must then be false).
 * We keep the YAML 1.2 core schema (no sexagesimals) but add these booleans for plain scalars
 * only; quoted 'no' stays a string, as in Ansible.
 */
const ANSIBLE_BOOL_TAG: ScalarTag = {
  identify: (v) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/,
  resolve: (str: string) => /^(?:yes|on)$/i.test(str),
};

/**
 * YAML 1.1 octal, as Ansible (PyYAML) reads it: a plain `0644` is the number 0o644 = 420, so
 * `mode: 0644` means what everyone who writes it means. YAML 1.2 would read decimal 644. Must
 * come before the core int tag, which would match first.
 */
const YAML11_OCTAL_TAG: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?0[0-7_]+$/,
  resolve: (str: string) => {
    const n = Number.parseInt(str.replace(/[-+_]/g, ''), 8);
    return str.startsWith('-') ? -n : n;
  },
};

/**
 * What YAML 1.1 (PyYAML, so Ansible) reads as a string but the 1.2 core schema as a number:
 * `0o644` (1.2's octal spelling) and `089` (a leading zero with digits 8/9). Kept strings.
 */
const YAML11_STRING_TAG: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:str',
  test: /^(?:[-+]?0o[0-7]+|[-+]?0[0-9]*[89][0-9]*)$/,
  resolve: (str: string) => str,
};

/**
 * A string written with Ansible's `!unsafe` is never templated. runbook renders every string
 * once; the value becomes a template whose single expression is the original text as a string
 * literal, so any render gives back exactly what was written (and a single pass never
 * re-renders what came out of a template).
 */
export function unsafeText(text: string): string {
  if (!/\{\{|\{%|\{#/.test(text)) return text;
  const escaped = text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `{{ '${escaped}' }}`;
}

class LimitExceeded extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/**
 * The parser composes nested collections recursively, and V8 can die outright (not throw) when
 * it compiles a regular expression near the stack limit. So before composing we estimate the
 * nesting with the (iterative) lexer and refuse anything beyond this, far above any real file.
 */
const SAFE_PARSE_DEPTH = 1000;

/**
 * A bound on nestingBeyond's estimate from native string scans alone: its flow depth is at most
 * the file's `[` and `{`, its indentation stack at most the widest line, the indicators on one
 * line at most that line's length. Under `limit` (every real file), the lexer pass is skipped:
 * it was a third of the time an inventory took to load.
 */
function nestingCannotPass(source: string, limit: number): boolean {
  let brackets = 0;
  for (const c of ['[', '{']) for (let at = source.indexOf(c); at !== -1 && brackets <= limit; at = source.indexOf(c, at + 1)) brackets++;
  let widest = 0;
  for (let start = 0; start <= source.length && brackets + 2 * widest <= limit; ) {
    const nl = source.indexOf('\n', start);
    const end = nl === -1 ? source.length : nl;
    if (end - start > widest) widest = end - start;
    start = end + 1;
  }
  return brackets + 2 * widest <= limit;
}

/** Offset where an upper-bound estimate of nesting depth passes `limit`, or undefined. */
function nestingBeyond(source: string, limit: number): number | undefined {
  if (nestingCannotPass(source, limit)) return undefined;
  let offset = 0;
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let onLine = 0;
  for (const tok of new Lexer().lex(source)) {
    if (tok === '\n' || tok === '\r\n') {
      lineStart = true;
      onLine = 0;
    } else if (lineStart && /^[ ]+$/.test(tok)) {
      while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= tok.length) indents.pop();
      indents.push(tok.length);
      lineStart = false;
    } else {
      if (lineStart && !tok.startsWith('\u0002') && !tok.startsWith('\u001f')) {
        // content at column 0
        indents.length = 0;
        lineStart = false;
      }
      if (tok === '[' || tok === '{') flow++;
      else if ((tok === ']' || tok === '}') && flow > 0) flow--;
      else if (tok === '-' || tok === '?' || tok === ':') onLine++;
    }
    if (flow + indents.length + onLine > limit) return offset;
    offset += tok.startsWith('\u0002') || tok.startsWith('\u001f') || tok.startsWith('\u0018') ? 0 : tok.length;
  }
  return undefined;
}

function limitsWith(partial: Partial<YamlLimits> | undefined): YamlLimits {
  return { ...DEFAULT_YAML_LIMITS, ...(partial ?? {}) };
}

function dotPath(path: ReadonlyArray<string | number>): string {
  return path.join('.');
}

/** Fixes for the parser's own error codes, in words a person can act on. */
function fixForYamlError(code: string, message: string): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'indent with spaces; YAML does not allow tabs for indentation';
    case 'MISSING_CHAR':
      if (/quote/i.test(message)) return 'close the quoted string on the same value, or remove the opening quote';
      return 'add the missing character (a closing bracket, brace or quote)';
    case 'BAD_INDENT':
      return 'align this line with its siblings; nested values need more indentation than their key';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'put a nested mapping on its own indented lines, or quote a value that contains ": "';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'keys must fit on one line; check for a missing colon or a stray line break';
    case 'RESOURCE_EXHAUSTION':
      return 'reduce the nesting depth of the file';
    case 'DUPLICATE_KEY':
      return 'remove or rename one of the duplicate keys';
    default:
      return 'check the YAML syntax here: indentation, colons after keys, and matching quotes and brackets';
  }
}

function describeYamlError(code: string, message: string): string {
  if (code === 'RESOURCE_EXHAUSTION') return 'YAML nesting is too deep to parse';
  // The parser's messages are already sentences; keep them, without the trailing excerpt.
  return `YAML syntax error: ${message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message}`;
}

export function parseYaml(source: string, file: string, limits?: Partial<YamlLimits>): YamlResult {
  const lim = limitsWith(limits);
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): SourceLocation => {
    const pos = lineCounter.linePos(Math.max(0, Math.min(offset ?? 0, source.length)));
    return { file, line: pos.line, col: pos.col };
  };
  const err = (code: string, offset: number | undefined, path: ReadonlyArray<string | number>, message: string, fix?: string): Diagnostic => ({
    severity: 'error',
    code,
    location: at(offset),
    path: dotPath(path),
    message,
    ...(fix !== undefined ? { fix } : {}),
  });

  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > lim.maxBytes) {
    return {
      ok: false,
      errors: [
        {
          severity: 'error',
          code: 'yaml-too-large',
          location: { file, line: 1, col: 1 },
          path: '',
          message: `file is ${bytes} bytes, more than the limit of ${lim.maxBytes} bytes`,
          fix: 'split the file (vars_files, import_tasks) or remove generated content',
        },
      ],
    };
  }

  if (isVaultText(source)) return parseVaultedYaml(source, file, limits);

  const tooDeepAt = nestingBeyond(source, SAFE_PARSE_DEPTH);
  if (tooDeepAt !== undefined) {
    // the line counter is filled by the parser, which we did not run: count lines here
    const before = source.slice(0, tooDeepAt);
    const line = before.split('\n').length;
    const col = tooDeepAt - before.lastIndexOf('\n');
    return {
      ok: false,
      errors: [{ severity: 'error', code: 'yaml-too-deep', location: { file, line, col }, path: '', message: `YAML nesting is deeper than ${lim.maxDepth} levels`, fix: 'flatten the structure' }],
    };
  }

  let docs: Array<Document.Parsed>;
  try {
    const parsed = parseAllDocuments(source, {
      lineCounter,
      version: '1.2',
      schema: 'core',
      customTags: (tags) => [YAML11_OCTAL_TAG, YAML11_STRING_TAG, ...tags, ANSIBLE_BOOL_TAG],
      merge: false,
      // we report duplicates ourselves, with the position of the first one
      uniqueKeys: false,
      prettyErrors: false,
      keepSourceTokens: false,
    });
    // parseAllDocuments returns an EmptyStream (an array) or a list of documents
    docs = (Array.isArray(parsed) ? parsed : [parsed]).filter((d): d is Document.Parsed => isDocument(d));
  } catch (e) {
    // The parser reports most trouble as errors; anything thrown is still user input's fault.
    const tooDeep = e instanceof RangeError;
    return {
      ok: false,
      errors: [
        err(
          tooDeep ? 'yaml-too-deep' : 'yaml-syntax',
          0,
          [],
          tooDeep ? 'YAML nesting is too deep to parse' : `YAML could not be parsed: ${e instanceof Error ? e.message : String(e)}`,
          tooDeep ? `keep nesting under ${lim.maxDepth} levels` : 'check the YAML syntax of the file',
        ),
      ],
    };
  }

  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];

  if (docs.length > 1) {
    const second = docs[1];
    errors.push(
      err(
        'yaml-multiple-documents',
        second?.range[0],
        [],
        `file contains ${docs.length} YAML documents (separated by ---), but one is expected`,
        'keep one document per file: remove the extra `---` separators, or move the rest into another file',
      ),
    );
  }

  const doc = docs[0];
  if (doc === undefined) {
    // empty stream: no document at all
    return { ok: true, yaml: makeParsed(file, source, null, undefined, at), warnings };
  }

  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    errors.push(
      err(
        'yaml-version',
        source.indexOf('%YAML'),
        [],
        `%YAML ${doc.directives.yaml.version} directive is not supported: runbook reads YAML 1.2 only`,
        'remove the %YAML line (YAML 1.1 booleans like yes/no are still understood where a boolean is expected)',
      ),
    );
  }

  for (const e of doc.errors) {
    const code = e.code === 'RESOURCE_EXHAUSTION' ? 'yaml-too-deep' : e.code === 'DUPLICATE_KEY' ? 'yaml-duplicate-key' : 'yaml-syntax';
    let offset = e.pos[0];
    const quote = e.code === 'MISSING_CHAR' ? /closing (["'])/.exec(e.message)?.[1] : undefined;
    if (quote !== undefined) {
      // the parser notices at the end of the file; the opening quote is where the fix goes
      const open = source.lastIndexOf(quote, Math.max(0, offset - 1));
      if (open >= 0) offset = open;
    }
    errors.push(err(code, offset, [], describeYamlError(e.code, e.message), fixForYamlError(e.code, e.message)));
  }
  for (const w of doc.warnings as YAMLError[]) {
    // unresolved tags are reported as errors by the walk below
    if (w.code === 'TAG_RESOLVE_FAILED') continue;
    warnings.push({
      severity: 'warning',
      code: 'yaml-warning',
      location: at(w.pos[0]),
      path: '',
      message: w.message.split('\n')[0] ?? w.message,
    });
  }
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };

  // Count alias references before expanding anything.
  let aliasCount = 0;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isAlias(n)) {
      aliasCount++;
      if (aliasCount > lim.maxAliases) {
        return {
          ok: false,
          errors: [
            err(
              'yaml-alias-limit',
              n.range?.[0],
              [],
              `too many YAML aliases (more than ${lim.maxAliases}); files that expand aliases like this are rejected as alias bombs`,
              'write the values out instead of referring to anchors with *alias',
            ),
          ],
        };
      }
    } else if (isMap(n) || isSeq(n)) {
      for (const item of n.items) stack.push(item);
    } else if (isPair(n)) {
      stack.push(n.key, n.value);
    }
  }

  let nodes = 0;
  const resolvedAliases = new Map<object, ReturnType<Alias['resolve']>>();
  // the alias in the file the user wrote whose expansion is being walked (for the position)
  let aliasSite: number | undefined;
  let aliasNodes = 0;
  // inside a `!unsafe` node
  let unsafe = false;
  const walk = (node: unknown, path: Array<string | number>, depth: number, viaAlias: boolean): unknown => {
    nodes++;
    if (viaAlias || isAlias(node)) aliasNodes++;
    if (nodes > lim.maxNodes) {
      throw new LimitExceeded(
        // mostly copies made by aliases: an alias bomb; else simply a lot of data
        aliasSite !== undefined && aliasNodes * 2 > nodes
          ? err(
              'yaml-alias-limit',
              aliasSite,
              path,
              `YAML expands to more than ${lim.maxNodes} values; aliases that multiply like this are rejected as an alias bomb`,
              'write the values out instead of nesting *alias references',
            )
          : err('yaml-too-large', (node as YamlNode | null)?.range?.[0], path, `YAML has more than ${lim.maxNodes} values`, 'split the data into smaller files'),
      );
    }
    if (depth > lim.maxDepth) {
      throw new LimitExceeded(
        err('yaml-too-deep', (node as YamlNode | null)?.range?.[0], path, `YAML nesting is deeper than ${lim.maxDepth} levels`, 'flatten the structure'),
      );
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      // Alias.resolve searches the whole document; an alias bomb would call it many times
      let target = resolvedAliases.get(node);
      if (target === undefined && !resolvedAliases.has(node)) {
        target = node.resolve(doc);
        resolvedAliases.set(node, target);
      }
      if (target === undefined) {
        errors.push(err('yaml-unknown-alias', node.range?.[0], path, `alias *${node.source} refers to no anchor`, `define &${node.source} before using it, or remove the alias`));
        return null;
      }
      if (!viaAlias) aliasSite = node.range?.[0];
      return walk(target, path, depth, true);
    }
    const tag = (node as YamlNode).tag;
    if (tag === '!vault') {
      const at = tagOffset(source, (node as YamlNode).range?.[0]);
      if (!isScalar(node) || typeof node.value !== 'string') {
        if (!viaAlias) errors.push(err('vault-not-string', at, path, '!vault must tag a string (the block that ansible-vault encrypt_string prints)', 'write `key: !vault |` followed by the indented $ANSIBLE_VAULT lines'));
        return null;
      }
      const opened = openVaultValue(node.value);
      if (typeof opened === 'string') return opened;
      if (!viaAlias) errors.push(err(`vault-${opened.kind}`, at, path, `cannot decrypt the !vault value of \`${dotPath(path)}\`: ${opened.message}`, opened.fix));
      return null;
    }
    if (tag === '!unsafe' && !unsafe) {
      // every string below is kept from templating (Ansible marks them AnsibleUnsafe)
      unsafe = true;
      try {
        return walk(node, path, depth, viaAlias);
      } finally {
        unsafe = false;
      }
    }
    if (tag !== undefined && tag !== '!unsafe' && !CORE_TAGS.has(tag) && !viaAlias) {
      const shown = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
      errors.push(err('yaml-unknown-tag', tagOffset(source, (node as YamlNode).range?.[0]), path, `YAML tag ${shown} is not allowed`, 'remove the tag; only plain YAML values (strings, numbers, booleans, null, lists, mappings), !vault and !unsafe are allowed'));
      return null;
    }
    if (isScalar(node)) {
      // `!unsafe 0644` is the text as written (a tagged scalar is never resolved as a number)
      const v: unknown = unsafe && tag === '!unsafe' ? (node.source ?? String(node.value)) : node.value;
      if (typeof v === 'string' && unsafe) return unsafeText(v);
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (typeof v === 'bigint') return Number(v);
      errors.push(err('yaml-unknown-tag', node.range?.[0], path, 'YAML value of an unsupported type', 'use a plain string, number, boolean or null'));
      return null;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        out.push(walk(item, [...path, i], depth + 1, viaAlias));
      });
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const firstSeen = new Map<string, number | undefined>();
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        let key: string;
        const kv: unknown = isScalar(keyNode) ? keyNode.value : undefined;
        if (isScalar(keyNode) && (kv === null || typeof kv === 'string' || typeof kv === 'number' || typeof kv === 'boolean')) {
          if (keyNode.tag !== undefined && !CORE_TAGS.has(keyNode.tag) && !viaAlias) {
            errors.push(err('yaml-unknown-tag', keyNode.range?.[0], path, `YAML tag ${keyNode.tag} is not allowed on a key`, 'remove the tag'));
            continue;
          }
          key = kv === null ? '' : String(kv);
          if (key === '<<' && keyNode.type === Scalar.PLAIN) {
            if (!viaAlias) {
              errors.push(
                err('yaml-merge-key', keyNode.range?.[0], [...path, key], 'YAML merge keys (<<) are not supported', 'write the keys out in this mapping instead of merging them from an anchor'),
              );
            }
            continue;
          }
        } else {
          if (!viaAlias) {
            errors.push(err('yaml-complex-key', keyNode?.range?.[0] ?? node.range?.[0], path, 'mapping keys must be plain strings', 'use a simple string key'));
          }
          continue;
        }
        if (FORBIDDEN_KEYS.has(key)) {
          if (!viaAlias) {
            errors.push(err('yaml-forbidden-key', keyNode.range?.[0], [...path, key], `key \`${key}\` is not allowed`, `rename the key; \`${key}\` would tamper with object prototypes`));
          }
          continue;
        }
        if (firstSeen.has(key)) {
          // `apt:` with its arguments not indented under it: `name` of the module repeats the task's
          const empty = emptyKeyBetween(node.items, firstSeen.get(key), keyNode.range?.[0]);
          if (!viaAlias && empty !== undefined) {
            errors.push(
              err('misindented-argument', keyNode.range?.[0], [...path, key], `\`${key}\` is given twice: \`${empty}:\` above it has no value, so the lines under \`${empty}:\` are probably its arguments, not indented`, `indent the lines after \`${empty}:\` two spaces deeper than \`${empty}\` (arguments go under the module name)`),
            );
          } else if (!viaAlias) {
            const first = at(firstSeen.get(key));
            errors.push(
              err('duplicate-key', keyNode.range?.[0], [...path, key], `duplicate key \`${key}\` (first defined at line ${first.line}, column ${first.col})`, `remove one of the \`${key}\` entries; YAML keeps only one value per key`),
            );
          }
          continue;
        }
        firstSeen.set(key, keyNode.range?.[0]);
        // defineProperty: no setters run, whatever the key (forbidden keys are already out)
        Object.defineProperty(out, key, { value: walk(pair.value, [...path, key], depth + 1, viaAlias), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    errors.push(err('yaml-syntax', (node as YamlNode).range?.[0], path, 'unsupported YAML node', 'use plain YAML values'));
    return null;
  };

  let value: unknown;
  try {
    value = walk(doc.contents, [], 0, false);
  } catch (e) {
    if (e instanceof LimitExceeded) return { ok: false, errors: [e.diagnostic] };
    if (e instanceof RangeError) {
      return { ok: false, errors: [err('yaml-too-deep', 0, [], 'YAML nesting is too deep', `keep nesting under ${lim.maxDepth} levels`)] };
    }
    throw e;
  }
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
  return { ok: true, yaml: makeParsed(file, source, value, doc, at), warnings };
}

/** The keyring of the running command; an empty one says "no vault password was given". */
function keyring(): Keyring {
  return currentKeyring() ?? new Keyring([]);
}

/** The plaintext of an inline `!vault` value (registered as a secret), or why it cannot be had. */
function openVaultValue(text: string): string | VaultError {
  const ring = keyring();
  try {
    const plain = new TextDecoder('utf-8', { fatal: true }).decode(ring.decrypt(text).plaintext);
    if (plain.length >= MIN_VAULT_LEAF_LENGTH) ring.secrets.add(plain);
    markVaulted(plain);
    return plain;
  } catch (e) {
    if (e instanceof VaultError) return e;
    if (e instanceof TypeError) return new VaultError('format', 'the decrypted value is not UTF-8 text', 'vault binary data as a file (copy src), not as a !vault value');
    throw e;
  }
}

/**
 * A whole file encrypted with ansible-vault (group_vars/all/vault.yml, -e @secrets.yml): decrypt
 * it, parse the plaintext, register every value in it as a secret. Diagnostics keep their line
 * and column (in the decrypted text) and never quote a value from it.
 */
function parseVaultedYaml(source: string, file: string, limits: Partial<YamlLimits> | undefined): YamlResult {
  const ring = keyring();
  const fail = (code: string, message: string, fix: string): YamlResult => ({ ok: false, errors: [{ severity: 'error', code, location: { file, line: 1, col: 1 }, path: '', message, fix }] });
  let plain: string;
  try {
    plain = new TextDecoder('utf-8', { fatal: true }).decode(ring.decrypt(source).plaintext);
  } catch (e) {
    if (e instanceof VaultError) return fail(`vault-${e.kind}`, `cannot decrypt this vault-encrypted file: ${e.message}`, e.fix);
    if (e instanceof TypeError) return fail('vault-format', 'the decrypted file is not UTF-8 text, so it is not a vars file', 'decrypt it with `runbook vault view` and check what it holds');
    throw e;
  }
  if (plain.startsWith('\uFEFF')) plain = plain.slice(1);
  if (isVaultText(plain)) return fail('vault-format', 'the decrypted file is itself vault-encrypted (encrypted twice)', 'decrypt it once with `runbook vault decrypt` and encrypt it again');
  const res = parseYaml(plain, file, limits);
  const hide = (d: Diagnostic): Diagnostic => ({ ...d, message: `${ring.secrets.mask(d.message)} (in the decrypted content)`, ...(d.fix !== undefined ? { fix: ring.secrets.mask(d.fix) } : {}) });
  if (!res.ok) return { ok: false, errors: res.errors.map(hide) };
  ring.secrets.addLeaves(res.yaml.value);
  // `source` feeds code frames: keep the file as it is on disk, never the plaintext
  return { ok: true, yaml: { ...res.yaml, source }, warnings: res.warnings.map(hide) };
}

/** The node's range starts after its tag; point at the `!` the user wrote instead. */
function tagOffset(source: string, start: number | undefined): number | undefined {
  if (start === undefined) return undefined;
  let i = start;
  while (i > 0 && /\s/.test(source[i - 1] ?? '')) i--;
  let j = i;
  while (j > 0 && /\S/.test(source[j - 1] ?? '')) j--;
  return source[j] === '!' ? j : start;
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.code}:${d.location.line}:${d.location.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** below this many pairs a mapping is searched, not indexed */
const INDEX_MIN_PAIRS = 16;

function makeParsed(
  file: string,
  source: string,
  value: unknown,
  doc: Document.Parsed | undefined,
  at: (offset: number | undefined) => SourceLocation,
): ParsedYaml {
  // A mapping's pairs by key, made the first time a path goes through a large mapping: an
  // inventory locates each of its hosts, and a search of the hosts mapping per host made loading
  // a 1000-host inventory quadratic. The first pair of a key wins, as the search did.
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  // the key a path segment names: a scalar's value as text (other keys are never named)
  const keyOf = (p: Pair): string | undefined => (isScalar(p.key) ? String(p.key.value) : undefined);
  const pairOf = (map: YAMLMap, seg: string | number): Pair | undefined => {
    const key = String(seg);
    if (map.items.length < INDEX_MIN_PAIRS) return map.items.find((p) => keyOf(p) === key);
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) {
        const k = keyOf(p);
        if (k !== undefined && !index.has(k)) index.set(k, p);
      }
      indexes.set(map, index);
    }
    return index.get(key);
  };
  /** Walk the AST along `path`; returns [key offset, value offset] of the deepest node found. */
  const find = (path: ReadonlyArray<string | number>): { keyOffset: number; valueOffset: number } => {
    let node: unknown = doc?.contents;
    let keyOffset = (node as YamlNode | null)?.range?.[0] ?? 0;
    let valueOffset = keyOffset;
    for (const seg of path) {
      if (isAlias(node) && doc !== undefined) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = pairOf(node, seg);
        if (pair === undefined) break;
        const k = pair.key as YamlNode;
        keyOffset = k.range?.[0] ?? keyOffset;
        const v = pair.value as YamlNode | null;
        valueOffset = v?.range?.[0] ?? keyOffset;
        node = v;
      } else if (isSeq(node)) {
        const idx = typeof seg === 'number' ? seg : Number(seg);
        const item = Number.isInteger(idx) ? (node.items[idx] as YamlNode | undefined) : undefined;
        if (item === undefined) break;
        keyOffset = item.range?.[0] ?? keyOffset;
        valueOffset = keyOffset;
        node = item;
      } else {
        break;
      }
    }
    return { keyOffset, valueOffset };
  };
  return {
    file,
    source,
    value,
    locate: (path) => at(find(path).keyOffset),
    locateValue: (path) => at(find(path).valueOffset),
  };
}

/** Read and parse a YAML file; the size is checked before reading, and a missing file is a diagnostic. */
/** Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * The text of a file, or where it stops being UTF-8. Decoding is strict (a Latin-1 file must
 * not turn into U+FFFD characters that then look like valid YAML); line and column of the first
 * bad byte are counted in characters, as in every other diagnostic.
 */
export function decodeUtf8(bytes: Uint8Array): string | { offset: number; byte: number; line: number; col: number } {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < offset; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    let prefix = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(lineStart, offset));
    if (line === 1 && prefix.startsWith('\uFEFF')) prefix = prefix.slice(1);
    return { offset, byte: bytes[offset] ?? 0, line, col: prefix.length + 1 };
  }
}

export async function readYamlFile(file: string, limits?: Partial<YamlLimits>): Promise<YamlResult> {
  const lim = limitsWith(limits);
  const failure = (code: string, message: string, fix: string): YamlResult => ({
    ok: false,
    errors: [{ severity: 'error', code, location: { file, line: 1, col: 1 }, path: '', message, fix }],
  });
  try {
    const st = await stat(file);
    if (!st.isFile()) return failure('file-not-readable', `${file} is not a regular file`, 'give the path of a YAML file');
    if (st.size > lim.maxBytes) {
      return failure('yaml-too-large', `file is ${st.size} bytes, more than the limit of ${lim.maxBytes} bytes`, 'split the file (vars_files, import_tasks) or remove generated content');
    }
    const bytes = await readFile(file);
    const decoded = decodeUtf8(bytes);
    if (typeof decoded !== 'string') {
      return {
        ok: false,
        errors: [
          {
            severity: 'error',
            code: 'file-not-utf8',
            location: { file, line: decoded.line, col: decoded.col },
            path: '',
            message: `file is not valid UTF-8 (byte 0x${decoded.byte.toString(16).padStart(2, '0')} at offset ${decoded.offset})`,
            fix: 'save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.new`',
          },
        ],
      };
    }
    return parseYaml(decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded, file, lim);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return failure('file-not-found', `file not found: ${file}`, 'check the path (relative paths are resolved from the including file or the current directory)');
    if (code === 'EACCES') return failure('file-not-readable', `permission denied reading ${file}`, 'make the file readable by this user');
    if (code === 'EISDIR') return failure('file-not-readable', `${file} is a directory`, 'give the path of a YAML file');
    return failure('file-not-readable', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, 'check the path and permissions');
  }
}

/** A key with no value between two offsets of a mapping (`apt:` between `name:` and `name:`). */
function emptyKeyBetween(items: ReadonlyArray<{ key: unknown; value: unknown }>, from: number | undefined, to: number | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  for (const pair of items) {
    const k = pair.key as YamlNode | null;
    const off = k?.range?.[0];
    if (off === undefined || off <= from || off >= to || !isScalar(k) || typeof k.value !== 'string') continue;
    const v = pair.value as YamlNode | null;
    if (v === null || (isScalar(v) && v.value === null && v.source === '')) return k.value;
  }
  return undefined;
}
