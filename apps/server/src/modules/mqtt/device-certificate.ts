import { TLSSocket } from 'node:tls';

/** What a device's TLS client certificate proves: `accepted`, or why it does not. */
export type DeviceCertificateVerdict = 'accepted' | 'missing' | 'untrusted' | 'other_device';

/**
 * Where device certificates are required (MQTT_TLS_CA_FILE), a device signs in with a certificate signed by
 * that CA whose subject CN is its device id, and still with its secret: the certificate ties the key to one
 * device, so a device's key cannot sign in as another even with the other's secret; the secret keeps
 * disabling and rotating in the server's hands without a revocation list. The same CN rule lets Mosquitto's
 * `use_identity_as_username` use the same certificates.
 */
export function checkDeviceCertificate(conn: unknown, deviceId: string): DeviceCertificateVerdict {
  if (!(conn instanceof TLSSocket)) return 'missing';
  const peer = conn.getPeerCertificate();
  if (Object.keys(peer).length === 0) return 'missing';
  if (!conn.authorized) return 'untrusted';
  return peer.subject.CN === deviceId ? 'accepted' : 'other_device';
}
