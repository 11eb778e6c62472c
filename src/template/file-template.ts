// A whole template file (the template module): always text, whitespace control as the module
// says (trim_blocks on, lstrip_blocks off by default: Ansible's), and `{% include 'x.j2' %}` of
// other template files, inlined before compiling (includes.ts). `{% import %}` and `{% from %}`
// read the same preloaded files, parsed when the template runs them.
import { compile } from './compile.js';
import { fileLoader, finishFile, inlineIncludes, type FileTemplateOptions } from './includes.js';
import { Interpreter } from './interpret.js';
import type { ScopeLike } from './render.js';
import { lookupOf, wrap } from './render.js';

export { includedNames, type FileTemplateOptions, type IncludeRef } from './includes.js';

/** Render a template file to text. */
export function renderFile(source: string, scope: ScopeLike, options: FileTemplateOptions = {}): string {
  const text = inlineIncludes(source, options, 0);
  const compiled = compile(text, options);
  const interp = new Interpreter(lookupOf(scope), { load: fileLoader(options) });
  let out: string;
  try {
    out = interp.renderBody(compiled.body);
  } catch (err) {
    throw wrap(err, text);
  }
  return finishFile(source, out, options);
}
