import { describe, expect, it } from 'vitest';
import { candidateOctets, fleetAddress, fleetHostName, fleetVeth, fullVeth, instanceNet, validateFullHostName, validateInstanceName } from './instance.js';

describe('lab instance naming', () => {
  it('keeps the default instance on 10.213.0.0/16 and moves every other name off it', () => {
    expect(candidateOctets('default')[0]).toBe(213);
    for (const name of ['tr-ssh', 'bench', 'e2e', 'lt-fleet', 'a', 'zz-top']) {
      const o = candidateOctets(name);
      expect(o).not.toContain(213);
      expect(o[0]).toBeGreaterThanOrEqual(20);
      expect(o[0]).toBeLessThan(220);
      // probing order is stable: the same name always prefers the same subnet
      expect(candidateOctets(name)).toEqual(o);
    }
  });

  it('derives bridge, namespaces and addresses from the name', () => {
    const net = instanceNet('bench', 57);
    expect(net).toEqual({ octet: 57, subnet: '10.57.0.0/16', gateway: '10.57.0.1', bridge: 'rbl-bench', netnsPrefix: 'rbl-bench-' });
    expect(fleetAddress(57, 1)).toBe('10.57.1.10');
    expect(fleetAddress(57, 200)).toBe('10.57.1.209');
    expect(fleetAddress(57, 201)).toBe('10.57.2.10');
    expect(fleetHostName(7)).toBe('h007');
    expect(fleetHostName(1234)).toBe('h1234');
  });

  it('keeps interface names within the kernel limit of 15 characters', () => {
    expect(instanceNet('abcdefghijk', 20).bridge.length).toBeLessThanOrEqual(15);
    expect(fleetVeth(219, 50000).length).toBeLessThanOrEqual(15);
    expect(fullVeth(219, 250).length).toBeLessThanOrEqual(15);
  });

  it('rejects names that cannot become interface or host names', () => {
    expect(() => validateInstanceName('Bad_Name')).toThrow(/invalid instance name/);
    expect(() => validateInstanceName('abcdefghijkl')).toThrow(/1-11 characters/);
    expect(() => validateInstanceName('ok-name1')).not.toThrow();
    expect(() => validateFullHostName('h001')).toThrow(/reserved for fleet hosts/);
    expect(() => validateFullHostName('allmon')).not.toThrow();
    expect(() => validateFullHostName('all.mon')).toThrow(/invalid full host name/);
  });
});
