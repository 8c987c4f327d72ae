import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../../logger.ts';

export interface RedisAdapterConnection {
  readonly adapter: ReturnType<typeof createAdapter>;
  /**
   * Calls `listener` each time the subscription to the other instances is back after an outage: events they
   * published meanwhile never reached this instance's clients.
   */
  onRestored(listener: () => void): void;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects the two Redis clients the Socket.IO adapter needs (one publishes, one stays subscribed) and builds the
 * adapter. Fails at start-up when Redis does not answer; later outages are retried with back-off, and events of
 * other instances are missed meanwhile: `onRestored` tells when clients must resync.
 */
export async function connectRedisAdapter(
  url: string,
  prefix: string,
  log: Logger,
): Promise<RedisAdapterConnection> {
  const pub = createClient({
    url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000),
    },
  });
  const sub = pub.duplicate();
  let reported = false;
  let subscriptionLost = false;
  const restoredListeners: (() => void)[] = [];
  for (const [role, client] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    client.on('error', (error: unknown) => {
      // Reconnection errors repeat every few seconds; one warning per outage is enough.
      if (!reported) log.warn({ err: error, role }, 'redis connection lost; reconnecting');
      reported = true;
      if (client === sub) subscriptionLost = true;
    });
    client.on('ready', () => {
      if (reported) log.info({ role }, 'redis connection back');
      reported = false;
      if (client === sub && subscriptionLost) {
        subscriptionLost = false;
        for (const listener of restoredListeners) listener();
      }
    });
  }
  const close = async (): Promise<void> => {
    await Promise.allSettled([pub.isOpen ? pub.close() : undefined, sub.isOpen ? sub.close() : undefined]);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([pub.connect(), sub.connect()]),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`Redis (REDIS_URL) did not answer within ${String(CONNECT_TIMEOUT_MS / 1000)} s`));
        }, CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    for (const client of [pub, sub]) if (client.isOpen) client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    adapter: createAdapter(pub, sub, { key: prefix, publishOnSpecificResponseChannel: true }),
    onRestored: (listener) => {
      restoredListeners.push(listener);
    },
    close,
  };
}
