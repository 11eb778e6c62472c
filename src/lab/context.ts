// What the lab's parts (full hosts, ACME, DNS, sites) share while one `lab up` runs, and the
// shape of a full host request. Kept apart from index.ts (the public API) so the parts never
// import the module that imports them.
import type { InstanceNet } from './instance.js';
import type { LabState } from './state.js';
import type { LayerName, Release } from './image.js';

/** PID 1 of a full host: the lab's small init, or Debian's systemd as on a real node */
export type InitSystem = 'lab-init' | 'systemd';

export interface FullHostRequest {
  name: string;
  /** package layer the host boots on; default base (the bare image) */
  layer?: 'base' | LayerName;
  /** Debian release: '12' (bookworm, default) or '13' (trixie) */
  release?: Release;
  /** PID 1; default lab-init, except systemd on the firewalld layer (firewalld needs its bus) */
  init?: InitSystem;
  /**
   * firewalld layer: whether the host's zone (`allstarlink`, holding eth0) allows http and
   * https from the start, as on AllStarLink's appliance (default true). false: only ssh and
   * iax2, so a playbook has to open them.
   */
  httpAllowed?: boolean;
  /**
   * name of a hub (another full host of this request or already running): this host lives
   * on the hub's site network, which the controller cannot route to; SSH goes through the
   * hub as jump host
   */
  behind?: string;
}

export interface LabContext {
  name: string;
  stateDir: string;
  net: InstanceNet;
  state: LabState;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
}
