import type { Logger } from '../../logger.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeServer } from './realtime-types.ts';

/** Reconnections are spread over this long, so thousands of clients do not all ask for their replay at once. */
const SPREAD_MS = 3000;

/**
 * After the link to the other instances was down, this instance's clients may have missed alert changes made
 * there. Each client's connection is closed (not the session): the client reconnects by itself with its last
 * alert sequence and is replayed exactly what it missed, the path every reconnect takes.
 */
export function resyncLocalClients(io: RealtimeServer, metrics: RealtimeMetrics, log: Logger): void {
  const sockets = [...io.of('/').sockets.values()];
  log.warn({ clients: sockets.length }, 'link to the other instances restored: clients reconnect to resync');
  for (const socket of sockets) {
    const timer = setTimeout(() => {
      if (socket.connected) {
        metrics.resyncs.inc();
        socket.conn.close();
      }
    }, Math.random() * SPREAD_MS);
    timer.unref();
  }
}
