// A fact is a command plus a parser (pyinfra). Facts never change the host.
import type { ShellCommand } from '../transport/command.js';

export interface Fact<T> {
  name: string;
  command: ShellCommand;
  /** bytes the command reads on stdin (unarchive's probe compares an archive from the controller with dest) */
  stdin?: string | Buffer;
  /**
   * parse the command's output; exitCode lets a fact tell "absent" from "error". A plain
   * function (no `this`): a combined fact keeps its parts' parsers without the parts.
   */
  parse: (stdout: string, stderr: string, exitCode: number | null) => T;
}

/** What the controller can tell a controller-side fact about the host (no command runs for it). */
export interface ControllerSide {
  /** the host's gathered facts; undefined when they cannot be gathered */
  hostFacts(): Promise<HostFacts | undefined>;
  signal?: AbortSignal;
}

/**
 * A fact read on the controller instead of the host: what DNS answers for a name, whether a
 * port is reachable from outside, the facts gathered earlier. Like a host fact it changes
 * nothing, so it may be read in --check too.
 */
export interface ControllerFact<T> {
  name: string;
  controller: true;
  read(side: ControllerSide): Promise<T>;
}

/** Anything a module may ask before it plans: a host command with its parser, or a controller-side read. */
export type Probe<T> = Fact<T> | ControllerFact<T>;

export function isControllerFact<T>(p: Probe<T>): p is ControllerFact<T> {
  return 'controller' in p;
}

/** A value already known on the controller: a probe that asks nothing. */
export function known<T>(value: T, name = 'known'): ControllerFact<T> {
  return { name, controller: true, read: () => Promise.resolve(value) };
}

/** The facts gathered for the host (gather_facts), or undefined when they cannot be had. */
export const gatheredFacts: ControllerFact<HostFacts | undefined> = {
  name: 'gathered-facts',
  controller: true,
  read: (side) => side.hostFacts(),
};

/** What `gather_facts` collects, in one round trip. Exposed to templates as `ansible_facts` and `ansible_*`. */
export interface HostFacts {
  system: string; // Linux
  kernel: string;
  architecture: string;
  hostname: string;
  fqdn: string;
  distribution: string; // Debian
  distributionVersion: string; // 12
  distributionRelease: string; // bookworm
  osFamily: string; // Debian
  /** 'systemd' when systemd is PID 1 and running, else 'sysvinit' (service/init scripts) */
  serviceMgr: 'systemd' | 'sysvinit' | 'unknown';
  pkgMgr: 'apt' | 'dnf' | 'yum' | 'apk' | 'unknown';
  ipv4: string[];
  ipv6: string[];
  defaultIpv4?: string;
  user: string;
  pythonAvailable: boolean;
  /** the host's python3, when it has one (Ansible's ansible_python) */
  python?: { executable: string; type: string; version: { major: number; minor: number; micro: number; releaselevel: string; serial: number } };
  /** '12' for Debian 12.x */
  distributionMajorVersion?: string;
  /** what PID 1 is (`systemd`, `init`, `sh`, ...): tells a container from a booted host */
  pid1Comm?: string;
  /** addresses per network interface (loopback excluded) */
  interfaces?: Record<string, { ipv4: string[]; ipv6: string[] }>;
  /** which well-known tools are on PATH (apt-get, snap, systemctl, service, curl, python3, ...) */
  commands?: string[];
  /** /etc/os-release as key → value */
  osRelease?: Record<string, string>;
  /** the rest of Ansible's setup facts, under Ansible's names without `ansible_` (system-facts.ts) */
  extra?: Record<string, unknown>;
}
