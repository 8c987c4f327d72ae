import type { Logger } from '../../logger.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeServer, RealtimeSocket } from './realtime-types.ts';

type EngineSocket = RealtimeSocket['conn'];

/** Engine.IO's queue of packets created for a client but not yet handed to its transport (not in its types). */
interface EngineQueue {
  readonly writeBuffer: readonly unknown[];
}

/** Packets waiting for a client before its optional messages (telemetry) are held back. */
const CONGESTED_PACKETS = 4;

/**
 * How many packets wait for one client: created for it but not yet handed to its transport. A client that does
 * not read (a stalled network, a frozen tab) keeps its transport busy, and its packets wait here. Read from
 * Engine.IO's own queue rather than counted through its per-packet events, which cost every write a listener call.
 */
export class ClientBacklog {
  constructor(private readonly conn: EngineSocket) {}

  get waiting(): number {
    return (this.conn as unknown as EngineQueue).writeBuffer.length;
  }

  /**
   * The client is falling behind: several packets wait for it, so anything optional can wait. Not merely "a write
   * is in flight": under a steady stream of alerts every socket has one most of the time, and telemetry held for
   * that reason alone would never go out.
   */
  get congested(): boolean {
    return this.waiting >= CONGESTED_PACKETS;
  }
}

/**
 * Disconnects clients with more than `maxWaiting` packets waiting, so one that stopped reading cannot hold an
 * ever-growing buffer. Nothing is lost for it: it reconnects with its last alert sequence and is replayed.
 * Returns a function that stops the check.
 */
export function startSlowClientGuard(
  io: RealtimeServer,
  maxWaiting: number,
  metrics: RealtimeMetrics,
  log: Logger,
  everyMs = 500,
): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const waiting = socket.data.backlog.waiting;
      if (waiting <= maxWaiting) continue;
      metrics.slowDisconnects.inc();
      socket.data.session.log.warn(
        { socketId: socket.id, waiting },
        'socket disconnected: the client stopped reading',
      );
      // Discard: a graceful close would wait for the very packets the client does not read.
      socket.conn.close(true);
    }
  }, everyMs);
  timer.unref();
  log.debug({ maxWaiting }, 'slow-client guard started');
  return () => {
    clearInterval(timer);
  };
}
