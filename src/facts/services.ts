// service_facts' probe: what systemd and the SysV `service` tool say about every service, in
// one command, parsed as Ansible's service_facts reads them (name → {name, state, status, source}).
import { rawCommand } from '../transport/command.js';
import type { Fact } from './types.js';
import { parseSections, sectionMap } from './sections.js';

export interface ServiceInfo {
  name: string;
  /** running, stopped, or systemd's ActiveState for units not loaded (inactive, ...), unknown */
  state: string;
  /** systemd: enabled, disabled, static, masked, indirect, ..., or the unit's bad state; absent for sysv */
  status?: string;
  source: 'systemd' | 'sysv';
}

/** States list-units may show that say more than the unit file's status (Ansible's BAD_STATES). */
const BAD_STATES = ['not-found', 'masked', 'failed'];

// LC_ALL=C: the parsers read systemctl's English columns. `systemctl show` asks the ActiveState of
// unit files that list-units does not show (not loaded), all in one call instead of one per unit.
const SCRIPT = `LC_ALL=C; export LC_ALL
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
echo '@@units'; systemctl list-units --no-pager --type service --all --plain --no-legend 2>/dev/null
echo '@@files'; systemctl list-unit-files --no-pager --type service --all --no-legend 2>/dev/null
echo '@@show'; systemctl show -p Id -p ActiveState $(systemctl list-unit-files --no-pager --type service --all --no-legend 2>/dev/null | awk '$1 ~ /\\.service$/ && $1 !~ /@\\.service$/ {print $1}') 2>/dev/null
fi
if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1; then echo '@@sysv'; service --status-all 2>&1; fi
:`;

export const servicesFact: Fact<Record<string, ServiceInfo>> = {
  name: 'services',
  command: rawCommand(SCRIPT),
  parse: (stdout) => parseServices(stdout),
};

/** The probe's output → Ansible's `services` dict (sysv entries first, systemd's after, as Ansible merges them). */
export function parseServices(stdout: string): Record<string, ServiceInfo> {
  const m = sectionMap(stdout);
  const services: Record<string, ServiceInfo> = {};
  for (const line of m.get('sysv') ?? []) {
    const r = /^\s*\[ ([+-]) \]\s+(.+)$/.exec(line);
    if (r?.[2]) services[r[2].trim()] = { name: r[2].trim(), state: r[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
  }
  const systemd: Record<string, ServiceInfo> = {};
  for (const line of m.get('units') ?? []) {
    const f = line.trim().split(/\s+/);
    const name = f[0] ?? '';
    if (!name.endsWith('.service') || f.length < 4) continue;
    // columns: UNIT LOAD ACTIVE SUB DESCRIPTION...; a bad LOAD/ACTIVE/SUB value is the status
    const bad = BAD_STATES.find((b) => f.slice(1, 4).includes(b));
    systemd[name] = { name, state: f[3] === 'running' ? 'running' : 'stopped', status: bad ?? f[2] ?? 'unknown', source: 'systemd' };
  }
  // `systemctl show` prints one block per unit, blank-line separated, properties in its own order
  const active = new Map<string, string>();
  const show = parseSections(stdout).find((x) => x.name === 'show')?.lines.join('\n') ?? '';
  for (const block of show.split(/\n\s*\n/)) {
    const id = /^Id=(.*)$/m.exec(block)?.[1]?.trim();
    const st = /^ActiveState=(.*)$/m.exec(block)?.[1]?.trim();
    if (id && st) active.set(id, st);
  }
  for (const line of m.get('files') ?? []) {
    const [name = '', status = ''] = line.trim().split(/\s+/);
    if (!name.endsWith('.service') || !status) continue;
    const known = systemd[name];
    if (!known) systemd[name] = { name, state: active.get(name) ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(known.status ?? '')) known.status = status;
  }
  return { ...services, ...systemd };
}
