// Controller files for copy/template: `src` relative to the playbook directory, else in its
// `files/` (copy) or `templates/` (template) folder, the places Ansible looks.
import type { ModuleContext } from '../types.js';

export async function readControllerFile(ctx: Pick<ModuleContext, 'readLocalFile'>, src: string, folder: 'files' | 'templates'): Promise<string> {
  try {
    return await ctx.readLocalFile(src);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing || src.startsWith('/') || src.startsWith(`${folder}/`)) throw e;
    try {
      return await ctx.readLocalFile(`${folder}/${src}`);
    } catch {
      throw new Error(`${src} not found next to the playbook nor in its ${folder}/ directory`, { cause: e });
    }
  }
}
