// Lookups that read controller files along the search path (ansible_search_path, most
// specific first; `files/` or `templates/` first in each directory, as Ansible's
// find_file_in_search_path): file, template, first_found, fileglob.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { globToRegExp } from '../../util/glob.js';
import { includedNames } from '../includes.js';
import { findInSearchPath, searchCandidates, type SearchKind } from '../../util/search-path.js';
import { truthy } from '../values.js';
import { asStringTerm, LookupError, type LookupContext, type LookupPlugin } from './types.js';

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

function locate(ctx: LookupContext, kind: SearchKind, name: string, lookup: string): string {
  const r = findInSearchPath(ctx.searchPath(), kind, name, isFile);
  if (r.found === undefined) throw new LookupError(`lookup '${lookup}': could not locate file '${name}'; looked in: ${r.tried.join(', ')}`);
  return r.found;
}

function read(path: string, lookup: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new LookupError(`lookup '${lookup}': cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** file: the contents of each file (trailing whitespace stripped unless rstrip=false; lstrip=true strips the start). */
export const fileLookup: LookupPlugin = (terms, options, ctx) => {
  const rstrip = options.rstrip === undefined ? true : truthy(options.rstrip);
  const lstrip = options.lstrip === undefined ? false : truthy(options.lstrip);
  return terms.map((t) => {
    let text = read(locate(ctx, 'files', asStringTerm(t, 'file'), 'file'), 'file');
    if (rstrip) text = text.replace(/\s+$/, '');
    if (lstrip) text = text.replace(/^\s+/, '');
    return text;
  });
};

/**
 * The text of every template `source` includes or imports (by literal name), recursively, looked
 * for in `dirs` as Jinja's loader does in Ansible's template lookup (names are relative to the
 * search path, not to the including file).
 */
function templateIncludes(source: string, from: string, dirs: readonly string[], found = new Map<string, string>(), depth = 0): Map<string, string> {
  if (depth > 20) return found;
  for (const ref of includedNames(source)) {
    if (found.has(ref.name)) continue;
    const file = dirs.map((d) => join(d, ref.name)).find(isFile);
    if (file === undefined) {
      if (ref.ignoreMissing) continue;
      throw new LookupError(`lookup 'template': {% ${ref.tag} '${ref.name}' %} in ${from}: template not found; looked in: ${dirs.join(', ')}`);
    }
    const text = read(file, 'template');
    found.set(ref.name, text);
    templateIncludes(text, file, dirs, found, depth + 1);
  }
  return found;
}

/**
 * template: each template file rendered with the current variables (and `template_vars`), as
 * text, as a template file is (its final newlines kept). `{% include %}`, `{% import %}` and
 * `{% from %}` find other templates where Ansible's template lookup does: the template's own
 * directory, then each search path directory's templates/ and the directory itself.
 */
export const templateLookup: LookupPlugin = (terms, options, ctx) => {
  const extra = options.template_vars;
  if (extra !== undefined && (extra === null || typeof extra !== 'object' || Array.isArray(extra))) throw new LookupError("lookup 'template': template_vars must be a mapping");
  return terms.map((t) => {
    const path = locate(ctx, 'templates', asStringTerm(t, 'template'), 'template');
    const source = read(path, 'template');
    const dirs = [...new Set([dirname(path), ...ctx.searchPath().flatMap((p) => [join(p, 'templates'), p])])];
    return ctx.renderFile(source, { includes: templateIncludes(source, path, dirs) }, extra as Record<string, unknown> | undefined);
  });
};

/** `files`/`paths` given as text are split on `,` and `;` (paths also on `:`), as Ansible's first_found. */
function splitList(v: unknown, seps: RegExp): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.flatMap((x) => (typeof x === 'string' ? x.split(seps) : [String(x)])).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * first_found: the first file that exists of the terms (names, or mappings with files/paths/
 * skip), as an absolute path. Relative names are looked for along the search path (`files/`
 * first); with `paths`, in each of those directories (a relative one joined to the name, then
 * looked for along the search path). None found: an error, or nothing with `skip`.
 */
export const firstFoundLookup: LookupPlugin = (terms, options, ctx) => {
  // with_first_found looks in the task action's subdirectory (the loader passes it, as Ansible's executor sets _subdir)
  const kind: SearchKind = options._subdir === 'templates' || options._subdir === 'vars' ? options._subdir : 'files';
  let skip = options.skip === undefined ? false : truthy(options.skip);
  const candidates: Array<{ files: string[]; paths: string[] }> = [];
  const topFiles = splitList(options.files, /[,;]/);
  const topPaths = splitList(options.paths, /[,;:]/);
  const flat = terms.flatMap((t) => (Array.isArray(t) ? (t as unknown[]) : [t]));
  for (const t of flat) {
    if (t !== null && typeof t === 'object') {
      const o = t as Record<string, unknown>;
      if (o.skip !== undefined) skip = truthy(o.skip);
      candidates.push({ files: splitList(o.files, /[,;]/), paths: splitList(o.paths, /[,;:]/) });
    } else candidates.push({ files: [asStringTerm(t, 'first_found')], paths: topPaths });
  }
  if (topFiles.length > 0) candidates.push({ files: topFiles, paths: topPaths });
  const tried: string[] = [];
  for (const c of candidates) {
    for (const f of c.files) {
      if (c.paths.length > 0 && !isAbsolute(f)) {
        for (const p of c.paths) {
          const full = join(p, f);
          if (isAbsolute(full)) {
            tried.push(full);
            if (existsSync(full)) return [full];
            continue;
          }
          // a relative `paths` entry is joined to the name and looked for along the search path,
          // as Ansible's first_found: inside a role, `paths: [vars]` finds ROLE/vars/NAME
          const r = findInSearchPath(ctx.searchPath(), kind, full, existsSync);
          tried.push(...r.tried);
          if (r.found !== undefined) return [r.found];
        }
      } else {
        const r = findInSearchPath(ctx.searchPath(), kind, f, existsSync);
        tried.push(...r.tried);
        if (r.found !== undefined) return [r.found];
      }
    }
  }
  if (skip) return [];
  throw new LookupError(`lookup 'first_found': no file was found; looked in: ${tried.join(', ') || '(no files given)'}`);
};

/** fileglob: files (not directories) matching each pattern; a relative pattern's directory is looked for along the search path. */
export const fileglobLookup: LookupPlugin = (terms, _options, ctx) => {
  const out: string[] = [];
  for (const t of terms) {
    const pattern = asStringTerm(t, 'fileglob');
    const dirPart = dirname(pattern);
    const dirs = isAbsolute(pattern) ? [dirPart] : searchCandidates(ctx.searchPath(), 'files', dirPart === '.' ? '' : dirPart).filter((d) => existsSync(d));
    const re = globToRegExp(basename(pattern));
    for (const dir of dirs) {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        continue;
      }
      const hits = names.filter((n) => re.test(n)).map((n) => join(dir, n)).filter(isFile);
      if (hits.length > 0) {
        out.push(...hits);
        // the first directory of the search path with matches wins (Ansible)
        break;
      }
    }
  }
  return out;
};
