// deb822_repository: a repository as a deb822 `.sources` file in /etc/apt/sources.list.d, named
// and written field by field as Ansible's module writes it (fields in the order of their option
// names, booleans yes/no, lists space-separated, a multi-line value such as an inline key
// indented with `.` for empty lines), so a file written by Ansible is unchanged by runbook and
// the other way round. signed_by: an existing key file's path, or an inline ASCII-armored key.
import { posix } from 'node:path';
import { sh } from '../transport/command.js';
import { deb822Fact, type Deb822State } from '../facts/deb822-source.js';
import { boolSchema, listSchema, modeSchema, toBool, toList } from './util/args.js';
import { writeFileCommand } from './util/file-ops.js';
import { sameMode, wantedMode } from './util/mode.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { fileDiff } from '../util/diff.js';

export interface Deb822Args {
  name: string;
  state?: 'present' | 'absent';
  mode?: string | number;
  types?: string[] | string;
  uris?: string[] | string;
  suites?: string[] | string;
  components?: string[] | string;
  architectures?: string[] | string;
  languages?: string[] | string;
  targets?: string[] | string;
  signed_by?: string;
  allow_downgrade_to_insecure?: boolean | string;
  allow_insecure?: boolean | string;
  allow_weak?: boolean | string;
  by_hash?: boolean | string;
  check_date?: boolean | string;
  check_valid_until?: boolean | string;
  date_max_future?: number;
  enabled?: boolean | string;
  inrelease_path?: string;
  pdiffs?: boolean | string;
  trusted?: boolean | string;
  install_python_debian?: boolean | string;
}

export const KEYRINGS_DIR = '/etc/apt/keyrings';

/** Ansible's slug of the name: lower case, `_`/blanks → `-`, anything else but [a-z0-9-] dropped. */
export function deb822Slug(name: string): string {
  return name.toLowerCase().replace(/[_\s]+/g, '-').replace(/[^a-z0-9-]+/g, '');
}

export const sourcesFileOf = (slug: string): string => posix.join('/etc/apt/sources.list.d', `${slug}.sources`);
export const keyFilesOf = (slug: string): string[] => ['asc', 'gpg'].map((e) => posix.join(KEYRINGS_DIR, `${slug}.${e}`));

const BOOLS = ['allow_downgrade_to_insecure', 'allow_insecure', 'allow_weak', 'by_hash', 'check_date', 'check_valid_until', 'enabled', 'pdiffs', 'trusted'] as const;
const LISTS = ['architectures', 'components', 'languages', 'suites', 'targets', 'types', 'uris'] as const;

function fieldName(key: string): string {
  if (key === 'name') return 'X-Repolib-Name';
  if (key === 'uris') return 'URIs';
  return key
    .replace(/_/g, '-')
    .split('-')
    .map((w) => (w === '' ? w : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('-');
}

function multiline(v: string): string {
  const lines = v.trim().split(/\r?\n/).map((l) => l.trim() || '.');
  return `\n${lines.map((l) => `    ${l}`).join('\n')}`;
}

const isUrl = (v: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim());
/** a value that may be a path on the host (one line, not a key block, no URL) */
export const maybePath = (v: string | undefined): v is string => v !== undefined && !v.includes('\n') && !isUrl(v) && v.trim() !== '';

/** The .sources text Ansible's module writes for these arguments (`signedByFile`: signed_by is an existing file). */
export function deb822Text(a: Deb822Args): string {
  const fields = new Map<string, string>();
  for (const k of BOOLS) if (a[k] !== undefined) fields.set(k, toBool(a[k]) ? 'yes' : 'no');
  for (const k of LISTS) {
    const v = k === 'types' ? (a.types ?? ['deb']) : a[k];
    if (v !== undefined) fields.set(k, toList(v).join(' '));
  }
  if (a.date_max_future !== undefined) fields.set('date_max_future', String(a.date_max_future));
  if (a.inrelease_path !== undefined) fields.set('inrelease_path', a.inrelease_path);
  fields.set('name', a.name);
  if (a.signed_by !== undefined) fields.set('signed_by', a.signed_by);
  let out = '';
  for (const key of [...fields.keys()].sort()) {
    let value = fields.get(key)!;
    if (value.includes('\n')) value = multiline(value);
    out += value === '' || value.startsWith('\n') ? `${fieldName(key)}:${value}\n` : `${fieldName(key)}: ${value}\n`;
  }
  return out;
}

export function planDeb822(a: Deb822Args, st: Deb822State, env: PlanEnv): Plan {
  const slug = deb822Slug(a.name);
  if (slug === '') return failPlan(`name "${a.name}" gives an empty file name (only letters, digits, '-', '_' and blanks are used)`);
  const dest = sourcesFileOf(slug);
  if ((a.state ?? 'present') === 'absent') {
    const gone = [...(st.content !== undefined ? [dest] : []), ...st.keyFiles];
    const data = { repo: null, dest, key_filename: keyFilesOf(slug)[1] };
    if (gone.length === 0) return noop(`${dest}: not present`, data);
    const p: Plan = { commands: [sh`rm -f -- ${gone}`], msg: `${gone.join(', ')} removed`, data };
    if (env.diff && st.content !== undefined) p.diff = [fileDiff(dest, st.content, '')];
    return p;
  }
  if (a.signed_by !== undefined && isUrl(a.signed_by)) {
    return failPlan(`signed_by ${a.signed_by}: a key given by URL is not fetched by runbook; download it first (get_url to ${KEYRINGS_DIR}/${slug}.asc) and give that path`);
  }
  for (const k of ['uris', 'suites'] as const) {
    if (toList(a[k]).length === 0) return failPlan(`${k} is required for a repository (state=present)`);
  }
  const types = toList(a.types ?? ['deb']);
  const bad = types.find((t) => t !== 'deb' && t !== 'deb-src');
  if (bad !== undefined) return failPlan(`value of types must be one or more of: deb, deb-src. Got no match for: ${bad}`);
  const text = deb822Text(a);
  const mode = wantedMode(a.mode ?? '0644', st.mode, false) ?? '0644';
  const data: Record<string, unknown> = { repo: text, dest, key_filename: maybePath(a.signed_by) && st.signedByFile ? a.signed_by : null };
  const warnings: string[] = [];
  if (maybePath(a.signed_by) && !st.signedByFile) warnings.push(`signed_by ${a.signed_by} is not a file on the host: it is written as given (key fingerprints), as Ansible does`);
  const withWarnings = (p: Plan): Plan => (warnings.length ? { ...p, warnings } : p);
  if (st.content === text) {
    if (sameMode(mode, st.mode)) return withWarnings(noop(`${dest}: as wanted`, data));
    return withWarnings({ commands: [sh`chmod ${mode} -- ${dest}`], msg: `${dest}: mode ${st.mode ?? '?'} → ${mode}`, data });
  }
  const p: Plan = {
    commands: [writeFileCommand(dest, { exists: st.content !== undefined, mode, tmpSuffix: env.tmpSuffix })],
    stdin: text,
    msg: `${dest}: ${st.content === undefined ? 'created' : 'updated'}`,
    data,
  };
  if (env.diff) p.diff = [fileDiff(dest, st.content ?? '', text)];
  return withWarnings(p);
}

const list = (d: string) => listSchema(d);

export const deb822RepositoryModule = defineModule<Deb822Args, Deb822State>({
  name: 'deb822_repository',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, description: 'the repository\'s name: `X-Repolib-Name`, and the file name (`/etc/apt/sources.list.d/SLUG.sources`)' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'absent removes the .sources file and /etc/apt/keyrings/SLUG.asc|.gpg' },
      mode: { ...modeSchema('permissions of the .sources file'), default: '0644' },
      types: { ...list('`deb` and/or `deb-src`'), default: ['deb'] },
      uris: list('the archive base URIs'),
      suites: list('suites (codenames, or an exact path ending in `/`)'),
      components: list('components (`main contrib`)'),
      architectures: list('architectures to fetch'),
      languages: list('translation languages to fetch'),
      targets: list('download targets'),
      signed_by: { type: 'string', description: 'the path of a keyring file on the host, an inline ASCII-armored public key block, or key fingerprints' },
      allow_downgrade_to_insecure: boolSchema('Allow-Downgrade-To-Insecure'),
      allow_insecure: boolSchema('Allow-Insecure'),
      allow_weak: boolSchema('Allow-Weak'),
      by_hash: boolSchema('By-Hash'),
      check_date: boolSchema('Check-Date'),
      check_valid_until: boolSchema('Check-Valid-Until'),
      date_max_future: { type: 'integer', description: 'Date-Max-Future (seconds)' },
      enabled: boolSchema('Enabled: whether APT uses the source'),
      inrelease_path: { type: 'string', description: 'Inrelease-Path' },
      pdiffs: boolSchema('Pdiffs'),
      trusted: boolSchema('Trusted'),
      install_python_debian: boolSchema('accepted for compatibility: runbook needs no python3-debian', true),
    },
    required: ['name'],
  }),
  doc: {
    short: 'Add or remove a deb822 (.sources) APT repository',
    description:
      'Writes /etc/apt/sources.list.d/SLUG.sources (SLUG: the name in lower case, `_` and blanks as `-`) with the fields in the order and form Ansible\'s module writes them, so the same file results from either tool. `signed_by` is written as a path when it names a file on the host, else as given (an inline key block is indented, empty lines as `.`). The file is replaced atomically only when its text differs; its mode is set (default 0644). The cache is not updated (as in Ansible: run `apt: update_cache=yes` when this changed).',
    returns: {
      repo: 'the .sources file\'s text (null for state=absent)',
      dest: 'the .sources file\'s path',
      key_filename: 'the key file signed_by names (null when the key is inline)',
    },
    example: '- deb822_repository:\n    name: example\n    uris: https://deb.example.com/debian\n    suites: bookworm\n    components: main\n    signed_by: /etc/apt/keyrings/example.asc',
    notes: [
      'A signed_by URL is refused with a clear message: fetch the key with get_url first and give its path (Ansible downloads it to /etc/apt/keyrings itself).',
      '`Install-Python-Debian` is never written into the file (some Ansible releases write it).',
    ],
  },
  probe: (a) => {
    const slug = deb822Slug(a.name);
    return deb822Fact(sourcesFileOf(slug), keyFilesOf(slug), maybePath(a.signed_by) ? a.signed_by : undefined);
  },
  plan: planDeb822,
});
