// A fact is a command plus a parser (pyinfra). Facts never change the host.
import type { ShellCommand } from '../transport/command.js';

export interface Fact<T> {
  name: string;
  command: ShellCommand;
  /** parse the command's output; exitCode lets a fact tell "absent" from "error" */
  parse(stdout: string, stderr: string, exitCode: number | null): T;
}

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
}
