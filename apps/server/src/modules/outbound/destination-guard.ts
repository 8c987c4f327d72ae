import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import {
  embeddedIpv4,
  inNetwork,
  isAddressLiteral,
  isGlobalUnicast,
  parseAddress,
  type IpAddress,
  type Network,
} from './ip-address.ts';

/**
 * Where the server may call out to at a user's request (webhooks). By default only https to globally reachable
 * addresses; the operator's allow-list (NOTIFY_WEBHOOK_ALLOW_NETWORKS) opens networks of their own, such as a
 * plant's receiver on 10.20.0.0/16, and within them plain http too.
 */
export interface DestinationPolicy {
  readonly allowNetworks: readonly Network[];
}

/** Resolves a host name to every address it has, as `dns.lookup(name, { all: true })` does. */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A destination the policy does not allow. The message is safe to show: it names no address. */
export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

/** A name that resolved to nothing (or whose resolution failed). */
export class DestinationNotFound extends Error {
  constructor(hostname: string, options?: ErrorOptions) {
    super(`${hostname} does not resolve`, options);
    this.name = 'DestinationNotFound';
  }
}

function allowedNetwork(address: IpAddress, policy: DestinationPolicy): boolean {
  const inner = embeddedIpv4(address);
  return policy.allowNetworks.some(
    (network) => inNetwork(address, network) || (inner !== null && inNetwork(inner, network)),
  );
}

/** The URL's host as an address or name: without brackets, and without the trailing dot of a rooted name. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * Checks a destination and returns the addresses it may be reached at: every address its host resolves to must
 * be globally reachable unicast or inside an allowed network, and plain http is for allowed networks only. A
 * caller connects to exactly these addresses (`pinnedLookup`), so a name that resolves elsewhere the second
 * time (DNS rebinding) gains nothing.
 * @throws DestinationRefused, DestinationNotFound, or the resolver's own error
 */
export async function checkDestination(
  url: URL,
  policy: DestinationPolicy,
  resolve: Resolve = systemResolve,
): Promise<LookupAddress[]> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new DestinationRefused('Only https destinations are allowed');
  const host = hostOf(url);
  let addresses: LookupAddress[];
  if (isAddressLiteral(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = [...(await resolve(host))];
    } catch (error) {
      throw new DestinationNotFound(host, { cause: error });
    }
    if (addresses.length === 0) throw new DestinationNotFound(host);
  }
  for (const { address } of addresses) {
    const parsed = parseAddress(address);
    const allowed = allowedNetwork(parsed, policy);
    if (!allowed && !isGlobalUnicast(parsed)) {
      throw new DestinationRefused(
        'The destination is a private, local or reserved address; the operator may allow such networks with NOTIFY_WEBHOOK_ALLOW_NETWORKS',
      );
    }
    if (!allowed && url.protocol === 'http:') {
      throw new DestinationRefused(
        'Use https: plain http is allowed only to networks in NOTIFY_WEBHOOK_ALLOW_NETWORKS',
      );
    }
  }
  return addresses;
}

/**
 * A `lookup` for `http.request` that answers with the addresses already checked, never asking DNS again.
 * @example http.request({ host, lookup: pinnedLookup(await checkDestination(url, policy)) })
 */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error('no checked address of this family'), { code: 'ENOTFOUND' }), '');
      return;
    }
    if (options.all) callback(null, [...usable]);
    else callback(null, first.address, first.family);
  };
}
