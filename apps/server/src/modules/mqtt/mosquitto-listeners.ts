/** Where Mosquitto listens for devices and for the server, and with which certificates. */
export interface MosquittoListeners {
  /** Plain MQTT (e.g. 1883 on 127.0.0.1 for the server alone); null for none. */
  readonly plain: { readonly port: number; readonly host?: string | undefined } | null;
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

/**
 * mosquitto.conf lines for Tidewatch: its listeners, no anonymous clients, and the password and ACL files that
 * `writeMosquittoFiles` writes. Mosquitto reads it through `include_dir`.
 */
export function mosquittoListenersConf(
  listeners: MosquittoListeners,
  files: { readonly passwordFile: string; readonly aclFile: string },
): string {
  const listener = (port: number, host: string | undefined) =>
    `listener ${String(port)}${host ? ` ${host}` : ''}`;
  const lines = [
    '# Written by Tidewatch (npm run mqtt:credentials). Read by Mosquitto through include_dir.',
    'allow_anonymous false',
    `password_file ${files.passwordFile}`,
    `acl_file ${files.aclFile}`,
  ];
  if (listeners.plain) lines.push('', listener(listeners.plain.port, listeners.plain.host));
  const tls = listeners.tls;
  if (tls) {
    lines.push('', listener(tls.port, tls.host), `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`);
    if (tls.clientCaFile) {
      lines.push(`cafile ${tls.clientCaFile}`, 'require_certificate true', 'use_identity_as_username false');
    }
  }
  return `${lines.join('\n')}\n`;
}
