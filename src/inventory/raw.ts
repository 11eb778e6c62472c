// What inventory sources (INI, YAML, host lists, several files of a directory) add up to
// before variables are merged: hosts in file order, groups with their own vars, and the
// problems found, each with a position.
import type { Diagnostic, SourceLocation } from '../util/diagnostic.js';
import { invalidGroupName, invalidHostName, unusualGroupName } from './names.js';

export interface RawHost {
  name: string;
  /** host vars written in inventory files (later definitions win) */
  vars: Record<string, unknown>;
  location: SourceLocation;
}

export interface RawGroup {
  name: string;
  hosts: string[];
  /** the same names as `hosts`, for O(1) membership on big fleets */
  hostSet: Set<string>;
  children: string[];
  /** where each child was declared, for cycle messages */
  childLocations: Map<string, SourceLocation>;
  /** group vars written in inventory files */
  vars: Record<string, unknown>;
  location: SourceLocation;
}

export class RawInventory {
  readonly hosts = new Map<string, RawHost>();
  readonly groups = new Map<string, RawGroup>();
  readonly diagnostics: Diagnostic[] = [];
  /** inventory files read, for group_vars/ and host_vars/ lookup */
  readonly sources: string[] = [];

  diag(severity: 'error' | 'warning', location: SourceLocation, path: string, code: string, message: string, fix?: string): void {
    this.diagnostics.push({ severity, location, path, code, message, ...(fix ? { fix } : {}) });
  }

  /** Get or create a group; names are checked once, at creation. */
  group(name: string, location: SourceLocation, path = ''): RawGroup {
    let g = this.groups.get(name);
    if (!g) {
      const bad = invalidGroupName(name);
      if (bad) this.diag('error', location, path, 'inventory-group-name', bad, 'use letters, digits and _ in group names');
      else {
        const odd = unusualGroupName(name);
        if (odd) this.diag('warning', location, path, 'inventory-group-name', odd, 'rename the group with letters, digits and _ only');
      }
      g = { name, hosts: [], hostSet: new Set(), children: [], childLocations: new Map(), vars: {}, location };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Add a host (once per name) to a group, merging its vars. Returns false for a bad name. */
  addHost(groupName: string, name: string, vars: Record<string, unknown>, location: SourceLocation, path = ''): boolean {
    const bad = invalidHostName(name);
    if (bad) {
      this.diag('error', location, path, 'inventory-host-name', bad, 'host names are DNS names or IP addresses; put other details in host vars');
      return false;
    }
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, location };
      this.hosts.set(name, h);
    }
    Object.assign(h.vars, vars);
    const g = this.group(groupName, location, path);
    if (!g.hostSet.has(name)) {
      g.hostSet.add(name);
      g.hosts.push(name);
    }
    return true;
  }

  addChild(parent: string, child: string, location: SourceLocation, path = ''): void {
    const p = this.group(parent, location, path);
    this.group(child, location, path);
    if (!p.children.includes(child)) {
      p.children.push(child);
      p.childLocations.set(child, location);
    }
  }
}
