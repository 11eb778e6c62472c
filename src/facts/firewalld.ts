// firewalld's state in one command: installed or not, running or not (`firewall-cmd --state`),
// the default zone, the interface of the default route, and every zone's services and ports,
// at runtime and in the permanent configuration. The zone that filters a node's traffic is
// the one holding its interface (an interface in no zone falls to the default zone), which is
// why the interfaces come from the runtime view: NetworkManager assigns them there.
import { rawCommand } from '../transport/command.js';
import type { Fact } from './types.js';

export interface FirewalldZone {
  /** interfaces bound to the zone (runtime) */
  interfaces: string[];
  /** services allowed (e.g. `ssh`, `http`) */
  services: string[];
  /** ports allowed (`80/tcp`, `8000-8100/udp`) */
  ports: string[];
}

export type FirewalldState =
  | { kind: 'missing' }
  /** installed, but `firewall-cmd --state` does not say running */
  | { kind: 'stopped'; detail: string }
  | {
      kind: 'running';
      defaultZone: string;
      /** interface of the IPv4 default route, when there is one */
      routeInterface?: string;
      /** zone name → runtime configuration */
      runtime: Record<string, FirewalldZone>;
      /** zone name → permanent configuration */
      permanent: Record<string, FirewalldZone>;
    };

// Sections are marked with @@ lines so one round trip carries every part; no `exit`, so the
// probe can be joined with others into one command.
const RUNNING_PARTS = [
  'echo "@@default $(firewall-cmd --get-default-zone 2>&1)"',
  `echo "@@route $(ip -o -4 route show default 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)"`,
  'echo @@runtime; firewall-cmd --list-all-zones',
  'echo @@permanent; firewall-cmd --permanent --list-all-zones',
].join('; ');
const PROBE =
  'if ! command -v firewall-cmd >/dev/null 2>&1; then echo @@missing; ' +
  `else st=$(firewall-cmd --state 2>&1); echo "@@state $st"; if [ "$st" = running ]; then ${RUNNING_PARTS}; fi; fi`;

export const firewalldFact: Fact<FirewalldState> = {
  name: 'firewalld',
  command: rawCommand(PROBE),
  parse: (stdout) => parseFirewalldState(stdout),
};

/** `firewall-cmd --list-all-zones` → zone name → interfaces, services, ports. */
export function parseZones(text: string): Record<string, FirewalldZone> {
  const zones: Record<string, FirewalldZone> = {};
  let current: FirewalldZone | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // a zone header starts in column 0: `public`, `public (active)`, `public (default, active)`
    const head = /^(\S+)(?:\s+\(([^)]*)\))?\s*$/.exec(line);
    if (head?.[1] && !line.startsWith(' ') && !line.startsWith('\t')) {
      current = { interfaces: [], services: [], ports: [] };
      zones[head[1]] = current;
      continue;
    }
    const kv = /^\s+([a-z -]+):\s*(.*)$/.exec(line);
    if (!kv?.[1] || !current) continue;
    const values = (kv[2] ?? '').split(/\s+/).filter(Boolean);
    if (kv[1] === 'interfaces') current.interfaces = values;
    else if (kv[1] === 'services') current.services = values;
    else if (kv[1] === 'ports') current.ports = values;
  }
  return zones;
}

export function parseFirewalldState(stdout: string): FirewalldState {
  if (stdout.includes('@@missing')) return { kind: 'missing' };
  const state = /^@@state (.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  if (state !== 'running') return { kind: 'stopped', detail: state || 'no answer from firewall-cmd --state' };
  const defaultZone = /^@@default (.*)$/m.exec(stdout)?.[1]?.trim() ?? 'public';
  const routeInterface = /^@@route (.*)$/m.exec(stdout)?.[1]?.trim() || undefined;
  const runtimeText = /@@runtime\n([\s\S]*?)(?:@@permanent|$)/.exec(stdout)?.[1] ?? '';
  const permanentText = /@@permanent\n([\s\S]*)$/.exec(stdout)?.[1] ?? '';
  const out: FirewalldState = { kind: 'running', defaultZone, runtime: parseZones(runtimeText), permanent: parseZones(permanentText) };
  if (routeInterface) out.routeInterface = routeInterface;
  return out;
}

/**
 * The zone that filters the node's traffic: the zone holding the default route's interface;
 * else the only zone holding any interface; else the default zone (where firewalld puts an
 * interface bound to no zone).
 */
export function nodeZone(st: Extract<FirewalldState, { kind: 'running' }>): { zone: string; why: string } {
  const holding = Object.entries(st.runtime).filter(([, z]) => z.interfaces.length > 0);
  if (st.routeInterface) {
    const z = holding.find(([, zone]) => zone.interfaces.includes(st.routeInterface ?? ''));
    if (z) return { zone: z[0], why: `holds ${st.routeInterface}, the default route's interface` };
  }
  const only = holding.length === 1 ? holding[0] : undefined;
  if (only) return { zone: only[0], why: `holds the interface ${only[1].interfaces.join(', ')}` };
  return { zone: st.defaultZone, why: 'the default zone' };
}
