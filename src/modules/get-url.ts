// get_url: the HOST downloads a URL to a file (curl, else wget, whichever it has), with
// Ansible's rules: an existing file is left alone unless force (or its checksum differs); a
// directory dest always downloads and replaces only changed content; checksum is verified
// before the file is moved into place. One probe (the destination's stat and digest) decides;
// the download, verification, comparison and atomic rename are one more command.
import { posix } from 'node:path';
import { joinWith, raw, sh, ShellCommand } from '../transport/command.js';
import { urlDestFact, type DigestAlgo, type UrlDestState } from '../facts/url-dest.js';
import type { FileState } from '../facts/file.js';
import { boolSchema, modeSchema, toBool } from './util/args.js';
import { attributeCommands, backupPathFor } from './util/file-ops.js';
import { wantedMode } from './util/mode.js';
import { failPlan, noop, type CommandOutcome, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, FAIL_MARKER } from './runner.js';
import { curlConfigValue } from './uri.js';

export interface GetUrlArgs {
  url: string;
  dest: string;
  checksum?: string;
  force?: boolean | string;
  backup?: boolean | string;
  headers?: Record<string, string>;
  timeout?: number;
  validate_certs?: boolean | string;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean | string;
  tmp_dest?: string;
  http_agent?: string;
  owner?: string;
  group?: string;
  mode?: string | number;
}

const ALGOS: readonly DigestAlgo[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const CONFIG_END = '@@end';

/** `sha256:HEX` → algorithm and digest (a URL instead of the digest is not supported). */
export function parseChecksum(v: string | undefined): { algo: DigestAlgo; digest: string } | { error: string } | undefined {
  if (v === undefined || v === '') return undefined;
  const i = v.indexOf(':');
  if (i < 0) return { error: `checksum ${JSON.stringify(v)}: write <algorithm>:<checksum>, e.g. sha256:abc...` };
  const algo = v.slice(0, i).toLowerCase() as DigestAlgo;
  const digest = v.slice(i + 1).trim().toLowerCase();
  if (!ALGOS.includes(algo)) return { error: `checksum algorithm ${algo} is not supported (use one of ${ALGOS.join(', ')})` };
  if (/^(https?|ftp|file):/.test(digest)) return { error: 'a checksum given as a URL of a checksum file is not supported: give the digest itself (<algorithm>:<checksum>)' };
  if (!/^[0-9a-f]+$/.test(digest)) return { error: `checksum ${JSON.stringify(v)}: the digest must be hexadecimal` };
  return { algo, digest };
}

/** The name a URL's file gets in a directory dest: the last part of its path. */
export function urlFileName(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL the controller parses: the text after the last slash
  }
  const base = decodeURIComponent(posix.basename(path));
  return base === '' || base === '/' ? 'index.html' : base;
}

interface Target {
  path: string;
  state: FileState;
  digest?: string;
  isDirDest: boolean;
}

function target(a: GetUrlArgs, st: UrlDestState): Target | { error: string } {
  if (st.dest.error) return { error: `cannot inspect ${a.dest}: ${st.dest.error}` };
  if (st.dest.exists && st.dest.type === 'directory') {
    if (!st.inDir) return { error: `${a.dest} is a directory` };
    if (st.inDir.exists && st.inDir.type === 'directory') return { error: `${st.inDir.path} is a directory` };
    return { path: st.inDir.path, state: st.inDir, ...(st.inDirDigest !== undefined ? { digest: st.inDirDigest } : {}), isDirDest: true };
  }
  return { path: a.dest, state: st.dest, ...(st.destDigest !== undefined ? { digest: st.destDigest } : {}), isDirDest: false };
}

/** The download as one shell command (curl or wget on the host), printing what happened. */
export function downloadCommand(a: GetUrlArgs, t: Target, sum: { algo: DigestAlgo; digest: string } | undefined, env: PlanEnv): { command: ShellCommand; stdin?: string; backup?: string } {
  const timeout = a.timeout ?? 10;
  const insecure = !toBool(a.validate_certs, true);
  const config: string[] = [];
  for (const [k, v] of Object.entries(a.headers ?? {})) config.push(`header = ${curlConfigValue(`${k}: ${v}`)}`);
  if (a.url_username !== undefined) config.push(`user = ${curlConfigValue(`${a.url_username}:${a.url_password ?? ''}`)}`);
  config.push(`user-agent = ${curlConfigValue(a.http_agent ?? 'ansible-httpget')}`);
  const auth = a.url_username !== undefined ? (toBool(a.force_basic_auth) ? sh` --basic` : sh` --anyauth`) : sh``;
  const dir = a.tmp_dest ?? posix.dirname(t.path);
  const tmp = raw('"$_rb_t"');
  // credentials and headers reach curl as a config file read from stdin (never on a command line)
  const readConfig = raw(`while IFS= read -r l; do case $l in ${CONFIG_END}) break;; esac; printf '%s\\n' "$l"; done >"$_rb_t.cfg"`);
  const curl = sh`${readConfig} && _rb_code=$(curl -sS -L --max-redirs 20 --max-time ${timeout}${insecure ? sh` -k` : sh``}${auth} -K "$_rb_t.cfg" -o ${tmp} -w '%{http_code}' -- ${a.url}); _rb_rc=$?; rm -f "$_rb_t.cfg"`;
  const needsCurl = a.url_username !== undefined || Object.keys(a.headers ?? {}).length > 0;
  const wget = needsCurl
    ? sh`echo ${`${FAIL_MARKER}get_url with headers or url_username needs curl on the host (only wget was found)`} >&2; exit 2`
    : sh`_rb_code=200; wget -q --tries=1 --timeout=${timeout}${insecure ? sh` --no-check-certificate` : sh``} -U ${a.http_agent ?? 'ansible-httpget'} -O ${tmp} -- ${a.url}; _rb_rc=$?; [ "$_rb_rc" = 0 ] || _rb_code=0`;
  const steps: ShellCommand[] = [
    sh`_rb_t=$(mktemp -p ${dir} .runbook-get_url.XXXXXXXX) || { echo ${`${FAIL_MARKER}cannot create a temporary file in ${dir}`} >&2; exit 1; }`,
    sh`trap 'rm -f "$_rb_t" "$_rb_t.cfg"' EXIT`,
    sh`if command -v curl >/dev/null 2>&1; then ${curl}; elif command -v wget >/dev/null 2>&1; then ${wget}; else echo ${`${FAIL_MARKER}get_url needs curl or wget on the host: install one (apt: name=curl)`} >&2; exit 127; fi`,
    sh`printf '@@status %s %s\\n' "$_rb_code" "$_rb_rc"`,
    sh`case "$_rb_code" in 2??) ;; *) exit 0;; esac; [ "$_rb_rc" = 0 ] || exit 0`,
  ];
  if (sum) {
    steps.push(sh`_rb_s=$(${raw(`${sum.algo}sum`)} < "$_rb_t"); _rb_s=\${_rb_s%% *}; if [ "$_rb_s" != ${sum.digest} ]; then printf '@@badsum %s\\n' "$_rb_s"; exit 0; fi`);
  }
  steps.push(sh`_rb_sha=$(sha1sum < "$_rb_t"); printf '@@sha1 %s\\n@@size %s\\n' "\${_rb_sha%% *}" "$(stat -c %s "$_rb_t")"`);
  const backup = t.state.exists && toBool(a.backup) ? backupPathFor(t.path, env.now) : undefined;
  const mode = wantedMode(a.mode, t.state.mode, false);
  const attrs: ShellCommand[] = [mode !== undefined ? sh`chmod ${mode} "$_rb_t"` : t.state.exists ? sh`chmod --reference=${t.path} "$_rb_t"` : sh`chmod 0644 "$_rb_t"`];
  const owner = a.owner !== undefined && a.group !== undefined ? `${a.owner}:${a.group}` : a.owner ?? (a.group !== undefined ? `:${a.group}` : undefined);
  if (owner !== undefined) attrs.push(sh`chown ${owner} "$_rb_t"`);
  else if (t.state.exists) attrs.push(sh`{ chown --reference=${t.path} "$_rb_t" 2>/dev/null || :; }`);
  const replace = new ShellCommand([
    ...(backup ? [sh`cp -p -- ${t.path} ${backup} && `] : []),
    ...attrs.flatMap((x) => [x, raw(' && ')]),
    sh`mv -f "$_rb_t" ${t.path} && echo '@@changed'`,
  ]);
  steps.push(sh`if [ -f ${t.path} ] && cmp -s "$_rb_t" ${t.path}; then echo '@@same'; else ${replace}; fi`);
  const command = sh`( ${joinWith(steps, '\n')}\n)`;
  return { command, stdin: `${config.join('\n')}\n${CONFIG_END}\n`, ...(backup ? { backup } : {}) };
}

export interface DownloadOutcome {
  status: number;
  curlRc: number;
  badSum?: string;
  sha1?: string;
  size?: number;
  same: boolean;
  changed: boolean;
}

export function parseDownload(stdout: string): DownloadOutcome {
  const st = /@@status (\d*) (\d*)/.exec(stdout);
  return {
    status: Number(st?.[1] || 0),
    curlRc: Number(st?.[2] || 0),
    ...(/@@badsum (\w+)/.exec(stdout) ? { badSum: /@@badsum (\w+)/.exec(stdout)![1]! } : {}),
    ...(/@@sha1 (\w+)/.exec(stdout) ? { sha1: /@@sha1 (\w+)/.exec(stdout)![1]! } : {}),
    ...(/@@size (\d+)/.exec(stdout) ? { size: Number(/@@size (\d+)/.exec(stdout)![1]) } : {}),
    same: stdout.includes('@@same'),
    changed: stdout.includes('@@changed'),
  };
}

export function planGetUrl(a: GetUrlArgs, st: UrlDestState, env: PlanEnv): Plan {
  const sum = parseChecksum(a.checksum);
  if (sum && 'error' in sum) return failPlan(sum.error);
  const t = target(a, st);
  if ('error' in t) return failPlan(t.error, { url: a.url, dest: a.dest });
  const data: Record<string, unknown> = { url: a.url, dest: t.path };
  const force = toBool(a.force);
  const attrs = { mode: a.mode, owner: a.owner, group: a.group };
  if (!t.isDirDest && t.state.exists) {
    if (t.state.type !== 'file') return failPlan(`${t.path} exists and is not a regular file`, data);
    const mismatch = sum !== undefined && t.digest !== sum.digest;
    // without force, an existing file is kept unless its checksum is wrong (Ansible)
    if (!force && (sum === undefined || !mismatch)) {
      const ac = attributeCommands(t.path, t.state, attrs, { isDir: false });
      if (ac.commands.length === 0) return noop('file already exists', { ...data, ...(t.digest !== undefined ? { checksum_dest: t.digest } : {}) });
      return { commands: ac.commands, msg: 'file already exists but file attributes changed', data };
    }
  }
  const dl = downloadCommand(a, t, sum, env);
  const plan: Plan = {
    commands: [dl.command],
    msg: `download ${a.url} to ${t.path}`,
    timeoutMs: ((a.timeout ?? 10) + 60) * 1000,
    data,
    after: (o: CommandOutcome): Plan => {
      const marked = o.stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER));
      if (marked) return failPlan(marked.slice(FAIL_MARKER.length), data);
      const r = parseDownload(o.stdout);
      const elapsed = Math.round((o.end.getTime() - o.start.getTime()) / 1000);
      const out: Record<string, unknown> = { ...data, status_code: r.status, elapsed };
      if (!o.ok) return failPlan(`get_url failed: ${o.stderr.trim().split('\n').slice(-3).join('\n') || `exit ${o.exitCode ?? 'none'}`}`, out);
      if (r.status < 200 || r.status > 299 || r.curlRc !== 0) {
        const why = o.stderr.trim().split('\n').pop()?.replace(/^curl: \(\d+\) /, '') ?? '';
        return failPlan(r.status > 0 ? `Request failed: HTTP Error ${r.status}` : `Request failed: ${why || `download exit ${r.curlRc}`}`, out);
      }
      if (r.badSum !== undefined && sum) return failPlan(`The checksum for ${t.path} did not match ${sum.digest}; it was ${r.badSum}.`, out);
      out.checksum_src = r.sha1;
      out.checksum_dest = r.sha1;
      out.size = r.size;
      if (dl.backup && r.changed) out.backup_file = dl.backup;
      return { commands: [], changed: r.changed, msg: `OK (${r.size ?? 0} bytes)`, data: out };
    },
  };
  if (dl.stdin !== undefined) plan.stdin = dl.stdin;
  const secrets = [a.url_password, ...Object.values(a.headers ?? {})].filter((s): s is string => s !== undefined && s.length >= 4);
  if (secrets.length) plan.secrets = secrets;
  return plan;
}

export const getUrlModule = defineModule<GetUrlArgs, UrlDestState>({
  name: 'get_url',
  secretArgs: ['url_password'],
  schema: moduleSchema({
    properties: {
      url: { type: 'string', minLength: 1, description: 'http, https or ftp URL, fetched BY THE HOST' },
      dest: { type: 'string', minLength: 1, description: 'the file to write; a directory: the file is DEST/<last part of the URL path>' },
      checksum: { type: 'string', description: '`<algorithm>:<digest>` (md5, sha1, sha224, sha256, sha384, sha512): verified before the file is moved into place; an existing file with this digest is not downloaded again' },
      force: boolSchema('download even when dest exists, and replace it when the content differs (dest as a directory always downloads)', false),
      backup: boolSchema('keep a timestamped copy of the old file when it is replaced', false),
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers (need curl on the host; never on a command line)' },
      timeout: { type: 'integer', minimum: 1, default: 10, description: 'seconds the request may take' },
      validate_certs: boolSchema('verify the server certificate', true),
      url_username: { type: 'string', aliases: ['username'], description: 'user for HTTP authentication (needs curl on the host)' },
      url_password: { type: 'string', aliases: ['password'], description: 'password for HTTP authentication (masked; never on a command line)' },
      force_basic_auth: boolSchema('send Basic authentication without waiting for a challenge', false),
      tmp_dest: { type: 'string', description: 'directory on the host for the download before it is moved (default: dest\'s directory, so the move is atomic)' },
      http_agent: { type: 'string', default: 'ansible-httpget', description: 'User-Agent header' },
      owner: { type: 'string', description: 'owner of the file' },
      group: { type: 'string', description: 'group of the file' },
      mode: modeSchema(),
    },
    required: ['url', 'dest'],
  }),
  doc: {
    short: 'Download a file from a URL on the host',
    description:
      'The host downloads (curl, or wget when that is all it has; a clear failure when it has neither), so the request sees the host\'s network, DNS and CA store. One probe reads the destination (and its digest with checksum): an existing file is kept unless force is set or its checksum differs (no request at all, as Ansible documents). A download goes to a temp file next to dest, is checked against checksum, compared with the current file and moved into place only when different.',
    returns: {
      dest: 'the file',
      url: 'the URL',
      status_code: 'HTTP status of the download',
      checksum_src: 'sha1 of the downloaded file',
      checksum_dest: 'sha1 of the file afterwards (the digest of the existing file when nothing was downloaded)',
      size: 'bytes downloaded',
      elapsed: 'seconds the download took',
      backup_file: 'the backup made (backup: yes and the file was replaced)',
      msg: '`OK (N bytes)`, `file already exists`, or why it failed',
    },
    example: '- get_url:\n    url: https://downloads.example.org/tool-1.2.tar.gz\n    dest: /opt/tool-1.2.tar.gz\n    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n    mode: "0644"',
    notes: [
      'A checksum given as a URL of a checksum file is not supported: give the digest.',
      'A directory dest names the file after the URL\'s path (a Content-Disposition header is not read).',
      'Under --check nothing is downloaded: a download that would happen is reported as a change (Ansible downloads to compare).',
    ],
  },
  probe(a) {
    const sum = parseChecksum(a.checksum);
    const algo = sum && !('error' in sum) ? sum.algo : undefined;
    return urlDestFact(a.dest, posix.join(a.dest, urlFileName(a.url)), algo);
  },
  plan: planGetUrl,
});
