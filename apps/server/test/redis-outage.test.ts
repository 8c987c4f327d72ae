import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { connectRedisAdapter } from '../src/modules/realtime/redis-adapter.ts';
import { startRedisServer } from '../src/testing/redis-server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// An unhandled rejection ends a Node process: if Redis going away could cause one, a Redis outage would take
// every instance down with it, where it should only cost the events between instances (resynced afterwards).
describe('Redis going away while the server broadcasts', () => {
  it('fails the publishes in flight and those made meanwhile without an unhandled rejection, and still closes', async () => {
    const unhandled: unknown[] = [];
    const count = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', count);
    cleanups.push(() => {
      process.off('unhandledRejection', count);
    });
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const connection = await connectRedisAdapter(
      `redis://127.0.0.1:${String(redis.port)}`,
      'outage-test',
      createLogger('silent', false),
    );
    const io = new Server(createServer(), { adapter: connection.adapter });

    // Thousands of broadcasts on their way to Redis when it stops, then more while it is away.
    for (let i = 0; i < 20_000; i += 1) io.emit('alert', { sequence: i, padding: 'x'.repeat(200) });
    await redis.stop();
    for (let i = 0; i < 100; i += 1) io.emit('alert', { sequence: 20_000 + i });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(unhandled).toEqual([]);

    // Shutting down during the outage, as the gateway does: the adapter unsubscribes (queued, never answered),
    // then the clients are closed without waiting for a Redis that is not there.
    io.engine.close();
    await io.of('/').adapter.close();
    await connection.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(unhandled).toEqual([]);
  });
});
