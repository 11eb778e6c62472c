// Lab fixtures for runbook's own tests (project `lab`, root + Linux). Each test file brings
// up its own named lab instance in beforeAll and removes it in afterAll:
//
//   let lab: LabInfo;
//   beforeAll(async () => { lab = await startLab({ name: 'tr-basic', fleet: 3 }); });
//   afterAll(() => stopLab('tr-basic'));
//
// Instance names: 1-11 chars [a-z0-9-]; use one per test file so files never collide.
import type { LabHostInfo, LabInfo } from '../../src/lab/types.js';
import { resolveConnection, type ConnectionOverrides } from '../../src/transport/factory.js';
import type { ConnectionSpec } from '../../src/transport/types.js';
import { claimInstance, labDown, labExec as labExecImpl, labInfo, labUp, releaseInstance, setHostLink, startHost as startHostImpl, stopHost as stopHostImpl } from '../../src/lab/index.js';
import type { FullHostRequest, LabExecResult } from '../../src/lab/index.js';

export type { LabInfo, LabHostInfo } from '../../src/lab/types.js';
export { labSkipReason } from './lab-env.js';
export type { FullHostRequest, LabExecResult } from '../../src/lab/index.js';
// a home uplink in user space (issue 18): latency, loss, optionally a bandwidth cap
export { checkSlowLink, slowLinkStats, startSlowLink, stopSlowLink } from '../../src/lab/index.js';
export type { LinkCheck, SlowLinkOptions, SlowLinkStats } from '../../src/lab/index.js';

export interface StartLabOptions {
  /** instance name, unique per test file (bridge, subnet, namespaces derive from it) */
  name: string;
  /** fleet hosts h001..hNNN (shared filesystem, own netns/hostname/host key); default 0 */
  fleet?: number;
  /**
   * full Debian hosts with their own filesystem (see FullHostRequest): layer 'apache' has
   * apache2 + certbot + the Allmon3 stand-in, 'firewalld' adds firewalld; release '12' or
   * '13'; init 'systemd' boots Debian's systemd as PID 1
   */
  full?: FullHostRequest[];
  /** Pebble + challtestsrv; every full host's NAME.lab.test is registered */
  acme?: boolean;
  /** BIND for lab.test with TSIG updates (LabInfo.dns); Pebble then resolves through it (DNS-01) */
  dns?: boolean;
  /** sshd MaxSessions of fleet hosts (default 10, as OpenSSH) */
  maxSessions?: number;
}

/**
 * A fresh lab instance: anything left by an earlier run of the same name (crash, killed
 * test run) is removed first, so every test file starts from a known state. When another
 * live process (the same test file in a second vitest run) holds the name, this waits for it.
 */
export async function startLab(opts: StartLabOptions): Promise<LabInfo> {
  // the same test file running in another process holds this instance: wait, do not destroy it
  await claimInstance({
    name: opts.name,
    onWait: (pid) => process.stderr.write(`[lab ${opts.name}] in use by PID ${pid} (another test run): waiting for it\n`),
  });
  await labDown({ name: opts.name });
  return labUp({
    name: opts.name,
    fleet: opts.fleet ?? 0,
    full: opts.full ?? [],
    acme: opts.acme ?? false,
    dns: opts.dns ?? false,
    maxSessions: opts.maxSessions,
    log: process.env.RUNBOOK_LAB_VERBOSE ? (l) => process.stderr.write(`[lab ${opts.name}] ${l}\n`) : undefined,
  });
}

/** Remove the instance: processes (by PID), namespaces, mounts, bridge. Safe to call twice. */
export async function stopLab(name: string): Promise<void> {
  await labDown({ name });
  releaseInstance({ name });
}

/** The current info of a running instance (hosts, key, known_hosts, ACME URLs). */
export function getLab(name: string): LabInfo {
  return labInfo({ name });
}

/**
 * Run argv as root inside a lab host (by name, address or domain), in all its namespaces:
 * for assertions and fault injection. Resolves with the exit code; never throws on non-zero.
 */
export function labExec(lab: LabInfo, host: string, argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<LabExecResult> {
  return labExecImpl(lab, host, argv, options);
}

/** Host goes down: all its processes end (sshd included), so connections are refused. */
export function stopHost(lab: LabInfo, host: string): Promise<void> {
  return stopHostImpl(lab, host);
}

/** Host comes back with the same address, host key and (full hosts) filesystem. */
export function startHost(lab: LabInfo, host: string): Promise<void> {
  return startHostImpl(lab, host);
}

/** Pull the host's network cable: packets are dropped, so connections time out (no refusal). */
export function unplugHost(lab: LabInfo, host: string): Promise<void> {
  return setHostLink(lab, host, false);
}

export function plugHost(lab: LabInfo, host: string): Promise<void> {
  return setHostLink(lab, host, true);
}

/**
 * A lab host's connection, resolved by the real factory from inventory-style variables (the
 * no-password sudo user, the lab key and known_hosts; `vars` add or override), with no ssh
 * config files and a 5 s connect timeout unless `overrides` say otherwise.
 */
export function labConnectionSpec(lab: LabInfo, h: LabHostInfo, vars: Record<string, unknown> = {}, overrides: ConnectionOverrides = {}): ConnectionSpec {
  return resolveConnection(
    {
      name: h.name,
      vars: {
        ansible_host: h.address,
        ansible_port: h.port,
        ansible_user: lab.users.nopasswd.name,
        ansible_ssh_private_key_file: lab.keyFile,
        runbook_known_hosts_file: lab.knownHostsFile,
        ...vars,
      },
    },
    { sshConfigFiles: [], env: {}, connectTimeoutMs: 5000, ...overrides },
  );
}
