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
// Host lines are split by Python's shlex with comments (util/shlex: quotes group, `#` starts a
// comment even inside a word, `a="x\$y"` keeps its backslash); `[g:vars]` lines are
// `key=value` with the value taken whole.
// `[g:vars]` for a group never declared and `[g:children]` naming an undeclared group are
// errors, as in Ansible.
import type { SourceLocation } from '../util/diagnostic.js';
import { expandHostRange, splitPort } from './names.js';
import { iniValue } from './py-literal.js';
import type { RawInventory } from './raw.js';
import { ShlexError, shlexWords, type ShlexWord } from '../util/shlex.js';

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
      let words: ShlexWord[];
      try {
        words = shlexWords(text, { comments: true });
      } catch (e) {
        if (!(e instanceof ShlexError)) throw e;
        if (text.charAt(e.offset) === '\\') raw.diag('error', at(lineNo, e.offset + 1), '', 'inventory-ini-quote', 'a backslash ends the host line', 'remove it, or write \\\\ for a backslash');
        else raw.diag('error', at(lineNo, indent + 1), '', 'inventory-ini-quote', 'unclosed quote in host line', 'close the quote or escape it with a backslash');
        return;
      }
      const [first, ...rest] = words;
      if (first === undefined) return;
      const vars: Record<string, unknown> = {};
      for (const w of rest) {
        const eq = w.value.indexOf('=');
        if (eq <= 0) {
          raw.diag('error', at(lineNo, w.offset + 1), '', 'inventory-ini-host-var', `expected key=value after the host, got '${w.value}'`, 'host variables are written key=value, separated by spaces; quote values with spaces');
          continue;
        }
        vars[w.value.slice(0, eq)] = iniValue(w.value.slice(eq + 1));
      }
      addHostPattern(raw, group, first.value, vars, at(lineNo, first.offset + 1));
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
