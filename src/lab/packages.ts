// The lab needs a handful of Debian packages; it installs the missing ones itself so a fresh
// Debian 12 machine (CI) works with nothing but `runbook lab up`.
import { existsSync } from 'node:fs';
import { EnvironmentError } from '../util/errors.js';
import { run, tail } from './exec.js';

/** What each part of the lab needs. util-linux (unshare, nsenter) is essential on Debian. */
export const PACKAGES = {
  fleet: ['openssh-server', 'openssh-client', 'sudo', 'iproute2', 'openssl'],
  full: ['debootstrap', 'openssh-client', 'iproute2'],
  // curl: the demo and the end-to-end tests check HTTPS from outside the hosts with it
  acme: ['pebble', 'openssl', 'curl'],
  // named, and dig/nsupdate for the lab's own checks and host registrations
  dns: ['bind9', 'bind9-dnsutils'],
  // the hub's NAT for its site, set from outside the hub (its image has no nft)
  site: ['nftables'],
  // login shells that are not bash, for the transport's tests (fleet hosts share this machine's files)
  shells: ['csh', 'tcsh', 'zsh'],
} as const;

/** held around every apt-get the lab runs (see ensurePackages) */
const APT_LOCK = '/run/lock/runbook-lab-apt.lock';

/** Packages from `wanted` that dpkg does not report as installed. */
export async function missingPackages(wanted: readonly string[]): Promise<string[]> {
  const unique = [...new Set(wanted)];
  const r = await run(['dpkg-query', '-W', '-f', '${Package} ${Status}\n', ...unique]).catch(() => undefined);
  if (!r) return unique;
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' install ok installed'))
      .map((l) => l.split(' ')[0]),
  );
  return unique.filter((p) => !installed.has(p));
}

export async function ensurePackages(wanted: readonly string[], log: (line: string) => void = () => undefined): Promise<void> {
  const missing = await missingPackages(wanted);
  if (missing.length === 0) return;
  if (!existsSync('/usr/bin/apt-get')) {
    throw new EnvironmentError(
      `lab: missing packages: ${missing.join(' ')}; this machine has no apt-get: install them with your package manager`,
    );
  }
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Labs coming up at once on a fresh machine (test files in parallel) both install: apt-get
  // runs under one lock file, so the second waits (dpkg's own lock fails at once, and `update`
  // has a lock of its own), then installs only what the first did not. An apt-get outside that
  // lock (the machine's own upgrades, a tool run by hand) is waited for on dpkg's lock.
  const apt = async (args: string[]) => {
    const still = await missingPackages(missing);
    if (still.length === 0) return { code: 0, signal: null, stdout: '', stderr: '' };
    return run(['flock', '-w', '900', APT_LOCK, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args, ...(args[0] === 'install' ? still : [])], { env });
  };
  let r = await apt(['install', '-y', '--no-install-recommends']);
  if (r.code !== 0) {
    // a fresh machine often has no package lists yet
    await apt(['update']);
    r = await apt(['install', '-y', '--no-install-recommends']);
  }
  if (r.code !== 0) {
    throw new EnvironmentError(
      `lab: could not install ${missing.join(' ')} with apt-get (exit ${r.code ?? r.signal}):\n${tail(r.stderr || r.stdout)}\n` +
        `Install them by hand (apt-get install ${missing.join(' ')}) and retry.`,
    );
  }
}
