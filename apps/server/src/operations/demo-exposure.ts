import { isIP } from 'node:net';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { inNetwork, parseAddress, parseNetwork } from '../modules/outbound/ip-address.ts';

const LOOPBACK = [parseNetwork('127.0.0.0/8'), parseNetwork('::1/128')];

/** True for an address only this machine can reach: 127.0.0.0/8, ::1 or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 0) return false;
  const address = parseAddress(host);
  return LOOPBACK.some((network) => inNetwork(address, network));
}

export interface ListenHosts {
  /** The HTTP server's address (HOST). */
  readonly http: string;
  /** The embedded MQTT broker's address (MQTT_HOST). */
  readonly mqtt: string;
}

/**
 * Where to listen, given the published demo credentials (README) that enabled accounts and devices may still
 * hold: while any does, a network would make the install anyone's, so both listeners stay on 127.0.0.1 unless
 * `expose` (DEMO_EXPOSE=true) says the risk is known. Either way the log says so loudly. Decided at start: once
 * the demo passwords are changed and its device secrets rotated (or those users and devices disabled), a
 * restart listens where configured.
 */
export async function demoListenHosts(
  pool: pg.Pool,
  configured: ListenHosts,
  expose: boolean,
  log: Logger,
): Promise<ListenHosts> {
  const { rows } = await pool.query<{ count: number }>('SELECT demo_credentials_in_use() AS count');
  const holders = rows[0]?.count ?? 0;
  if (holders === 0) return configured;
  if (expose) {
    log.warn(
      { holders, host: configured.http, mqttHost: configured.mqtt },
      `DEMO_EXPOSE=true: ${String(holders)} accounts and devices still use the PUBLISHED demo credentials ` +
        '(password tidewatch-demo, the shared demo device secret) and this server listens beyond this machine: ' +
        'anyone who reaches it can sign in as super_admin and publish as any demo device.',
    );
    return configured;
  }
  const hosts = {
    http: isLoopbackHost(configured.http) ? configured.http : '127.0.0.1',
    mqtt: isLoopbackHost(configured.mqtt) ? configured.mqtt : '127.0.0.1',
  };
  log.warn(
    { holders, host: hosts.http, mqttHost: hosts.mqtt },
    `${String(holders)} accounts and devices still use the PUBLISHED demo credentials: listening on this ` +
      'machine only (127.0.0.1), not on the network. Change those passwords and rotate the device secrets ' +
      '(or disable them) and restart, or set DEMO_EXPOSE=true to listen on the network anyway.',
  );
  return hosts;
}
