import { describe, expect, it } from 'vitest';
import { inNetwork, isGlobalUnicast, parseAddress, parseNetwork } from './ip-address.ts';

const global = (text: string): boolean => isGlobalUnicast(parseAddress(text));

describe('which addresses a webhook may reach', () => {
  it('refuses every address that is not globally reachable, in each spelling', () => {
    const refused = [
      '0.0.0.0',
      '127.0.0.1',
      '127.255.255.254',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '198.18.0.1',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::127.0.0.1',
      '::10.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::10.1.2.3',
      '64:ff9b:1::8.8.8.8',
      '2002:7f00:1::1',
      '2002:c0a8:101::1',
      '2001::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '2001:db8::1',
      '3fff::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fe80::1%eth0',
      'fec0::1',
      'ff02::1',
      '100::1',
    ];
    expect(refused.filter(global)).toEqual([]);
  });

  it('allows public unicast, also behind NAT64, 6to4 and IPv4-mapped forms', () => {
    const allowed = [
      '8.8.8.8',
      '93.184.216.34',
      '1.1.1.1',
      '100.128.0.1',
      '172.32.0.1',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2002:808:808::1',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
    ];
    expect(allowed.filter((text) => !global(text))).toEqual([]);
  });

  it('reads CIDR blocks of both families, an IPv4 block also matching the mapped IPv6 spelling', () => {
    const loopback = parseNetwork('127.0.0.0/8');
    expect(inNetwork(parseAddress('127.9.9.9'), loopback)).toBe(true);
    expect(inNetwork(parseAddress('::ffff:127.0.0.2'), loopback)).toBe(true);
    expect(inNetwork(parseAddress('128.0.0.1'), loopback)).toBe(false);
    const plant = parseNetwork('fd00:1::/64');
    expect(inNetwork(parseAddress('fd00:1::42'), plant)).toBe(true);
    expect(inNetwork(parseAddress('fd00:2::42'), plant)).toBe(false);
    expect(inNetwork(parseAddress('10.20.30.40'), parseNetwork('10.20.30.40'))).toBe(true);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'plant', '10.0.0.0/x', '10.0.0.0/']) {
      expect(() => parseNetwork(bad), bad).toThrow();
    }
  });
});
