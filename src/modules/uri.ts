// uri: an HTTP(S) request made FROM the host (curl), with status, headers and body registered.
// One remote command: curl writes headers and body to a temp dir, then both are printed with
// markers (the body base64-encoded so any bytes survive).
import { raw, sh, ShellCommand } from '../transport/command.js';
import { failPlan, noCheckMode, type CommandOutcome, type Plan, type PlanEnv } from './contract.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';
import { defineModule, FAIL_MARKER } from './runner.js';

export interface UriArgs {
  url: string;
  method?: string;
  body?: unknown;
  body_format?: 'raw' | 'json' | 'form-urlencoded';
  headers?: Record<string, string>;
  status_code?: number | number[] | string | string[];
  return_content?: boolean | string;
  validate_certs?: boolean | string;
  ca_path?: string;
  follow_redirects?: 'all' | 'safe' | 'none' | 'yes' | 'no' | 'urllib2' | boolean;
  timeout?: number;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean | string;
}

export interface UriRequest {
  command: ShellCommand;
  /** the curl config (credentials, headers), then the body; never shown */
  stdin?: string;
  /** values to mask in the command's output and errors */
  secrets: string[];
  method: string;
  statusCodes: number[];
  /** the request cannot be sent as given (the task fails with this) */
  error?: string;
}

/** Ends the curl config on stdin; no config line (`name = "value"`) can equal it. */
const CONFIG_END = '@@end';

const CONFIG_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\v': '\\v' };

/** A value for a curl config file (curl(1), `-K`): double-quoted, with curl's backslash escapes. */
export function curlConfigValue(value: string): string {
  return `"${value.replace(/[\\"\t\n\r\v]/g, (c) => CONFIG_ESCAPES[c] ?? c)}"`;
}

// header values masked in output: the usual credential carriers
const SECRET_HEADER = /^(?:(?:proxy-)?authorization|cookie)$|token|secret|passw|api[-_]?key/i;

function statusList(v: UriArgs['status_code']): number[] {
  if (v === undefined) return [200];
  const list = Array.isArray(v) ? v : String(v).split(',');
  return list.map((x) => Number(String(x).trim())).filter((n) => Number.isInteger(n));
}

/** Build the curl command (pure). */
export function buildUriRequest(args: UriArgs): UriRequest {
  const method = (args.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { ...(args.headers ?? {}) };
  const hasHeader = (n: string) => Object.keys(headers).some((k) => k.toLowerCase() === n.toLowerCase());
  let stdin: string | undefined;
  const fmt = args.body_format ?? 'raw';
  if (args.body !== undefined && args.body !== null) {
    if (fmt === 'json') {
      stdin = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      if (!hasHeader('Content-Type')) headers['Content-Type'] = 'application/json';
    } else if (fmt === 'form-urlencoded') {
      stdin =
        typeof args.body === 'object'
          ? new URLSearchParams(Object.entries(args.body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString()
          : typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      if (!hasHeader('Content-Type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      stdin = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
    }
  }
  const follow = args.follow_redirects ?? 'safe';
  const followAll = follow === 'all' || follow === 'yes' || follow === true || follow === 'urllib2';
  const doFollow = followAll || (follow === 'safe' && (method === 'GET' || method === 'HEAD'));
  const opts: ShellCommand[] = [];
  if (method === 'HEAD') opts.push(sh`-I`);
  else if (method !== 'GET' || stdin !== undefined) opts.push(sh`-X ${method}`);
  if (doFollow) opts.push(sh`-L --max-redirs 20`);
  if (!toBool(args.validate_certs, true)) opts.push(sh`-k`);
  if (args.ca_path !== undefined) opts.push(sh`--cacert ${args.ca_path}`);
  opts.push(sh`--max-time ${args.timeout ?? 30}`);
  // Credentials and headers must not sit in the host's process list (ps, /proc/PID/cmdline shows
  // the shell's and curl's argv to every user), so they reach curl as a config file (-K) whose
  // text comes on stdin. stdin also carries the body (--data-binary @-), so the config goes
  // first, one line per option, up to a CONFIG_END line: the shell's `read` never reads past a
  // newline, which leaves exactly the body for curl. read, case and printf are shell builtins, so
  // the values never become a process's argv on the way. The config file sits in the private
  // (mode 0700) mktemp dir only while the request runs. All headers go there, not only known
  // credential headers: any header name may carry a token.
  const config: string[] = [];
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    config.push(`header = ${curlConfigValue(`${k}: ${v}`)}`);
    if (SECRET_HEADER.test(k)) secrets.push(v, ...v.split(' ').slice(1).filter((w) => w.length >= 6));
  }
  if (args.url_username !== undefined) {
    const cred = `${args.url_username}:${args.url_password ?? ''}`;
    opts.push(toBool(args.force_basic_auth) ? sh`--basic` : sh`--anyauth`);
    config.push(`user = ${curlConfigValue(cred)}`);
    secrets.push(cred, args.url_password ?? '');
  }
  if (config.length > 0) opts.push(sh`-K "$t/c"`);
  if (stdin !== undefined) opts.push(sh`--data-binary @-`);
  const readConfig = config.length > 0 ? raw(`while IFS= read -r l; do case $l in ${CONFIG_END}) break;; esac; printf '%s\\n' "$l"; done >"$t/c" || exit 1; `) : raw('');
  const joined = new ShellCommand(opts.flatMap((o) => [o, raw(' ')]));
  const command = sh`command -v curl >/dev/null 2>&1 || { echo 'runbook-fail: curl is not installed on the host: install it first (apt: name=curl)' >&2; exit 127; }; t=$(mktemp -d) || exit 1; ${readConfig}curl -sS -o "$t/b" -D "$t/h" -w 'runbook-meta\\n%{http_code}\\n%{url_effective}\\n%{redirect_url}\\n%{num_redirects}\\n' ${joined}-- ${args.url}; rc=$?; printf '@@rc\\n%s\\n@@headers\\n' "$rc"; cat "$t/h" 2>/dev/null; printf '\\n@@body\\n'; base64 "$t/b" 2>/dev/null | tr -d '\\n'; rm -rf "$t"; exit 0`;
  const req: UriRequest = { command, method, statusCodes: statusList(args.status_code), secrets: secrets.filter((x) => x.length > 0) };
  // curl's config quoting has no escape for NUL
  if (config.some((line) => line.includes('\0'))) req.error = 'uri: headers, url_username and url_password cannot contain a NUL character';
  const framed = config.length > 0 ? `${config.join('\n')}\n${CONFIG_END}\n` : '';
  if (framed !== '' || stdin !== undefined) req.stdin = framed + (stdin ?? '');
  return req;
}

export interface UriResponse {
  curlRc: number;
  status: number;
  url: string;
  redirectUrl?: string;
  redirects: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parse the command's output (pure). */
export function parseUriOutput(stdout: string): UriResponse {
  const meta = /runbook-meta\n(\d*)\n(.*)\n(.*)\n(\d*)\n/.exec(stdout);
  const rc = /@@rc\n(\d+)\n/.exec(stdout);
  const hStart = stdout.indexOf('@@headers\n');
  const bStart = stdout.lastIndexOf('\n@@body\n');
  const headerText = hStart >= 0 && bStart > hStart ? stdout.slice(hStart + 10, bStart) : '';
  // with redirects followed there is one header block per response: keep the last one
  const blocks = headerText.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
  const last = blocks[blocks.length - 1] ?? '';
  const headers: Record<string, string> = {};
  for (const line of last.split(/\r?\n/).slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
  }
  const body = bStart >= 0 ? Buffer.from(stdout.slice(bStart + 8).trim(), 'base64') : Buffer.alloc(0);
  const res: UriResponse = {
    curlRc: rc ? Number(rc[1]) : 1,
    status: meta?.[1] ? Number(meta[1]) : 0,
    url: meta?.[2] ?? '',
    redirects: meta?.[4] ? Number(meta[4]) : 0,
    headers,
    body,
  };
  if (meta?.[3]) res.redirectUrl = meta[3];
  return res;
}

const RESERVED = new Set(['status', 'url', 'msg', 'changed', 'failed', 'content', 'json', 'headers', 'redirected', 'elapsed', 'cookies']);

/** What the response means: Ansible's registered values, a failure when the status is not one of status_code. */
export function uriResult(args: UriArgs, req: UriRequest, res: UriResponse, stderr: string, elapsedS: number): Plan {
  if (res.curlRc !== 0 && res.status === 0) {
    const why = stderr.trim().split('\n').pop() ?? `curl exit ${res.curlRc}`;
    return failPlan(`Request failed: ${why.replace(/^curl: \(\d+\) /, '')}`, { status: -1, url: args.url, elapsed: elapsedS });
  }
  const data: Record<string, unknown> = {
    status: res.status,
    url: res.url || args.url,
    redirected: res.redirects > 0,
    headers: res.headers,
    elapsed: elapsedS,
  };
  // Ansible also puts each header at the top level, lower-cased with `-` as `_`
  for (const [k, v] of Object.entries(res.headers)) {
    const key = k.replace(/-/g, '_');
    if (!RESERVED.has(key)) data[key] = v;
  }
  if (res.headers.location !== undefined) data.location = res.headers.location;
  else if (res.redirectUrl) data.location = res.redirectUrl;
  const text = res.body.toString('utf8');
  if (toBool(args.return_content)) data.content = text;
  if (/json/i.test(res.headers['content-type'] ?? '') && text.trim() !== '') {
    try {
      data.json = JSON.parse(text) as unknown;
    } catch {
      // not JSON after all: content (when asked for) has it
    }
  }
  const ok = req.statusCodes.includes(res.status);
  const msg = ok ? `OK (${res.body.length} bytes)` : `Status code was ${res.status} and not [${req.statusCodes.join(', ')}]: ${req.method} ${args.url}`;
  return { commands: [], changed: false, failed: !ok, msg, data };
}

/**
 * The request as a plan: curl's one command, its outcome read by `after`. Ansible's uri does
 * not support check mode, so under --check the task is skipped (no request is sent, not even a GET).
 */
export function planUri(args: UriArgs, _state: undefined, env: PlanEnv): Plan {
  const req = buildUriRequest(args);
  if (req.error !== undefined) return failPlan(req.error, { status: -1 });
  if (env.check) return noCheckMode('uri');
  const plan: Plan = {
    commands: [req.command],
    // a request is not a change to the host (Ansible's uri reports changed: false)
    changed: false,
    msg: `${req.method} ${args.url}`,
    secrets: req.secrets,
    timeoutMs: ((args.timeout ?? 30) + 30) * 1000,
    after: (r: CommandOutcome): Plan => {
      const marked = r.stderr.split('\n').find((l) => l.startsWith(FAIL_MARKER));
      if (marked) return failPlan(marked.slice(FAIL_MARKER.length), { status: -1 });
      if (r.exitCode === null || !r.stdout.includes('@@rc')) return failPlan(`uri: the request command did not complete: ${r.stderr.trim() || 'no output'}`, { status: -1 });
      const elapsed = Math.round((r.end.getTime() - r.start.getTime()) / 100) / 10;
      return uriResult(args, req, parseUriOutput(r.stdout), r.stderr, elapsed);
    },
  };
  if (req.stdin !== undefined) plan.stdin = req.stdin;
  return plan;
}

export const uriModule = defineModule<UriArgs, undefined>({
  name: 'uri',
  secretArgs: ['url_password', 'password'],
  schema: moduleSchema({
    properties: {
      url: { type: 'string', minLength: 1, description: 'http(s) URL, requested from the host' },
      method: { type: 'string', default: 'GET', description: 'HTTP method' },
      body: { description: 'request body (a string, or a mapping/list with body_format json or form-urlencoded)' },
      body_format: { type: 'string', enum: ['raw', 'json', 'form-urlencoded'], default: 'raw', description: 'how to encode body (sets Content-Type for json and form-urlencoded)' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers' },
      status_code: {
        description: 'status code(s) that count as success',
        anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'array', items: { type: ['integer', 'string'] } }],
        default: [200],
      },
      return_content: boolSchema('register the body as `content`', false),
      validate_certs: boolSchema('verify the server certificate', true),
      ca_path: { type: 'string', description: 'CA bundle on the host to verify the server with (e.g. a private ACME CA)' },
      follow_redirects: {
        description: '`safe` follows redirects for GET/HEAD only, `all` always, `none` never',
        anyOf: [{ type: 'string', enum: ['all', 'safe', 'none', 'yes', 'no', 'urllib2'] }, { type: 'boolean' }],
        default: 'safe',
      },
      timeout: { type: 'integer', minimum: 1, default: 30, description: 'seconds for the whole request' },
      url_username: { type: 'string', aliases: ['user'], description: 'user for HTTP authentication' },
      url_password: { type: 'string', aliases: ['password'], description: 'password for HTTP authentication (masked in logs, never on a command line)' },
      force_basic_auth: boolSchema('send Basic authentication without waiting for a challenge', false),
    },
    required: ['url'],
  }),
  doc: {
    short: 'Make an HTTP request from the host and check its status',
    description:
      'curl runs on the host, so the request sees what the host sees (its DNS, its routes, its CA store). The response status, headers (lower-cased) and, on request, the body are registered. A status outside `status_code` fails the task.',
    returns: {
      status: 'HTTP status (-1 when no response)',
      url: 'final URL after redirects',
      redirected: 'a redirect was followed',
      location: 'the Location header (or the redirect target curl saw)',
      headers: 'response headers, lower-cased names',
      '<header_name>': 'each header also at the top level, lower-cased with `-` as `_` (e.g. `strict_transport_security`)',
      content: 'the body as text (return_content: yes)',
      json: 'the body parsed, when the response is JSON',
      elapsed: 'seconds the request took',
    },
    example: '- uri:\n    url: "http://{{ domain }}/"\n    follow_redirects: none\n    status_code: 301\n  register: http\n- assert:\n    that: http.location.startswith("https://")',
    notes: [
      'Needs curl on the host.',
      'Under --check the task is skipped and no request is sent (Ansible\'s uri does not support check mode).',
      'url_username/url_password and `headers` reach curl as a config file sent on stdin (kept in a private temp dir while the request runs), never on a command line: they do not show in the host\'s process list. The URL does: put no credentials or tokens in it.',
    ],
  },
  plan: planUri,
});
