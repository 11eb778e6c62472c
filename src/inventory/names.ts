// Host patterns in inventory files: ranges (`web[01:10].example.org`, `db-[a:c]`), an
// optional `:port`, and the checks that keep names usable in host patterns later.
import { isIPv6 } from 'node:net';

/** More hosts than this from one line is a typo (`[0:99999999]`), not a fleet. */
export const MAX_RANGE_HOSTS = 100_000;

export type Expanded = { ok: true; hosts: string[] } | { ok: false; message: string; fix: string; offset: number };

/** Expand every `[start:end]` / `[start:end:step]` in a host pattern (Ansible's expand_hostname_range). */
export function expandHostRange(pattern: string): Expanded {
  const open = pattern.indexOf('[');
  if (open < 0) {
    if (pattern.includes(']')) return { ok: false, message: `unmatched ']' in host pattern '${pattern}'`, fix: 'a range looks like web[01:10].example.org', offset: pattern.indexOf(']') };
    return { ok: true, hosts: [pattern] };
  }
  const close = pattern.indexOf(']', open);
  if (close < 0) return { ok: false, message: `unclosed '[' in host pattern '${pattern}'`, fix: 'close the range: web[01:10].example.org', offset: open };
  const body = pattern.slice(open + 1, close);
  const parts = body.split(':');
  const bad = (message: string): Expanded => ({ ok: false, message: `${message} in host pattern '${pattern}'`, fix: 'a range is [START:END] or [START:END:STEP], e.g. web[01:10] or db-[a:c]', offset: open });
  if (parts.length < 2 || parts.length > 3) return bad(`host range '[${body}]' must be [start:end] or [start:end:step]`);
  const [beg, end, stepText] = parts as [string, string, string | undefined];
  if (beg === '' || end === '') return bad(`host range '[${body}]' needs both a start and an end`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) return bad(`host range step '${stepText}' must be a positive integer`);
    step = Number(stepText);
  }
  const prefix = pattern.slice(0, open);
  const rest = expandHostRange(pattern.slice(close + 1));
  if (!rest.ok) return { ...rest, offset: rest.offset + close + 1 };
  let items: string[];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) return bad(`host range '[${body}]': a zero-padded start needs an end of the same width`);
    const b = Number(beg);
    const e = Number(end);
    if (b > e) return bad(`host range '[${body}]' must not end before it starts`);
    if ((e - b) / step + 1 > MAX_RANGE_HOSTS) return bad(`host range '[${body}]' has more than ${MAX_RANGE_HOSTS} hosts`);
    items = [];
    for (let i = b; i <= e; i += step) items.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  } else if (/^[a-z]$/.test(beg) && /^[a-z]$/.test(end) || /^[A-Z]$/.test(beg) && /^[A-Z]$/.test(end)) {
    const b = beg.charCodeAt(0);
    const e = end.charCodeAt(0);
    if (b > e) return bad(`host range '[${body}]' must not end before it starts`);
    items = [];
    for (let i = b; i <= e; i += step) items.push(String.fromCharCode(i));
  } else {
    return bad(`host range '[${body}]' must be numbers ([01:10]) or single letters ([a:f])`);
  }
  if (items.length * rest.hosts.length > MAX_RANGE_HOSTS) return bad(`host pattern expands to more than ${MAX_RANGE_HOSTS} hosts`);
  const hosts: string[] = [];
  for (const item of items) for (const r of rest.hosts) hosts.push(prefix + item + r);
  return { ok: true, hosts };
}

/** `host:2222` → name and port; `[::1]:22` and bare IPv6 addresses are understood. */
export function splitPort(pattern: string): { name: string; port?: number } {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(pattern);
  if (v6 && isIPv6(v6[1]!)) return v6[2] ? { name: v6[1]!, port: Number(v6[2]) } : { name: v6[1]! };
  if (isIPv6(pattern)) return { name: pattern };
  // a colon inside a range (`web[01:10]`) is not a port separator
  const m = /^((?:[^:[]|\[[^\]]*\])+):(\d+)$/.exec(pattern);
  if (m) return { name: m[1]!, port: Number(m[2]) };
  return { name: pattern };
}

// Characters with a meaning in host patterns (`a:b`, `a,b`, `!a`, `&a`, `web*`, `~re`, `g[0]`)
// or in shells/INI; a name holding one could never be selected reliably.
const BAD_HOST_CHARS = /[\s,!&*?[\]=#;'"`$|<>(){}\\/]/;

/** undefined when fine, else why not. */
export function invalidHostName(name: string): string | undefined {
  if (name === '') return 'a host name must not be empty';
  if (name.startsWith('~') || name.startsWith('@') || name.startsWith('-')) return `host name '${name}' must not start with '${name[0]}'`;
  const bad = BAD_HOST_CHARS.exec(name);
  if (bad) return `host name '${name}' contains ${describeChar(bad[0])}`;
  if (name.includes(':') && !isIPv6(name)) return `host name '${name}' contains ':' (write a port as host:PORT only once, or use ansible_port)`;
  return undefined;
}

const BAD_GROUP_CHARS = /[\s,:!&*?[\]=#;'"`$|<>(){}\\/@~]/;

/** Errors: characters that break host patterns. */
export function invalidGroupName(name: string): string | undefined {
  if (name === '') return 'a group name must not be empty';
  const bad = BAD_GROUP_CHARS.exec(name);
  if (bad) return `group name '${name}' contains ${describeChar(bad[0])}`;
  return undefined;
}

/** Warnings: Ansible only accepts Python identifiers as group names without a warning. */
export function unusualGroupName(name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return `group name '${name}' is not a valid identifier (letters, digits, _); Ansible warns about it, and it cannot be used as a variable-like name in templates`;
}

function describeChar(c: string): string {
  if (/\s/.test(c)) return 'whitespace';
  return `'${c}'`;
}
