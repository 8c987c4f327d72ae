/** Where Mosquitto listens for devices and for the server, and with which certificates. */
export interface MosquittoListeners {
  /** Plain MQTT for devices (e.g. 1883); null for none. */
  readonly plain: { readonly port: number; readonly host?: string | undefined } | null;
  /**
   * Plain MQTT for the server alone (e.g. 127.0.0.1:1884): without the device listeners' limits, and keeping the
   * client id each instance chooses, which several instances sharing one account need. Without it the server
   * signs in on a device listener, where its client id is its user name (one instance only).
   */
  readonly server?: { readonly port: number; readonly host?: string | undefined } | undefined;
  /** MQTT over TLS (8883): the broker's certificate (with its chain) and key. */
  readonly tls?: {
    readonly port: number;
    readonly host?: string | undefined;
    readonly certFile: string;
    readonly keyFile: string;
    /**
     * The CA of client certificates: every client of this listener (devices, and the server on it) must then
     * present one (`require_certificate`). Mosquitto does not compare the CN with the user name (the embedded
     * broker does); the device's id and secret are still checked.
     */
    readonly clientCaFile?: string | undefined;
  };
}

/** The same limits as the embedded broker's, as far as Mosquitto has them. */
export interface MosquittoLimits {
  /** `max_packet_size` (global): a larger packet closes its connection. */
  readonly maxPacketBytes: number;
  /** `max_connections`, per device listener. */
  readonly maxConnections: number;
  /** `max_keepalive` (global): MQTT 5 clients asking more are told this one; 3.1.1 clients are not limited. */
  readonly maxKeepaliveS: number;
}

/**
 * mosquitto.conf lines for Tidewatch: its listeners, no anonymous clients, the password and ACL files that
 * `writeMosquittoFiles` writes, and the limits. A device's client id is its user name (`use_username_as_clientid`),
 * so no device can take over another's session; retained messages and QoS 2 close the device's connection.
 * Mosquitto reads it through `include_dir`.
 */
export function mosquittoListenersConf(
  listeners: MosquittoListeners,
  files: { readonly passwordFile: string; readonly aclFile: string },
  limits: MosquittoLimits,
): string {
  const listener = (port: number, host: string | undefined) =>
    `listener ${String(port)}${host ? ` ${host}` : ''}`;
  const forDevices = [
    'use_username_as_clientid true',
    `max_connections ${String(limits.maxConnections)}`,
    'max_qos 1',
  ];
  const lines = [
    '# Written by Tidewatch (npm run mqtt:credentials). Read by Mosquitto through include_dir.',
    'allow_anonymous false',
    `password_file ${files.passwordFile}`,
    `acl_file ${files.aclFile}`,
    `max_packet_size ${String(limits.maxPacketBytes)}`,
    `max_keepalive ${String(limits.maxKeepaliveS)}`,
    'retain_available false',
  ];
  if (listeners.server) lines.push('', listener(listeners.server.port, listeners.server.host));
  if (listeners.plain) lines.push('', listener(listeners.plain.port, listeners.plain.host), ...forDevices);
  const tls = listeners.tls;
  if (tls) {
    lines.push(
      '',
      listener(tls.port, tls.host),
      `certfile ${tls.certFile}`,
      `keyfile ${tls.keyFile}`,
      ...forDevices,
    );
    if (tls.clientCaFile) {
      lines.push(`cafile ${tls.clientCaFile}`, 'require_certificate true', 'use_identity_as_username false');
    }
  }
  return `${lines.join('\n')}\n`;
}
