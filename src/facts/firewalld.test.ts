// The firewalld probe's parser, on output shaped like firewall-cmd 1.3 (Debian 12) and 2.x
// (Debian 13: the default zone marked in the header).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firewalldFact, nodeZone, parseFirewalldState, parseZones } from './firewalld.js';

const ZONES_13 = `allstarlink (default, active)
  target: default
  icmp-block-inversion: no
  interfaces: eth0 wlan0
  sources: 
  services: dhcpv6-client http https iax2 ssh
  ports: 4569/udp 8080/tcp
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 

public
  target: default
  icmp-block-inversion: no
  interfaces: 
  sources: 
  services: dhcpv6-client ssh
  ports: 
  rich rules: 
`;

describe('firewalld fact', () => {
  it('parses zones with and without the (default, active) header', () => {
    const z = parseZones(ZONES_13);
    expect(z.allstarlink).toEqual({ interfaces: ['eth0', 'wlan0'], services: ['dhcpv6-client', 'http', 'https', 'iax2', 'ssh'], ports: ['4569/udp', '8080/tcp'] });
    expect(z.public).toEqual({ interfaces: [], services: ['dhcpv6-client', 'ssh'], ports: [] });
    expect(parseZones('public (active)\n  interfaces: eth0\n  services: ssh\n').public?.interfaces).toEqual(['eth0']);
  });

  it('tells missing, stopped and running apart', () => {
    expect(parseFirewalldState('@@missing\n')).toEqual({ kind: 'missing' });
    expect(parseFirewalldState('@@state not running\n')).toEqual({ kind: 'stopped', detail: 'not running' });
    const st = parseFirewalldState(`@@state running\n@@default public\n@@route eth0\n@@runtime\n${ZONES_13}@@permanent\n${ZONES_13.replace('interfaces: eth0 wlan0', 'interfaces: ')}`);
    expect(st.kind).toBe('running');
    if (st.kind !== 'running') return;
    expect(st.defaultZone).toBe('public');
    expect(st.routeInterface).toBe('eth0');
    expect(st.runtime.allstarlink?.interfaces).toEqual(['eth0', 'wlan0']);
    expect(st.permanent.allstarlink?.interfaces).toEqual([]);
    expect(st.permanent.allstarlink?.services).toContain('https');
  });

  it("the node's zone: the default route's interface, else the only zone with an interface, else the default zone", () => {
    const base = { kind: 'running' as const, defaultZone: 'public', permanent: {} };
    const z = (i: string[]) => ({ interfaces: i, services: [], ports: [] });
    expect(nodeZone({ ...base, routeInterface: 'eth1', runtime: { a: z(['eth0']), b: z(['eth1']) } }).zone).toBe('b');
    expect(nodeZone({ ...base, runtime: { a: z([]), b: z(['eth1']) } }).zone).toBe('b');
    expect(nodeZone({ ...base, runtime: { a: z(['eth0']), b: z(['eth1']) } }).zone).toBe('public');
    expect(nodeZone({ ...base, routeInterface: 'eth9', runtime: { public: z([]) } })).toEqual({ zone: 'public', why: 'the default zone' });
  });
});

describe('firewalld probe command', () => {
  it('is valid sh and says @@missing where firewall-cmd is not installed', () => {
    // PATH without firewall-cmd: an empty directory besides sh's own
    const out = execFileSync('/bin/sh', ['-c', firewalldFact.command.toShell()], { env: { PATH: mkdtempSync(join(tmpdir(), 'rb-fwd-')) } }).toString();
    expect(parseFirewalldState(out)).toEqual({ kind: 'missing' });
  });
});
