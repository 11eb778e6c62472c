// What the git module needs to know, in one command: whether git is there, the checkout at
// dest (HEAD, current branch, the remote's URL, local modifications, whether it has
// submodules; or whether dest is a non-empty directory that is no repository), and what the
// remote has for the wanted version (`git ls-remote --symref`), which the module asks in
// --check too (as Ansible does).
import { sh, type ShellCommand } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export interface GitRemoteRefs {
  /** ls-remote's exit code (0: the remote answered) */
  rc: number;
  /** its error output when it failed */
  error?: string;
  /** the branch the remote's HEAD points to */
  headBranch?: string;
  /** ref → sha (tags peeled: `refs/tags/v1` is the commit) */
  refs: Record<string, string>;
}

export interface GitState {
  noGit?: boolean;
  /** dest holds a repository (its git dir has a config) */
  cloned: boolean;
  /** dest exists as a non-empty directory (or a file) that is no repository */
  destBusy?: boolean;
  head?: string;
  branch?: string;
  remoteUrl?: string;
  localMods?: boolean;
  /** the checkout has a .gitmodules */
  submodules?: boolean;
  /** `git submodule status --recursive`: a line not starting with a space is a submodule not initialised or not at the superproject's commit (Ansible's submodules_fetch test) */
  submodulesOutdated?: boolean;
  /** the submodules' commits, to tell whether an update moved them (track_submodules) */
  submoduleHeads?: string;
  remote?: GitRemoteRefs;
}

export function parseLsRemote(lines: readonly string[]): Pick<GitRemoteRefs, 'headBranch' | 'refs'> {
  const refs: Record<string, string> = {};
  let headBranch: string | undefined;
  for (const line of lines) {
    const sym = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (sym) {
      headBranch = sym[1];
      continue;
    }
    const m = /^([0-9a-f]{7,64})\t(\S+)$/.exec(line);
    if (!m) continue;
    const [, sha, ref] = m as unknown as [string, string, string];
    if (ref.endsWith('^{}')) refs[ref.slice(0, -3)] = sha; // the peeled tag wins
    else if (!(ref in refs)) refs[ref] = sha;
  }
  return headBranch !== undefined ? { headBranch, refs } : { refs };
}

export function parseGitState(stdout: string): GitState {
  const st: GitState = { cloned: false };
  for (const s of parseSections(stdout)) {
    const first = (s.lines[0] ?? '').trim();
    switch (s.name) {
      case 'no-git':
        return { noGit: true, cloned: false };
      case 'cloned':
        st.cloned = true;
        break;
      case 'busy':
        st.destBusy = true;
        break;
      case 'head':
        if (/^[0-9a-f]{7,64}$/.test(first)) st.head = first;
        break;
      case 'branch':
        if (first !== '') st.branch = first;
        break;
      case 'url':
        if (first !== '') st.remoteUrl = first;
        break;
      case 'mods':
        st.localMods = s.lines.some((l) => l.trim() !== '');
        break;
      case 'submodules': {
        st.submodules = true;
        const lines = s.lines.filter((l) => l.trim() !== '');
        st.submodulesOutdated = lines.some((l) => !l.startsWith(' '));
        st.submoduleHeads = lines.map((l) => l.slice(1).split(' ')[0] ?? '').join(' ');
        break;
      }
      case 'ls-remote': {
        const rc = Number(s.args || '0');
        const out = s.lines.filter((l) => l.trim() !== '');
        st.remote = rc === 0 ? { rc, ...parseLsRemote(out) } : { rc, refs: {}, error: out.filter((l) => !/^[0-9a-f]{7,64}\t/.test(l)).join('\n') };
        break;
      }
    }
  }
  return st;
}

export interface GitProbe {
  git: ShellCommand;
  dest?: string;
  bare: boolean;
  remote: string;
  repo: string;
  version: string;
  /** ask the remote: always, only when dest has no checkout (update=no), or never (re-reading HEAD) */
  askRemote: 'always' | 'if-no-checkout' | 'never';
}

/** The probe; `git` is the command prefix (environment, executable). */
export function gitFact(p: GitProbe): Fact<GitState> {
  const { git, dest } = p;
  const at = dest === undefined ? sh`` : p.bare ? sh`--git-dir=${dest} ` : sh`-C ${dest} `;
  const config = dest === undefined ? '' : p.bare ? `${dest}/config` : `${dest}/.git`;
  const local =
    dest === undefined
      ? sh``
      : sh`if [ -e ${config} ]; then echo '@@cloned'; echo '@@head'; ${git} ${at}rev-parse --verify -q HEAD; echo '@@branch'; ${git} ${at}symbolic-ref -q --short HEAD; echo '@@url'; ${git} ${at}config --get remote.${p.remote}.url; ${p.bare ? sh`` : sh`echo '@@mods'; ${git} ${at}status --porcelain --untracked-files=no; if [ -f ${`${dest}/.gitmodules`} ]; then echo '@@submodules'; ${git} ${at}submodule status --recursive 2>&1; fi; `}elif [ -e ${dest} ] && { [ ! -d ${dest} ] || [ -n "$(ls -A -- ${dest})" ]; }; then echo '@@busy'; fi; `;
  // `V^{}`: the commit an annotated tag points to (ls-remote shows the peeled line only when asked)
  const patterns = p.version === 'HEAD' ? ['HEAD'] : ['HEAD', p.version, `${p.version}^{}`];
  const unless = p.askRemote === 'if-no-checkout' && dest !== undefined ? sh`[ -e ${config} ] || ` : sh``;
  const remote = p.askRemote !== 'never' ? sh`${unless}{ _rb_o=$(${git} ls-remote --symref -- ${p.repo} ${patterns} 2>&1); echo "@@ls-remote $?"; printf '%s\\n' "$_rb_o"; }; ` : sh``;
  return {
    name: 'git',
    command: sh`if ! ${git} --version >/dev/null 2>&1; then echo '@@no-git'; else ${local}${remote}:; fi`,
    parse: (stdout) => parseGitState(stdout),
  };
}
