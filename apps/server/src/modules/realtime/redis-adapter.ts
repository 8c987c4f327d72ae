import { readFile } from 'node:fs/promises';
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
 * other instances are missed meanwhile: `onRestored` tells when clients must resync. A password comes in the URL
 * (`redis://:password@host`); `rediss://` is TLS, checked against `caFile` where given, else the system's CAs.
 */
export async function connectRedisAdapter(
  url: string,
  prefix: string,
  log: Logger,
  caFile?: string,
): Promise<RedisAdapterConnection> {
  const pub = createClient({
    url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000),
      ...(caFile && { tls: true as const, ca: await readFile(caFile) }),
    },
  });
  const sub = pub.duplicate();
  let reported = false;
  let subscriptionLost = false;
  let lastError: unknown;
  let failStart: ((error: unknown) => void) | undefined;
  const restoredListeners: (() => void)[] = [];
  for (const [role, client] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    client.on('error', (error: unknown) => {
      lastError = error;
      if (failStart && isRefusal(error)) failStart(error);
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
  // A client that is connected waits for its replies and quits; one that is reconnecting (Redis away) is cut at
  // once: closing it would wait for a Redis that may never come back, and hold up the server's shutdown.
  const closeClient = async (client: typeof pub): Promise<void> => {
    if (client.isReady) await client.close();
    else if (client.isOpen) client.destroy();
  };
  const close = async (): Promise<void> => {
    await Promise.allSettled([closeClient(pub), closeClient(sub)]);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([pub.connect(), sub.connect()]),
      new Promise((_resolve, reject) => {
        failStart = (error) => {
          reject(new Error(`Redis (REDIS_URL) refused this server: ${describe(error)}`));
        };
        timer = setTimeout(() => {
          const cause = lastError === undefined ? '' : ` (${describe(lastError)})`;
          reject(
            new Error(
              `Redis (REDIS_URL) did not answer within ${String(CONNECT_TIMEOUT_MS / 1000)} s${cause}`,
            ),
          );
        }, CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    for (const client of [pub, sub]) if (client.isOpen) client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
    failStart = undefined;
  }
  handleFailures(pub, 'publish');
  handleFailures(sub, 'unsubscribe');
  handleFailures(sub, 'pUnsubscribe');
  return {
    adapter: createAdapter(pub, sub, { key: prefix, publishOnSpecificResponseChannel: true }),
    onRestored: (listener) => {
      restoredListeners.push(listener);
    },
    close,
  };
}

type Unawaited = (...args: never[]) => Promise<unknown>;

/**
 * The adapter does not wait for what it asks of Redis: every broadcast is a publish, and closing unsubscribes. When
 * Redis goes away with such commands in flight (or queued meanwhile) each of them fails with nobody listening, and
 * an unhandled rejection ends the process: a Redis outage would take every instance down with it. Each call keeps
 * its promise for a caller that waits, with a handler attached. What the other instances missed is the outage's,
 * reported by the 'error' listener and made good by the clients' resync once the subscription is back
 * (`onRestored`).
 */
function handleFailures<K extends string>(client: Record<K, Unawaited>, method: K): void {
  const call = client[method].bind(client);
  const handled: Unawaited = (...args) => {
    const result = call(...args);
    result.catch(() => undefined);
    return result;
  };
  client[method] = handled;
}

/** Retrying cannot fix these at start-up: a refused password, a certificate this server does not trust. */
function isRefusal(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    /^(WRONGPASS|NOAUTH)/.test(String(message)) ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(String(code))
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
