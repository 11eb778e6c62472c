// Naming of lab instances: everything a lab creates on the machine (bridge, subnet,
// network namespaces, veths, state directory) derives from the instance name, so an
// operator's lab and several test runs can exist side by side without colliding.
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';

export const DEFAULT_INSTANCE = 'default';
/** the default instance keeps the subnet of the recipe in lab-notes.md */
export const DEFAULT_OCTET = 213;

/** bridge `rbl-NAME` must fit IFNAMSIZ (15 chars) */
const NAME_RE = /^[a-z][a-z0-9-]{0,10}$/;

export function validateInstanceName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new UsageError(
      `lab: invalid instance name '${name}': use 1-11 characters a-z, 0-9 and '-', starting with a letter`,
    );
  }
}

export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNBOOK_LAB_STATE_ROOT ?? '/var/lib/runbook-lab';
}

/** images and layers, shared by every instance, keyed by what built them */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNBOOK_LAB_CACHE ?? '/var/cache/runbook-lab';
}

export function stateDirOf(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stateRoot(env), name);
}

/** FNV-1a: a stable, dependency-free hash for deriving subnets from names. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Second octets to try for an instance's 10.X.0.0/16, preferred first. The default instance
 * gets 213; other names hash into 20..219 (never 213) and probe upwards on collision.
 */
export function candidateOctets(name: string): number[] {
  const first = name === DEFAULT_INSTANCE ? DEFAULT_OCTET : 20 + (fnv1a(name) % 200);
  const out: number[] = [];
  for (let k = 0; k < 200; k++) {
    const o = 20 + ((first - 20 + k) % 200);
    if (o === DEFAULT_OCTET && name !== DEFAULT_INSTANCE) continue;
    out.push(o);
  }
  return out;
}

export interface InstanceNet {
  octet: number;
  subnet: string;
  gateway: string;
  bridge: string;
  /** prefix of every network namespace of this instance */
  netnsPrefix: string;
}

export function instanceNet(name: string, octet: number): InstanceNet {
  return {
    octet,
    subnet: `10.${octet}.0.0/16`,
    gateway: `10.${octet}.0.1`,
    bridge: `rbl-${name}`,
    netnsPrefix: `rbl-${name}-`,
  };
}

/** fleet host i (1-based): 10.X.(1 + (i-1)/200).(10 + (i-1)%200); up to 50 000 hosts */
export function fleetAddress(octet: number, index: number): string {
  const i = index - 1;
  return `10.${octet}.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`;
}

export function fleetHostName(index: number): string {
  return `h${String(index).padStart(3, '0')}`;
}

/** full hosts (and the layer builder) live in 10.X.0.10-250 */
export function fullAddress(octet: number, slot: number): string {
  return `10.${octet}.0.${slot}`;
}

/** veth names carry the octet (unique among live instances) and stay within 15 chars */
export function fleetVeth(octet: number, index: number): string {
  return `rb${octet}h${index}`;
}
export function fullVeth(octet: number, slot: number): string {
  return `rb${octet}f${slot}`;
}

/** full host names become hostnames, DNS labels and netns names */
const HOST_RE = /^[a-z][a-z0-9-]{0,30}$/;
export function validateFullHostName(name: string): void {
  if (!HOST_RE.test(name) || /^h\d+$/.test(name)) {
    throw new UsageError(
      `lab: invalid full host name '${name}': use 1-31 characters a-z, 0-9 and '-', starting with a letter ` +
        `(names like h001 are reserved for fleet hosts)`,
    );
  }
}
