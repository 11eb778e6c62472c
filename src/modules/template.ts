// template: render a Jinja2 file from the controller with the task's variables, then exactly
// what copy does (one probe; write only when the rendered content or attributes differ).
import { hostname } from 'node:os';
import { dirname, posix } from 'node:path';
import { includedNames, type IncludeRef } from '../template/index.js';
import { notFoundMessage, searchCandidates } from '../util/search-path.js';
import type { ModuleContext } from './types.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { readControllerFile } from './util/local-file.js';
import { COPY_PARTS, WRITE_FILE_PROPERTIES, type CopyArgs, type CopyPlanArgs, type CopyProbe } from './copy.js';

export interface TemplateArgs extends Omit<CopyArgs, 'content'> {
  src: string;
  trim_blocks?: boolean | string;
  lstrip_blocks?: boolean | string;
  newline_sequence?: '\n' | '\r' | '\r\n';
  output_encoding?: string;
}

/** Ansible's default `ansible_managed` text (ansible.cfg `ansible_managed`). */
export const ANSIBLE_MANAGED = 'Ansible managed';

// the controller's name (Ansible's template_host): asked of the OS once, not once per task and
// host (a uname system call each time)
let controllerName: string | undefined;

/**
 * A file another template includes or imports: looked for beside the including template, then
 * along the search path's `templates/` folders (and the folders themselves) as `src` is.
 * Missing: undefined when the tag says `ignore missing`, else an error listing every path tried.
 */
async function readTemplateFile(ctx: ModuleContext, ref: IncludeRef, from: string): Promise<string | undefined> {
  const searchPath = ctx.searchPath ?? [''];
  const candidates = [...new Set([...searchCandidates(searchPath, 'templates', posix.join(dirname(from), ref.name)), ...searchCandidates(searchPath, 'templates', ref.name)])];
  for (const p of candidates) {
    try {
      return await ctx.readLocalFile(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw e;
    }
  }
  if (ref.ignoreMissing) return undefined;
  throw new Error(notFoundMessage(`{% ${ref.tag} %} in '${from}': template`, ref.name, candidates));
}

/** The text of every template `source` includes or imports (by literal name), recursively. */
async function loadIncludes(ctx: ModuleContext, source: string, from: string, found = new Map<string, string>(), depth = 0): Promise<Map<string, string>> {
  if (depth > 20) return found;
  for (const ref of includedNames(source)) {
    if (found.has(ref.name)) continue;
    const text = await readTemplateFile(ctx, ref, from);
    if (text === undefined) continue;
    found.set(ref.name, text);
    await loadIncludes(ctx, text, ref.name, found, depth + 1);
  }
  return found;
}

export const templateModule = defineModule<TemplateArgs, CopyProbe | undefined, CopyPlanArgs>({
  name: 'template',
  schema: moduleSchema({
    properties: {
      src: { type: 'string', minLength: 1, description: 'Jinja2 template on the controller, relative to the playbook directory (or its `templates/`)' },
      ...WRITE_FILE_PROPERTIES,
      trim_blocks: boolSchema('remove the first newline after a block tag (`{% ... %}`), as Jinja2 in Ansible', true),
      lstrip_blocks: boolSchema('strip spaces and tabs before a block tag at the start of a line', false),
      newline_sequence: { enum: ['\n', '\r', '\r\n'], default: '\n', description: 'the line ending the rendered file gets' },
      output_encoding: { enum: ['utf-8', 'utf8', 'UTF-8'], default: 'utf-8', description: 'runbook writes UTF-8 only (other encodings are refused)' },
    },
    required: ['src', 'dest'],
  }),
  doc: {
    short: 'Render a Jinja2 template from the controller into a file on the host',
    description:
      'The template is rendered on the controller with all variables the task sees (host facts included); the result is then handled exactly like `copy` content: one probe, and a write only when it differs.',
    returns: {
      dest: 'the file written',
      src: 'the template',
      checksum: 'sha1 of the rendered content',
      size: 'rendered size in bytes',
      backup_file: 'the backup made (backup: yes and the file changed)',
    },
    example: '- template:\n    src: templates/allmon3.ini.j2\n    dest: /etc/allmon3/allmon3.ini\n    mode: "0640"\n    owner: root\n    group: www-data',
  },
  homePaths: ['dest'],
  // rendered on the controller, then exactly copy's probe, plan and one-command path
  async prepare(ctx, args) {
    const source = await readControllerFile(ctx, args.src, 'templates');
    const { trim_blocks: trimArg, lstrip_blocks: lstripArg, newline_sequence: newline = '\n', output_encoding: _encoding, ...copyArgs } = args;
    const trimBlocks = toBool(trimArg, true);
    const lstripBlocks = toBool(lstripArg, false);
    try {
      const includes = await loadIncludes(ctx, source, args.src);
      // the variables Ansible's template action adds for the template only
      const vars = {
        ansible_managed: ANSIBLE_MANAGED,
        template_host: (controllerName ??= hostname()),
        template_destpath: args.dest,
      };
      return { ...copyArgs, text: ctx.renderTemplate(source, { trimBlocks, lstripBlocks, newline, includes, vars }) };
    } catch (e) {
      return { ...copyArgs, text: '', error: `template ${args.src}: ${(e as Error).message}` };
    }
  },
  ...COPY_PARTS,
});
