// The two scripts that turn a directory into a running full host. They are plain shell
// because they run where node is not: the boot script as PID 1 of a fresh pid + mount
// namespace (before chroot), lab-init as PID 1 inside the host's root.
import { shq } from './fleet.js';

/**
 * /sbin/lab-init, installed at every boot (not baked into the image, so changing it never
 * invalidates the cached image): starts sshd, reaps orphans (bash reaps every
 * child on SIGCHLD, including re-parented daemons such as apache2), and on TERM ends every
 * process of the host.
 */
export const LAB_INIT = `#!/bin/bash
# PID 1 of a runbook lab full host (chrooted, own pid/mount/uts/ipc/net namespaces).
hostname "\${1:-$(cat /etc/hostname)}"
mkdir -p /run/sshd /run/lock /var/log
/usr/sbin/sshd -E /var/log/sshd.log || echo "lab-init: sshd failed" >&2
# like a real node's boot: start the services installed packages enabled (apache2...)
for s in /etc/rc2.d/S*; do
  [ -x "$s" ] || continue
  n=\${s##*/S[0-9][0-9]}
  case $n in ssh|sudo|rc.local|rmnologin|bootlogs) continue ;; esac
  "$s" start > "/var/log/lab-init-$n.log" 2>&1 || echo "lab-init: $n failed to start" >&2
done
others() { local p n=0; for p in /proc/[0-9]*; do [ "\${p#/proc/}" != 1 ] && n=$((n+1)); done; echo $n; }
stop() {
  kill -TERM -1 2>/dev/null
  for _ in $(seq 1 40); do wait 2>/dev/null; [ "$(others)" -le 1 ] && break; sleep 0.05; done
  kill -KILL -1 2>/dev/null; exit 0
}
trap stop TERM INT
echo "lab-init: up ($(hostname))" | tee /run/runbook-lab-ready
while :; do sleep 3600 & wait $!; done
`;

/** Written inside a host once sshd runs (by lab-init, or by a unit under systemd). */
export const READY_FILE = '/run/runbook-lab-ready';

/**
 * Under systemd, readiness is a oneshot unit ordered after ssh.service. Installed and enabled
 * at every boot, like lab-init, so the cached image never changes for it.
 */
export const READY_UNIT = `[Unit]
Description=runbook lab: sshd is up
Wants=ssh.service
After=ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo "lab-init: up ($(hostname)) systemd" > ${READY_FILE}'
`;

export interface BootSpec {
  name: string;
  /** PID 1 of the host; systemd needs the cgroup set up by the caller (see full.ts) */
  init?: 'lab-init' | 'systemd';
  /** overlay lowerdir list, topmost first */
  lower: string;
  upper: string;
  work: string;
  root: string;
  /**
   * files installed into the root at every boot (hostname, hosts, host key, apt proxy...);
   * `firstBoot` ones only when absent, so what the host's own tools change there stays
   */
  files: ReadonlyArray<{ src: string; dest: string; mode: string; firstBoot?: boolean }>;
  /** `ops:HASH` for chpasswd -e, when the lab users get credentials */
  opsShadowLine?: string;
  /** users whose ~/.ssh must belong to them after the copy */
  keyUsers: string[];
  /** lab CA (PEM) to trust system-wide, and its OpenSSL subject hash */
  ca?: { pem: string; hash: string };
}

/**
 * Runs as PID 1 of the new pid + mount namespace, inside the host's network namespace.
 * The overlay is mounted here, in the host's own mount namespace, so it exists exactly as
 * long as the host's processes do: nothing is left mounted in the machine's namespace and
 * no other host's namespace ever holds a copy of it.
 */
export function bootScript(b: BootSpec): string {
  const R = shq(b.root);
  const lines = [
    'set -e',
    `mount -t overlay runbook-lab -o ${shq(`lowerdir=${b.lower},upperdir=${b.upper},workdir=${b.work}`)} ${R}`,
    // file by file: copying a tree would also overwrite the modes and owners of existing dirs
    ...b.files.map((f) => `${f.firstBoot ? `[ -e ${R}${shq(f.dest)} ] || ` : ''}install -D -m ${f.mode} ${shq(f.src)} ${R}${shq(f.dest)}`),
  ];
  for (const u of b.keyUsers) lines.push(`if [ -d ${R}/home/${u}/.ssh ]; then chroot ${R} chown -R ${u}:${u} /home/${u}/.ssh; fi`);
  if (b.opsShadowLine) lines.push(`printf '%s\\n' ${shq(b.opsShadowLine)} | chroot ${R} chpasswd -e`);
  if (b.ca) {
    const crt = '/usr/local/share/ca-certificates/runbook-lab-ca.crt';
    // what update-ca-certificates would do, without its ~1 s rehash of every certificate
    lines.push(
      `mkdir -p ${R}/usr/local/share/ca-certificates`,
      `cp ${shq(b.ca.pem)} ${R}${crt}`,
      `grep -qF "$(sed -n 2p ${shq(b.ca.pem)})" ${R}/etc/ssl/certs/ca-certificates.crt 2>/dev/null || cat ${shq(b.ca.pem)} >> ${R}/etc/ssl/certs/ca-certificates.crt`,
      `ln -sfn ${crt} ${R}/etc/ssl/certs/runbook-lab-ca.pem`,
      `ln -sfn runbook-lab-ca.pem ${R}/etc/ssl/certs/${b.ca.hash}.0`,
    );
  }
  lines.push(
    `mount -t proc proc ${R}/proc`,
    // sysfs mounted from inside the netns shows this host's interfaces only
    `mount -t sysfs -o ro,nosuid,nodev,noexec sysfs ${R}/sys`,
    // a small /dev of its own, not the machine's
    `mount -t tmpfs -o mode=755,size=16m,nosuid tmpfs ${R}/dev`,
    ...[
      ['null', 1, 3],
      ['zero', 1, 5],
      ['full', 1, 7],
      ['random', 1, 8],
      ['urandom', 1, 9],
      ['tty', 5, 0],
    ].map(([n, ma, mi]) => `mknod -m 666 ${R}/dev/${n} c ${ma} ${mi}`),
    `mkdir -p ${R}/dev/pts ${R}/dev/shm`,
    `mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts ${R}/dev/pts`,
    `ln -s pts/ptmx ${R}/dev/ptmx`,
    `ln -s /proc/self/fd ${R}/dev/fd`,
    `ln -s /proc/self/fd/0 ${R}/dev/stdin`,
    `ln -s /proc/self/fd/1 ${R}/dev/stdout`,
    `ln -s /proc/self/fd/2 ${R}/dev/stderr`,
    `mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs ${R}/dev/shm`,
    `mount -t tmpfs -o mode=755,nosuid,nodev,size=64m tmpfs ${R}/run`,
  );
  if (b.init === 'systemd') {
    const units = `${R}/etc/systemd/system`;
    lines.push(
      // the cgroup namespace's root is the host's own cgroup (full.ts moved us there)
      `mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 ${R}/sys/fs/cgroup`,
      `mkdir -p ${units}/multi-user.target.wants`,
      `ln -sfn /etc/systemd/system/runbook-lab-ready.service ${units}/multi-user.target.wants/runbook-lab-ready.service`,
      // no kernel modules to load in a container: the unit would only fail
      `ln -sfn /dev/null ${units}/systemd-modules-load.service`,
      // container=: systemd skips what only a machine has (gettys on tty1, udev, hwclock...)
      `exec env -i container=runbook-lab PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot ${R} /lib/systemd/systemd`,
    );
  } else {
    // a clean environment, as a machine boots with (the systemd branch too): what the operator's
    // shell had (TMPDIR, proxies, locale) is not the host's, and services lab-init starts inherit it
    lines.push(`exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot ${R} /sbin/lab-init ${shq(b.name)}`);
  }
  return `${lines.join('\n')}\n`;
}
