// A whole template file (the template module): always text, whitespace control as the module
// says (trim_blocks on, lstrip_blocks off by default: Ansible's), and `{% include 'x.j2' %}` of
// other template files. runbook renders single-pass from an AST without a file loader, so an
// include is inlined before compiling: the same result as Jinja's include "with context" (the
// default) for a literal name, which is how templates include each other. `{% import %}` and
// `{% from %}` read the same preloaded files, parsed when the template runs them.
import type { BlockOptions } from './compile.js';
import { compile } from './compile.js';
import { TemplateError } from './errors.js';
import { TemplateRuntimeError } from './errors.js';
import { Interpreter } from './interpret.js';
import type { ScopeLike } from './render.js';
import { lookupOf, wrap } from './render.js';

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

function inline(source: string, options: FileTemplateOptions, depth: number): string {
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
      out += inline(text.endsWith('\n') ? text.slice(0, -1) : text, options, depth + 1);
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

/** Render a template file to text. */
export function renderFile(source: string, scope: ScopeLike, options: FileTemplateOptions = {}): string {
  const text = inline(source, options, 0);
  const compiled = compile(text, options);
  const interp = new Interpreter(lookupOf(scope), {
    load: (name) => {
      const imported = options.includes?.get(name);
      if (imported === undefined) throw new TemplateRuntimeError(`template '${name}' not found (only a quoted file name is loaded for {% import %} / {% from %})`);
      return compile(inline(imported, options, 1), options).body;
    },
  });
  let out: string;
  try {
    out = interp.renderBody(compiled.body);
  } catch (err) {
    throw wrap(err, text);
  }
  // Ansible's preserve_trailing_newlines: the source's final newlines that the output lost come back
  const trailing = (t: string): number => t.length - t.replace(/\n+$/, '').length;
  out += '\n'.repeat(Math.max(0, trailing(source) - trailing(out)));
  const nl = options.newline ?? '\n';
  return nl === '\n' ? out : out.replace(/\r\n|\r|\n/g, nl);
}
