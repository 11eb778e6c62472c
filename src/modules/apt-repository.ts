// apt_repository: one-line APT sources (`deb URI SUITE COMPONENTS`) in /etc/apt/sources.list and
// /etc/apt/sources.list.d/*.list, edited as Ansible's SourcesList does: a line already there
// (even commented out) is enabled where it is, else it goes to a file named after the URI (or
// `filename`); absent removes every enabled copy and a file left empty. One probe reads every
// sources file; the edit is made on the controller; the changed files are written atomically in
// one command, then `apt-get update` (with Ansible's retries) and, if that fails, the sources
// are put back as they were, as Ansible does.
import { posix } from 'node:path';
import { quote, rawCommand, type ShellCommand } from '../transport/command.js';
import { aptSourcesFact, dumpSourceLine, parseSourceLine, SOURCES_DIR, type AptSourcesState, type SourceLine } from '../facts/apt-sources.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { tempPathFor } from './util/file-ops.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, FAIL_MARKER } from './runner.js';
import { fileDiff } from '../util/diff.js';

export interface AptRepositoryArgs {
  repo: string;
  state?: 'present' | 'absent';
  mode?: string | number;
  update_cache?: boolean | string;
  update_cache_retries?: number;
  update_cache_retry_max_delay?: number;
  validate_certs?: boolean | string;
  filename?: string;
  codename?: string;
  install_python_apt?: boolean | string;
}

const VALID_TYPES = new Set(['deb', 'deb-src']);
const PPA_URI = 'https://ppa.launchpadcontent.net';

/** Ansible's _suggest_filename: the URI's host and path with every other character as `_`, or `filename`; `.list` added. */
export function suggestSourcesFilename(line: string, filename?: string): string | undefined {
  if (filename !== undefined) return `${filename}.list`;
  const bare = line.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = bare.split(/\s+/).filter((p) => p !== '' && !VALID_TYPES.has(p));
  let first = parts[0];
  if (first === undefined) return undefined;
  // user:password@ is dropped
  const at = first.indexOf('@');
  if (at >= 0) first = first.slice(at + 1);
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter((w) => w !== '').join('_')}.list`;
}

/** A file name as Ansible's _expand_path: a name with a slash is a path, else a file in sources.list.d. */
export function sourcesPath(file: string): string {
  return file.includes('/') ? posix.resolve('/', file) : posix.join(SOURCES_DIR, file);
}

/** `ppa:OWNER[/NAME]` → its deb line (Ansible's _expand_ppa). */
export function expandPpa(repo: string, codename: string): string {
  const ppa = repo.split(':')[1] ?? '';
  const [owner, name] = ppa.split('/');
  return `deb ${PPA_URI}/${owner ?? ''}/${name ?? 'ppa'}/ubuntu ${codename} main`;
}

export interface SourcesEdit {
  /** path → lines afterwards (a path with no lines is removed) */
  files: Map<string, SourceLine[]>;
  /** files a source was appended to (their mode is set) */
  appended: Set<string>;
  what: string;
}

/** Ansible's add_source / remove_source on the parsed files. */
export function editSources(st: AptSourcesState, source: string, present: boolean, file: string): SourcesEdit {
  const files = new Map(st.files.map((f) => [f.path, f.lines.map((l) => ({ ...l }))]));
  const appended = new Set<string>();
  const where: string[] = [];
  if (present) {
    let found = false;
    let enabled = false;
    for (const [path, lines] of files) {
      for (const l of lines) {
        if (!l.valid || l.source !== source) continue;
        found = true;
        if (!l.enabled) {
          l.enabled = true;
          enabled = true;
          where.push(path);
        }
      }
    }
    if (!found) {
      const lines = files.get(file) ?? [];
      lines.push({ valid: true, enabled: true, source, comment: '' });
      files.set(file, lines);
      appended.add(file);
      return { files, appended, what: `added to ${file}` };
    }
    return { files, appended, what: enabled ? `enabled in ${[...new Set(where)].join(', ')}` : 'already present' };
  }
  for (const [path, lines] of files) {
    const kept = lines.filter((l) => !(l.valid && l.enabled && l.source === source));
    if (kept.length !== lines.length) where.push(path);
    files.set(path, kept);
  }
  return { files, appended, what: where.length ? `removed from ${where.join(', ')}` : 'not present' };
}

const dump = (lines: readonly SourceLine[]): string => lines.map(dumpSourceLine).join('');

interface FileChange {
  path: string;
  target: string;
  before: string | undefined;
  after: string | undefined;
  mode?: string;
}

function word(s: string): string {
  return quote(s);
}

/**
 * The shell of the change: write each file (content from stdin, `head -c` per file in order),
 * remove emptied files, then apt-get update with retries; a failed update puts every file back.
 */
function changeScript(changes: readonly FileChange[], a: AptRepositoryArgs, env: PlanEnv): { command: ShellCommand; stdin: string } {
  const update = toBool(a.update_cache, true);
  const parts: string[] = [];
  const restore: string[] = [];
  const cleanup: string[] = [];
  let stdin = '';
  changes.forEach((c, i) => {
    const bak = word(tempPathFor(c.target, `${env.tmpSuffix}-${i}.old`));
    const t = word(c.target);
    if (update) {
      if (c.before !== undefined) {
        parts.push(`cp -p -- ${t} ${bak}`);
        restore.push(`mv -f -- ${bak} ${t}`);
        cleanup.push(`rm -f -- ${bak}`);
      } else restore.push(`rm -f -- ${t}`);
    }
    if (c.after === undefined) {
      parts.push(`rm -f -- ${word(c.path)}`);
      return;
    }
    const tmp = word(tempPathFor(c.target, `${env.tmpSuffix}-${i}`));
    const bytes = Buffer.byteLength(c.after);
    stdin += c.after;
    const mode = c.mode !== undefined ? `chmod ${c.mode} -- ${tmp}` : `chmod --reference=${t} -- ${tmp} && { chown --reference=${t} -- ${tmp} 2>/dev/null || :; }`;
    const mkdir = c.before === undefined ? `mkdir -p -- ${word(posix.dirname(c.target))} && ` : '';
    parts.push(`${mkdir}{ { set -C; head -c ${bytes} > ${tmp}; _rb_w=$?; set +C; [ "$_rb_w" = 0 ]; } && ${mode} && mv -f -- ${tmp} ${t}; } || { rm -f -- ${tmp}; false; }`);
  });
  if (update) {
    const retries = Math.max(1, a.update_cache_retries ?? 5);
    const maxDelay = a.update_cache_retry_max_delay ?? 12;
    const fail = `${FAIL_MARKER}Failed to update apt cache after ${retries} retries: `;
    parts.push(
      `{ _rb_i=0; _rb_ok=; _rb_e=; while [ "$_rb_i" -lt ${retries} ]; do if _rb_e=$(LC_ALL=C apt-get update -q 2>&1 >/dev/null); then _rb_ok=1; break; fi; _rb_i=$((_rb_i + 1)); [ "$_rb_i" -lt ${retries} ] || break; _rb_d=$((1 << (_rb_i - 1))); [ "$_rb_d" -le ${maxDelay} ] || _rb_d=${maxDelay}; sleep "$_rb_d"; done; ` +
        `if [ -n "$_rb_ok" ]; then :${cleanup.map((c) => `; ${c}`).join('')}; else ${restore.map((r) => `${r}; `).join('')}_rb_m=$(printf '%s\\n' "$_rb_e" | grep -E '^(E|Err):' | tail -n 3 | tr '\\n' ' '); printf '%s%s\\n' ${word(fail)} "\${_rb_m:-unknown reason}" >&2; false; fi; }`,
    );
  }
  return { command: rawCommand(parts.join(' && ')), stdin };
}

export function planAptRepository(a: AptRepositoryArgs, st: AptSourcesState, env: PlanEnv): Plan {
  const repo = a.repo.trim();
  if (repo === '') return failPlan("Please set argument 'repo' to a non-empty value");
  const present = (a.state ?? 'present') === 'present';
  let source: string;
  let nameFrom: string;
  const ppa = repo.startsWith('ppa:');
  if (ppa) {
    const codename = a.codename ?? st.codename;
    if (codename === '') return failPlan('cannot tell the distribution codename for the PPA line: give codename');
    source = expandPpa(repo, codename);
    nameFrom = `${repo}_${codename}`;
  } else {
    const parsed = parseSourceLine(repo);
    if (!parsed.valid || !parsed.enabled) {
      // Ansible names the line without its leading '#' and trailing comment
      const shown = repo.replace(/^#/, '').replace(/(.)#.*$/, '$1');
      return failPlan(`Invalid repository string: ${shown}`);
    }
    source = parsed.source;
    nameFrom = source;
  }
  const name = suggestSourcesFilename(nameFrom, a.filename);
  if (name === undefined) return failPlan(`Invalid repository string: ${repo}`);
  const file = sourcesPath(name);
  const edit = editSources(st, source, present, file);
  const data: Record<string, unknown> = { repo: a.repo, state: present ? 'present' : 'absent', sources_added: [], sources_removed: [] };
  const before = new Map(st.files.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  for (const [path, lines] of edit.files) {
    const old = before.get(path);
    const was = old ? dump(old.lines) : undefined;
    const now = lines.length ? dump(lines) : undefined;
    if (was === now) continue;
    const c: FileChange = { path, target: old?.link ?? path, before: was, after: now };
    if (now !== undefined && edit.appended.has(path)) {
      // a file a source was added to gets `mode` (a new one 0644, as Ansible's atomic_move gives it)
      const m = wantedMode(a.mode, old?.mode, false) ?? (old ? undefined : '0644');
      if (m !== undefined) c.mode = m;
    }
    changes.push(c);
  }
  if (changes.length === 0) return noop(`${source}: ${edit.what}`, data);
  if (ppa && present) {
    return failPlan(`${repo}: adding a PPA needs its signing key from Launchpad (api.launchpad.net and a keyserver), which runbook does not fetch; put the key in /etc/apt/keyrings (get_url) and give the line: ${source.replace(/^deb /, 'deb [signed-by=/etc/apt/keyrings/KEY.gpg] ')}`, data);
  }
  data.sources_added = changes.filter((c) => c.before === undefined).map((c) => c.path);
  data.sources_removed = changes.filter((c) => c.after === undefined).map((c) => c.path);
  const { command, stdin } = changeScript(changes, a, env);
  const updating = toBool(a.update_cache, true);
  const p: Plan = {
    commands: [command],
    ...(stdin !== '' ? { stdin } : {}),
    msg: `${source}: ${edit.what}${updating ? '; apt cache updated' : ''}`,
    data,
  };
  if (updating) p.progress = 'apt-get update';
  if (env.diff) p.diff = changes.map((c) => fileDiff(c.path, c.before ?? '', c.after ?? ''));
  return p;
}

export const aptRepositoryModule = defineModule<AptRepositoryArgs, AptSourcesState>({
  name: 'apt_repository',
  schema: moduleSchema({
    properties: {
      repo: { type: 'string', description: 'the source line (`deb [options] URI SUITE [COMPONENT...]`), or `ppa:OWNER/NAME`' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the line must be there (enabled) or not' },
      mode: modeSchema('permissions of a sources file a line is added to (a new file: 0644)'),
      update_cache: { ...boolSchema('run `apt-get update` after a change (if it fails, the sources are put back)', true), aliases: ['update-cache'] },
      update_cache_retries: { type: 'integer', minimum: 1, default: 5, description: 'how many times `apt-get update` is tried' },
      update_cache_retry_max_delay: { type: 'integer', minimum: 0, default: 12, description: 'the longest wait (seconds) between tries; waits double from 1 s' },
      validate_certs: boolSchema('accepted for compatibility (Ansible uses it only to ask Launchpad about a PPA)', true),
      filename: { type: 'string', description: 'the sources file to add the line to, without `.list` (a name in /etc/apt/sources.list.d, or a path); default: from the URI' },
      codename: { type: 'string', description: 'the distribution codename in a PPA line (default: the host\'s VERSION_CODENAME)' },
      install_python_apt: boolSchema('accepted for compatibility: runbook needs no python3-apt', true),
    },
    required: ['repo'],
  }),
  doc: {
    short: 'Add or remove a one-line APT source in sources.list.d',
    description:
      'The same edit as Ansible\'s apt_repository: a line that is already in /etc/apt/sources.list or a /etc/apt/sources.list.d/*.list file (even commented out) is enabled where it is; a new line goes to a file named after its URI (`deb http://deb.example.com/debian stable main` → `deb_example_com_debian.list`) or `filename`. state=absent removes every enabled copy of the line; a file left empty is removed. Lines are compared with whitespace collapsed; a file that is written is written in Ansible\'s form (`# ` before a disabled line). After a change `apt-get update` runs (update_cache); if it still fails after update_cache_retries tries, every sources file is put back as it was and the task fails. One probe reads all the sources files; the change is one command.',
    returns: {
      repo: 'the repo argument',
      state: 'present or absent',
      sources_added: 'sources files created (full paths)',
      sources_removed: 'sources files removed (full paths)',
    },
    example: '- apt_repository:\n    repo: deb [signed-by=/etc/apt/keyrings/example.asc] https://deb.example.com/debian bookworm main\n    filename: example',
    notes: [
      'deb822 `.sources` files are not read (Ansible\'s apt_repository does not read them either): use deb822_repository for those.',
      'A `ppa:` line is expanded as Ansible does (with codename) and can be removed, or found present; adding one is refused with a clear message, because its signing key comes from Launchpad and a keyserver, which runbook does not ask.',
      'Only the files that change are written (Ansible rewrites every sources file it read when anything changed).',
    ],
  },
  probe: () => aptSourcesFact,
  plan: planAptRepository,
});
