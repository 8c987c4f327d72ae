import { isIP, isIPv4 } from 'node:net';

/**
 * IP addresses as 128-bit numbers, an IPv4 address as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one
 * comparison covers both families and the IPv6 spellings of an IPv4 address.
 */
export type IpAddress = bigint;

/** A CIDR block: the addresses whose first `bits` bits equal `base`'s. */
export interface Network {
  readonly base: IpAddress;
  readonly bits: number;
  /** As written, for logs and messages. */
  readonly text: string;
}

const MAPPED_PREFIX = 0xffffn << 32n;

function ipv4Number(text: string): number {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** `::ffff:a.b.c.d` for an IPv4 address given as a 32-bit number. */
const mapped = (ipv4: number | bigint): IpAddress => MAPPED_PREFIX | BigInt(ipv4);

function ipv6Number(text: string): IpAddress {
  let hex = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(hex)?.[1];
  if (dotted !== undefined) {
    const v4 = ipv4Number(dotted);
    hex = `${hex.slice(0, -dotted.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [left = '', right] = hex.split('::');
  const words = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = words(left);
  const tail = right === undefined ? [] : words(right);
  const all = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return all.reduce((value, word) => (value << 16n) | BigInt(Number.parseInt(word, 16)), 0n);
}

/**
 * Parses an IPv4 or IPv6 address (brackets and an IPv6 zone such as `%eth0` are dropped).
 * @example parseAddress('127.0.0.1') === parseAddress('::ffff:7f00:1') // true
 */
export function parseAddress(text: string): IpAddress {
  const plain = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) throw new Error(`not an IP address: ${text}`);
  return family === 4 ? mapped(ipv4Number(plain)) : ipv6Number(plain);
}

/** True for a literal address (as a URL's hostname may be, brackets included), false for a name. */
export function isAddressLiteral(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128).
 * @example parseNetwork('192.168.0.0/16').bits === 112 // 96 + 16: IPv4 networks are stored mapped
 */
export function parseNetwork(text: string): Network {
  const [address = '', length] = text.trim().split('/');
  const v4 = isIPv4(address);
  const max = v4 ? 32 : 128;
  const bits = length === undefined ? max : Number(length);
  if (!/^\d{1,3}$/.test(length ?? String(max)) || bits > max) throw new Error(`not a CIDR block: ${text}`);
  const offset = v4 ? 96 : 0;
  const host = 128n - BigInt(bits + offset);
  const base = (parseAddress(address) >> host) << host;
  return { base, bits: bits + offset, text: text.trim() };
}

export function inNetwork(address: IpAddress, network: Network): boolean {
  const host = 128n - BigInt(network.bits);
  return address >> host === network.base >> host;
}

const networks = (...texts: string[]): Network[] => texts.map(parseNetwork);

/** IPv6 forms that carry an IPv4 address a packet may end up at, and where its 32 bits sit. */
const EMBEDDING: readonly { readonly network: Network; readonly shift: bigint }[] = [
  // IPv4-compatible (deprecated): ::a.b.c.d, which includes :: and ::1.
  { network: parseNetwork('::/96'), shift: 0n },
  // NAT64, well-known prefix: a translator on the path turns it into a.b.c.d.
  { network: parseNetwork('64:ff9b::/96'), shift: 0n },
  // 6to4: 2002:AABB:CCDD::/48 relays to AA.BB.CC.DD.
  { network: parseNetwork('2002::/16'), shift: 80n },
];

const IPV4_MAPPED = parseNetwork('::ffff:0:0/96');

/** The IPv4 address (mapped) an IPv6 address carries, if it is of a form that delivers to it. */
export function embeddedIpv4(address: IpAddress): IpAddress | null {
  if (inNetwork(address, IPV4_MAPPED)) return address;
  for (const { network, shift } of EMBEDDING) {
    if (inNetwork(address, network)) return mapped((address >> shift) & 0xffffffffn);
  }
  return null;
}

/**
 * IPv4 blocks that are not globally reachable (IANA special-purpose registry, RFC 6890 and later): this
 * network, private (RFC 1918), shared/CGNAT (RFC 6598), loopback, link-local (cloud metadata lives at
 * 169.254.169.254), IETF protocol assignments, documentation, 6to4 relay anycast, benchmarking, multicast,
 * reserved and broadcast.
 */
const NOT_GLOBAL_V4 = networks(
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
);

/**
 * Global unicast is 2000::/3 (so unique-local fc00::/7, link-local fe80::/10, multicast ff00::/8 and the NAT64
 * local-use 64:ff9b:1::/48 are out); within it these blocks are not globally reachable or hide other addresses.
 */
const GLOBAL_UNICAST_V6 = parseNetwork('2000::/3');
const NOT_GLOBAL_V6 = networks(
  // IETF protocol assignments, Teredo (which embeds an obfuscated IPv4 address) and ORCHID among them.
  '2001::/23',
  '2001:db8::/32',
  '3fff::/20',
);

/**
 * True if the address is globally reachable unicast: not loopback, private, link-local, unique-local,
 * unspecified, multicast, broadcast, reserved or documentation, in either family, and not an IPv6 form
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) of an IPv4 address that is one of those.
 * @example isGlobalUnicast(parseAddress('::ffff:169.254.169.254')) // false
 */
export function isGlobalUnicast(address: IpAddress): boolean {
  const v4 = embeddedIpv4(address);
  if (v4 !== null) return !NOT_GLOBAL_V4.some((network) => inNetwork(v4, network));
  return (
    inNetwork(address, GLOBAL_UNICAST_V6) && !NOT_GLOBAL_V6.some((network) => inNetwork(address, network))
  );
}
