// Ansible's YAML inventory format:
//
//   all:
//     vars: { ntp: ntp.example.org }
//     hosts:
//       bastion.example.org:            # no vars: null is fine
//     children:
//       web:
//         hosts:
//           web[01:03].example.org: { http_port: 8080 }
//         children:
//           web_eu: { hosts: { eu1.example.org: } }
//
// Every top-level key is a group (usually `all`). A group has only `hosts` (a mapping of
// host patterns to vars), `children` (a mapping of groups) and `vars` (a mapping). Anything
// else is an error with a position: Ansible would skip it with a warning, losing hosts.
import type { ParsedYaml } from '../playbook/yaml.js';
import { addHostPattern } from './ini.js';
import type { RawInventory } from './raw.js';
import { didYouMean } from '../util/edit-distance.js';

const GROUP_KEYS = ['hosts', 'children', 'vars'];

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v} (${JSON.stringify(v)})`;
}

export function parseYamlInventory(doc: ParsedYaml, raw: RawInventory): void {
  const root = doc.value;
  raw.group('all', doc.locate([]));
  raw.group('ungrouped', doc.locate([]));
  if (root === null || root === undefined) return;
  if (!isMap(root)) {
    raw.diag('error', doc.locateValue([]), '', 'inventory-yaml-root', `an inventory must be a mapping of groups (usually 'all:'), found ${kindOf(root)}`, "start the file with 'all:' and list hosts under 'all: hosts:'");
    return;
  }
  for (const [name, def] of Object.entries(root)) walkGroup(doc, raw, name, def, [name], undefined);
}

function walkGroup(doc: ParsedYaml, raw: RawInventory, name: string, def: unknown, path: string[], parent: string | undefined): void {
  const dot = path.join('.');
  const loc = doc.locate(path);
  raw.group(name, loc, dot);
  if (parent !== undefined) {
    if (name === parent) {
      raw.diag('error', loc, dot, 'inventory-cycle', `group '${name}' lists itself as a child`, `remove '${name}' from the children of '${name}'`);
      return;
    }
    raw.addChild(parent, name, loc, dot);
  }
  if (def === null || def === undefined) return;
  if (!isMap(def)) {
    raw.diag('error', doc.locateValue(path), dot, 'inventory-yaml-group', `group '${name}' must be a mapping with hosts, children or vars, found ${kindOf(def)}`, `write '${name}:' followed by indented 'hosts:', 'children:' or 'vars:'`);
    return;
  }
  for (const key of Object.keys(def)) {
    if (GROUP_KEYS.includes(key)) continue;
    const guess = didYouMean(key, GROUP_KEYS);
    raw.diag(
      'error',
      doc.locate([...path, key]),
      `${dot}.${key}`,
      'inventory-yaml-key',
      `unknown key '${key}' in group '${name}': a group has only hosts, children and vars`,
      guess ? `did you mean '${guess}'?` : `move '${key}' under 'vars:' if it is a variable, or under 'children:' if it is a group`,
    );
  }
  const vars = def.vars;
  if (vars !== null && vars !== undefined) {
    if (isMap(vars)) Object.assign(raw.group(name, loc).vars, vars);
    else raw.diag('error', doc.locateValue([...path, 'vars']), `${dot}.vars`, 'inventory-vars-not-mapping', `vars of group '${name}' must be a mapping, found ${kindOf(vars)}`, 'write variables as key: value lines under vars:');
  }
  const hosts = def.hosts;
  if (hosts !== null && hosts !== undefined) {
    if (!isMap(hosts)) {
      raw.diag('error', doc.locateValue([...path, 'hosts']), `${dot}.hosts`, 'inventory-yaml-hosts', `hosts of group '${name}' must be a mapping of host names, found ${kindOf(hosts)}`, "write each host as a key ending in ':' (e.g. 'web1.example.org:'), with its vars indented below it, not as a '- item' list");
    } else {
      for (const [pattern, hv] of Object.entries(hosts)) {
        const hp = [...path, 'hosts', pattern];
        if (hv !== null && hv !== undefined && !isMap(hv)) {
          raw.diag('error', doc.locateValue(hp), hp.join('.'), 'inventory-vars-not-mapping', `vars of host '${pattern}' must be a mapping, found ${kindOf(hv)}`, `write '${pattern}:' alone, or with key: value lines indented below it`);
          continue;
        }
        addHostPattern(raw, name, pattern, isMap(hv) ? { ...hv } : {}, doc.locate(hp), hp.join('.'));
      }
    }
  }
  const children = def.children;
  if (children !== null && children !== undefined) {
    if (!isMap(children)) {
      raw.diag('error', doc.locateValue([...path, 'children']), `${dot}.children`, 'inventory-yaml-children', `children of group '${name}' must be a mapping of groups, found ${kindOf(children)}`, "write each child group as a key ending in ':' (e.g. 'web:'), not as a '- item' list");
    } else {
      for (const [child, cdef] of Object.entries(children)) walkGroup(doc, raw, child, cdef, [...path, 'children', child], name);
    }
  }
}
