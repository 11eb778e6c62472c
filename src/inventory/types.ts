import type { Diagnostic } from '../util/diagnostic.js';

// An inventory after loading: every host with its merged variables (Ansible's precedence:
// all < parent groups < child groups < host; group_vars/ and host_vars/ files beside the
// inventory override the inventory file's own vars at the same level).
export interface InventoryHost {
  name: string;
  /** merged variables for this host */
  vars: Record<string, unknown>;
  /** every group the host is in, including ancestors and `all` */
  groups: string[];
  /** Ansible's implicit localhost: created when a pattern names `localhost` but the
   * inventory does not define it; it is in no group (not even `all`) */
  implicit?: boolean;
}

export interface InventoryGroup {
  name: string;
  /** direct hosts */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** problems that did not stop loading (odd group names, unused group_vars files, ...) */
  warnings?: Diagnostic[];
  /** file the inventory came from, or '<implicit localhost>' */
  source: string;
  /** in file order */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}
