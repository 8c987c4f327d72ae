import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Config } from '../config.ts';

export interface TlsFiles {
  /** PEM: this server's certificate, optionally followed by its chain. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM: intermediates sent after the certificate, when kept apart from it. */
  readonly chainFile?: string | undefined;
  /** PEM: the CA whose certificates clients must present (MQTT devices). */
  readonly clientCaFile?: string | undefined;
}

/**
 * Reads a listener's certificate, key and client CA, and checks that they make a usable TLS context (a key
 * that does not match its certificate throws here), so a bad file on reload leaves the listener as it was.
 */
export async function readTlsContext(files: TlsFiles): Promise<SecureContextOptions> {
  const [cert, key, chain, ca] = await Promise.all([
    readFile(files.certFile),
    readFile(files.keyFile),
    files.chainFile ? readFile(files.chainFile) : undefined,
    files.clientCaFile ? readFile(files.clientCaFile) : undefined,
  ]);
  const options: SecureContextOptions = {
    cert: chain ? Buffer.concat([cert, Buffer.from('\n'), chain]) : cert,
    key,
    ...(ca ? { ca } : {}),
  };
  createSecureContext(options);
  return options;
}

/** The HTTPS listener's files (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE), or null for plain HTTP. */
export function httpsFiles(config: Config): TlsFiles | null {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return null;
  return { certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, chainFile: config.TLS_CA_FILE };
}

/** The embedded broker's TLS listener: the server's certificate, with MQTT_TLS_CA_FILE for devices. */
export function mqttTlsFiles(config: Config): (TlsFiles & { readonly port: number }) | null {
  const files = httpsFiles(config);
  if (!files || config.MQTT_TLS_PORT === undefined) return null;
  return { ...files, clientCaFile: config.MQTT_TLS_CA_FILE, port: config.MQTT_TLS_PORT };
}

/** For an external broker on mqtts://: its CA and this server's client certificate, where configured. */
export async function readBrokerClientFiles(
  config: Config,
): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read = (file: string | undefined) => (file ? readFile(file) : undefined);
  const [ca, cert, key] = await Promise.all([
    read(config.MQTT_BROKER_CA_FILE),
    read(config.MQTT_CLIENT_CERT_FILE),
    read(config.MQTT_CLIENT_KEY_FILE),
  ]);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}
