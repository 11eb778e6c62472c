// A service's state in one command: which init system runs (systemd only when
// /run/systemd/system exists: systemctl may be installed in a container where it cannot work),
// and then systemctl's view, or the init script's status and rc.d links.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export interface ServiceState {
  manager: 'systemd' | 'sysvinit';
  /** the service is known (unit loaded / init script present) */
  exists: boolean;
  running: boolean;
  /** starts at boot */
  enabled: boolean;
  /** sysvinit: any rc?.d link exists (update-rc.d defaults was run) */
  hasLinks?: boolean;
  /** raw values (systemctl show, status exit code) */
  details: Record<string, string>;
}

export function serviceStateFact(name: string): Fact<ServiceState> {
  const unit = name.includes('.') ? name : `${name}.service`;
  return {
    name: 'service',
    command: sh`if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo manager=systemd; systemctl show -p LoadState -p ActiveState -p SubState -p UnitFileState -- ${unit}; else echo manager=sysvinit; if [ -x /etc/init.d/${name} ]; then echo script=yes; fi; service ${name} status >/dev/null 2>&1; echo status=$?; printf 'start_links=%s\\n' "$(ls /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d 2>/dev/null | grep -c -E '^S[0-9]*'${name}'$')"; printf 'all_links=%s\\n' "$(ls /etc/rc[0-6S].d 2>/dev/null | grep -c -E '^[SK][0-9]*'${name}'$')"; fi`,
    parse: (stdout) => parseServiceState(stdout),
  };
}

export function parseServiceState(stdout: string): ServiceState {
  const kv: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  if (kv.manager === 'systemd') {
    const exists = kv.LoadState === 'loaded';
    return {
      manager: 'systemd',
      exists,
      running: ['active', 'activating', 'reloading'].includes(kv.ActiveState ?? ''),
      enabled: ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated'].includes(kv.UnitFileState ?? ''),
      details: kv,
    };
  }
  const status = Number(kv.status ?? '4');
  return {
    manager: 'sysvinit',
    exists: kv.script === 'yes',
    // LSB: 0 running; 1-3 not running (dead with pid file, dead with lock, stopped); 4 unknown
    running: status === 0,
    enabled: Number(kv.start_links ?? '0') > 0,
    hasLinks: Number(kv.all_links ?? '0') > 0,
    details: kv,
  };
}
