// Ansible's INI inventory format, parsed as Ansible's ini plugin does:
//
//   host1 ansible_host=10.0.0.1        # hosts before any section are ungrouped
//   [web]
//   web[01:03].example.org:2222 http_port=8080 "motd=hello world"
//   [web:vars]
//   ntp=ntp.example.org                 # value: Python literal, else the text as written
//   [all_servers:children]
//   web
//
// Host lines are split like a POSIX shell (quotes group, `#` starts a comment even inside a
// word, as with Python's shlex); `[g:vars]` lines are `key=value` with the value taken whole.
// `[g:vars]` for a group never declared and `[g:children]` naming an undeclared group are
// errors, as in Ansible.
import type { SourceLocation } from '../playbook/diagnostic.js';
import { expandHostRange, splitPort } from './names.js';
import { iniValue } from './py-literal.js';
import type { RawInventory } from './raw.js';

interface Token {
  text: string;
  col: number;
}

/** shlex.split(line, comments=True, posix=True); undefined for an unclosed quote. */
export function shlexSplit(line: string): Token[] | undefined {
  const out: Token[] = [];
  let cur = '';
  let start = -1;
  let inToken = false;
  let i = 0;
  const push = (): void => {
    if (inToken) out.push({ text: cur, col: start + 1 });
    cur = '';
    inToken = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      push();
      i++;
    } else if (c === '#') {
      break;
    } else if (c === "'" || c === '"') {
      if (!inToken) start = i;
      inToken = true;
      const end = c === "'" ? line.indexOf("'", i + 1) : findDoubleQuoteEnd(line, i + 1);
      if (end < 0) return undefined;
      const body = line.slice(i + 1, end);
      cur += c === '"' ? body.replace(/\\(["\\$`])/g, '$1') : body;
      i = end + 1;
    } else if (c === '\\') {
      if (!inToken) start = i;
      inToken = true;
      if (i + 1 < line.length) cur += line[i + 1];
      i += 2;
    } else {
      if (!inToken) start = i;
      inToken = true;
      cur += c;
      i++;
    }
  }
  push();
  return out;
}

function findDoubleQuoteEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

export function parseIniInventory(source: string, file: string, raw: RawInventory): void {
  const at = (line: number, col = 1): SourceLocation => ({ file, line, col });
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  // groups named in [x:vars] / [x:children] before (or without) being declared
  const pending = new Map<string, { kind: 'vars' | 'children'; location: SourceLocation; parent?: string }>();
  const declared = new Set<string>(['all', 'ungrouped']);
  raw.group('all', at(1));
  raw.group('ungrouped', at(1));

  const lines = source.split(/\r?\n/);
  lines.forEach((text, idx) => {
    const lineNo = idx + 1;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const indent = text.length - text.trimStart().length;

    if (trimmed.startsWith('[') && !/^\[[^\]]*\][^\s]/.test(trimmed)) {
      const m = SECTION.exec(trimmed);
      if (!m) {
        raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-section', `invalid section header '${trimmed}'`, 'a section is [group], [group:vars] or [group:children]');
        group = '';
        return;
      }
      const name = m[1]!;
      const kind = m[2];
      if (kind !== undefined && kind !== 'vars' && kind !== 'children') {
        raw.diag('error', at(lineNo, indent + 2 + name.length + 1), '', 'inventory-ini-section', `invalid section '[${name}:${kind}]': only :vars and :children exist`, `write [${name}:vars] or [${name}:children]`);
        group = '';
        return;
      }
      group = name;
      state = kind === 'vars' ? 'vars' : kind === 'children' ? 'children' : 'hosts';
      if (state === 'vars') {
        if (!declared.has(name) && !pending.has(name)) pending.set(name, { kind: 'vars', location: at(lineNo, indent + 2) });
      } else {
        declared.add(name);
        pending.delete(name);
        raw.group(name, at(lineNo, indent + 2));
      }
      return;
    }
    if (group === '') return; // inside a broken section: already reported

    if (state === 'hosts') {
      const tokens = shlexSplit(text);
      if (!tokens) {
        raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-quote', 'unclosed quote in host line', 'close the quote or escape it with a backslash');
        return;
      }
      if (tokens.length === 0) return;
      const [first, ...rest] = tokens as [Token, ...Token[]];
      const vars: Record<string, unknown> = {};
      for (const t of rest) {
        const eq = t.text.indexOf('=');
        if (eq <= 0) {
          raw.diag('error', at(lineNo, t.col), '', 'inventory-ini-host-var', `expected key=value after the host, got '${t.text}'`, 'host variables are written key=value, separated by spaces; quote values with spaces');
          continue;
        }
        vars[t.text.slice(0, eq)] = iniValue(t.text.slice(eq + 1));
      }
      addHostPattern(raw, group, first.text, vars, at(lineNo, first.col));
      return;
    }

    if (state === 'children') {
      const child = trimmed.replace(/\s+[#;].*$/, '');
      if (/\s/.test(child)) {
        raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-child', `expected one group name per line in [${group}:children], got '${child}'`, 'list one child group per line');
        return;
      }
      if (child === group) {
        raw.diag('error', at(lineNo, indent + 1), '', 'inventory-cycle', `group '${group}' lists itself as a child`, `remove '${child}' from [${group}:children]`);
        return;
      }
      if (!declared.has(child)) {
        if (!pending.has(child)) pending.set(child, { kind: 'children', location: at(lineNo, indent + 1), parent: group });
      }
      raw.addChild(group, child, at(lineNo, indent + 1));
      return;
    }

    // [group:vars]
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-group-var', `expected key=value in [${group}:vars], got '${trimmed}'`, 'group variables are written key=value, one per line');
      return;
    }
    const key = trimmed.slice(0, eq).trim();
    if (/\s/.test(key)) {
      raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-group-var', `variable name '${key}' contains whitespace`, 'write key=value with a single-word key');
      return;
    }
    raw.group(group, at(lineNo, indent + 1)).vars[key] = iniValue(trimmed.slice(eq + 1).trim());
  });

  for (const [name, p] of pending) {
    if (declared.has(name)) continue;
    if (p.kind === 'vars') {
      raw.diag('error', p.location, '', 'inventory-undefined-group', `section [${name}:vars] is for a group that is never declared`, `declare it with a [${name}] or [${name}:children] section, or fix the name`);
    } else {
      raw.diag('error', p.location, '', 'inventory-undefined-group', `[${p.parent}:children] names group '${name}', which is never declared`, `add a [${name}] section (it may be empty) or fix the name`);
    }
  }
}

/** Expand a host pattern (ranges, :port) and add every host to a group. */
export function addHostPattern(raw: RawInventory, group: string, pattern: string, vars: Record<string, unknown>, location: SourceLocation, path = ''): void {
  const { name, port } = splitPort(pattern);
  const expanded = expandHostRange(name);
  if (!expanded.ok) {
    raw.diag('error', { ...location, col: location.col + expanded.offset }, path, 'inventory-host-range', expanded.message, expanded.fix);
    return;
  }
  const withPort = port === undefined ? vars : { ...vars, ansible_port: port };
  for (const host of expanded.hosts) raw.addHost(group, host, withPort, location, path);
}
