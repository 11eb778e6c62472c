// authorized_key: SSH public keys in a user's authorized_keys file are present (with these
// options and comment) or absent; `exclusive` removes every other line. Ansible's algorithm:
// keys are identified by their key data, kept in their order, a changed key moves to the end.
// One probe reads the user and the file; the file is written atomically (mode 0600, owned by
// the user, ~/.ssh created 0700 with manage_dir) only when a key changes.
import { posix } from 'node:path';
import { sh } from '../transport/command.js';
import { authorizedKeysFact, type AuthorizedKeysState } from '../facts/authorized-keys.js';
import { boolSchema, toBool } from './util/args.js';
import { writeFileCommand } from './util/file-ops.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { fileDiff } from '../util/diff.js';

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string;
  manage_dir?: boolean | string;
  state?: 'present' | 'absent';
  key_options?: string;
  exclusive?: boolean | string;
  comment?: string;
  validate_certs?: boolean | string;
  follow?: boolean | string;
  unique?: boolean | string;
}

/** Key types sshd accepts in authorized_keys (Ansible's list). */
const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com', 'ssh-dss', 'ssh-rsa', 'ssh-xmss@openssh.com', 'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
]);

/** One line of the file: a key (data, type, options in order, comment) or a line kept as it is. */
export interface KeyEntry {
  /** the key data; for a kept line, the line itself */
  id: string;
  type?: string;
  options: Array<[string, string | null]>;
  comment: string;
  rank: number;
  /** a comment or unparsable line, written back unchanged */
  line?: string;
}

/** ssh key options `a,b="x,y",c` in order (commas inside quotes do not split). */
export function parseKeyOptions(options: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const part of options.match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const eq = part.indexOf('=');
    out.push(eq >= 0 ? [part.slice(0, eq), part.slice(eq + 1)] : [part, null]);
  }
  return out;
}

/** A key line → its parts (Ansible's parsekey); undefined when no key type is found. */
export function parseKey(rawLine: string, rank: number): KeyEntry | undefined {
  const line = rawLine.replace(/\\#/g, '#');
  const parts = line.split(/\s+/).filter((p) => p !== '');
  if (parts[0]?.startsWith('#')) return { id: rawLine, options: [], comment: '', rank, line: rawLine };
  const t = parts.findIndex((p) => KEY_TYPES.has(p));
  if (t < 0 || parts[t + 1] === undefined) return undefined;
  const options = t > 0 ? parseKeyOptions(parts.slice(0, t).join(' ')) : [];
  return { id: parts[t + 1]!, type: parts[t], options, comment: parts.slice(t + 2).join(' '), rank };
}

export function serializeKeys(keys: Iterable<KeyEntry>): string {
  return [...keys]
    .sort((a, b) => a.rank - b.rank)
    .map((k) => {
      if (k.line !== undefined) return k.line.endsWith('\n') ? k.line : `${k.line}\n`;
      const opts = k.options.length ? `${k.options.map(([n, v]) => (v === null ? n : `${n}=${v}`)).join(',')} ` : '';
      return `${opts}${k.type} ${k.id}${k.comment !== '' ? ` ${k.comment}` : ''}\n`;
    })
    .join('');
}

const same = (a: KeyEntry, b: KeyEntry) => a.id === b.id && a.type === b.type && a.comment === b.comment && JSON.stringify(a.options) === JSON.stringify(b.options);

/** The pure edit (Ansible's enforce_state): existing content → new content and whether to write. */
export function editAuthorizedKeys(existing: string, a: AuthorizedKeyArgs): { content: string; write: boolean; added: number; updated: number; removed: number } | { error: string } {
  const keys = new Map<string, KeyEntry>();
  existing.split(/(?<=\n)/).filter((l) => l !== '').forEach((l, i) => {
    const k = parseKey(l, i) ?? { id: l, options: [], comment: '', rank: i, line: l };
    keys.set(k.id, k);
  });
  const present = (a.state ?? 'present') === 'present';
  const wanted = a.key.split(/\r?\n/).filter((s) => s !== '' && !s.startsWith('#'));
  const maxRank = keys.size;
  const keep: string[] = [];
  let write = false;
  let added = 0;
  let removed = 0;
  let updated = 0;
  for (const [i, text] of wanted.entries()) {
    let k = parseKey(text, i);
    if (!k || k.line !== undefined) return { error: `invalid key specified: ${text}` };
    if (a.key_options !== undefined) k = { ...k, options: parseKeyOptions(a.key_options) };
    if (a.comment !== undefined) k = { ...k, comment: a.comment };
    const old = keys.get(k.id);
    const matched = old !== undefined && (!present || same(old, k));
    if (present) {
      keep.push(k.id);
      if (old && !matched) {
        keys.delete(k.id);
        write = true;
      }
      if (!matched) {
        keys.set(k.id, { ...k, rank: maxRank + i });
        write = true;
        if (old) updated++;
        else added++;
      }
    } else if (matched) {
      keys.delete(k.id);
      write = true;
      removed++;
    }
  }
  if (present && toBool(a.exclusive)) {
    for (const id of [...keys.keys()]) {
      if (!keep.includes(id)) {
        keys.delete(id);
        write = true;
        removed++;
      }
    }
  }
  return { content: serializeKeys(keys.values()), write, added, updated, removed };
}

export function planAuthorizedKey(a: AuthorizedKeyArgs, st: AuthorizedKeysState, env: PlanEnv): Plan {
  if (/^https?:/.test(a.key.trim())) return failPlan('authorized_key: a key given as a URL is not supported: fetch it first (get_url, or the url lookup) and pass the key text');
  if (toBool(a.follow)) return failPlan('authorized_key: follow: yes is not supported: give the real path of the key file as path');
  if (st.noUser) return failPlan(`Failed to lookup user ${a.user}: no such user on the host`);
  if (st.error) return failPlan(`authorized_key: ${st.error}`);
  const manageDir = toBool(a.manage_dir, true);
  const data: Record<string, unknown> = {
    user: a.user,
    key: a.key,
    path: a.path ?? null,
    keyfile: st.path,
    manage_dir: manageDir,
    state: a.state ?? 'present',
    key_options: a.key_options ?? null,
    exclusive: toBool(a.exclusive),
    comment: a.comment ?? null,
    validate_certs: toBool(a.validate_certs, true),
    follow: toBool(a.follow),
    unique: toBool(a.unique),
  };
  const edit = editAuthorizedKeys(st.content, a);
  if ('error' in edit) return failPlan(edit.error, data);
  if (!edit.write) return noop(`${st.path}: ${(a.state ?? 'present') === 'present' ? 'keys already present' : 'no such key to remove'}`, data);
  const commands = [];
  const dir = posix.dirname(st.path);
  const owner = { owner: a.user, group: String(st.gid) };
  if (!st.dirExists) {
    // sshd's StrictModes: the user's ~/.ssh must be theirs and not writable by others
    commands.push(manageDir ? sh`mkdir -p -- ${dir} && chmod 0700 -- ${dir} && chown ${a.user}:${String(st.gid)} -- ${dir}` : sh`mkdir -p -- ${dir}`);
  }
  commands.push(writeFileCommand(st.path, { exists: st.fileExists, mode: '0600', ...owner, tmpSuffix: env.tmpSuffix }));
  const parts = [edit.added ? `${edit.added} key${edit.added > 1 ? 's' : ''} added` : '', edit.updated ? `${edit.updated} key${edit.updated > 1 ? 's' : ''} updated` : '', edit.removed ? `${edit.removed} line${edit.removed > 1 ? 's' : ''} removed` : ''].filter((x) => x !== '');
  const p: Plan = { commands, stdin: edit.content, msg: `${st.path}: ${parts.join(', ') || 'keys rewritten'}`, data };
  if (env.diff) p.diff = [fileDiff(st.path, st.content, edit.content)];
  return p;
}

export const authorizedKeyModule = defineModule<AuthorizedKeyArgs, AuthorizedKeysState>({
  name: 'authorized_key',
  schema: moduleSchema({
    properties: {
      user: { type: 'string', minLength: 1, description: 'the user whose authorized_keys file is managed' },
      key: { type: 'string', minLength: 1, description: 'the SSH public key(s), one per line (options and comment may be part of a line)' },
      path: { type: 'string', description: 'the key file (default: the user\'s ~/.ssh/authorized_keys)' },
      manage_dir: boolSchema('create the key file\'s directory (mode 0700, owned by the user) when missing', true),
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the key(s) must be in the file' },
      key_options: { type: 'string', description: 'ssh options for the key(s), e.g. `no-port-forwarding,from="10.0.0.1"`' },
      exclusive: boolSchema('remove every other key (and comment line) from the file', false),
      comment: { type: 'string', description: 'the comment written after the key (default: the key\'s own)' },
      validate_certs: boolSchema('accepted for compatibility (keys from URLs are not supported)', true),
      follow: boolSchema('follow a symbolic link at path (only `no` is supported)', false),
      unique: boolSchema('accepted for compatibility (keys are unique by their data anyway)', false),
    },
    required: ['user', 'key'],
  }),
  doc: {
    short: 'Add or remove SSH public keys in a user\'s authorized_keys file',
    description:
      'Ansible\'s algorithm: keys are identified by their key data; a key whose options or comment differ is replaced (and moves to the end); other lines are kept in order, or removed with `exclusive`. One probe reads the user and the file; it is written atomically (mode 0600, owned by the user) only when a key changes, with ~/.ssh created 0700 and owned by the user when missing, so sshd\'s StrictModes accepts it.',
    returns: {
      keyfile: 'the key file',
      user: 'the user',
      key: 'the key(s) given',
      state: 'the state asked for',
      key_options: 'the options given',
      exclusive: 'the exclusive argument',
      manage_dir: 'the manage_dir argument',
      path: 'the path argument (null when not given)',
      comment: 'the comment argument',
    },
    example: '- authorized_key:\n    user: deploy\n    key: "{{ lookup(\'file\', \'files/deploy.pub\') }}"\n    key_options: no-agent-forwarding',
    notes: ['Keys given as a URL (`key: https://github.com/NAME.keys`) are not supported: fetch them first.', 'A key line is written without a trailing space when it has no comment (Ansible writes one); both read the same.'],
  },
  probe: (a) => authorizedKeysFact(a.user, a.path),
  plan: planAuthorizedKey,
});
