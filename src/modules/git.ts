// git: a checkout of a repository at a version (branch, tag, commit or the remote's HEAD), as
// Ansible's git module keeps one: clone when dest has no repository, else fetch and switch
// (refusing to overwrite local modifications unless force), `before`/`after` commit ids in
// the result, --check answered from `git ls-remote` (as Ansible). One probe asks both the
// checkout and the remote; when the checkout is already at the remote's commit for the
// version, nothing more runs (no fetch), so an unchanged run is one command.
import { posix } from 'node:path';
import { sh, type ShellCommand } from '../transport/command.js';
import { gitFact, type GitState } from '../facts/git.js';
import { boolSchema, toBool } from './util/args.js';
import { failPlan, noop, step, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { shellQuote } from '../util/shlex.js';

export interface GitArgs {
  repo: string;
  dest?: string;
  version?: string;
  remote?: string;
  force?: boolean | string;
  depth?: number;
  clone?: boolean | string;
  update?: boolean | string;
  bare?: boolean | string;
  refspec?: string;
  single_branch?: boolean | string;
  recursive?: boolean | string;
  track_submodules?: boolean | string;
  accept_hostkey?: boolean | string;
  accept_newhostkey?: boolean | string;
  key_file?: string;
  ssh_opts?: string;
  executable?: string;
  umask?: string;
  verify_commit?: boolean | string;
  archive?: string;
  separate_git_dir?: string;
  reference?: string;
  gpg_whitelist?: string[];
}

type Target = { kind: 'branch' | 'tag' | 'head'; sha: string; branch?: string } | { kind: 'sha'; sha: string };

const short = (sha: string | undefined): string => (sha === undefined ? 'nothing' : sha.slice(0, 7));

/** Ansible turns a local path into a file:// URL (depth needs a protocol). */
export function repoUrl(repo: string): string {
  return repo.startsWith('/') ? `file://${repo}` : repo;
}

/** Ansible's unfrackgitpath (a path normalisation): URLs that differ only in doubled or trailing slashes are the same. */
function sameRemote(a: string, b: string): boolean {
  const norm = (u: string): string => posix.normalize(u).replace(/(.)\/+$/, '$1');
  return a === b || norm(a) === norm(b);
}

/**
 * git with Ansible's environment: the C locale, no terminal prompt, and GIT_SSH_COMMAND with
 * BatchMode (ssh never asks), the host key policy and the key file. GIT_SSH_COMMAND is parsed by
 * a shell, so the key file is quoted there.
 */
function gitPrefix(a: GitArgs): ShellCommand {
  let ssh = a.ssh_opts ?? '';
  const addOpt = (o: string): void => {
    if (!/StrictHostKeyChecking=(no|accept-new)/.test(ssh)) ssh = `${ssh} ${o}`.trim();
  };
  if (toBool(a.accept_hostkey)) addOpt('-o StrictHostKeyChecking=no');
  if (toBool(a.accept_newhostkey)) addOpt('-o StrictHostKeyChecking=accept-new');
  if (!ssh.includes('BatchMode=yes')) ssh = `${ssh} -o BatchMode=yes`.trim();
  const parts = ['ssh'];
  if (a.key_file !== undefined) parts.push('-i', shellQuote(a.key_file), '-o', 'IdentitiesOnly=yes');
  return sh`LC_ALL=C GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND=${[...parts, ssh].join(' ')} ${a.executable ?? 'git'}`;
}

/** the files git writes get this umask (the commands share one shell) */
const umask = (a: GitArgs): ShellCommand[] => (a.umask !== undefined ? [sh`umask ${a.umask}`] : []);

/** What the remote has for the version (Ansible's get_remote_head / is_remote_branch / is_remote_tag). */
function resolve(version: string, st: GitState): Target | undefined {
  const refs = st.remote?.refs ?? {};
  if (version === 'HEAD') {
    const sha = refs.HEAD;
    if (sha === undefined) return undefined;
    return st.remote?.headBranch !== undefined ? { kind: 'head', sha, branch: st.remote.headBranch } : { kind: 'head', sha };
  }
  const branch = refs[`refs/heads/${version}`];
  if (branch !== undefined) return { kind: 'branch', sha: branch, branch: version };
  const tag = refs[`refs/tags/${version}`];
  if (tag !== undefined) return { kind: 'tag', sha: tag };
  if (/^[0-9a-f]{4,64}$/i.test(version)) return { kind: 'sha', sha: version.toLowerCase() };
  return undefined;
}

const atHead = (head: string | undefined, t: Target): boolean => head !== undefined && (t.kind === 'sha' ? head.startsWith(t.sha) : head === t.sha);

export function planGit(a: GitArgs, st: GitState, env: PlanEnv): Plan {
  for (const [k, why] of [
    ['archive', 'archive'],
    ['separate_git_dir', 'separate_git_dir'],
    ['reference', 'reference'],
  ] as const) {
    if (a[k] !== undefined) return failPlan(`${why} is not supported by runbook's git module`);
  }
  if (toBool(a.verify_commit)) return failPlan('verify_commit is not supported by runbook\'s git module (GPG verification of commits)');
  const clone = toBool(a.clone, true);
  const update = toBool(a.update, true);
  const bare = toBool(a.bare);
  const force = toBool(a.force);
  const version = a.version ?? 'HEAD';
  const remote = a.remote ?? 'origin';
  const repo = repoUrl(a.repo);
  if (a.dest === undefined && clone) return failPlan('the destination directory must be specified unless clone=no');
  if (st.noGit) return failPlan(`Failed to find required executable "${a.executable ?? 'git'}" on the host (install the git package)`);
  const dest = a.dest !== undefined ? posix.resolve('/', a.dest) : undefined;
  const git = gitPrefix(a);
  const at = (d: string): ShellCommand => (bare ? sh`${git} --git-dir=${d}` : sh`${git} -C ${d}`);
  // Ansible's result always has a warnings list
  const warnings: string[] = [];
  const data: Record<string, unknown> = { before: st.head ?? null, warnings };
  const remoteError = (): Plan => failPlan(`Failed to get the remote head of ${repo}: ${st.remote?.error?.trim() || `git ls-remote exit ${st.remote?.rc ?? '?'}`}`, data);

  if (dest === undefined || !st.cloned) {
    data.before = null;
    if (st.remote === undefined || st.remote.rc !== 0) return remoteError();
    const t = resolve(version, st);
    if (!t) return failPlan(`Failed to find version ${version} in ${repo} (not a branch or tag there, nor a commit id)`, data);
    if (dest === undefined || !clone) {
      // Ansible: no checkout to compare with: the remote's commit, reported as a change
      return { commands: [], changed: true, msg: `${repo} ${version} is at ${short(t.sha)}`, data: { ...data, after: t.sha } };
    }
    if (st.destBusy) return failPlan(`Destination path '${dest}' already exists and is not an empty directory.`, data);
    const byName = t.kind === 'branch' || t.kind === 'tag';
    // a commit id cannot be fetched shallow by name: a full clone, as Ansible does
    const shallow = a.depth !== undefined && (byName || t.kind === 'head' || a.refspec !== undefined);
    if (a.depth !== undefined && !shallow) warnings.push('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
    const depth = shallow ? sh` --depth ${a.depth}` : sh``;
    const branchOpt = byName && (shallow || toBool(a.single_branch)) ? sh` --branch ${version}` : sh``;
    const single = toBool(a.single_branch) ? sh` --single-branch` : sh``;
    const mode = bare ? sh` --bare` : sh` --origin ${remote}`;
    const commands: ShellCommand[] = [...umask(a), sh`mkdir -p -- ${posix.dirname(dest)}`, sh`${git} clone${mode}${depth}${branchOpt}${single} -- ${repo} ${dest}`];
    if (bare && remote !== 'origin') commands.push(sh`${at(dest)} remote add ${remote} ${repo}`);
    if (a.refspec !== undefined) commands.push(sh`${at(dest)} fetch${depth} ${remote} ${a.refspec}`);
    if (!bare) {
      if (t.kind !== 'head' && !(byName && branchOpt.toShell() !== '')) commands.push(sh`${at(dest)} checkout --force ${version}`);
      if (toBool(a.recursive, true)) commands.push(sh`{ [ ! -f ${`${dest}/.gitmodules`} ] || ${at(dest)} submodule update --init --recursive${toBool(a.track_submodules) ? sh` --remote` : sh``}; }`);
    }
    const after = gitFact({ git, dest, bare, remote, repo, version, askRemote: 'never' });
    return {
      commands,
      msg: `cloned ${repo} (${version}) into ${dest}${env.check ? `: would be at ${short(t.sha)}` : ''}`,
      data: { ...data, after: t.sha },
      warnings,
      progress: `git clone ${repo}`,
      next: step(after, (s) => ({ commands: [], changed: true, msg: `cloned ${repo} (${version}) into ${dest} at ${short(s.head)}`, data: { ...data, after: s.head ?? null }, warnings })),
    };
  }

  // a checkout is there
  if (!update) return noop(`${dest}: a checkout at ${short(st.head)} (update=no)`, { ...data, after: st.head ?? null });
  if (st.localMods && !force) return failPlan(`Local modifications exist in the destination: ${dest} (force=no).`, data);
  if (st.remote === undefined || st.remote.rc !== 0) return remoteError();
  const t = resolve(version, st);
  if (!t) return failPlan(`Failed to find version ${version} in ${repo} (not a branch or tag there, nor a commit id)`, data);
  const urlChanged = st.remoteUrl !== undefined && !sameRemote(st.remoteUrl, repo);
  data.remote_url_changed = urlChanged;
  const onBranch = t.kind === 'branch' || t.kind === 'head' ? bare || t.branch === undefined || st.branch === t.branch : true;
  // submodules: updated when one is not initialised or not at the superproject's commit (Ansible's
  // test); track_submodules: always asked to move to their remote's branch, changed when one moved
  const recursive = !bare && toBool(a.recursive, true) && !!st.submodules;
  const tracking = recursive && toBool(a.track_submodules);
  const subsDue = recursive && (!!st.submodulesOutdated || tracking);
  if (atHead(st.head, t) && onBranch && !st.localMods && !urlChanged && !subsDue) return noop(`${dest}: already at ${version} (${short(st.head)})`, { ...data, after: st.head ?? null });

  const commands: ShellCommand[] = [...umask(a)];
  if (st.localMods) commands.push(sh`${at(dest)} reset --hard HEAD`);
  if (urlChanged) commands.push(sh`${at(dest)} remote set-url ${remote} ${repo}`);
  const depth = a.depth !== undefined ? sh` --depth ${a.depth}` : sh``;
  const heads = bare ? '+refs/heads/*:refs/heads/*' : `+refs/heads/*:refs/remotes/${remote}/*`;
  const refspecs = [heads, '+refs/tags/*:refs/tags/*', ...(a.refspec !== undefined ? [a.refspec] : [])];
  if (!atHead(st.head, t) || urlChanged) {
    commands.push(sh`${at(dest)} fetch${depth}${force ? sh` --force` : sh``} ${remote} ${refspecs}`);
    if (t.kind === 'sha' && a.depth !== undefined) commands.push(sh`${at(dest)} fetch${depth} ${remote} ${t.sha}`);
  }
  if (!bare) {
    if (t.kind === 'branch' || (t.kind === 'head' && t.branch !== undefined)) {
      const b = t.branch!;
      commands.push(sh`${at(dest)} checkout --force ${b}`, sh`${at(dest)} reset --hard ${`${remote}/${b}`} --`);
    } else commands.push(sh`${at(dest)} checkout --force ${t.kind === 'head' ? t.sha : version}`);
    if (recursive) commands.push(sh`${at(dest)} submodule sync --recursive`, sh`${at(dest)} submodule update --init --recursive${force ? sh` --force` : sh``}${tracking ? sh` --remote` : sh``}`);
  }
  const before = st.head;
  // Ansible's submodules_changed: one was not initialised / not at its commit, or the update moved one
  const subsChanged = (s: GitState): boolean => recursive && (!!st.submodulesOutdated || s.submoduleHeads !== st.submoduleHeads);
  const after = gitFact({ git, dest, bare, remote, repo, version, askRemote: 'never' });
  const what = (h: string | undefined): string => `${dest}: ${short(before)} → ${short(h)} (${version})${st.localMods ? '; local modifications discarded' : ''}${urlChanged ? `; remote ${remote} is now ${repo}` : ''}`;
  return {
    commands,
    // --check: Ansible's answer from ls-remote
    changed: !atHead(before, t) || urlChanged || !!st.localMods || (recursive && !!st.submodulesOutdated),
    msg: what(t.sha),
    data: { ...data, after: t.sha },
    warnings,
    progress: `git fetch ${remote}`,
    next: step(after, (s) => ({
      commands: [],
      changed: s.head !== before || urlChanged || !!st.localMods || subsChanged(s),
      msg: what(s.head),
      data: { ...data, after: s.head ?? null, ...(subsChanged(s) ? { submodules_changed: true } : {}) },
      warnings,
    })),
  };
}

export const gitModule = defineModule<GitArgs, GitState>({
  name: 'git',
  homePaths: ['dest', 'key_file', 'executable'],
  schema: moduleSchema({
    properties: {
      repo: { type: 'string', minLength: 1, aliases: ['name'], description: 'the repository: URL (https://, ssh://, git://, file://, user@host:path) or a local path' },
      dest: { type: 'string', description: 'where the checkout is (required unless clone=no)' },
      version: { type: 'string', default: 'HEAD', description: 'a branch, a tag, a commit id (full or abbreviated), or HEAD (the remote\'s default branch)' },
      remote: { type: 'string', default: 'origin', description: 'the remote\'s name' },
      force: boolSchema('discard local modifications of tracked files (else the task fails when there are any)', false),
      depth: { type: 'integer', minimum: 1, description: 'a shallow clone/fetch with this many commits' },
      clone: boolSchema('clone when dest has no repository (no: only ask the remote)', true),
      update: boolSchema('fetch and switch an existing checkout (no: leave it as it is)', true),
      bare: boolSchema('a bare repository at dest', false),
      refspec: { type: 'string', description: 'an extra refspec to fetch (`refs/pull/*`...)' },
      single_branch: boolSchema('clone only the history of the wanted branch', false),
      recursive: boolSchema('update submodules too (when the repository has .gitmodules)', true),
      track_submodules: boolSchema('submodules follow the HEAD of their remote branch (`submodule update --remote`) instead of the superproject\'s commits', false),
      accept_hostkey: boolSchema('ssh: accept an unknown host key (StrictHostKeyChecking=no)', false),
      accept_newhostkey: boolSchema('ssh: accept a new host key, never a changed one (StrictHostKeyChecking=accept-new)', false),
      key_file: { type: 'string', description: 'ssh: the private key to use' },
      ssh_opts: { type: 'string', description: 'ssh: extra options (`-o Port=2222`)' },
      executable: { type: 'string', description: 'the git program to use' },
      umask: { type: 'string', description: 'the umask for the files git writes (a quoted octal, `"0022"`)' },
      verify_commit: boolSchema('not supported: fails when yes', false),
      archive: { type: 'string', description: 'not supported: fails when given' },
      separate_git_dir: { type: 'string', description: 'not supported: fails when given' },
      reference: { type: 'string', description: 'not supported: fails when given' },
      gpg_whitelist: { type: 'array', items: { type: 'string' }, description: 'accepted (only used with verify_commit)' },
    },
    required: ['repo'],
    extra: { not: { required: ['accept_hostkey', 'accept_newhostkey'] } },
  }),
  doc: {
    short: 'Keep a git checkout at a branch, tag or commit',
    description:
      'One probe reads the checkout (HEAD, branch, remote URL, local modifications) and asks the remote what the version is (`git ls-remote`). No repository at dest: `git clone` (depth, bare, single_branch), then the version is checked out. A checkout already at the remote\'s commit for the version: nothing more runs. Otherwise: the remote URL is corrected if it differs, the remote is fetched (branches and tags), and the version checked out (a branch is reset to the remote\'s branch). Local modifications of tracked files fail the task (Ansible\'s message) unless force: yes, which discards them. --check answers from ls-remote, as Ansible does. The commit before and after is registered.',
    returns: {
      before: 'the commit id before (null when there was no checkout)',
      after: 'the commit id after (in --check: the remote\'s commit for the version)',
      remote_url_changed: 'whether the remote\'s URL was changed to repo',
      warnings: 'Ansible\'s warnings list (always present; e.g. depth ignored for a commit id)',
      submodules_changed: 'true when submodules were initialised or moved',
    },
    example: '- git:\n    repo: https://github.com/AllStarLink/app_rpt.git\n    dest: /usr/src/app_rpt\n    version: main\n    depth: 1',
    notes: [
      'Not supported (the task fails naming the argument): archive, separate_git_dir, reference, verify_commit.',
      'A checkout already at the wanted commit is not fetched (Ansible fetches anyway, then reports no change): one command for an unchanged run.',
      'A local path as repo becomes a file:// URL, as in Ansible.',
      'ssh runs with BatchMode=yes (never asks), as Ansible sets it; key_file adds -i and IdentitiesOnly=yes.',
      'A remote URL is compared after path normalisation (doubled and trailing slashes), as Ansible\'s unfrackgitpath; symlinks in a local path are not resolved.',
      'In --check with force: yes and local modifications, the task reports a change (Ansible reports one only when the commit differs).',
    ],
  },
  probe: (a) => {
    const update = toBool(a.update, true);
    return gitFact({
      git: gitPrefix(a),
      ...(a.dest !== undefined ? { dest: posix.resolve('/', a.dest) } : {}),
      bare: toBool(a.bare),
      remote: a.remote ?? 'origin',
      repo: repoUrl(a.repo),
      version: a.version ?? 'HEAD',
      // update=no: the remote is asked only when there is no checkout yet (Ansible's order)
      askRemote: update ? 'always' : 'if-no-checkout',
    });
  },
  plan: planGit,
});
