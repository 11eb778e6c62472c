// Controller files for copy/template `src`: looked for along the task's search path
// (`ansible_search_path`: the role's directory first inside a role, then the playbook's), in
// the kind's folder (`files/` for copy, `templates/` for template) and then in the directory
// itself, the places Ansible looks (src/playbook/search-path.ts). An absolute `src` is itself.
import { notFoundMessage, searchCandidates } from '../../playbook/search-path.js';
import type { ModuleContext } from '../types.js';

export async function readControllerFile(ctx: Pick<ModuleContext, 'readLocalFile' | 'searchPath'>, src: string, folder: 'files' | 'templates'): Promise<string> {
  // no search path (a context built without one): relative to the directory readLocalFile reads from
  const candidates = searchCandidates(ctx.searchPath ?? [''], folder, src);
  const tried: string[] = [];
  for (const p of candidates) {
    tried.push(p);
    try {
      return await ctx.readLocalFile(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // a directory where the file was expected is "not here" too (Ansible looks on)
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw e;
    }
  }
  throw new Error(notFoundMessage(folder === 'files' ? 'copy src' : 'template src', src, tried));
}
