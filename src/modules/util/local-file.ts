// Controller files for copy/template/unarchive `src`: looked for along the task's search path
// (`ansible_search_path`: the role's directory first inside a role, then the playbook's), in
// the kind's folder (`files/` for copy, `templates/` for template) and then in the directory
// itself, the places Ansible looks (src/playbook/search-path.ts). An absolute `src` is itself.
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { notFoundMessage, searchCandidates } from '../../playbook/search-path.js';
import { isVaultText } from '../../vault/format.js';
import { VaultError } from '../../vault/keyring.js';
import { currentKeyring } from '../../vault/scope.js';
import { MIN_VAULT_LEAF_LENGTH } from '../../vault/secrets.js';
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

/** One entry of a controller directory tree (copy with a directory `src`). */
export interface TreeEntry {
  /** path below the tree's root, `/`-separated, no leading `./` */
  rel: string;
  type: 'file' | 'directory' | 'link';
  /** 4-digit octal mode on the controller (mode: preserve) */
  mode: string;
  /** file: its bytes (decrypted when it was a vault and decrypt is on) */
  bytes?: Buffer;
  /** link (local_follow: false): the link's target as stored */
  linkTarget?: string;
}

/** A controller `src` found along the search path: a file's bytes, or a directory's tree. */
export type ControllerSource =
  | { kind: 'file'; path: string; bytes: Buffer; mode: string; vaulted: boolean }
  | { kind: 'directory'; path: string; mode: string; entries: TreeEntry[] };

export interface SourceOptions {
  /** open vault-encrypted files (Ansible's `decrypt`, default true) */
  decrypt: boolean;
  /** follow symlinks inside a source directory (Ansible's `local_follow`, default true) */
  localFollow: boolean;
  /** what the error calls the argument: `copy src`, `unarchive src` */
  what: string;
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Find `src` along the search path and read it as bytes (binary files survive), or walk it when
 * it is a directory. A vault-encrypted file is decrypted with the command's vault passwords
 * when `decrypt` is on, and its plaintext becomes a secret of the run (masked everywhere).
 */
export async function readControllerSource(ctx: Pick<ModuleContext, 'searchPath'>, src: string, o: SourceOptions): Promise<ControllerSource> {
  const tried: string[] = [];
  for (const candidate of searchCandidates(ctx.searchPath ?? [''], 'files', src)) {
    tried.push(candidate);
    const p = resolve(candidate);
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw e;
    }
    if (st.isDirectory()) return { kind: 'directory', path: p, mode: octal(st.mode), entries: await walkTree(p, o) };
    const { bytes, vaulted } = await readBytes(p, candidate, o.decrypt);
    return { kind: 'file', path: p, bytes, mode: octal(st.mode), vaulted };
  }
  throw new Error(notFoundMessage(o.what, src, tried));
}

async function readBytes(path: string, shown: string, decrypt: boolean): Promise<{ bytes: Buffer; vaulted: boolean }> {
  const raw = await readFile(path);
  if (!decrypt || !isVaultText(raw)) return { bytes: raw, vaulted: false };
  const keyring = currentKeyring();
  if (!keyring) throw new VaultError('no-password', `cannot decrypt the vault-encrypted file ${shown}: no vault password was given`, 'give --vault-password-file, --vault-id or --ask-vault-pass, or set decrypt: false to copy it as it is');
  let plaintext: Buffer;
  try {
    plaintext = keyring.decrypt(raw.toString('utf8')).plaintext;
  } catch (e) {
    if (e instanceof VaultError) throw new VaultError(e.kind, `cannot decrypt the vault-encrypted file ${shown}: ${e.message}`, e.fix);
    throw e;
  }
  const text = plaintext.toString('utf8');
  // the plaintext is a secret: masked in output, diffs, logs and errors from here on
  if (text.length >= MIN_VAULT_LEAF_LENGTH) keyring.secrets.add(text);
  return { bytes: plaintext, vaulted: true };
}

/**
 * The tree below `root`, parents before children, names sorted. With localFollow a symlink is
 * read as what it points to (a directory link is walked, once: a loop is an error); without, it
 * is kept as a link with its target.
 */
async function walkTree(root: string, o: SourceOptions): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const seen = new Set<string>([await realpath(root)]);
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const p = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      let st = await lstat(p);
      if (st.isSymbolicLink()) {
        if (!o.localFollow) {
          out.push({ rel, type: 'link', mode: '0777', linkTarget: await readlink(p) });
          continue;
        }
        try {
          st = await stat(p);
        } catch {
          throw new Error(`${o.what}: ${p} is a broken symlink (local_follow is on): fix it, or set local_follow: false to copy the link itself`);
        }
      }
      if (st.isDirectory()) {
        const real = await realpath(p);
        if (seen.has(real)) throw new Error(`${o.what}: ${p} leads back to a directory already copied (a symlink loop): set local_follow: false to copy links as links`);
        seen.add(real);
        out.push({ rel, type: 'directory', mode: octal(st.mode) });
        await walk(p, rel);
      } else if (st.isFile()) {
        const { bytes } = await readBytes(p, p, o.decrypt);
        out.push({ rel, type: 'file', mode: octal(st.mode), bytes });
      }
      // sockets, fifos, devices: Ansible's copy skips them too
    }
  };
  await walk(root, '');
  return out;
}
