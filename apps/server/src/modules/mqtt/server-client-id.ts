import { createHmac } from 'node:crypto';

/**
 * This instance's client id on an external broker: the readable part (MQTT_CLIENT_ID, else host and port) and a
 * suffix derived from the server's broker secret, so that no other account can guess it to take its session
 * over, while it stays the same across restarts and the broker keeps what this instance has not acknowledged
 * (a fresh random id on every start would abandon that session and its queued messages).
 *
 * @example serverClientId('tidewatch-plant1-8080', 'the broker password') // 'tidewatch-plant1-8080-3f9c…' (16 hex)
 */
export function serverClientId(readable: string, secret: string | Buffer): string {
  const suffix = createHmac('sha256', secret).update(`tidewatch mqtt client id\n${readable}`).digest('hex');
  return `${readable}-${suffix.slice(0, 16)}`;
}
