// `{% include %}`, `{% import %}` and `{% from %}` of other template files. runbook renders
// single-pass from an AST without a file loader, so an include is inlined before compiling: the
// same result as Jinja's include "with context" (the default) for a literal name, which is how
// templates include each other. Imports read the same preloaded files, parsed when the template
// runs them. Used by whole template files (file-template.ts) and the `template` lookup.
import { compile, type AstNode, type BlockOptions } from './compile.js';
import { TemplateError, TemplateRuntimeError } from './errors.js';

const INCLUDE = /\{%([-+]?)\s*include\s+(?:(['"])([^'"]*)\2|(\S+))(\s+ignore\s+missing)?(?:\s+with(?:out)?\s+context)?\s*([-+]?)%\}/g;

const IMPORT = /\{%[-+]?\s*(import|from)\s+(['"])([^'"]*)\2/g;

export interface IncludeRef {
  name: string;
  ignoreMissing: boolean;
  /** the tag that loads it */
  tag: 'include' | 'import' | 'from';
}

/** The files a template includes or imports by literal name (a non-literal name is an error when rendered). */
export function includedNames(source: string): IncludeRef[] {
  const includes = [...source.matchAll(INCLUDE)].filter((m) => m[3] !== undefined).map((m): IncludeRef => ({ name: m[3]!, ignoreMissing: m[5] !== undefined, tag: 'include' }));
  const imports = [...source.matchAll(IMPORT)].map((m): IncludeRef => ({ name: m[3]!, ignoreMissing: false, tag: m[1] === 'from' ? 'from' : 'import' }));
  return [...includes, ...imports];
}

export interface FileTemplateOptions extends BlockOptions {
  /** the text of each included or imported file by the name written in the tag; missing = not found */
  includes?: ReadonlyMap<string, string>;
  /** the template module's newline_sequence (`\n` default) */
  newline?: string;
}

/** `source` with each `{% include 'NAME' %}` replaced by that file's text (from `options.includes`), recursively. */
export function inlineIncludes(source: string, options: FileTemplateOptions, depth: number): string {
  if (depth > 20) throw new TemplateError('template includes nest more than 20 deep (an include cycle?)', source);
  const trim = options.trimBlocks ?? true;
  let out = '';
  let last = 0;
  for (const m of source.matchAll(INCLUDE)) {
    let before = source.slice(last, m.index);
    if (m[1] === '-') before = before.trimEnd();
    out += before;
    last = m.index + m[0].length;
    if (m[3] === undefined) throw new TemplateError(`{% include ${m[4]} %}: only a quoted file name can be included (runbook resolves includes before rendering)`, source);
    const text = options.includes?.get(m[3]);
    if (text === undefined) {
      if (m[5] === undefined) throw new TemplateError(`{% include '${m[3]}' %}: template not found`, source);
    } else {
      // Jinja drops one trailing newline of a loaded template (keep_trailing_newline is off)
      out += inlineIncludes(text.endsWith('\n') ? text.slice(0, -1) : text, options, depth + 1);
    }
    if (m[6] === '-') last += source.slice(last).length - source.slice(last).trimStart().length;
    else if (trim && m[6] !== '+' && source[last] === '\n') {
      last += 1;
      // the next source line starts here: Jinja's lexer would lstrip a block tag on it
      if (options.lstripBlocks) last += /^[ \t]*(?=\{%(?!\+))/.exec(source.slice(last))?.[0].length ?? 0;
    }
  }
  return out + source.slice(last);
}

/** What `{% import %}` / `{% from %}` load in a template file: a preloaded file, parsed. */
export function fileLoader(options: FileTemplateOptions): (name: string) => AstNode[] {
  return (name) => {
    const imported = options.includes?.get(name);
    if (imported === undefined) throw new TemplateRuntimeError(`template '${name}' not found (only a quoted file name is loaded for {% import %} / {% from %})`);
    return compile(inlineIncludes(imported, options, 1), options).body;
  };
}

/** A rendered file's ending: the source's final newlines that the output lost come back (Ansible's preserve_trailing_newlines), then the newline sequence. */
export function finishFile(source: string, out: string, options: FileTemplateOptions): string {
  const trailing = (t: string): number => t.length - t.replace(/\n+$/, '').length;
  const text = out + '\n'.repeat(Math.max(0, trailing(source) - trailing(out)));
  const nl = options.newline ?? '\n';
  return nl === '\n' ? text : text.replace(/\r\n|\r|\n/g, nl);
}
