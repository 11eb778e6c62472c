// copy with a directory `src` (from the controller, or on the host with remote_src): the tree
// is copied recursively, as Ansible does it. `src` ending in `/` copies the directory's
// contents into dest; without it, the directory itself (dest/NAME). One probe lists the
// destination tree (and, with remote_src, the source tree) with every file's sha1; the plan
// creates the missing directories and writes only the files whose content differs, each
// atomically (temp file next to it, attributes, rename), all in one remote command. Files that
// are in dest but not in src are left alone (Ansible too).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { combineFacts } from '../facts/combine.js';
import type { FileState } from '../facts/file.js';
import { nodeAt, treeFact, type HostTree, type TreeNode } from '../facts/tree.js';
import type { Fact } from '../facts/types.js';
import { sh, type ShellCommand } from '../transport/command.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { toBool } from './util/args.js';
import { attributeCommands, backupPathFor, ownerSpec, writeFileCommand } from './util/file-ops.js';
import type { TreeEntry } from './util/local-file.js';
import { parseModeArg, wantedMode } from './util/mode.js';

/** The copy arguments a tree copy reads. */
export interface TreeArgs {
  src?: string;
  dest: string;
  owner?: string;
  group?: string;
  mode?: string | number;
  directory_mode?: string | number;
  backup?: boolean | string;
  validate?: string;
  force?: boolean | string;
  remote_src?: boolean | string;
  /** the controller's tree (absent with remote_src) */
  tree?: TreeEntry[];
}

/** What the host said: the destination tree, and with remote_src the source tree. */
export interface CopyTrees {
  dest: HostTree;
  src?: HostTree;
}

/** Where the tree goes: `src/` → its contents into dest; `src` → dest/NAME (rsync's rule, Ansible's). */
export function treeRoot(src: string, dest: string): string {
  const d = dest.length > 1 ? dest.replace(/\/+$/, '') : dest;
  if (src.endsWith('/')) return d;
  return posix.join(d, posix.basename(src.replace(/\/+$/, '')));
}

/** Controller tree: the destination tree is all the host is asked. */
export function destTreeFact(args: TreeArgs): Fact<CopyTrees> {
  const f = treeFact(treeRoot(args.src ?? '', args.dest));
  return { name: 'copy-tree', command: f.command, parse: (o, e, c) => ({ dest: f.parse(o, e, c) }) };
}

/**
 * remote_src: when src is a directory on the host, both trees (else nothing: it is a file,
 * and copy's file probe, run beside this one, has what the plan needs).
 */
export function remoteTreesFact(args: TreeArgs): Fact<CopyTrees | undefined> {
  const src = args.src ?? '';
  const both = combineFacts([treeFact(src), treeFact(treeRoot(src, args.dest))] as const, 'tree');
  return {
    name: 'copy-remote-tree',
    command: sh`if [ -d ${src} ]; then echo '@@tree-src'; ${both.command}; fi`,
    parse(stdout, stderr, code) {
      if (!stdout.startsWith('@@tree-src\n')) return undefined;
      const [s, d] = both.parse(stdout.slice('@@tree-src\n'.length), stderr, code);
      return { src: s, dest: d };
    },
  };
}

interface SourceItem {
  rel: string;
  type: 'file' | 'directory' | 'link';
  mode: string;
  sha1?: string;
  size: number;
  bytes?: Buffer;
  linkTarget?: string;
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

function sourceItems(args: TreeArgs, trees: CopyTrees): SourceItem[] {
  if (args.tree) {
    return args.tree.map((e) => ({ rel: e.rel, type: e.type, mode: e.mode, size: e.bytes?.length ?? 0, ...(e.bytes ? { bytes: e.bytes, sha1: sha1(e.bytes) } : {}), ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}) }));
  }
  const items: SourceItem[] = [];
  for (const [rel, n] of Object.entries(trees.src?.nodes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n.type === 'other') continue; // sockets, fifos, devices: not copied
    items.push({ rel, type: n.type, mode: n.mode, size: n.size, ...(n.sha1 ? { sha1: n.sha1 } : {}), ...(n.linkTarget !== undefined ? { linkTarget: n.linkTarget } : {}) });
  }
  return items;
}

const stateOf = (path: string, n: TreeNode): FileState => ({ path, exists: true, type: n.type, mode: n.mode, uid: n.uid, gid: n.gid, owner: n.owner, group: n.group });

/** Exactly `size` bytes of stdin (dd with fullblock never reads past them: the next file's bytes stay). */
function stdinBytes(size: number): ShellCommand {
  return sh`dd bs=65536 iflag=fullblock,count_bytes count=${size} status=none`;
}

/** mkdir with the wanted mode and owner; `-p` for the root (its parents too, as Ansible creates dest). */
function makeDir(path: string, args: TreeArgs, parents: boolean): ShellCommand[] {
  const dm = parseModeArg(args.directory_mode);
  const mode = dm ? wantedMode(args.directory_mode, undefined, true) : undefined;
  const cmds = [parents ? (mode ? sh`mkdir -p -m ${mode} -- ${path}` : sh`mkdir -p -- ${path}`) : mode ? sh`mkdir -m ${mode} -- ${path}` : sh`mkdir -- ${path}`];
  const spec = ownerSpec(args.owner, args.group);
  if (spec !== undefined) cmds.push(sh`chown ${spec} -- ${path}`);
  return cmds;
}

/** The recursive copy's plan: pure, from the source tree and what the host has. */
export function planCopyTree(args: TreeArgs, trees: CopyTrees | undefined, env: PlanEnv): Plan {
  const remote = toBool(args.remote_src);
  const src = args.src ?? '';
  const root = treeRoot(src, args.dest);
  const data: Record<string, unknown> = { dest: args.dest, src };
  if (!trees) return failPlan(`${src} is not a directory on the host`, data);
  const dest = trees.dest;
  if (remote && trees.src?.error) return failPlan(`Source ${src} not readable: ${trees.src.error}`, data);
  if (dest.error) return failPlan(`cannot inspect ${root}: ${dest.error}`, data);
  if (dest.kind === 'other') return failPlan(`${root} exists and is not a directory, so the directory ${src} cannot be copied into it`, data);
  const force = toBool(args.force, true);
  const commands: ShellCommand[] = [];
  const stdin: Buffer[] = [];
  let dirs = 0;
  let written = 0;
  let links = 0;
  let attrs = 0;
  if (dest.kind === 'absent') {
    commands.push(...makeDir(root, args, true));
    dirs++;
  }
  for (const item of sourceItems(args, trees)) {
    const path = posix.join(root, item.rel);
    const there = nodeAt(dest, item.rel);
    if (item.type === 'directory') {
      if (!there) {
        commands.push(...makeDir(path, args, false));
        dirs++;
      } else if (there.type !== 'directory') {
        return failPlan(`${path} exists and is not a directory (src has a directory there)`, data);
      } else {
        const a = attributeCommands(path, stateOf(path, there), { owner: args.owner, group: args.group }, { isDir: true });
        commands.push(...a.commands);
        if (a.commands.length) attrs++;
      }
      continue;
    }
    if (item.type === 'link') {
      if (there?.type === 'directory') return failPlan(`${path} is a directory; src has a symlink there`, data);
      if (there?.type === 'link' && there.linkTarget === item.linkTarget) continue;
      if (there && !force) continue;
      commands.push(sh`ln -sfn -- ${item.linkTarget ?? ''} ${path}`);
      links++;
      continue;
    }
    if (there?.type === 'directory') return failPlan(`${path} is a directory, not a file`, data);
    // remote_src copies the source's mode along (Ansible's copymode); `preserve` does so from the controller
    const mode = args.mode === 'preserve' || (remote && args.mode === undefined) ? item.mode : args.mode;
    if (there?.type === 'file' && item.sha1 !== undefined && there.sha1 === item.sha1) {
      const a = attributeCommands(path, stateOf(path, there), { mode: args.mode === undefined ? undefined : mode, owner: args.owner, group: args.group }, { isDir: false });
      commands.push(...a.commands);
      if (a.commands.length) attrs++;
      continue;
    }
    if (there && !force) continue;
    // a symlink where the file goes is replaced by the file (copy's follow is off by default)
    const exists = there?.type === 'file';
    commands.push(
      writeFileCommand(path, {
        mode: wantedMode(mode, there?.mode, false),
        owner: args.owner,
        group: args.group,
        exists,
        backupFile: exists && toBool(args.backup) ? backupPathFor(path, env.now) : undefined,
        validate: args.validate,
        tmpSuffix: env.tmpSuffix,
        reader: remote ? sh`cat -- ${posix.join(src, item.rel)}` : stdinBytes(item.size),
      }),
    );
    if (!remote && item.bytes) stdin.push(item.bytes);
    written++;
  }
  if (commands.length === 0) return noop(`${root}: the tree already matches ${src}`, { ...data, state: 'directory' });
  const parts = [written ? `${written} file${written === 1 ? '' : 's'} written` : '', dirs ? `${dirs} director${dirs === 1 ? 'y' : 'ies'} created` : '', links ? `${links} link${links === 1 ? '' : 's'} set` : '', attrs ? `attributes of ${attrs} set` : ''].filter((p) => p !== '');
  const plan: Plan = { commands, msg: `${root}: ${parts.join(', ')}`, data: { ...data, state: 'directory' } };
  if (stdin.length > 0) plan.stdin = Buffer.concat(stdin);
  return plan;
}
