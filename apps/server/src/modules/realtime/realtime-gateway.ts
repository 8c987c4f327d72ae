import type { Server as HttpServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Database } from '@tidewatch/db';
import type { Registry } from 'prom-client';
import { Server } from 'socket.io';
import type { Config } from '../../config.ts';
import type { EventBus } from '../../events/event-bus.ts';
import { toProblem } from '../../http/problem.ts';
import type { Logger } from '../../logger.ts';
import type { AccessTokens } from '../auth/access-token.ts';
import { missedAlertChanges } from './alert-replay.ts';
import { registerAlertHandlers } from './alert.handlers.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import { ClientBacklog, startSlowClientGuard } from './client-backlog.ts';
import { corkFlushes } from './corked-flushes.ts';
import { resyncLocalClients } from './resync-local-clients.ts';
import { DevicePlaces } from './device-places.ts';
import { fanOutDomainEvents } from './domain-event-fanout.ts';
import { createRealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeServer, RealtimeSocket, RoomBroadcast } from './realtime-types.ts';
import { connectRedisAdapter, type RedisAdapterConnection } from './redis-adapter.ts';
import { scopeRooms } from './rooms.ts';
import { registerSessionHandlers } from './session.handlers.ts';
import { SessionRevalidator } from './session-revalidator.ts';
import { authenticateHandshake } from './socket-auth.ts';
import { registerTelemetryHandlers } from './telemetry.handlers.ts';
import { TelemetryFanout } from './telemetry-fanout.ts';

export interface RealtimeDeps {
  readonly config: Config;
  readonly db: Database;
  readonly bus: EventBus;
  readonly tokens: AccessTokens;
  readonly registry: Registry;
  readonly log: Logger;
}

export interface RealtimeGateway {
  readonly io: RealtimeServer;
  /** Someone's authority changed (announced by the database): this instance's sockets are checked again soon. */
  accessChanged(): void;
  /** Tells every client, disconnects them (they reconnect elsewhere) and leaves Redis. */
  close(): Promise<void>;
}

/** Client messages are small requests; anything larger is refused by the transport. */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/**
 * The Socket.IO gateway on the server's HTTP port: authenticates each connection like a REST request, joins it to
 * its tenant's and zones' rooms, replays the alert changes it missed, and serves its requests. With REDIS_URL,
 * rooms span every instance.
 */
export async function startRealtimeGateway(http: HttpServer, deps: RealtimeDeps): Promise<RealtimeGateway> {
  const { config, db, bus, tokens, log } = deps;
  const redis: RedisAdapterConnection | null = config.REDIS_URL
    ? await connectRedisAdapter(config.REDIS_URL, config.REALTIME_REDIS_PREFIX, log, config.REDIS_CA_FILE)
    : null;
  const io: RealtimeServer = new Server(http, {
    serveClient: false,
    maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
    cors: { origin: config.CORS_ORIGINS },
    ...(redis ? { adapter: redis.adapter } : {}),
  });
  const metrics = createRealtimeMetrics(deps.registry, () => io.of('/').sockets.size);
  const queue = new BroadcastQueue(io, config.REALTIME_SOCKETS_PER_TURN);
  const stopCorking = corkFlushes(io);
  const telemetry = new TelemetryFanout(io, bus, metrics, queue, {
    coalesceMs: config.REALTIME_COALESCE_MS,
    shareAcrossInstances: redis !== null,
  });
  const revalidator = new SessionRevalidator(
    io,
    db.pool,
    telemetry,
    metrics,
    log,
    config.REALTIME_REVALIDATE_MS,
  );
  // Each instance writes to its own sockets from its own queue: a broadcast made here is relayed to the others.
  const broadcast = (message: RoomBroadcast): void => {
    queue.toRooms(message);
    if (redis) io.serverSideEmit('broadcast', message);
  };
  if (redis) {
    io.on('broadcast', (message) => {
      queue.toRooms(message);
    });
  }
  const stopFanout = fanOutDomainEvents(broadcast, bus, new DevicePlaces(db.pool), metrics, log);
  const stopGuard = startSlowClientGuard(io, config.REALTIME_MAX_BUFFERED, metrics, log);
  telemetry.start();
  revalidator.start();
  redis?.onRestored(() => {
    resyncLocalClients(io, metrics, log);
  });
  // A disabled user or a changed role reaches the sockets at once, here and on the other instances.
  const stopAccessChanges = bus.on('access.changed', () => {
    revalidator.soon();
    if (redis) io.serverSideEmit('access:changed');
  });
  if (redis) {
    io.on('access:changed', () => {
      revalidator.soon();
    });
  }
  // A rotated or disabled device is cut off on every instance, not only where the change was made.
  const stopDeviceChanges = bus.on('device.changed', ({ relayed, ...change }) => {
    if (redis && !relayed) io.serverSideEmit('device:changed', change);
  });
  if (redis) {
    io.on('device:changed', (change) => {
      bus.emit('device.changed', { ...change, relayed: true });
    });
  }

  // Upgraded connections leave the HTTP server's bookkeeping; kept here so shutdown can end the stragglers.
  const upgraded = new Set<NetSocket>();
  const onUpgrade = (_req: unknown, socket: NetSocket): void => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  };
  http.on('upgrade', onUpgrade);

  io.use((socket, next) => {
    authenticateHandshake(
      db.pool,
      tokens,
      {
        auth: socket.handshake.auth,
        address: socket.handshake.address,
        userAgent: socket.handshake.headers['user-agent'],
      },
      log,
    ).then(
      ({ session, resumeAfter }) => {
        socket.data = { session, resumeAfter, backlog: new ClientBacklog(socket.conn) };
        next();
      },
      (error: unknown) => {
        const problem = toProblem(error, socket.id, 'connect');
        metrics.refused.inc({ code: problem.body.type.replace(/^.*:/, '') });
        if (problem.status >= 500) log.error({ err: problem.cause }, 'socket connection failed');
        else log.info({ detail: problem.body.detail, address: socket.handshake.address }, 'socket refused');
        const refusal: Error & { data?: unknown } = new Error(problem.body.detail ?? problem.body.title);
        refusal.data = problem.body;
        next(refusal);
      },
    );
  });

  io.on('connection', (socket: RealtimeSocket) => {
    const { session, resumeAfter } = socket.data;
    // Rooms first, then the replay: a change is either already in the database the replay reads, or not yet
    // published and so still to come to the rooms.
    void socket.join(scopeRooms(session.tenantId, session.zones));
    revalidator.track(socket);
    registerAlertHandlers(socket, { db, bus, metrics });
    registerTelemetryHandlers(socket, { pool: db.pool, telemetry, metrics });
    registerSessionHandlers(socket, { tokens, revalidator, metrics });
    socket.on('disconnect', () => {
      telemetry.drop(socket);
      revalidator.untrack(socket);
    });
    if (log.isLevelEnabled('debug')) {
      log.debug({ socketId: socket.id, userId: session.principal.userId, resumeAfter }, 'socket connected');
    }
    void missedAlertChanges(db.pool, session, resumeAfter)
      .catch((error: unknown) => {
        session.log.warn(
          { err: error, socketId: socket.id },
          'alert replay failed; the client is told to reload',
        );
        return { events: [], sequence: resumeAfter ?? 0, reload: true };
      })
      .then((replay) => {
        if (socket.disconnected) return;
        for (const event of replay.events) socket.emit('alert', event);
        socket.emit('session:ready', {
          userId: session.principal.userId,
          tenantId: session.tenantId,
          role: session.principal.role,
          zoneIds: [...session.principal.zoneIds],
          sequence: replay.sequence,
          replayed: replay.events.length,
          reload: replay.reload,
        });
      });
  });

  return {
    io,
    accessChanged() {
      revalidator.soon();
    },
    async close() {
      stopFanout();
      io.removeAllListeners('broadcast');
      stopAccessChanges();
      stopDeviceChanges();
      stopGuard();
      stopCorking();
      telemetry.stop();
      await revalidator.stop();
      io.local.emit('session:ended', { reason: 'server_shutdown' });
      io.local.disconnectSockets(true);
      io.engine.close();
      await io.of('/').adapter.close();
      await redis?.close();
      http.off('upgrade', onUpgrade);
      // A client that does not read never answers the close handshake: give the rest a moment, then cut.
      if (upgraded.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      for (const socket of upgraded) socket.destroy();
    },
  };
}
