// A directory tree on the host, in one command: every path below the root with its type,
// mode, owner, size and link target (one `find`), and the sha1 of every regular file (one
// `sha1sum` for all of them). Names are NUL-separated, so any file name survives. Used by
// copy's recursive copy (the destination tree, and the source tree with remote_src).
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export interface TreeNode {
  type: 'file' | 'directory' | 'link' | 'other';
  /** 4-digit octal */
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  linkTarget?: string;
  /** sha1 of a regular file (absent when it could not be read) */
  sha1?: string;
}

export interface HostTree {
  root: string;
  /** the root: absent, a directory, or something else (a file where a directory is wanted) */
  kind: 'absent' | 'directory' | 'other';
  /** path below the root (`a/b.txt`) → what is there (a plain object: plans are tested as JSON data) */
  nodes: Record<string, TreeNode>;
  /** find/sha1sum complained (unreadable parts) */
  error?: string;
}

const TYPES: Record<string, TreeNode['type']> = { f: 'file', d: 'directory', l: 'link' };

export function treeFact(root: string): Fact<HostTree> {
  return {
    name: 'tree',
    // find prints `y|mode|uid|gid|user|group|size` NUL name NUL target NUL per path; then the sums
    command: sh`if [ -d ${root} ]; then echo dir; cd -- ${root} && find . -mindepth 1 -printf '%y|%m|%U|%G|%u|%g|%s\\0%P\\0%l\\0' && printf '\\n@@sums\\n' && find . -type f -exec sha1sum -z -- {} +; elif [ -e ${root} ] || [ -L ${root} ]; then echo other; else echo absent; fi`,
    parse: (stdout, stderr, code) => parseTree(root, stdout, stderr, code),
  };
}

export function parseTree(root: string, stdout: string, stderr: string, code: number | null): HostTree {
  const nodes: Record<string, TreeNode> = Object.create(null) as Record<string, TreeNode>;
  const first = stdout.split('\n', 1)[0] ?? '';
  if (first === 'absent') return { root, kind: 'absent', nodes };
  if (first === 'other') return { root, kind: 'other', nodes };
  if (first !== 'dir') return { root, kind: 'absent', nodes, error: stderr.trim() || `could not list ${root} (exit ${code})` };
  const body = stdout.slice(first.length + 1);
  const at = body.indexOf('\n@@sums\n');
  const listing = at < 0 ? body : body.slice(0, at);
  const sums = at < 0 ? '' : body.slice(at + '\n@@sums\n'.length);
  const parts = listing.split('\0');
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const [y = '', mode = '', uid = '', gid = '', owner = '', group = '', size = ''] = (parts[i] ?? '').split('|');
    const name = parts[i + 1] ?? '';
    const target = parts[i + 2] ?? '';
    const node: TreeNode = { type: TYPES[y] ?? 'other', mode: mode.padStart(4, '0'), uid: Number(uid), gid: Number(gid), owner, group, size: Number(size) };
    if (node.type === 'link') node.linkTarget = target;
    nodes[name] = node;
  }
  for (const rec of sums.split('\0')) {
    const m = /^([0-9a-f]{40}) {2}\.\/(.*)$/s.exec(rec.replace(/^\n/, ''));
    const node = m?.[2] !== undefined ? nodeAt({ nodes }, m[2]) : undefined;
    if (node && m?.[1]) node.sha1 = m[1];
  }
  const error = code !== 0 ? stderr.trim() || `could not read all of ${root} (exit ${code})` : undefined;
  return error !== undefined ? { root, kind: 'directory', nodes, error } : { root, kind: 'directory', nodes };
}

/** The node at `rel` (own keys only: a file named `constructor` is a file). */
export function nodeAt(tree: Pick<HostTree, 'nodes'>, rel: string): TreeNode | undefined {
  return Object.prototype.hasOwnProperty.call(tree.nodes, rel) ? tree.nodes[rel] : undefined;
}
