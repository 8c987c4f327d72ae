import { createServer, type Server } from 'node:http';
import { createDatabase } from '@tidewatch/db';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { AnyRoute } from './http/route.ts';
import { createLogger, type Logger } from './logger.ts';
import { bootstrapSuperAdmin } from './modules/auth/bootstrap-admin.ts';
import { loadSigningKey } from './modules/auth/signing-key.ts';
import { EventBus } from './events/event-bus.ts';
import { IngestService } from './modules/ingest/ingest-service.ts';
import { startEmbeddedBroker } from './modules/mqtt/embedded-broker.ts';
import { createMetrics } from './operations/metrics.ts';
import { startPartitionJob } from './operations/partition-job.ts';

export interface RunningServer {
  readonly server: Server;
  readonly routes: readonly AnyRoute[];
  readonly bus: EventBus;
  readonly mqttPort: number;
  readonly url: string;
  readonly log: Logger;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes the pool. */
  close(graceMs?: number): Promise<void>;
}

/** Wires the real dependencies and listens. Tests call it with PORT 0. */
export async function startServer(
  config: Config,
  log = createLogger(config.LOG_LEVEL, config.NODE_ENV === 'development'),
): Promise<RunningServer> {
  const db = createDatabase({
    url: config.databaseUrl,
    maxConnections: 20,
    applicationName: 'tidewatch-server',
    onConnectionError: (error) => {
      log.warn({ err: error }, 'an idle database connection was closed by the server; it will be replaced');
    },
  });
  let shuttingDown = false;
  try {
    const signingKey = await loadSigningKey(db.pool, config.ACCESS_TOKEN_KEY);
    await bootstrapSuperAdmin(
      db,
      log,
      config.TIDEWATCH_ADMIN_EMAIL && config.TIDEWATCH_ADMIN_PASSWORD
        ? { email: config.TIDEWATCH_ADMIN_EMAIL, password: config.TIDEWATCH_ADMIN_PASSWORD }
        : null,
    );
    const metrics = createMetrics(db.pool);
    const bus = new EventBus();
    const ingest = new IngestService(db.pool, bus, metrics.registry, log, {
      queueCapacity: config.INGEST_QUEUE_CAPACITY,
      maxBatch: config.INGEST_MAX_BATCH,
      lingerMs: config.INGEST_LINGER_MS,
      deviceCacheMs: config.INGEST_DEVICE_CACHE_MS,
      window: {
        maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
        maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
      },
    });
    const mqtt = await startEmbeddedBroker(
      { host: config.MQTT_HOST, port: config.MQTT_PORT, maxPayloadBytes: config.MQTT_MAX_PAYLOAD_BYTES },
      ingest,
      bus,
      log,
    );
    const { app, routes } = createApp({
      config,
      db,
      bus,
      ingest,
      log,
      metrics,
      signingKey,
      isShuttingDown: () => shuttingDown,
      brokerReady: () => mqtt.connected(),
    });
    const stopPartitionJob = startPartitionJob(db, log);
    const server = createServer(app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = `http://127.0.0.1:${String(port)}`;
    log.info({ url }, 'tidewatch server listening');
    return {
      server,
      bus,
      mqttPort: mqtt.port,
      routes,
      url,
      log,
      async close(graceMs = 10_000) {
        shuttingDown = true;
        stopPartitionJob();
        const closed = new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        );
        // Keep-alive connections go idle once their request is answered; close each as soon as it does.
        const sweeper = setInterval(() => {
          server.closeIdleConnections();
        }, 50);
        const timer = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        server.closeIdleConnections();
        await closed;
        clearInterval(sweeper);
        clearTimeout(timer);
        await mqtt.close();
        // Readings already acknowledged are committed before the pool goes.
        await ingest.close(graceMs);
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
