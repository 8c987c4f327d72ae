import type { Downlink } from './lorawan-event.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The largest LoRaWAN application payload (DR with the longest frames); the network server checks the region's. */
const MAX_PAYLOAD_BYTES = 242;

export interface DownlinkDefaults {
  readonly fPort: number;
  readonly confirmed: boolean;
}

/**
 * A command as a downlink. Its params may set `fPort` and `confirmed` (else the device's defaults) and carry the
 * bytes as base64 in `data`; without `data`, the command and its other params go as an object for the network
 * server's codec to encode (`{ "command": "open_valve", "percent": 40 }`). Answers why not when it cannot be one.
 * @example commandDownlink('c0…', 'reboot', { data: 'AQ==' }, { fPort: 10, confirmed: true }) // 1 byte on port 10
 */
export function commandDownlink(
  commandId: string,
  command: string,
  params: Readonly<Record<string, unknown>>,
  defaults: DownlinkDefaults,
): Downlink | string {
  const { fPort = defaults.fPort, confirmed = defaults.confirmed, data, ...rest } = params;
  if (typeof fPort !== 'number' || !Number.isInteger(fPort) || fPort < 1 || fPort > 223)
    return 'fPort must be a whole number from 1 to 223';
  if (typeof confirmed !== 'boolean') return 'confirmed must be true or false';
  if (data === undefined) {
    return { commandId, fPort, confirmed, data: null, object: { command, ...rest } };
  }
  if (typeof data !== 'string' || !BASE64.test(data)) return 'data must be base64';
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_PAYLOAD_BYTES)
    return `data must be 1 to ${String(MAX_PAYLOAD_BYTES)} bytes`;
  return { commandId, fPort, confirmed, data: bytes, object: null };
}
