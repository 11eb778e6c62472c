// The ansible.utils IP filters against the results the collection documents
// (docs/docsite/rst/filters_ipaddr.rst, the filters' EXAMPLES and its unit tests).
import { describe, expect, it } from 'vitest';
import { createScope, render } from './index.js';
import { formatIPv6, parseIPv6 } from './filters-ip.js';

const TEST_LIST = ['192.24.2.1', 'host.fqdn', '::1', '192.168.32.0/24', 'fe80::100/10', true, '', '42540766412265424405338506004571095040/64'];
const scope = createScope([
  {
    name: 'vars',
    kind: 'template',
    vars: {
      test_list: TEST_LIST,
      host_prefix: ['2001:db8:deaf:be11::ef3/64', '192.0.2.48/24', '192.168.0.0/16'],
      address: '192.168.144.5',
      subnet: '192.168.0.0/16',
    },
  },
]);
const r = (t: string): unknown => render(t, scope);

describe('ipaddr: basic tests', () => {
  it('returns the value when it is an IP address or network, False when not', () => {
    expect(r("{{ '192.168.0.1' | ansible.utils.ipaddr }}")).toBe('192.168.0.1');
    expect(r("{{ '192.168.32.0/24' | ansible.utils.ipaddr }}")).toBe('192.168.32.0/24');
    expect(r("{{ 'fe80::100/10' | ansible.utils.ipaddr }}")).toBe('fe80::100/10');
    expect(r('{{ 45443646733 | ansible.utils.ipaddr }}')).toBe('::a:94a7:50d');
    expect(r("{{ '523454/24' | ansible.utils.ipaddr }}")).toBe('0.7.252.190/24');
    for (const bad of ["'localhost'", 'True', "'space bar'", 'False', "''", "':'", "'fe80:/10'"]) {
      expect(r(`{{ ${bad} | ansible.utils.ipaddr }}`), bad).toBe(false);
    }
  });

  it('ipv4 and ipv6 keep only their version', () => {
    expect(r("{{ ['192.168.0.1', '192.168.32.0/24', 'fe80::100/10', 45443646733, '523454/24'] | ansible.utils.ipv4 }}")).toEqual([
      '192.168.0.1',
      '192.168.32.0/24',
      '0.7.252.190/24',
    ]);
    expect(r("{{ '192.168.0.1' | ipv6 }}")).toBe(false);
    expect(r('{{ 45443646733 | ipv6 }}')).toBe('::a:94a7:50d');
    expect(r("{{ 'fe80::100/10' | ansible.utils.ipv6 }}")).toBe('fe80::100/10');
  });

  it('filters lists, and answers under the short, ansible.utils and ansible.netcommon names', () => {
    const all = ['192.24.2.1', '::1', '192.168.32.0/24', 'fe80::100/10', '2001:db8:32c:faad::/64'];
    expect(r('{{ test_list | ansible.utils.ipaddr }}')).toEqual(all);
    expect(r('{{ test_list | ipaddr }}')).toEqual(all);
    expect(r('{{ test_list | ansible.netcommon.ipaddr }}')).toEqual(all);
    expect(r('{{ test_list | ansible.utils.ipv4 }}')).toEqual(['192.24.2.1', '192.168.32.0/24']);
    expect(r('{{ test_list | ansible.utils.ipv6 }}')).toEqual(['::1', 'fe80::100/10', '2001:db8:32c:faad::/64']);
  });
});

describe('ipwrap', () => {
  it('wraps IPv6 addresses in brackets and leaves everything else as it was', () => {
    expect(r('{{ test_list | ansible.utils.ipwrap }}')).toEqual([
      '192.24.2.1', 'host.fqdn', '[::1]', '192.168.32.0/24', '[fe80::100]/10', true, '', '[2001:db8:32c:faad::]/64',
    ]);
    expect(r('{{ test_list | ansible.utils.ipaddr | ansible.utils.ipwrap }}')).toEqual([
      '192.24.2.1', '[::1]', '192.168.32.0/24', '[fe80::100]/10', '[2001:db8:32c:faad::]/64',
    ]);
    expect(r("{{ 'host.example' | ipwrap }}")).toBe('host.example');
  });
});

describe('ipaddr queries', () => {
  it('address, host, net, size and a network as the query', () => {
    // the collection's unit test: the first address of an IPv6 network is a host address too
    expect(r("{{ test_list | ansible.utils.ipaddr('address') }}")).toEqual(['192.24.2.1', '::1', 'fe80::100', '2001:db8:32c:faad::']);
    expect(r("{{ test_list | ansible.utils.ipaddr('host') }}")).toEqual(['192.24.2.1/32', '::1/128', 'fe80::100/10']);
    expect(r("{{ test_list | ansible.utils.ipv4('address') }}")).toEqual(['192.24.2.1']);
    expect(r("{{ test_list | ansible.utils.ipaddr('net') }}")).toEqual(['192.168.32.0/24', '2001:db8:32c:faad::/64']);
    // 2**64 is past JavaScript's exact integers: its digits, exactly
    expect(r("{{ test_list | ansible.utils.ipaddr('net') | ansible.utils.ipaddr('size') }}")).toEqual([256, '18446744073709551616']);
    expect(r("{{ test_list | ansible.utils.ipaddr('192.0.0.0/8') }}")).toEqual(['192.24.2.1', '192.168.32.0/24']);
  });

  it('public and private (netaddr is_global: 2001:db8::/32 is documentation space, not global)', () => {
    // The rst page lists 2001:db8:32c:faad::/64 as public: that was netaddr < 1.0. The collection's
    // code (is_global, and its own fallback list) counts 2001:db8::/32 as not globally reachable.
    expect(r("{{ test_list | ansible.utils.ipaddr('public') }}")).toEqual(['192.24.2.1']);
    // and ::1 is not global either, so it is private by that code (the page predates it too)
    expect(r("{{ test_list | ansible.utils.ipaddr('private') }}")).toEqual(['::1', '192.168.32.0/24', 'fe80::100/10', '2001:db8:32c:faad::/64']);
    expect(r("{{ '8.8.8.8' | ipaddr('public') }}")).toBe('8.8.8.8');
    expect(r("{{ '10.1.2.3' | ipaddr('public') }}")).toBe(null);
    expect(r("{{ '10.1.2.3' | ipaddr('private') }}")).toBe('10.1.2.3');
    expect(r("{{ '2a00:1450::1' | ipaddr('public') }}")).toBe('2a00:1450::1');
  });

  it('an index picks an address of the network, in host/prefix form', () => {
    const net = "test_list | ansible.utils.ipaddr('net')";
    expect(r(`{{ ${net} | ansible.utils.ipaddr('0') }}`)).toEqual(['192.168.32.0/24', '2001:db8:32c:faad::/64']);
    expect(r(`{{ ${net} | ansible.utils.ipaddr('1') }}`)).toEqual(['192.168.32.1/24', '2001:db8:32c:faad::1/64']);
    expect(r(`{{ ${net} | ansible.utils.ipaddr('-1') }}`)).toEqual(['192.168.32.255/24', '2001:db8:32c:faad:ffff:ffff:ffff:ffff/64']);
    expect(r(`{{ ${net} | ansible.utils.ipaddr('200') }}`)).toEqual(['192.168.32.200/24', '2001:db8:32c:faad::c8/64']);
    expect(r(`{{ ${net} | ansible.utils.ipaddr('-200') }}`)).toEqual(['192.168.32.56/24', '2001:db8:32c:faad:ffff:ffff:ffff:ff38/64']);
    expect(r(`{{ ${net} | ansible.utils.ipaddr('400') }}`)).toEqual(['2001:db8:32c:faad::190/64']);
    expect(r("{{ '192.168.0.0/24' | ipaddr(1) }}")).toBe('192.168.0.1/24');
  });

  it('host/prefix values: address, network, netmask, broadcast, subnet, prefix, hostmask', () => {
    expect(r("{{ host_prefix | ansible.utils.ipaddr('host/prefix') }}")).toEqual(['2001:db8:deaf:be11::ef3/64', '192.0.2.48/24']);
    const v4 = "host_prefix | unique | ansible.utils.ipv4('host/prefix') | first";
    expect(r(`{{ ${v4} | ansible.utils.ipaddr('address') }}`)).toBe('192.0.2.48');
    expect(r(`{{ ${v4} | ansible.utils.ipaddr('network') }}`)).toBe('192.0.2.0');
    expect(r(`{{ ${v4} | ansible.utils.ipaddr('netmask') }}`)).toBe('255.255.255.0');
    expect(r(`{{ ${v4} | ansible.utils.ipaddr('broadcast') }}`)).toBe('192.0.2.255');
    expect(r("{{ host_prefix | ansible.utils.ipaddr('host/prefix') | ansible.utils.ipaddr('subnet') }}")).toEqual([
      '2001:db8:deaf:be11::/64',
      '192.0.2.0/24',
    ]);
    expect(r("{{ host_prefix | ansible.utils.ipaddr('host/prefix') | ansible.utils.ipaddr('prefix') }}")).toEqual([64, 24]);
    expect(r("{{ '192.0.2.0/24' | ansible.utils.ipaddr('hostmask') }}")).toBe('0.0.0.255');
    expect(r("{{ '192.0.2.0/24' | ipaddr('wildcard') }}")).toBe('0.0.0.255');
  });

  it('network/netmask notation converts to CIDR', () => {
    expect(r("{{ '192.168.0.0/255.255.255.0' | ansible.utils.ipaddr('prefix') }}")).toBe(24);
    expect(r("{{ '192.168.0.0/255.255.255.0' | ansible.utils.ipaddr('net') }}")).toBe('192.168.0.0/24');
    expect(r("{{ '192.168.0.11/255.255.255.0' | ansible.utils.ipaddr('network/prefix') }}")).toBe('192.168.0.0/24');
    expect(r("{{ '192.168.0.0/0.0.0.255' | ansible.utils.ipaddr('prefix') }}")).toBe(24);
    expect(r("{{ '192.168.0.0/255.0.255.0' | ansible.utils.ipaddr }}")).toBe(false);
  });

  it('conversions: ipv6, ipv4, int, ip4_hex, revdns, 6to4', () => {
    expect(r("{{ test_list | ansible.utils.ipv4('ipv6') }}")).toEqual(['::ffff:192.24.2.1/128', '::ffff:192.168.32.0/120']);
    expect(r("{{ test_list | ansible.utils.ipv6('ipv4') }}")).toEqual(['0.0.0.1/32']);
    expect(r("{{ test_list | ansible.utils.ipaddr('ipv6') | ansible.utils.ipaddr('ipv4') }}")).toEqual([
      '192.24.2.1/32',
      '0.0.0.1/32',
      '192.168.32.0/24',
    ]);
    expect(r("{{ ['192.24.2.1', '::1'] | ansible.utils.ipaddr('int') }}")).toEqual([3222798849, 1]);
    expect(r("{{ '192.168.32.0/24' | ansible.utils.ipaddr('int') }}")).toBe('3232243712/24');
    expect(r("{{ 'fe80::100/10' | ansible.utils.ipaddr('int') }}")).toBe('338288524927261089654018896841347694848/10');
    expect(r("{{ '192.168.1.5' | ansible.utils.ip4_hex }}")).toBe('c0a80105');
    expect(r("{{ '192.168.1.5' | ansible.utils.ip4_hex(':') }}")).toBe('c0:a8:01:05');
    expect(r("{{ test_list | ansible.utils.ipaddr | map('ansible.utils.ipaddr', 'revdns') | list }}")).toEqual([
      '1.2.24.192.in-addr.arpa.',
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.',
      '0.32.168.192.in-addr.arpa.',
      '0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.',
      '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.a.a.f.c.2.3.0.8.b.d.0.1.0.0.2.ip6.arpa.',
    ]);
    expect(r("{{ '193.0.2.0' | ansible.utils.ipaddr('6to4') }}")).toBe('2002:c100:0200::1/48');
  });

  it('usable addresses, peer, type, version', () => {
    expect(r("{{ '192.168.122.1/24' | ansible.utils.ipaddr('next_usable') }}")).toBe('192.168.122.2');
    expect(r("{{ '192.168.122.1/24' | ansible.utils.ipaddr('last_usable') }}")).toBe('192.168.122.254');
    expect(r("{{ '192.168.122.1/24' | ansible.utils.ipaddr('first_usable') }}")).toBe('192.168.122.1');
    expect(r("{{ '192.168.122.1/24' | ansible.utils.ipaddr('range_usable') }}")).toBe('192.168.122.1-192.168.122.254');
    expect(r("{{ '192.168.122.1/31' | ansible.utils.ipaddr('peer') }}")).toBe('192.168.122.0');
    expect(r("{{ '192.168.122.1/30' | ansible.utils.ipaddr('peer') }}")).toBe('192.168.122.2');
    expect(() => r("{{ '192.168.122.0/30' | ipaddr('peer') }}")).toThrow(/Network address of \/30 has no peer/);
    expect(() => r("{{ '192.168.122.1' | ipaddr('next_usable') }}")).toThrow(/Not a network address/);
    expect(r("{{ '192.168.0.0/24' | ipaddr('type') }}")).toBe('network');
    expect(r("{{ '192.168.0.1/24' | ipaddr('type') }}")).toBe('address');
    expect(r("{{ '::1' | ipaddr('version') }}")).toBe(6);
    expect(r("{{ '192.168.0.0/24' | ipaddr('size_usable') }}")).toBe(254);
  });

  it('an unknown query is an error naming the filter', () => {
    expect(() => r("{{ test_list | ansible.utils.ipaddr('tftftf') }}")).toThrow(/ipaddr: unknown filter type: tftftf/);
    expect(() => r("{{ '10.0.0.1' | ipv4('nope') }}")).toThrow(/ipv4: unknown filter type: nope/);
  });
});

describe('nthhost, next_nth_usable, previous_nth_usable, network_in_*', () => {
  it('give the documented results', () => {
    expect(r("{{ '10.0.0.0/8' | ansible.utils.nthhost(305) }}")).toBe('10.0.1.49');
    expect(r("{{ '10.0.0.0/8' | ansible.utils.nthhost(-1) }}")).toBe('10.255.255.255');
    expect(r("{{ '192.168.122.1/24' | ansible.utils.next_nth_usable(2) }}")).toBe('192.168.122.3');
    expect(r("{{ '192.168.122.254/24' | ansible.utils.next_nth_usable(2) }}")).toBe('');
    expect(r("{{ '192.168.122.10/24' | ansible.utils.previous_nth_usable(2) }}")).toBe('192.168.122.8');
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_usable('192.168.0.1') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_usable('192.168.0.255') }}")).toBe(false);
    expect(r("{{ '192.168.0.0/16' | ansible.utils.network_in_usable('192.168.0.255') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_network('192.168.0.1') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_network('192.168.0.0/24') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_network('192.168.0.255') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/16' | ansible.utils.network_in_network('192.168.0.0/24') }}")).toBe(true);
    expect(r("{{ '192.168.0.0/24' | ansible.utils.network_in_network('192.168.1.0/24') }}")).toBe(false);
    expect(() => r("{{ 'nonsense' | network_in_network('192.168.1.0/24') }}")).toThrow(/`nonsense` is not a valid IP address or network/);
  });
});

describe('ipmath', () => {
  it('adds and subtracts as documented', () => {
    expect(r("{{ '192.168.1.5' | ansible.utils.ipmath(5) }}")).toBe('192.168.1.10');
    expect(r("{{ '192.168.0.5' | ansible.utils.ipmath(-10) }}")).toBe('192.167.255.251');
    expect(r("{{ '192.168.1.1/24' | ansible.utils.ipmath(5) }}")).toBe('192.168.1.6');
    expect(r("{{ '192.168.1.6/24' | ansible.utils.ipmath(-5) }}")).toBe('192.168.1.1');
    expect(r("{{ '192.168.2.6/24' | ansible.utils.ipmath(-10) }}")).toBe('192.168.1.252');
    expect(r("{{ '2001::1' | ansible.utils.ipmath(10) }}")).toBe('2001::b');
    expect(r("{{ '2001::5' | ansible.utils.ipmath(-10) }}")).toBe('2000:ffff:ffff:ffff:ffff:ffff:ffff:fffb');
    expect(() => r("{{ 'x' | ipmath(1) }}")).toThrow(/You must pass a valid IP address; x is invalid/);
    expect(() => r("{{ '10.0.0.1' | ipmath('a') }}")).toThrow(/You must pass an integer for arithmetic; a is not valid/);
  });
});

describe('ipsubnet', () => {
  it('subnets, counts, supernets and ranks as documented (results are strings, as the collection returns)', () => {
    expect(r('{{ address | ansible.utils.ipsubnet }}')).toBe('192.168.144.5/32');
    expect(r('{{ subnet | ansible.utils.ipsubnet }}')).toBe('192.168.0.0/16');
    expect(r('{{ subnet | ansible.utils.ipsubnet(20) }}')).toBe('16');
    expect(r('{{ subnet | ansible.utils.ipsubnet(20, 0) }}')).toBe('192.168.0.0/20');
    expect(r('{{ subnet | ansible.utils.ipsubnet(20, -1) }}')).toBe('192.168.240.0/20');
    expect(r('{{ subnet | ansible.utils.ipsubnet(20, 5) }}')).toBe('192.168.80.0/20');
    expect(r('{{ subnet | ansible.utils.ipsubnet(20, -5) }}')).toBe('192.168.176.0/20');
    expect(r('{{ address | ansible.utils.ipsubnet(20) }}')).toBe('192.168.144.0/20');
    expect(r('{{ address | ansible.utils.ipsubnet(18, 0) }}')).toBe('192.168.128.0/18');
    expect(r('{{ address | ansible.utils.ipsubnet(18, -1) }}')).toBe('192.168.144.4/31');
    expect(r('{{ address | ansible.utils.ipsubnet(18, 5) }}')).toBe('192.168.144.0/23');
    expect(r('{{ address | ansible.utils.ipsubnet(18, -5) }}')).toBe('192.168.144.0/27');
    expect(r('{{ address | ansible.utils.ipsubnet(subnet) }}')).toBe('36870');
    expect(r("{{ address | ansible.utils.ipsubnet('192.168.144.0/24') }}")).toBe('6');
    expect(r("{{ '192.168.144.1/30' | ansible.utils.ipsubnet('192.168.144.0/24') }}")).toBe('1');
    expect(r("{{ '192.168.144.16/30' | ansible.utils.ipsubnet('192.168.144.0/24') }}")).toBe('5');
    expect(() => r("{{ '10.0.0.0/24' | ipsubnet('192.168.144.0/24') }}")).toThrow(/10\.0\.0\.0\/24 is not in the subnet 192\.168\.144\.0\/24/);
    expect(r("{{ '193.0.2.0' | ansible.utils.ipaddr('6to4') | ipsubnet(64, 58820) | ansible.utils.ipaddr('1') }}")).toBe('2002:c100:200:e5c4::1/64');
  });
});

describe('cidr_merge', () => {
  it('merges and spans as documented', () => {
    expect(r("{{ ['192.168.0.0/17', '192.168.128.0/17', '192.168.128.1'] | cidr_merge }}")).toEqual(['192.168.0.0/16']);
    expect(r("{{ ['192.168.0.0/24', '192.168.1.0/24', '192.168.3.0/24'] | cidr_merge }}")).toEqual(['192.168.0.0/23', '192.168.3.0/24']);
    expect(r("{{ ['192.168.0.0/24', '192.168.3.0/24'] | ansible.utils.cidr_merge('span') }}")).toBe('192.168.0.0/22');
    expect(r("{{ ['192.168.1.42', '192.168.42.1'] | ansible.utils.cidr_merge('span') }}")).toBe('192.168.0.0/18');
    expect(() => r("{{ '10.0.0.0/8' | cidr_merge }}")).toThrow(/cidr_merge: expected iterable, got str/);
  });
});

describe('IPv6 text form (as inet_ntop prints it)', () => {
  it('compresses the longest run of two or more zero groups, and prints mapped/compatible IPv4 dotted', () => {
    const p = (s: string): string => formatIPv6(parseIPv6(s)!);
    expect(p('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(p('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(p('::ffff:c000:0280')).toBe('::ffff:192.0.2.128');
    expect(p('::')).toBe('::');
    expect(p('1::')).toBe('1::');
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
  });
});
