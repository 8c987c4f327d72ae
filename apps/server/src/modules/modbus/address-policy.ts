import { embeddedIpv4, inNetwork, parseAddress, type Network } from '../outbound/ip-address.ts';

/**
 * Whether the server may connect to a Modbus endpoint at `host` (an address literal): only inside the operator's
 * MODBUS_ALLOW_NETWORKS, so a tenant administrator cannot aim the server at anything else it can reach.
 */
export function modbusAddressAllowed(host: string, networks: readonly Network[]): boolean {
  let address;
  try {
    address = parseAddress(host);
  } catch {
    return false;
  }
  const inner = embeddedIpv4(address);
  return networks.some(
    (network) => inNetwork(address, network) || (inner !== null && inNetwork(inner, network)),
  );
}
