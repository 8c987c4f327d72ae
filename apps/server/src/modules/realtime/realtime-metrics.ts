import { Counter, Gauge, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics. */
export function createRealtimeMetrics(registry: Registry, connections: () => number) {
  new Gauge({
    name: 'realtime_connections',
    help: 'Sockets connected to this instance',
    registers: [registry],
    collect() {
      this.set(connections());
    },
  });
  return {
    refused: new Counter({
      name: 'realtime_connections_refused_total',
      help: 'Socket connections refused, by problem code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    requests: new Counter({
      name: 'realtime_requests_total',
      help: 'Socket requests by event and answer status (200, or the problem status)',
      labelNames: ['event', 'status'] as const,
      registers: [registry],
    }),
    broadcasts: new Counter({
      name: 'realtime_broadcasts_total',
      help: 'Events this instance sent to rooms (every instance delivers them to its own sockets)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    telemetryDeferred: new Counter({
      name: 'realtime_telemetry_deferred_total',
      help: 'Telemetry flushes held back because the client had not read the previous ones',
      registers: [registry],
    }),
    telemetryTicksSkipped: new Counter({
      name: 'realtime_telemetry_ticks_skipped_total',
      help: 'Telemetry intervals whose readings joined the next one because the last was still being written',
      registers: [registry],
    }),
    slowDisconnects: new Counter({
      name: 'realtime_slow_disconnects_total',
      help: 'Sockets disconnected because too many packets waited for them',
      registers: [registry],
    }),
    resyncs: new Counter({
      name: 'realtime_resync_reconnects_total',
      help: 'Sockets asked to reconnect and resync because the link to the other instances was down',
      registers: [registry],
    }),
    sessionsEnded: new Counter({
      name: 'realtime_sessions_ended_total',
      help: 'Sockets closed by the server because their session ended, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
export type RealtimeMetrics = ReturnType<typeof createRealtimeMetrics>;
